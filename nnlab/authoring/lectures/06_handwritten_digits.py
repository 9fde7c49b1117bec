# %% [markdown]
# # Lecture 6: handwritten digits
#
# A camera on a parcel robot reads house numbers; a scanner reads the amount on a cheque.
# Both turn a grid of grey values into one of ten classes. This lecture trains the two
# kinds of network that do it, a fully connected one (MLP) and a small convolutional one
# (CNN), with lecture 5's recipe, and then asks what each of them has learned: which digits
# they confuse, what their first layers look for, and what happens when the digit moves by
# a single pixel.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm.auto import tqdm

from nnlab import data, digits
from nnlab.views import DigitPad, show

torch.set_num_threads(1)  # small networks: threads only add overhead

#: Set to True on a machine with a network (Binder) for the full MNIST run of section 9.
FULL_MNIST = False

# %% [markdown]
# ## 1. The data
#
# The famous set is MNIST: 70,000 images of 28×28 grey pixels, written by American census
# staff and students. It needs a download, so this notebook starts with its small cousin
# that ships with scikit-learn and works offline: 1,797 digits of 8×8 pixels, each pixel a
# count from 0 to 16 of ink (here scaled to 0–1).

# %%
images, labels = data.load_digits(flatten=False)
print("images:", images.shape, " labels:", labels.shape, " classes:", np.unique(labels))

