# %% [markdown]
# # Lecture 1: from linear classifiers to the perceptron
#
# A perception system has to decide: is this blob of pixels a stop sign or a speed limit
# sign? Is this laser return a pedestrian or a pole? The simplest decision rule computes a
# weighted sum of the measurements and checks its sign. This lecture studies such
# **linear classifiers**: how to fit them, how to tune them honestly, and the oldest
# learning rule for them, Rosenblatt's **perceptron**. It ends with what no linear
# classifier can do, which is the reason neural networks have hidden layers.

# %%
import matplotlib.pyplot as plt
import numpy as np

from nnlab import data, linear
from nnlab.perceptron import mistake_bound, train_perceptron
from nnlab.views import show

# %% [markdown]
# ## 1. The learning set-up
#
# We are given labelled examples $\{(x_i, y_i)\}_{i=1}^N$ and want a function $f$ with
# $f(x) \approx y$ on **new** inputs. The data is split three ways, each with one job:
#
# * the **training set** fits the parameters (the weights);
# * the **validation set** chooses the *hyperparameters*: settings such as a penalty
#   strength $\lambda$ that the fit itself does not choose;
# * the **test set** is used **once**, at the very end, to report how well the final model
#   does.
#
# If you pick $\lambda$ by looking at the test error, the test error stops being an honest
# estimate: you have, in effect, trained on the test set. Never tune on the test set.
#
# We will use the 8×8 handwritten digits that ship with scikit-learn (1,797 images, each
# flattened to 64 pixel values in $[0, 1]$), split at random into the three parts.

# %%
X, y = data.load_digits()
rng = np.random.default_rng(0)
order = rng.permutation(len(y))
train, val, test = order[:600], order[600:1200], order[1200:]
print(f"{len(train)} training, {len(val)} validation, {len(test)} test images; "
      f"{X.shape[1]} pixels each; classes {sorted(set(y.tolist()))}")

fig, axes = plt.subplots(1, 8, figsize=(8, 1.4), layout="constrained")
for ax, i in zip(axes, train[:8]):
    ax.imshow(X[i].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"label {y[i]}", fontsize=9)
    ax.axis("off")
show(fig, "Eight 8-by-8 grey images of handwritten digits from the training set, "
          "labelled " + ", ".join(str(y[i]) for i in train[:8]) + ".")

# %% [markdown]
# ## 2. Linear classifiers are hyperplanes
#
# For two classes with labels $\pm 1$, a linear classifier is
#
# $$f(x) = \operatorname{sign}(w \cdot x + b).$$
#
# The points where $w \cdot x + b = 0$ form a **hyperplane** (a line in 2-D, a plane in 3-D).
# The weight vector $w$ is perpendicular to it and points towards the $+1$ side; $b$ shifts
# the hyperplane away from the origin, to a distance $|b| / \lVert w \rVert$.
#
# For $K$ classes we keep one score per class, $s_k(x) = w_k \cdot x + b_k$, and predict the
# class with the largest score. In matrix form, for a batch $X$ of shape $(N, d)$:
# $S = X W + b$ with $W$ of shape $(d, K)$ (one column per class).

# %% [markdown]
# ## 3. Least squares with one-hot targets
#
# A quick way to fit $W$: encode each label as a **one-hot** row $t_i$ (a 1 in the column of
# its class, 0 elsewhere) and ask the scores to match these targets,
#
# $$\min_{W, b}\; \lVert X W + b - T \rVert^2 + \lambda \lVert W \rVert^2 .$$
#
# This is **ridge regression** (one regression per class). It has a closed form: after
# centring $X$ and $T$, $W = (X^\top X + \lambda I)^{-1} X^\top T$. The penalty $\lambda$ pulls
# the weights towards zero; the bias is not penalised. The tests check this solution
# against `numpy.linalg.lstsq` and scikit-learn's `Ridge`.
#
# Let us fit it for a range of $\lambda$ and watch the training and validation errors.

# %%
lams = np.logspace(-4, 4, 33)
path = linear.ridge_path(X[train], y[train], X[val], y[val], lams)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
ax1.semilogx(lams, path.train_sq, "o-", ms=3, color="#0072B2", label="training")
ax1.semilogx(lams, path.test_sq, "s-", ms=3, color="#D55E00", label="validation")
ax1.set(xlabel="ridge penalty λ", ylabel="squared error per image",
        title="least-squares objective")
ax2.semilogx(lams, 100 * path.train_err, "o-", ms=3, color="#0072B2", label="training")
ax2.semilogx(lams, 100 * path.test_err, "s-", ms=3, color="#D55E00", label="validation")
ax2.set(xlabel="ridge penalty λ", ylabel="misclassified (%)",
        title="classification error")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.legend()
