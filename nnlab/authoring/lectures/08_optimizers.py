# %% [markdown]
# # Lecture 8: optimisers
#
# Gradient descent takes a step against the gradient. On a round bowl that points straight
# at the minimum; on the long, narrow valleys of real loss surfaces it does not. This
# lecture looks at why plain gradient descent struggles, and at the optimisers that fix
# it: momentum, Nesterov, AdaGrad, RMSProp and Adam. Every one is implemented in
# `nnlab.optim` as a small state machine that the tests check against `torch.optim`.

# %%
import matplotlib.pyplot as plt
import numpy as np

from nnlab import data, nn, optim, surfaces
from nnlab.views import show

# %% [markdown]
# ## 1. Ill-conditioning
#
# Near a minimum, a loss looks like a quadratic bowl $f(x) = \tfrac12 x^\top H x$. The
# eigenvalues of the Hessian $H$ are the curvatures along its eigenvectors. Their ratio
# $\kappa = \lambda_{max} / \lambda_{min}$ is the **condition number**. Gradient descent
# $x \leftarrow x - \alpha H x$ multiplies the error along eigenvector $i$ by $1 - \alpha\lambda_i$
# at every step, so
#
# * it **diverges** unless $\alpha < 2 / \lambda_{max}$ (the steep direction overshoots);
# * along the shallow direction it then shrinks by only $1 - \alpha \lambda_{min}$ per step;
# * the best compromise, $\alpha = 2 / (\lambda_{min} + \lambda_{max})$, still only gives
#   the rate $(\kappa - 1)/(\kappa + 1)$ per step: close to 1 when $\kappa$ is large.

# %%
# NBVAL_CHECK_OUTPUT
for kappa in (10, 100, 1000):
    lr, rate = surfaces.gd_best(1.0, kappa)
    bowl = surfaces.quadratic(kappa, theta=0.5)
    tr = surfaces.trajectory(optim.sgd(lr=lr), bowl, (1.0, 1.0), 400)
    measured = surfaces.measured_rate(tr.path, 50, 350)
    print(f"kappa = {kappa:4d}: best lr {lr:.4f}, rate (k-1)/(k+1) = {rate:.4f}, "
          f"measured {measured:.4f}, "
          f"steps to shrink the error 1000x: {np.log(1e-3) / np.log(rate):.0f}")
too_big = surfaces.trajectory(optim.sgd(lr=2.05 / 100), surfaces.quadratic(100, 0.5),
                              (1.0, 1.0), 2000)
print("lr just above 2/lambda_max:", too_big.diverged)

# %% [markdown]
# The explorer shows the race on the bowl. In the right panel the error is split along the
# two eigenvectors: with gradient descent the steep direction (dotted) flips sign every step
# (the **zig-zag**) while the shallow one (solid) crawls.

# %%
from nnlab import OptimizerRace

race = OptimizerRace(surface="quadratic", kappa=50.0, theta=30.0, lr=0.035,
                     lr_adaptive=0.1, steps=200)
race

# %% [markdown]
# ### Try this
#
# * Raise κ to 1000 and find the largest learning rate that does not diverge.
# * Tick **momentum** and compare ρ = 0.9 with ρ = 0.99.
# * Press ▶ to watch the race step by step.
# * Click the contour plot to start the race there (or set *start x* and *start y*). Start on
#   the long axis of the bowl, then on the short one: which start makes gradient descent zig-zag?

# %% [markdown]
# ## 2. Other hazards: local minima, saddles and noise
#
# Real losses are not bowls. Gradient descent stops wherever the gradient vanishes: at a
# **local minimum** that may be worse than the best one, or near a **saddle point**, where
# the surface curves up in some directions and down in others and the gradient is tiny.
# With mini-batches the gradient is also **noisy**, which jiggles the iterate around the
# minimum instead of settling. The explorer's `wells`, `saddle` and noise settings show
# each of these.

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.3), layout="constrained")
cases = [("wells", dict(), "local minima: start decides"),
         ("saddle", dict(), "a saddle slows GD down"),
         ("quadratic", dict(kappa=5.0), "noise: σ = 0.5")]