fig, axes = plt.subplots(2, 10, figsize=(9, 2.5), layout="constrained")
for k, ax in enumerate(axes.flat):
    i = np.flatnonzero(labels == k % 10)[k // 10]
    ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(str(labels[i]), fontsize=10)
    ax.set_axis_off()
fig.suptitle("two examples of each digit (8 × 8 pixels)")
show(fig, "Two examples of each digit from 0 to 9, each an 8 by 8 image of grey "
          "pixels.")

# %% [markdown]
# Three parts, as in lecture 1: the network learns from the **training** part, we choose
# when to stop (and any other setting) on the **validation** part, and the **test** part is
# looked at once, at the end. The split is *stratified*: each part has the ten digits in
# the same proportions as the whole. The inputs are normalised to mean 0 and standard
# deviation 1 with statistics of the **training part only**: anything computed from the
# test images would leak them into training.

# %%
# NBVAL_CHECK_OUTPUT
parts = digits.split(images, labels, val=0.15, test=0.2, seed=0)
stats = digits.pixel_stats(parts.X_train)
for name in ("train", "val", "test"):
    y = getattr(parts, f"y_{name}")
    print(f"{name:>5}: {len(y):4d} images, each digit {np.bincount(y).min()}"
          f" to {np.bincount(y).max()} times")
print(f"pixel mean {stats[0]:.2f}, std {stats[1]:.2f} (training part)")

# %% [markdown]
# For MNIST the same two numbers are the well-known 0.1307 and 0.3081 (section 9 computes
# them from the training images when the files are there).
#
# ## 2. Two networks and their parameters
#
# The **MLP** flattens the image into one vector and connects every pixel to every hidden
# unit: $28^2 \to 128 \to 10$ on MNIST. The **CNN** first slides 16 small filters of 3×3
# weights over the image (lecture 10 looks at convolution closely), keeps the positive part
# (ReLU), halves each map by taking the largest of every 2×2 block (max-pooling), and only
# then connects to 20 hidden units and the 10 outputs. A filter's 9 weights are **shared**
# by every position of the image. Counting parameters (weights and biases) by formula:
#
# $$\text{MLP: } (d+1)\,h + (h+1)\,10, \qquad
# \text{CNN: } 16\,(3^2+1) + (16\,p^2+1)\,20 + (20+1)\,10,\quad p = \lfloor (s-2)/2 \rfloor$$
#
# for images of $s \times s$ pixels, $d = s^2$. PyTorch counts the same networks by adding
# up the sizes of their weight tensors:

# %%
# NBVAL_CHECK_OUTPUT
def torch_count(model):
    return sum(p.numel() for p in model.parameters())


for side in (28, 8):
    mlp_formula = digits.mlp_parameters([side * side, 128, 10])
    cnn_formula = digits.cnn_parameters(side)
    mlp_torch, cnn_torch = torch_count(digits.mlp(side)), torch_count(digits.cnn(side))
    print(f"{side:>2}x{side:<2}:  MLP {mlp_formula:7,d} (PyTorch: {mlp_torch:7,d})"
          f"   CNN {cnn_formula:6,d} (PyTorch: {cnn_torch:6,d})")

# %% [markdown]
# The CNN has about half the MLP's parameters on MNIST and a third on 8×8 images, and
# almost all of them sit in its fully connected layer: the 16 filters together have only
# 160.
#
# ## 3. Training, with a stop chosen on the validation set
#
# `digits.fit` is lecture 5's loop (Adam, mini-batches of a fresh random order every
# epoch, cross-entropy on the logits, a `tqdm` bar) with one addition, **early
# stopping**: after every epoch it measures the validation accuracy, keeps a copy of the
# weights whenever that accuracy is the best so far, stops once `patience` epochs have
# passed without a new best, and then puts the best weights back. `digits.trained(seed)`
# trains both networks that way (learning rate 0.001, batches of 32, patience 10) on this
# split. Each is trained from three seeds, so that we see how much a result depends on
# luck.

# %%
SEEDS = (0, 1, 2)
trained = [digits.trained(seed) for seed in tqdm(SEEDS, desc="MLP and CNN, seed")]
runs = {name: [t[name] for t in trained] for name in ("MLP", "CNN")}
X_test = digits.tensors(parts.X_test, stats)
test_accuracy = {name: [digits.accuracy(r.model, X_test, parts.y_test) for r in rs]
                 for name, rs in runs.items()}
for name, acc in test_accuracy.items():
    stopped = [r.epochs for r in runs[name]]
    print(f"{name}: test accuracy {100 * np.mean(acc):.1f} %"
          f" (from {100 * min(acc):.1f} to {100 * max(acc):.1f} over {len(acc)} seeds),"
          f" stopped after {stopped} epochs")

# %% [markdown]
# The learning curves of one run show why a stop is needed. The training accuracy keeps
# climbing towards 100 %, while the validation accuracy levels off after a few epochs: from
# there on the network learns details of its training images that do not carry over to
# new ones. The dashed line marks the epoch whose weights were kept.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
for ax, (name, rs) in zip(axes, runs.items()):
    h = rs[0].history
    epochs = np.arange(1, len(h["train_accuracy"]) + 1)
    ax.plot(epochs, h["train_accuracy"], color="#0072B2", label="training")
    ax.plot(epochs, h["val_accuracy"], color="#D55E00", label="validation")
    ax.axvline(rs[0].best_epoch + 1, color="black", ls="--", lw=1, label="kept")
    ax.set(title=f"{name}, seed 0", xlabel="epoch", ylim=(0.8, 1.005))
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(loc="lower right")
axes[0].set_ylabel("accuracy")
fig.tight_layout()
kept = [rs[0].best_epoch + 1 for rs in runs.values()]
show(fig, "Training and validation accuracy per epoch, MLP left and CNN right (seed "
          "0): training accuracy climbs towards 100 %, validation accuracy levels off; "
          f"the weights kept are those after epochs {kept[0]} and {kept[1]} (dashed "
          "lines).")

# %% [markdown]
# The gap between the two curves is what more epochs buy: over the three seeds, training
# accuracy minus validation accuracy after 5 epochs, and at the last epoch trained.

# %%
for name, rs in runs.items():
    early = np.array([r.history["train_accuracy"][4] - r.history["val_accuracy"][4]
                      for r in rs])
    late = np.array([r.history["train_accuracy"][-1] - r.history["val_accuracy"][-1]
                     for r in rs])
    print(f"{name}: gap after 5 epochs {100 * early.mean():+.1f} points"
          f" ({100 * early.min():+.1f} to {100 * early.max():+.1f});"
          f" at the last epoch {100 * late.mean():+.1f}"
          f" ({100 * late.min():+.1f} to {100 * late.max():+.1f})")

# %% [markdown]
# ## 4. MLP against CNN on the test set
#
# On these small images the two are level: both classify about 97 % of the test digits
# right, and the spread over seeds is as large as the difference between them. The CNN
# does it with a third of the parameters. Why no clear win? Each 8×8 image was made by
# averaging blocks of a larger scan, and the digits were centred and scaled first: there
# is little left for the CNN's strength (finding a pattern wherever it is) to help with.
# Section 6 moves the digits, and the picture changes.
#
# Which digits are confused with which? The **confusion matrix** counts, for every true
# class (row), how often each class was predicted (column). It takes one line of NumPy,
# and scikit-learn's version agrees:

# %%
# NBVAL_CHECK_OUTPUT
from sklearn.metrics import confusion_matrix

model = runs["CNN"][0].model
predicted = digits.probabilities(model, X_test).argmax(1)
C = digits.confusion(parts.y_test, predicted)
same = np.array_equal(C, confusion_matrix(parts.y_test, predicted))
print("the same as scikit-learn's:", same)
print("every test image counted once:", C.sum() == len(parts.y_test))

# %%
fig, ax = plt.subplots(figsize=(4.6, 4))
shown = ax.imshow(C, cmap="Blues")
for (i, j), count in np.ndenumerate(C):
    if count:
        ax.text(j, i, count, ha="center", va="center", fontsize=8,
                color="white" if count > C.max() / 2 else "black")
ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
       title="CNN, seed 0: test set")
