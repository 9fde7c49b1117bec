# %% [markdown]
# # Lecture 5: training in practice
#
# Lecture 4 computed the gradient of the loss exactly. This lecture is about using it: on
# how much data to compute each step, in which order to visit the data, how large the
# steps should be, how to start, and how to write all of it as the PyTorch loop that
# every deep-learning program runs.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from nnlab import data, nn, optim, training
from nnlab.views import TrainingPlayground, show

torch.manual_seed(0)
torch.set_num_threads(1)  # tiny networks: threads only add overhead

# %% [markdown]
# ## 1. The loss is an average
#
# For $N$ training examples the loss is the average of one loss per example,
#
# $$L(\theta) = \frac1N \sum_{n=1}^N \ell\big(f(x_n; \theta), y_n\big), \qquad
# \nabla L(\theta) = \frac1N \sum_{n=1}^N \nabla \ell_n(\theta),$$
#
# so the exact gradient costs one forward and backward pass **per example**. Full-batch
# gradient descent pays that for every step: stable, but slow when $N$ is large.
# Stochastic gradient descent instead estimates the gradient from one example, and
# mini-batch SGD from a batch $\mathcal B$ of $B$ examples:
#
# $$g_{\mathcal B} = \frac1B \sum_{n \in \mathcal B} \nabla \ell_n(\theta).$$
#
# ## 2. How good is a mini-batch gradient?
#
# Take a small network at its starting weights and the circle data, and compute every
# per-example gradient once. Then cut random orders of the data into batches, as an epoch
# does, and compare each batch gradient with the full one.

# %%
X, y = data.circle(n=1000, seed=0, noise=0.1)
net = nn.MLP([2, 8, 1], hidden="tanh", output="sigmoid", seed=1)
Y = y.reshape(-1, 1).astype(float)


def flat(grads):
    return np.concatenate([a.ravel() for pair in grads for a in pair])


per_example = np.array([flat(net.gradients(X[i:i + 1], Y[i:i + 1]))
                        for i in range(len(X))])
full = flat(net.gradients(X, Y))
N = len(X)
sizes = [1, 2, 5, 10, 20, 50, 100, 200]
spread = []
for B in sizes:
    deviations = []
    for epoch in range(20):
        order = training.epoch_order(seed=0, epoch=epoch, n=N)
        for batch in training.batches(order, B):
            deviations.append(np.sum((per_example[batch].mean(axis=0) - full) ** 2))
    spread.append(np.sqrt(np.mean(deviations)))
spread = np.array(spread)

# %% [markdown]
# Two facts, both measured here. On average the batch gradient *is* the full gradient:
# the mean of the batch gradients of one epoch (equal batches that cover every example
# once) equals $\nabla L$ to rounding error. And its typical error shrinks like
# $1/\sqrt B$: for batches drawn without replacement from $N$ examples whose per-example
# gradients scatter with total variance $\sigma^2$ around $\nabla L$, statistics gives
#
# $$\sqrt{\mathbb E\,\lVert g_{\mathcal B} - \nabla L \rVert^2} = \frac{\sigma}{\sqrt B}
# \sqrt{\frac{N - B}{N - 1}} .$$

# %%
# NBVAL_CHECK_OUTPUT
order = training.epoch_order(seed=0, epoch=0, n=N)
epoch_mean = np.mean([per_example[b].mean(axis=0)
                      for b in training.batches(order, 50)], axis=0)
print("mean of one epoch's batch gradients equals the full gradient (1e-12):",
      bool(np.allclose(epoch_mean, full, rtol=1e-12, atol=1e-15)))
sigma = np.sqrt(np.mean(np.sum((per_example - full) ** 2, axis=1)))
formula = sigma / np.sqrt(sizes) * np.sqrt((N - np.array(sizes)) / (N - 1))
slope = np.polyfit(np.log(sizes), np.log(spread), 1)[0]
print("measured spread within 10 % of the formula at every B:",
      bool(np.all(np.abs(spread / formula - 1) < 0.1)))
print(f"slope on a log-log plot: {slope:.1f} (1/sqrt(B) has slope -0.5)")

# %%
fig, ax = plt.subplots(figsize=(6, 3.4), layout="constrained")
ax.loglog(sizes, spread, "o", color="#0072B2", label="measured (20 epochs of batches)")
ax.loglog(sizes, formula, "-", color="#D55E00",
          label="σ/√B · √((N−B)/(N−1))")