for ax, (name, kw, title) in zip(axes, cases):
    s = surfaces.make(name, **kw)
    gx, gy = np.meshgrid(np.linspace(*s.xlim, 150), np.linspace(*s.ylim, 150))
    ax.contour(gx, gy, s.f(np.stack([gx, gy], -1)), levels=18, colors="0.6",
               linewidths=0.6)
    starts = ([(-1.5, 1.5), (1.5, -1.5), (0.2, 1.6), (-0.3, -1.6)] if name == "wells"
              else [s.start])
    for x0, col in zip(starts, ["#0072B2", "#E69F00", "#009E73", "#D55E00"]):
        noise = 0.5 if name == "quadratic" else 0.0
        tr = surfaces.trajectory(optim.sgd(lr=0.05), s, x0, 300, noise=noise, seed=0)
        ax.plot(*tr.path.T, color=col, lw=1.5)
        ax.plot(*tr.path[-1], "o", color=col)
    ax.set(title=title, xlabel="x", ylabel="y", xlim=s.xlim, ylim=s.ylim)
show(fig, "Three contour plots with gradient-descent paths. With several wells, four "
          "starts end in different minima; on a saddle, the path slows down near the "
          "saddle point; on a quadratic bowl with gradient noise 0.5, the path jitters "
          "around the minimum.")

# %% [markdown]
# ## 3. Why not Newton's method?
#
# For a least-squares problem with residuals $r(\theta)$ and Jacobian $J$, the
# **Gauss–Newton** step $\Delta\theta = -(J^\top J)^{-1} J^\top r$ uses curvature and ignores
# conditioning: on a small problem it converges in a handful of steps.

# %%
# NBVAL_CHECK_OUTPUT
x = np.linspace(0, 1, 30)
y = 2.0 * np.exp(-1.3 * x) + 0.01 * np.random.default_rng(3).normal(size=30)
path = optim.fit_exponential_gauss_newton(x, y, theta0=(1.0, 0.0), steps=8)
for k in (0, 1, 2, 4, 8):
    a, b = path[k]
    print(f"step {k}: a = {a:.5f}, b = {b:.5f}, "
          f"squared error {np.sum((a * np.exp(b * x) - y) ** 2):.6f}")

# %% [markdown]
# For a network with $P$ parameters, $J^\top J$ is a $P \times P$ matrix: for the 101,770
# parameters of a small MNIST network that is about $10^{10}$ numbers (80 GB in float64),
# and solving with it costs about $P^3 \approx 10^{15}$ operations per step. Deep learning
# therefore uses first-order methods that only need gradients, and fixes the conditioning
# problem in cheaper ways.

# %% [markdown]
# ## 4. Momentum, Nesterov, AdaGrad, RMSProp, Adam
#
# * **Momentum** keeps a running velocity: $v \leftarrow \rho v + \nabla f(x)$,
#   $x \leftarrow x - \alpha v$, with $\rho = 0.9$ or $0.99$. Along the shallow direction the
#   steps add up; along the steep one they cancel. Written without $v$ it is the
#   **heavy-ball** method $\theta_{k+1} = \theta_k - \alpha \nabla L + \eta(\theta_k - \theta_{k-1})$,
#   the same iteration (checked below). With the best settings its rate is
#   $(\sqrt\kappa - 1)/(\sqrt\kappa + 1)$: for $\kappa = 100$ that is 0.82 instead of 0.98.
# * **Nesterov** momentum evaluates the gradient at the look-ahead point $x - \alpha\rho v$.
# * **AdaGrad** divides each coordinate's step by the root of the sum of its past squared
#   gradients; **RMSProp** uses a decaying average (decay rate about 0.99) instead, so the
#   step does not shrink forever. A tiny constant (like $10^{-7}$ or $10^{-8}$) guards the division.
# * **Adam** combines both: a momentum average $m$ of the gradient and an RMSProp average $v$
#   of its square, each divided by $1 - \beta^t$ (**bias correction**). A good start:
#   $\beta_1 = 0.9$, $\beta_2 = 0.999$, learning rate $10^{-3}$ (or $10^{-4}$).

# %%
# NBVAL_CHECK_OUTPUT
bowl = surfaces.quadratic(100.0, 0.4)
lr, rho, rate = surfaces.heavy_ball_best(1.0, 100.0)
a = surfaces.trajectory(optim.sgd(lr=lr, momentum=rho), bowl, (1.0, 1.0), 300)
b = surfaces.trajectory(optim.heavy_ball(lr=lr, eta=rho), bowl, (1.0, 1.0), 300)
print(f"momentum and heavy ball follow the same path: "
      f"{np.allclose(a.path, b.path, atol=1e-12)}")
print(f"best momentum rate (sqrt(k)-1)/(sqrt(k)+1) = {rate:.4f}, "
      f"measured {surfaces.measured_rate(a.path, 100, 300):.4f}")
print(f"best plain GD rate (k-1)/(k+1)             = "
      f"{surfaces.gd_best(1.0, 100.0)[1]:.4f}")