fig.colorbar(shown, ax=ax, label="images")
worst = np.unravel_index(np.argmax(C - np.diag(np.diag(C))), C.shape)
show(fig, f"Confusion matrix of the CNN on the {C.sum()} test images: {np.trace(C)} "
          f"on the diagonal; the most frequent mistake is a {worst[0]} read as a "
          f"{worst[1]} ({C[worst]} times).")

# %% [markdown]
# And the digits it gets wrong, each with what the network said and what was written:

# %%
wrong = np.flatnonzero(predicted != parts.y_test)
fig, axes = plt.subplots(1, max(len(wrong[:8]), 1), figsize=(9, 1.9), squeeze=False)
for ax, i in zip(axes.flat, wrong[:8]):
    ax.imshow(parts.X_test[i], cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"said {predicted[i]}\nwas {parts.y_test[i]}", fontsize=9)
for ax in axes.flat:
    ax.set_axis_off()
pairs = ", ".join(f"{parts.y_test[i]} read as {predicted[i]}" for i in wrong[:8])
show(fig, "Test images the CNN gets wrong, with what it said and what was written: "
          f"{pairs}.")

# %% [markdown]
# Several of them are hard for a person too: an 8×8 image keeps very little of a stroke.
#
# ## 5. What the first layers look for
#
# Each hidden unit of the MLP has one weight per pixel, so its weights can be shown as an
# image: purple where ink raises the unit's input, orange where ink lowers it. Many are
# blotchy mixtures rather than clean strokes: a unit is one of 128 voters, not a detector
# of one digit.

# %%
W = runs["MLP"][0].model[1].weight.detach().numpy()
fig, axes = plt.subplots(2, 8, figsize=(9, 2.6))
for ax, w in zip(axes.flat, W):
    limit = np.abs(w).max()
    ax.imshow(w.reshape(8, 8), cmap="PuOr", vmin=-limit, vmax=limit)
    ax.set_axis_off()
fig.suptitle("the first 16 of the MLP's 128 hidden units: weights per pixel")
show(fig, "The weights of the MLP's first 16 hidden units, each shown as an 8 by 8 "
          "image: purple where ink raises the unit's input, orange where it lowers it.")

# %% [markdown]
# The CNN's 16 filters are 3×3 patches, each applied at every position. Below, the filters
# (top) and what each of them makes of one test digit (bottom): a filter that responds to
# a vertical edge lights up along the sides of the strokes, wherever they are.

# %%
conv = runs["CNN"][0].model[0]
one = X_test[:1]
with torch.no_grad():
    maps = torch.relu(conv(one))[0].numpy()
filters = conv.weight.detach().numpy()[:, 0]
fig, axes = plt.subplots(2, 16, figsize=(10, 1.7))
for k in range(16):
    limit = np.abs(filters[k]).max()
    axes[0, k].imshow(filters[k], cmap="PuOr", vmin=-limit, vmax=limit)
    axes[1, k].imshow(maps[k], cmap="gray_r")
for ax in axes.flat:
    ax.set_axis_off()
fig.suptitle(f"top: the CNN's 16 filters (3 × 3); bottom: their maps of a"
             f" {parts.y_test[0]} (6 × 6)")
show(fig, "Top: the CNN's 16 filters of 3 by 3 weights. Bottom: what each makes of a "
          f"test image of a {parts.y_test[0]}, a 6 by 6 map per filter.")

# %% [markdown]
# ## 6. Move the digit by one pixel
#
# A reading robot never sees a digit exactly where the training images had it. Take the
# test images and move them one or two pixels to the right, or down, turn them by ten
# degrees, or add noise, and measure both networks again (mean over the three seeds):