show(fig, "Two panels against the ridge penalty λ on a log axis. Left: the squared "
          "error per image, training (blue circles) and validation (orange squares). "
          "Right: the percentage of misclassified images for both.")

# %% [markdown]
# Read the left panel from right to left (λ falling):
#
# * the **training** error only ever goes down: a smaller penalty leaves the fit more
#   freedom to match the training targets;
# * the **validation** error first goes down (less over-smoothing) and then up again
#   (the model starts fitting the quirks of its 600 training images: **overfitting**).
#
# The best λ is where the validation error is lowest. We choose it on the validation set,
# refit, and only then look at the test set, once.

# %%
# NBVAL_CHECK_OUTPUT
best_lam = path.best_lam
final = linear.fit_least_squares(X[train], y[train], best_lam)
print(f"lambda chosen on the validation set: {best_lam:.3g}")
print(f"validation error {100 * final.error_rate(X[val], y[val]):.1f} %, "
      f"test error (reported once) {100 * final.error_rate(X[test], y[test]):.1f} %")
print(f"training error always falls as lambda falls: "
      f"{bool(np.all(np.diff(path.train_sq) >= -1e-12))}")

# %% [markdown]
# ### Question
#
# The training error keeps falling as λ → 0. Why would it be a mistake to choose λ by the
# training error? What would you expect the test error to be for λ = 10⁻⁴?

# %% [markdown]
# ## 4. Softmax regression and one update rule for three methods
#
# Least squares treats class labels as numbers to hit, which is a bit odd. **Softmax
# regression** instead turns the scores into probabilities,
#
# $$h = \operatorname{softmax}(W^\top x + b), \qquad h_k = \frac{e^{s_k}}{\sum_j e^{s_j}},$$
#
# and minimises the cross-entropy $-\sum_k t_k \ln h_k$. Its gradient for one example is
# remarkably simple: $\partial L / \partial W = x\,(h - t)^\top$, so gradient descent does
#
# $$W \leftarrow W - \alpha\, x\,(h - t)^\top .$$
#
# This is *the same rule* as gradient descent on least squares, where $h = W^\top x + b$ is
# the raw score. And if $h$ is the **hard** prediction (a one-hot vector at the arg-max
# score), the rule only changes $W$ on a mistake: it is the multi-class **perceptron**.

# %%
# NBVAL_CHECK_OUTPUT
fit = linear.fit_softmax_regression(X[train], y[train], lr=0.5, epochs=300)
print(f"cross-entropy: {fit.loss[0]:.3f} at the start (ln 10 = {np.log(10):.3f}), "
      f"{fit.loss[-1]:.3f} after 300 steps")
print(f"validation error {100 * fit.model.error_rate(X[val], y[val]):.1f} %")

# %%
fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.plot(fit.loss, color="#0072B2")
ax.set(xlabel="gradient step", ylabel="mean cross-entropy (nats)",
       title="softmax regression on the digits")
ax.grid(alpha=0.3)
show(fig, f"The mean cross-entropy of softmax regression on the digits falls over the "
          f"gradient steps, from {fit.loss[0]:.2f} to {fit.loss[-1]:.2f} nats.")

# %% [markdown]
# ## 5. The perceptron
#
# In 1958 Frank Rosenblatt described the **perceptron** and ran it on an IBM 704, a
# room-sized computer, to learn to tell simple patterns apart. The rule is tiny. With labels
# $y_i \in \{-1, +1\}$ and the weights starting at zero, go through the training points
# one at a time:
#
# * predict $\operatorname{sign}(w \cdot x_i + b)$;
# * if the prediction is wrong (or the point lies exactly on the line),
#   set $w \leftarrow w + y_i x_i$ and $b \leftarrow b + y_i$;
# * otherwise do nothing.
#
# One pass over the data is an **epoch**. The algorithm stops after an epoch without
# mistakes.
#
# **Convergence theorem.** If some hyperplane separates the two classes with margin
# $\gamma$ (every point at least $\gamma$ away from it, after normalising $(w, b)$ to length 1),
# and every point lies within radius $R$ (counting the bias as an extra input equal to 1),
# then the perceptron makes at most $(R/\gamma)^2$ mistakes, however the points are ordered.
# If no separating hyperplane exists, it never settles.

# %%
# NBVAL_CHECK_OUTPUT
Xb, yb = data.blobs(30, margin=0.5, seed=0)
yb = data.to_pm1(yb)  # the perceptron wants labels -1 and +1
result = train_perceptron(Xb, yb, max_epochs=20)
bound = mistake_bound(Xb, yb, result.w, result.b)
print(result.message)
print(f"R = {bound.R:.3f}, margin of the final line gamma = {bound.gamma:.4f}, "
      f"bound (R/gamma)^2 = {bound.bound:.0f} >= {result.mistakes} mistakes")