ax.loglog(sizes, sigma / np.sqrt(sizes), ":", color="0.4", label="σ/√B")
ax.set(xlabel="batch size B", ylabel="RMS error of the batch gradient",
       title=f"mini-batch gradient error, N = {N}")
ax.grid(alpha=0.3, which="both")
ax.legend(fontsize=9)
show(fig, f"Log-log plot of the root-mean-square error of the mini-batch gradient "
          f"against the batch size B from 1 to 200, for N = {N} examples. The measured "
          f"points fall on the formula sigma over root B times a finite-population "
          f"correction, a line of slope {slope:.1f}: four times the batch size halves "
          f"the error.")

# %% [markdown]
# The noise is not all bad: it is cheap (a batch of 100 costs 1 % of a full pass over
# 10,000 examples, while its error is only ten times smaller than a single example's) and
# it shakes the parameters out of shallow dips. But it never goes away at a fixed step size.
#
# ## 3. Epochs and reshuffling
#
# An **epoch** is one pass over the training set: shuffle the examples, then walk the
# shuffled order in batches. It takes $\lceil N/B \rceil$ steps; with `drop_last` the short
# last batch is skipped, $\lfloor N/B \rfloor$. The order is drawn afresh every epoch, so
# the batches differ from epoch to epoch (a fixed order would repeat the same sequence of
# gradient estimates, and its bias, every time).

# %%
# NBVAL_CHECK_OUTPUT
print("N = 50,000, B = 100:", training.steps_per_epoch(50_000, 100), "steps per epoch")
print("N = 50,000, B = 128:", training.steps_per_epoch(50_000, 128), "steps,",
      training.steps_per_epoch(50_000, 128, drop_last=True), "with drop_last")
orders = [training.epoch_order(seed=0, epoch=epoch, n=10) for epoch in range(3)]
print("each epoch visits each of 10 examples once:",
      all(sorted(o) == list(range(10)) for o in orders))
print("the three epochs' orders differ:", len({tuple(o) for o in orders}) == 3)

# %% [markdown]
# The batches of those three epochs, 10 examples in batches of 4 (the last one short):

# %%
for epoch, order in enumerate(orders):
    print(f"epoch {epoch}:", " | ".join(" ".join(map(str, b))
                                        for b in training.batches(order, 4)))

# %% [markdown]
# ## 4. Step sizes that settle: Robbins and Monro
#
# With a constant step size $\alpha$, SGD does not converge: near the minimum every step
# still carries the batch's noise, and the parameters keep wandering in a small cloud whose
# size grows with $\alpha$. Robbins and Monro showed that steps with
#
# $$\alpha_t \to 0, \qquad \sum_t \alpha_t = \infty, \qquad \sum_t \alpha_t^2 < \infty$$
#
# (for example $\alpha_t = \alpha_0/(1 + t/\tau)$) average the noise out while still
# travelling any distance, so SGD follows the gradient flow to the minimum. Here on a
# one-weight least-squares problem, $y = 2x + $ noise, one example per step:

# %%
rng = np.random.default_rng(3)
xs = rng.normal(size=500)
ys = 2.0 * xs + rng.normal(0.0, 0.5, 500)
w_star = xs @ ys / (xs @ xs)                 # the least-squares minimum
steps = 4000


def sgd_path(step_size):
    w, path = 0.0, []
    g = np.random.default_rng(4)
    for t in range(steps):
        i = g.integers(len(xs))
        w -= step_size(t) * (w * xs[i] - ys[i]) * xs[i]
        path.append(abs(w - w_star))
    return np.array(path)


paths = {"constant α = 0.05": sgd_path(lambda t: 0.05),
         "α_t = 0.05 / (1 + t/100)": sgd_path(lambda t: 0.05 / (1 + t / 100))}
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
for (label, path), colour in zip(paths.items(), ("#0072B2", "#D55E00")):
    ax.semilogy(np.arange(1, steps + 1), np.maximum(path, 1e-8), color=colour, lw=1,
                label=label)
ax.set(xlabel="step t", ylabel="|w_t − w*|", title="SGD on y = 2x + noise")
ax.grid(alpha=0.3)
ax.legend(fontsize=9)
late = {label: float(np.sqrt(np.mean(path[-1000:] ** 2)))
        for label, path in paths.items()}