# %%
changes = {
    "as they are": parts.X_test,
    "1 pixel right": digits.shifted(parts.X_test, right=1),
    "1 pixel down": digits.shifted(parts.X_test, down=1),
    "2 pixels right": digits.shifted(parts.X_test, right=2),
    "turned 10°": digits.rotated(parts.X_test, 10),
    "noise 0.2": digits.noised(parts.X_test, 0.2, seed=0),
}
robust = {name: {change: np.mean([digits.accuracy(r.model, digits.tensors(X, stats),
                                                  parts.y_test) for r in rs])
                 for change, X in changes.items()}
          for name, rs in runs.items()}
print(f"{'test images':>15}   MLP    CNN")
for change in changes:
    mlp_acc, cnn_acc = robust["MLP"][change], robust["CNN"][change]
    print(f"{change:>15}  {100 * mlp_acc:4.0f} %  {100 * cnn_acc:4.0f} %")

# %% [markdown]
# One pixel is an eighth of these images, and both networks suffer, but not equally. The
# MLP's weights belong to fixed pixels: a stroke that moves lands on weights that never saw
# it. The CNN's filters find the same stroke one pixel over, and max-pooling forgives a
# small move within each 2×2 block, so it keeps well ahead (by ten points or more in most
# runs; the table above has this run's numbers). Turned by ten degrees, the CNN is usually
# ahead too, but by less, and not for every choice of seeds.

# %%
# NBVAL_CHECK_OUTPUT
for change in ("1 pixel right", "1 pixel down"):
    ahead = robust["CNN"][change] - robust["MLP"][change]
    print(f"{change}: CNN ahead: {bool(ahead > 0)}")

# %% [markdown]
# Two pixels (a quarter of the image) defeat both: weight sharing gives tolerance of small
# moves, not of any move. Noise is another matter: there the MLP, which adds up all 64
# pixels in every unit, averages much of it away, and the CNN has no advantage. Real systems add moved, turned and noised copies of the training
# images (*data augmentation*) so that the network learns the tolerance it needs.
#
# ## 7. The learning rate
#
# Lecture 5 said it: too small and training crawls, too large and it jumps around. Here is
# the MLP after ten epochs at four learning rates, three seeds each (no early stopping;
# the marker is the mean, the bar runs from the worst seed to the best). At 0.0001 it is
# still far from done after ten epochs; at 0.1 the result depends most on the seed.

# %%
rates = (1e-4, 1e-3, 1e-2, 1e-1)
val_acc = np.array([[digits.fit(digits.mlp(8), parts, stats, epochs=10, lr=lr,
                                batch_size=32, patience=None, seed=seed,
                                progress=False).history["val_accuracy"][-1]
                     for seed in SEEDS] for lr in rates])
mean = val_acc.mean(axis=1)
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.errorbar(rates, mean, yerr=[mean - val_acc.min(axis=1), val_acc.max(axis=1) - mean],
            marker="o", color="#0072B2", capsize=3)
ax.set(xscale="log", xlabel="learning rate (Adam)", ylabel="validation accuracy",
       title="MLP after 10 epochs, 3 seeds")
ax.grid(alpha=0.3)
for lr, acc in zip(rates, val_acc):
    print(f"lr {lr:g}: {100 * acc.mean():.1f} %"
          f" (from {100 * acc.min():.1f} to {100 * acc.max():.1f})")
show(fig, "Validation accuracy of the MLP after 10 epochs against the learning rate "
          "(log scale), mean and range over 3 seeds: "
          + ", ".join(f"{lr:g}: {100 * m:.0f} %" for lr, m in zip(rates, mean)) + ".")

# %% [markdown]
# **The batch size** changes two things at once: how noisy each step is, and how many steps
# an epoch has (the training part has 1,167 images: 73 steps of 16, 19 of 64, 5 of 256).
# Compared at the same number of epochs, small batches win because they take many more
# steps. Compared at about the same number of updates (150), the large batches are at
# least as good, and each of their steps used more images.