# %% [markdown]
# ### Why Adam needs bias correction at step 1
#
# $m$ and $v$ start at zero. After the first step $m = (1 - \beta_1) g$ and
# $v = (1 - \beta_2) g^2$, so without correction the step is
# $\alpha \cdot 0.1\,g / \sqrt{0.001\,g^2} \approx 3.2\,\alpha$ with the default betas: the two
# averages are biased towards zero by different amounts, $1 - \beta_1^t$ and $\sqrt{1 - \beta_2^t}$,
# and it takes thousands of steps for $\beta_2^t$ to fade. Dividing $m$ by $1 - \beta_1^t$ and
# $v$ by $1 - \beta_2^t$ makes the first step exactly $\alpha$ in size.

# %%
# NBVAL_CHECK_OUTPUT
x0, g = np.array([1.0]), np.array([2.0])
for opt in (optim.adam(lr=0.1), optim.adam(lr=0.1, bias_correction=False)):
    x1, _ = opt.update(g, opt.init(x0), x0)
    print(f"{opt.name:30s}: first step moves x by "
          f"{float(x0[0] - x1[0]):.4f} (lr = 0.1)")

# %% [markdown]
# ## 5. Learning-rate schedules
#
# A fixed learning rate that is large enough to make fast progress early is too large to
# settle at the end, especially with noisy gradients. Schedules lower it over time.

# %%
T = 100
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
schedules = (
    (optim.step_lr(0.1, 30, 0.3), "step: ×0.3 every 30", "#0072B2"),
    (optim.exponential_lr(0.1, 0.97), "exponential: ×0.97 per step", "#E69F00"),
    (optim.cosine_lr(0.1, T), "cosine to 0 over 100 steps", "#009E73"),
)
for sched, label, col in schedules:
    ax.plot([sched(t) for t in range(T)], color=col, lw=2, label=label)
ax.set(xlabel="step", ylabel="learning rate", title="schedules")
ax.grid(alpha=0.3)
ax.legend();
show(fig, "Learning rate against step for three schedules starting at 0.1: "
          + "; ".join(label for _, label, _ in schedules) + ".")

# %% [markdown]
# ## 6. The race on every surface
#
# Switch the explorer's surface: the narrow curved valley of **Rosenbrock**, the **saddle**,
# the **wells** with several minima, and **Beale**'s function with its flat plateaus. Which
# optimiser wins depends on the surface and on the learning rates: there is no single
# best method, which is why the defaults matter.

# %%
OptimizerRace(surface="rosenbrock", lr=0.001, lr_adaptive=0.05, steps=500,
              show_RMSProp=True)

# %% [markdown]
# ## 7. The same optimisers training a network
#
# Finally, the circle network of lecture 4 (2-8-1, ReLU, sigmoid output) trained by each
# optimiser from the same initial weights, full batch, 300 steps.

# %%
X, y = data.circle(200, seed=0)
line_up = {"SGD": optim.sgd(lr=0.5), "momentum 0.9": optim.sgd(lr=0.5, momentum=0.9),
           "RMSProp": optim.rmsprop(lr=0.01), "Adam": optim.adam(lr=0.01)}
histories = {}
for name, opt in line_up.items():
    net = nn.MLP([2, 8, 1], hidden="relu", output="sigmoid", init="normal",
                 init_scale=0.5, seed=1)
    params = [p for layer in net.params for p in layer]
    state = opt.init(params)
    losses = []
    for _ in range(300):
        loss, grads = net.loss_and_gradients(X, y)
        losses.append(loss)
        params, state = opt.update([g for layer in grads for g in layer], state, params)
        net.params = [(params[0], params[1]), (params[2], params[3])]
    histories[name] = (losses, net.accuracy(X, y))

fig, ax = plt.subplots(figsize=(6.5, 3.3), layout="constrained")
colours = ["#0072B2", "#E69F00", "#009E73", "#D55E00"]
for (name, (losses, acc)), col in zip(histories.items(), colours):
    ax.plot(losses, color=col, lw=2, label=f"{name} (train acc {acc:.2f})")
ax.set(xlabel="step", ylabel="cross-entropy", title="circle problem, 2-8-1 network",
       yscale="log")
ax.grid(alpha=0.3)
ax.legend();
show(fig, "Cross-entropy on a log scale against step for the circle network trained by "
          "SGD, momentum, RMSProp and Adam; training accuracy after 300 steps: "
          + ", ".join(f"{name} {acc:.2f}" for name, (_, acc) in histories.items())
          + ".")

# %% [markdown]
# ### Question
#
# Adam's steps have roughly the size of its learning rate whatever the gradient's scale.
# Why does that make it less sensitive to ill-conditioning than SGD, and what does it
# lose in exchange?