show(fig, "Distance of the SGD weight from the least-squares minimum over 4,000 steps, "
          "log scale. With a constant step the distance stops falling and jitters "
          f"around {late['constant α = 0.05']:.1e}; with steps that shrink like 1/t "
          f"it keeps falling, to about {late['α_t = 0.05 / (1 + t/100)']:.1e} at the "
          "end.")

# %%
# NBVAL_CHECK_OUTPUT
ratio = late["constant α = 0.05"] / late["α_t = 0.05 / (1 + t/100)"]
print("over the last 1,000 steps the decaying steps stay at least 3x closer:",
      ratio > 3)

# %% [markdown]
# In practice a schedule does the same job: a constant rate while the loss falls fast,
# then smaller steps (step decay, exponential or cosine decay; lecture 8).
#
# ## 5. The PyTorch recipe
#
# Every PyTorch training program has the same five parts: a **model** (an `nn.Module`),
# a **DataLoader** that reshuffles every epoch, an **optimiser**, a **loss**, and the
# **loop**: for every batch `zero_grad`, forward, loss, `backward`, `step`. Evaluation
# runs in `eval()` mode under `torch.no_grad()`. The data: 1,000 points in the unit
# square, class 1 inside a circle. The network: 2 inputs, 4 sigmoid hidden units, one
# output that is the **logit** of class 1 (as in lecture 4 and exercise 5: the sigmoid is
# not part of the model), `BCEWithLogitsLoss` (the binary cross-entropy of the sigmoid of
# the logit, computed without overflow), Adam with learning rate 0.03, batches of 100.
# `tqdm.auto` draws a progress bar that works in JupyterLab, Notebook 7, VS Code and a
# terminal alike.

# %%
EPOCHS = 150   # the curves below settle by then; more epochs sharpen the region further

g = np.random.default_rng(5)
P = g.uniform(0, 1, (1000, 2))
labels = (np.sum((P - 0.5) ** 2, axis=1) < 0.3**2).astype(float)
split = 800
X_train, y_train = torch.tensor(P[:split]), torch.tensor(labels[:split, None])
X_test, y_test = torch.tensor(P[split:]), torch.tensor(labels[split:, None])


class SmallNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(2, 4)
        self.out = torch.nn.Linear(4, 1)

    def forward(self, x):
        return self.out(torch.sigmoid(self.hidden(x)))  # the logit: > 0 means class 1


model = SmallNet().double()
loader = DataLoader(TensorDataset(X_train, y_train), batch_size=100, shuffle=True,
                    generator=torch.Generator().manual_seed(0))
optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
loss_fn = torch.nn.BCEWithLogitsLoss()


def evaluate(model, X, y):
    model.eval()
    with torch.no_grad():
        logits = model(X)
        right = ((logits > 0).double() == y).double()
        return loss_fn(logits, y).item(), right.mean().item()


log = {"batch loss": [], "train loss": [], "test loss": [], "test accuracy": []}
for epoch in tqdm(range(EPOCHS), desc="epochs"):
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        log["batch loss"].append(loss.item())
    train_loss, _ = evaluate(model, X_train, y_train)
    test_loss, test_accuracy = evaluate(model, X_test, y_test)
    log["train loss"].append(train_loss)
    log["test loss"].append(test_loss)
    log["test accuracy"].append(test_accuracy)

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
batches_per_epoch = len(loader)
batch_epochs = np.arange(1, len(log["batch loss"]) + 1) / batches_per_epoch
ax1.plot(batch_epochs, log["batch loss"], color="0.6", lw=0.7, label="each batch")
ax1.plot(np.arange(1, EPOCHS + 1), log["train loss"], color="#0072B2",
         label="training set")
ax1.plot(np.arange(1, EPOCHS + 1), log["test loss"], color="#D55E00", ls="--",
         label="test set")
ax1.set(xlabel="epoch", ylabel="binary cross-entropy", title="loss")
ax1.legend(fontsize=9)
ax2.plot(np.arange(1, EPOCHS + 1), log["test accuracy"], color="#009E73")
ax2.set(xlabel="epoch", ylabel="accuracy on the test set", title="accuracy",
        ylim=(0.4, 1.0))
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
show(fig, f"Left: the loss over {EPOCHS} epochs, per batch (grey, noisy) and on the "
          f"whole training and test sets after each epoch. Right: the test accuracy "
          f"per epoch, ending at {log['test accuracy'][-1]:.0%}.")