# %%
N_TRAIN = len(parts.y_train)
sizes, same_epochs, same_updates = (16, 64, 256), 8, 150
table = {}
for size in sizes:
    per_epoch = -(-N_TRAIN // size)
    for label, epochs in (("8 epochs", same_epochs),
                          ("150 updates", round(same_updates / per_epoch))):
        table[size, label] = (epochs * per_epoch, np.array([
            digits.fit(digits.mlp(8), parts, stats, epochs=epochs, lr=1e-3,
                       batch_size=size, patience=None, seed=seed,
                       progress=False).history["val_accuracy"][-1] for seed in SEEDS]))
for label in ("8 epochs", "150 updates"):
    print(f"same {label.split()[1]}:")
    for size in sizes:
        updates, acc = table[size, label]
        print(f"  batch {size:3d}: {updates:4d} updates, validation"
              f" {100 * acc.mean():.1f} % (from {100 * acc.min():.1f}"
              f" to {100 * acc.max():.1f})")

# %% [markdown]
# **A grid search** tries every pair of two settings, here the learning rate and the batch
# size (10 epochs each), and keeps the pair with the best validation accuracy. Only then,
# once, does the chosen network meet the test set.

# %%
grid = {(lr, size): digits.fit(digits.mlp(8), parts, stats, epochs=10, lr=lr,
                               batch_size=size, patience=None, seed=0, progress=False)
        for lr in (1e-3, 1e-2) for size in (16, 64)}
for (lr, size), run in grid.items():
    best_val = max(run.history["val_accuracy"])
    print(f"lr {lr:g}, batch {size:2d}: validation {100 * best_val:.1f} %")
chosen = max(grid, key=lambda k: max(grid[k].history["val_accuracy"]))
test_once = digits.accuracy(grid[chosen].model, X_test, parts.y_test)
print(f"chosen: lr {chosen[0]:g}, batch {chosen[1]}; its test accuracy, measured once: "
      f"{100 * test_once:.1f} %")

# %% [markdown]
# Every choice is made on the **validation** accuracy, as is the epoch to stop at: the test
# set stays untouched until the very end, so that its number is an honest estimate of how
# the network does on digits it has never seen.
#
# ## 8. Draw a digit
#
# The two networks of this lecture (seed 0), waiting for your handwriting. Draw on the pad
# with the mouse, a finger or a pen; or click into it and use the arrow keys to move the
# cursor and Space to ink (hold Space while moving to draw a line). After every stroke
# both networks answer. The image on the left is what they see: your drawing cropped to
# its ink, scaled so that its height fills the box, centred, and counted in 8×8 blocks,
# exactly as the training digits were made. Then:
#
# 1. Draw a 1, a 7 and a 4. Which one do the networks disagree on?
# 2. Load a test image, then move it one pixel right: whose bars change more?
# 3. Add noise until the MLP changes its mind. Does the CNN change first, or later?
# 4. Draw something that is no digit at all. The networks still answer, often with high
#    probability: a classifier only chooses among the classes it knows.
# 5. Write a digit on paper with a thick pen, photograph it, and upload the photo ("Photo
#    of a digit"): it goes on the pad as your drawing would, and you can move it and add
#    noise as before.

# %%
pad = DigitPad()
pad

# %% [markdown]
# ## 9. The full MNIST run (on a machine with a network)
#
# The curriculum's run: a 784-100-10 network with sigmoid hidden units, Adam, batches of
# 100, 30 epochs, reaches about 97 % on MNIST's 10,000 test images. It takes a few
# minutes, so it runs only when you set `FULL_MNIST = True` in the first code cell (and
# MNIST can be downloaded, or its four files are in `~/.cache/nnlab/mnist`). Its pixel
# mean and standard deviation, computed from the training images, are the 0.1307 and
# 0.3081 of section 1.

# %%
if FULL_MNIST:
    X_all, y_all = data.load_mnist("train", normalize=False, flatten=False)
    X_t, y_t = data.load_mnist("test", normalize=False, flatten=False)
    mnist = digits.split(X_all, y_all, val=1 / 6, test=(X_t, y_t), seed=0)
    mnist_stats = digits.pixel_stats(mnist.X_train)
    print(f"MNIST pixel mean {mnist_stats[0]:.4f}, std {mnist_stats[1]:.4f}")
    net = digits.mlp(28, hidden=100, activation="sigmoid")
    full = digits.fit(net, mnist, mnist_stats, epochs=30, lr=1e-3, batch_size=100,
                      patience=None, name="MNIST")
    X_t = digits.tensors(mnist.X_test, mnist_stats)
    print(f"test accuracy {100 * digits.accuracy(full.model, X_t, mnist.y_test):.1f} %")
else:
    print("skipped: set FULL_MNIST = True in the first code cell to run it")

# %% [markdown]
# ## Summary
#
# - Split once, stratified: train to learn, validation to choose (including when to
#   stop), test once at the end; normalise with training statistics.
# - Early stopping keeps the weights of the best validation epoch: training accuracy
#   keeps rising after that point, the validation accuracy does not.
# - On centred 8×8 digits an MLP and a small CNN are level at about 97 %; the CNN needs a
#   third of the parameters, because its filters are shared by every position.
# - The same sharing makes the CNN tolerate a digit moved by a pixel or turned a little
#   far better than the MLP; larger moves need augmented training data.