# %% [markdown]
# The bound is loose (hundreds against a handful of mistakes) because the final line
# happens to pass close to some points; the theorem holds for the margin of *any*
# separating line, so a line with a wider margin gives a smaller bound.
#
# ### The perceptron, step by step
#
# The explorer below records a whole run so that you can step through it. The highlighted
# ring is the point being presented: red-orange if it was a mistake (and the line moved),
# green if it was classified correctly. The green arrow is the weight vector $w$; it is
# always perpendicular to the decision line and points into the $+1$ (blue) half-plane.

# %%
from nnlab import PerceptronStepper

stepper = PerceptronStepper(dataset="blobs", n=30, margin=0.5, seed=0)
stepper

# %% [markdown]
# ### Try this
#
# * Press **Step** a few times. Why is the very first point always a mistake?
# * Press **Next mistake** repeatedly and watch the arrow: each update adds $y\,x$ to $w$,
#   so the arrow swings towards a misclassified blue point, or away from a misclassified
#   orange one.
# * Drag the **step** slider back and forth, or press ▶ to play the run.
# * Lower the **margin** towards 0. Do you need more mistakes? Compare with the bound in
#   the right panel.
# * Tick **reshuffle every epoch**: the order changes, the final line changes, but the
#   run still converges.

# %% [markdown]
# ### On XOR the perceptron never settles
#
# XOR puts class $+1$ in two opposite corners and class $-1$ in the other two. No single
# line separates them, so every epoch contains a mistake and the line keeps moving. The
# explorer stops at the epoch limit and says so.

# %%
xor_stepper = PerceptronStepper(dataset="xor", n=24, seed=3, max_epochs=10)
xor_stepper.set(position=len(xor_stepper.run))
print(xor_stepper.describe())
xor_stepper

# %% [markdown]
# ## 6. Curved boundaries need features
#
# Take the circle problem: points $x \sim \mathcal{N}(0, I_2)$, class $+1$ inside the unit
# circle and $-1$ outside, a disc inside a ring. No line separates a disc from the ring
# around it. But the boundary $x_1^2 + x_2^2 = 1$ **is** a line in the new coordinates
# $(x_1^2, x_2^2)$. Hand-made features turn a curved problem into a linear one:

# %%
# NBVAL_CHECK_OUTPUT
Xc, yc = data.circle(200, seed=1)
yc = data.to_pm1(yc)
raw = train_perceptron(Xc, yc, max_epochs=50)
squared = train_perceptron(Xc**2, yc, max_epochs=1000)
print("on (x1, x2):     ", raw.message)
print("on (x1^2, x2^2): ", squared.message)

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained")
for ax, Z, title in ((a1, Xc, "original inputs: no line works"),
                     (a2, Xc**2, "squared inputs: a line works")):
    ax.scatter(*Z[yc == 1].T, s=16, color="#0072B2", marker="o", label="inside (+1)")
    ax.scatter(*Z[yc == -1].T, s=16, color="#E69F00", marker="^", label="outside (−1)")
    ax.set(title=title)
    ax.legend(loc="upper right", fontsize=8)
a1.set(xlabel="$x_1$", ylabel="$x_2$")
a2.set(xlabel="$x_1^2$", ylabel="$x_2^2$")
w, b = squared.w, squared.b
u = np.linspace(0, (Xc**2)[:, 0].max(), 50)
a2.plot(u, -(w[0] * u + b) / w[1], color="black", lw=1.5, label="perceptron's line")
# zoom in on the boundary; a few far points are off the plot
a2.set(xlim=(0, 2.5), ylim=(0, 2.5))
a2.legend(loc="upper right", fontsize=8);
show(fig, "Two scatter plots of the circle data. Left, in the inputs x1 and x2: the +1 "
          "points inside the circle are surrounded by the -1 points, and no line "
          "separates them. Right, in the squared inputs: the perceptron's line "
          "separates the two classes.")

# %% [markdown]
# Choosing features by hand works when we know the shape of the boundary. For images or
# laser scans we do not. The next lecture lets the network **learn** its features: each
# hidden unit is itself a small linear classifier, and the output combines their
# half-planes into curved regions.
#
# ### Question
#
# XOR can also be made separable with one extra feature. Which product of the inputs
# would you add? Try it with `train_perceptron` in the cell below.

# %%
Xx, yx = data.xor(40, seed=0)
yx = data.to_pm1(yx)
# Your turn: build a new input matrix with an extra column and train the perceptron
# on it.
print(train_perceptron(Xx, yx, max_epochs=20).message)