# %% [markdown]
# The batch losses (grey) jump around the epoch curves: each is the loss of 100 random
# examples. At first the network answers "class 0" everywhere (the test accuracy sits at
# the share of class 0), until the hidden units find the circle's edges. Now the picture of what the network learned: its decision region, and what
# each of the four hidden units responds to. Every sigmoid unit is a soft step across a
# line in the plane; the output unit combines the four steps into a closed region.

# %%
grid = np.linspace(0, 1, 121)
G = torch.tensor(np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2))
model.eval()
with torch.no_grad():
    # the probability of class 1
    region = torch.sigmoid(model(G)).numpy().reshape(121, 121)
    units = torch.sigmoid(model.hidden(G)).numpy().reshape(121, 121, 4)
fig = plt.figure(figsize=(9.5, 3.8), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1.15, 1])
ax = left.subplots()
mesh = ax.pcolormesh(grid, grid, region, cmap="PuOr_r", vmin=0, vmax=1, shading="auto")
ax.contour(grid, grid, region, levels=[0.5], colors="k", linewidths=1)
inside = labels[split:] == 1
ax.scatter(P[split:][inside, 0], P[split:][inside, 1], s=10, marker="o", color="k",
           label="class 1")
ax.scatter(P[split:][~inside, 0], P[split:][~inside, 1], s=10, marker="s",
           facecolor="white", edgecolor="k", lw=0.5, label="class 0")
ax.set(xlabel="x1", ylabel="x2", title="output and test points", aspect="equal")
ax.legend(fontsize=9, loc="upper right", framealpha=0.9)
left.colorbar(mesh, ax=ax, label="P(class 1)")
unit_axes = right.subplots(2, 2, sharex=True, sharey=True)
for j, a in enumerate(unit_axes.flat):
    im = a.pcolormesh(grid, grid, units[:, :, j], cmap="viridis", vmin=0, vmax=1,
                      shading="auto")
    a.set(xticks=[0, 1], yticks=[0, 1], aspect="equal", title=f"hidden unit {j + 1}")
right.colorbar(im, ax=unit_axes, label="unit output", shrink=0.9)
right.supxlabel("x1", fontsize=10)
right.supylabel("x2", fontsize=10)
show(fig, "Left: the trained network's probability of class 1 over the unit square, "
          "the 0.5 contour in black and the test points, class 1 as black dots, "
          "class 0 as white squares. Right: each of the four hidden units' outputs "
          "over the square; each is a soft step across a straight line, and together "
          "they bound the region.")

# %%
# NBVAL_CHECK_OUTPUT
print("test accuracy after", EPOCHS, "epochs above 90 %:",
      log["test accuracy"][-1] > 0.9)
print("batches per epoch:", batches_per_epoch, "(800 training points, batch size 100)")

# %% [markdown]
# ## 6. Fitting $\sin 2\pi x$, two ways
#
# 100 samples $x \sim U[0, 1]$ with $y = \sin 2\pi x + \varepsilon$, $\varepsilon \sim
# N(0, 0.1^2)$. First a shortcut: **fix** a hidden layer of sigmoid units (steps spread
# across $[0, 1]$) and fit only the output weights. The output is linear in them, so the
# best ones solve a least-squares problem, no gradient descent needed.

# %%
xs, ys = data.sine(n=100, noise=0.1, seed=6)
xs, ys = xs.reshape(-1, 1), ys.reshape(-1, 1)
centres = np.linspace(0, 1, 12)


def hidden_layer(x):
    """12 fixed sigmoid steps of slope 15, centred across [0, 1], and a constant 1."""
    H = nn.sigmoid(15 * (x - centres))
    return np.hstack([H, np.ones((len(x), 1))])


v, *_ = np.linalg.lstsq(hidden_layer(xs), ys, rcond=None)
line = np.linspace(0, 1, 300).reshape(-1, 1)
fixed_fit = hidden_layer(line) @ v
fixed_mse = float(np.mean((hidden_layer(xs) @ v - ys) ** 2))

# %% [markdown]
# Then the real thing: a network with 32 sigmoid hidden units and a linear output,
# trained on the mean squared error with Adam, batches of 10, by `nnlab.training` (the
# same loop as above, in NumPy).

# %%
EPOCHS_SINE = 1000   # about a second; the error then sits at the noise level
sine_net = nn.MLP([1, 32, 1], hidden="sigmoid", output="linear", init="uniform",
                  init_scale=0.7, seed=7)
trainer = training.Trainer(sine_net, xs, ys, optimizer=optim.adam(lr=0.03),
                           batch_size=10, standardize=True, seed=7)
trainer.fit(EPOCHS_SINE)
net_fit = trainer.output(line)
net_mse = trainer.history["train_loss"][-1]

fig, ax = plt.subplots(figsize=(6.5, 3.4), layout="constrained")
ax.plot(xs, ys, "o", ms=3.5, color="0.5", label="samples")
ax.plot(line, np.sin(2 * np.pi * line), color="k", lw=1, ls=":", label="sin 2πx")
ax.plot(line, fixed_fit, color="#0072B2",
        label=f"fixed hidden layer (MSE {fixed_mse:.3f})")
ax.plot(line, net_fit, color="#D55E00", ls="--",
        label=f"32 trained units (MSE {net_mse:.3f})")
ax.set(xlabel="x", ylabel="y", title="two fits of the same 100 samples")
ax.grid(alpha=0.3)
ax.legend(fontsize=9, loc="lower left")
show(fig, f"The 100 noisy samples of sin 2 pi x, the true curve dotted, the fit with a "
          f"fixed hidden layer and least-squares output weights (training error "
          f"{fixed_mse:.3f}) and the 32-unit network trained with Adam (training error "
          f"{net_mse:.3f}). Both follow the sine; the noise variance is 0.01.")

# %%
# NBVAL_CHECK_OUTPUT
print("both training errors near the noise variance 0.01 (between 0.005 and 0.02):",
      0.005 < fixed_mse < 0.02 and 0.005 < net_mse < 0.02)

# %% [markdown]
# ## 7. How to start: initialisation and input scale
#
# **Small random weights.** Every hidden unit then works near the middle of its
# activation, where tanh and the sigmoid are almost straight lines, so the freshly
# initialised network is nearly a linear function of its input; training bends it where
# the data ask for it. (All-equal weights would keep every hidden unit identical forever:
# the randomness breaks the symmetry.) Here is a 1-16-1 tanh network's output along a
# line of inputs, for weights drawn uniformly from $\pm 0.1$ and from $\pm 3$:

# %%
u = np.linspace(-2, 2, 200).reshape(-1, 1)
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
straightness = {}
for scale, colour in ((0.1, "#0072B2"), (3.0, "#D55E00")):
    start_net = nn.MLP([1, 16, 1], hidden="tanh", output="linear", init="uniform",
                       init_scale=scale, seed=8)
    out = start_net.forward(u)[:, 0]
    fit = np.polyval(np.polyfit(u[:, 0], out, 1), u[:, 0])
    straightness[scale] = 1 - np.sum((out - fit) ** 2) / np.sum((out - out.mean()) ** 2)
    ax.plot(u, out / np.abs(out).max(), color=colour,
            label=f"weights in ±{scale:g}: R² of a line {straightness[scale]:.3f}")
ax.set(xlabel="input x", ylabel="output (scaled to max 1)",
       title="a 1-16-1 tanh network before training")
ax.grid(alpha=0.3)
ax.legend(fontsize=9)
show(fig, "The output of an untrained 1-16-1 tanh network along inputs from -2 to 2, "
          f"scaled to a maximum of 1. With weights within plus or minus 0.1 it is a "
          f"straight line (R squared {straightness[0.1]:.3f} for a linear fit); with "
          f"weights within plus or minus 3 it is already bent "
          f"(R squared {straightness[3.0]:.3f}).")

# %%
# NBVAL_CHECK_OUTPUT
print("small weights: nearly linear (R² > 0.99):", straightness[0.1] > 0.99)
print("large weights: not linear (R² < 0.99):", straightness[3.0] < 0.99)

# %% [markdown]
# And why *random*: start every weight at zero and each hidden unit computes the same thing
# and receives the same gradient, step after step, so the units stay copies of one another
# (with tanh at zero they do not even move: no signal reaches them). Trained on xor, such a
# network never leaves the loss of a coin toss, $\ln 2 \approx 0.693$:

# %%
# NBVAL_CHECK_OUTPUT
for init in ("zeros", "uniform 0.7"):
    run = training.TrainingConfig(dataset="xor", hidden=(8,), init=init, lr=0.03,
                                  seed=11).build()
    run.fit(20)
    W1 = run.net.params[0][0]
    alike = bool(np.allclose(W1, W1[:, :1]))
    at_ln2 = abs(run.evaluate()["train_loss"] - np.log(2)) < 0.01
    print(f"{init:>11}: hidden units all alike {alike}, "
          f"training loss {'at' if at_ln2 else 'below'} ln 2")

# %% [markdown]
# **Standardise the inputs.** If one input is measured in thousands and another in
# thousandths, the first one saturates every unit it feeds and the second one is ignored,
# and no single learning rate suits both. Subtracting each input's mean and dividing by
# its standard deviation (both computed on the *training* set, then applied to every
# input) puts them on one scale. For standardised inputs, weights drawn uniformly from
# $[-0.7, 0.7]$ are a classic choice: each weight has variance $0.7^2/3 \approx 0.16$, so
# a unit with six such inputs sums to a spread of about one, in the steep middle of its
# activation. The same network and data, with and without standardisation:

# %%
X2, y2 = data.circle(n=400, seed=9, noise=0.1)
X2_raw = X2 * np.array([1000.0, 0.001]) + np.array([5000.0, 0.0])   # km and mm, say
curves = {}
for standardize in (False, True):
    run = training.TrainingConfig(hidden=(8,), init="uniform 0.7", optimizer="adam",
                                  lr=0.03, batch_size=20, standardize=standardize,
                                  seed=10).build(X2_raw, y2)
    run.fit(40)
    curves[standardize] = run.history

fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
for standardize, colour in ((False, "#D55E00"), (True, "#0072B2")):
    h = curves[standardize]
    ax.plot(h["epoch"], h["train_accuracy"], color=colour,
            label="standardised inputs" if standardize else "raw inputs")
ax.set(xlabel="epoch", ylabel="training accuracy", ylim=(0.4, 1.0),
       title="the circle, inputs on scales 1000 and 0.001")
ax.grid(alpha=0.3)
ax.legend(fontsize=9)
final = {s: curves[s]["train_accuracy"][-1] for s in curves}
show(fig, "Training accuracy per epoch of the same 2-8-1 network on the circle data "
          "whose two inputs are on scales of a thousand and a thousandth: raw inputs "
          f"end at {final[False]:.0%}, standardised inputs at {final[True]:.0%}.")

# %%
# NBVAL_CHECK_OUTPUT
print("standardised beats raw by more than 20 points of accuracy:",
      final[True] - final[False] > 0.2)

# %% [markdown]
# ## 8. The playground
#
# Everything in this lecture in one explorer. Choose the data, the input features, the
# network and the way to train it, then press **Play**: training runs in the background
# (other cells keep working) and the figure follows it. The big panel is the decision
# region with the training points (filled) and the test points (hollow); every small tile
# is one neuron's response over the same plane, laid out as the network, and the lines
# between them are the weights (width grows with $|w|$, colour gives the sign). Below:
# the training and test loss, the accuracy, and the test set's confusion matrix.
# **Step** takes one batch, **Step epoch** one epoch; click the region to add a point of
# the chosen class (or type its coordinates on the Data tab).
#
# Try this:
#
# 1. *circle*, no hidden layer, inputs $x_1, x_2$: a line cannot enclose a disc. Now tick
#    $x_1^2$ and $x_2^2$: the same linear model draws the circle.
# 2. *spirals*, two hidden layers of 8: compare tanh with ReLU, then try three classes.
# 3. Choose *momentum* and a learning rate of 1: the loss climbs far above the 0.69 of a
#    coin toss and the network learns nothing. Back to 0.03, then raise the batch size
#    from 1 to 100 and watch the curves calm down (section 2).
# 4. Output *tanh + squared error* is what TensorFlow Playground trains with; compare it
#    with *sigmoid + cross-entropy* on the spirals.
# 5. Initialisation *zeros* (section 7): the tiles of a layer stay identical.

# %%
playground = TrainingPlayground()
playground

# %% [markdown]
# A setting is a plain dictionary: `playground.state` prints it, and a cell like the one
# below recreates the same run, step for step. This one is a deep ReLU network on three
# spirals:

# %%
TrainingPlayground(dataset="spirals", classes=3, noise=0.03, activation="relu",
                   layers=3, units1=8, units2=8, units3=8, output="softmax",
                   lr=0.01, batch_size=20)

# %% [markdown]
# And to carry a run over to PyTorch, `to_pytorch()` writes it as a script (same data,
# same starting weights, same order of batches) that you can run on its own:

# %%
script = playground.to_pytorch(epochs=5)
print("\n".join(script.splitlines()[:12]), "\n...")
