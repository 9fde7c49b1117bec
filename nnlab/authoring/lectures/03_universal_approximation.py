# %% [markdown]
# # Lecture 3: universal approximation
#
# How much can a network with one hidden layer represent? Surprisingly, almost anything:
# given enough hidden units it can match any continuous function on a bounded region as
# closely as we like. This lecture states the theorem and then **builds** such networks by
# hand, so you can see why it is true, and what it does not promise.

# %%
import matplotlib.pyplot as plt
import numpy as np

from nnlab import approx
from nnlab.views import show

# %% [markdown]
# ## 1. The statements
#
# * **One hidden layer suffices** (Cybenko, 1989, for sigmoid units; Hornik, Stinchcombe and
#   White, 1989, for a broad class of activations): for every continuous $f$ on a compact
#   set $K \subset \mathbb{R}^d$ and every $\varepsilon > 0$ there is a network
#   $\hat f(x) = \sum_{j=1}^{m} v_j\, \sigma(w_j \cdot x + b_j)$ with
#   $\max_{x \in K} |\hat f(x) - f(x)| < \varepsilon$.
# * **Narrow but deep also suffices**: ReLU networks of width $d + 1$ and unbounded depth
#   are universal (Lu et al., NeurIPS 2017).
# * **Even one unit per block**: a ResNet whose residual blocks each have a single hidden
#   unit, with unbounded depth, is universal (Lin and Jegelka, NeurIPS 2018).
#
# These are existence results. Below we construct networks explicitly for one input.

# %% [markdown]
# ## 2. A steep sigmoid is a step
#
# A sigmoid unit $\sigma(w x + b)$ with a large weight $w$ jumps from 0 to 1 at the point
# where $w x + b = 0$, that is at $s = -b/w$. Writing $b = -w s$, the unit is
# $\sigma(w (x - s))$: the step's **position** is $s$ and its **sharpness** is $w$.

# %%
x = np.linspace(0, 1, 801)
fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(10, 2.8), layout="constrained")
for w, c in ((10, "#56B4E9"), (50, "#0072B2"), (500, "#000000")):
    a1.plot(x, approx.step(x, 0.4, w), color=c, lw=2, label=f"w = {w}")
a1.set(title="step at s = 0.4", xlabel="x", ylabel="σ(w (x − s))")
a1.legend(fontsize=8)
a2.plot(x, approx.step(x, 0.3, 200), color="#0072B2", lw=2, label="step up at 0.3")
a2.plot(x, approx.step(x, 0.6, 200), color="#E69F00", lw=2, ls="--",
        label="step up at 0.6")
a2.plot(x, approx.tower(x, 0.3, 0.6, 200), color="#000000", lw=2,
        label="difference: a tower")
a2.set(title="two steps make a tower", xlabel="x")
a2.legend(fontsize=8)
centres = approx.tower_centres(5, (0, 1))
net5 = approx.tower_network(approx.bumpy, 5, (0, 1), steepness=30)
a3.plot(x, approx.bumpy(x), "k--", lw=1.5, label="target f")
a3.plot(x, net5.forward(x[:, None])[:, 0], color="#0072B2", lw=2, label="5 towers")
a3.scatter(centres, approx.bumpy(centres), color="#D55E00", zorder=5, s=20,
           label="height f(centre)")
a3.set(title="towers of height f(centre)", xlabel="x")
a3.legend(fontsize=8)
for ax in (a1, a2, a3):
    ax.grid(alpha=0.3)
show(fig, "Three panels. Left: a sigmoid step at s = 0.4 that gets sharper as w grows "
          "from 10 to 500. Middle: two steps, up at 0.3 and up at 0.6, and their "
          "difference, a tower of height 1 between 0.3 and 0.6. Right: the bumpy "
          "target and a sum of 5 towers whose heights are the target's values at the "
          "tower centres (dots).")

# %% [markdown]
# ## 3. Towers add up to any function
#
# Two opposite steps, $\sigma(w(x - l)) - \sigma(w(x - r))$, make a **tower**: about 1 on
# $[l, r]$ and about 0 elsewhere. Split the interval into $n$ equal pieces, build a tower on
# each with the height of $f$ at its centre, and add them up. That is a network with one
# hidden layer of $2n$ sigmoid units and a linear output: the output weights are $+h_i$
# and $-h_i$ for the two units of tower $i$.
#
# `approx.tower_network` returns exactly that network as an `nnlab` MLP, which the tests run
# through PyTorch to check that it is an ordinary network. Here is its first layer for
# $n = 3$ on $[0, 1]$:

# %%
# NBVAL_CHECK_OUTPUT
net3 = approx.tower_network(approx.bumpy, 3, (0, 1), steepness=10)
(W1, b1), (W2, b2) = net3.params
print("hidden layer: 2n =", W1.shape[1], "sigmoid units")
print("step positions s = -b/w:", np.round(-b1 / W1[0], 4))
print("output weights:", np.round(W2[:, 0], 4))

# %% [markdown]
# (The outermost steps sit half a tower beyond the interval so that its ends fall on a flat
# tower top.) Now explore: the **target** is the bumpy function
# $f(x) = 0.2 + 0.4x^2 + 0.3x\sin(15x) + 0.05\cos(50x)$ on $[0, 1]$, or another one from the
# menu; the right panel shows how the error falls as towers are added.

# %%
from nnlab import TowerExplorer

towers = TowerExplorer(target="bumpy", n=8, steepness=10.0)
towers

# %% [markdown]
# ### Try this
#
# * Drag **n** from 1 to 100 and watch the error readout under the figure.
# * Fix n = 16 and vary the **steepness**. Very gentle steps blur the towers together;
#   very sharp ones turn the curve into a staircase. Which steepness gives the smallest
#   maximum error?
# * Pick the **step** target: where does the error stay large however many towers you use?

# %% [markdown]
# ## 4. Error against the number of towers
#
# Each tower is flat, so within a tower of width $\Delta = 1/n$ the error is at most about
# $\max|f'| \cdot \Delta / 2$: halving the tower width should roughly halve the worst error.

# %%
# NBVAL_CHECK_OUTPUT
ns, max_err, mean_err = approx.error_against_n(approx.bumpy, (0, 1),
                                               ns=(4, 8, 16, 32, 64, 128))
print("    n   max error   mean error")
for n, e1, e2 in zip(ns, max_err, mean_err):
    print(f"{n:5d}   {e1:9.4f}   {e2:10.5f}")
print(f"n = 64 is {max_err[4] / max_err[1]:.3f} times the max error of n = 8")

# %% [markdown]
# Roughly: doubling $n$ halves the error, once the towers are narrow enough to follow the
# wiggles of $f$. The same construction works for any continuous $f$; only the number of
# towers needed changes.
#
# ### Your turn: design the towers
#
# Set each tower's height yourself. Your score is the mean absolute deviation from the
# target (lower is better); the automatic choice, heights $f(\text{centre})$, is the target
# to beat. Open *the weights that realise your design* to see the network you built.

# %%
from nnlab import TowerDesigner

TowerDesigner(target="bumpy", n=6)

# %% [markdown]
# ## 5. ReLU networks are splines
#
# With ReLU units the picture changes from towers to **kinks**. The unit $\max(0, x - t)$
# is zero left of $t$ and a ramp of slope 1 to its right. A sum of such units with weights
# $c_j$ is a piecewise-linear function whose slope changes by $c_j$ at each $t_j$: a linear
# spline. Every hidden unit adds one kink, so $n$ units give $n$ linear pieces.
# Training a ReLU network is placing kinks and choosing slopes.

# %%
g, (a, b) = approx.TARGETS["sin"]
xs = np.linspace(a, b, 600)
fig, axes = plt.subplots(1, 5, figsize=(12, 2.6), layout="constrained", sharey=True)
for ax, n in zip(axes, (3, 4, 6, 8, 20)):
    net = approx.relu_network(g, n, (a, b))
    knots = np.linspace(a, b, n + 1)
    ax.plot(xs, g(xs), "k--", lw=1.2, label="sin x")
    ax.plot(xs, net.forward(xs[:, None])[:, 0], color="#0072B2", lw=2, label="ReLU net")
    ax.plot(knots[:-1], g(knots[:-1]), "o", color="#D55E00", ms=4, label="kinks")
    err = approx.approximation_error(net, g, (a, b)).max
    ax.set(title=f"{n} units: max error {err:.3f}", xlabel="x")
    ax.grid(alpha=0.3)
axes[0].legend(fontsize=7, loc="lower left")
axes[0].set_ylabel("output");
show(fig, "Five panels: sin x and ReLU networks with 3, 4, 6, 8 and 20 units; each "
          "network is a broken line with kinks at equally spaced points, and the "
          f"maximum error in each title falls as units are added, to {err:.3f} "
          "with 20.")

# %%
# NBVAL_CHECK_OUTPUT
for n in (3, 4, 6, 8, 20):
    spline_net = approx.relu_network(g, n, (a, b))
    fitted_net = approx.fit_relu_output(xs, g(xs), n, (a, b))
    spline = approx.approximation_error(spline_net, g, (a, b)).max
    fitted = approx.approximation_error(fitted_net, g, (a, b)).max
    print(f"{n:2d} ReLU units: interpolating spline {spline:.4f}, "
          f"least-squares output layer {fitted:.4f}")

# %% [markdown]
# The second column keeps the kinks fixed and fits only the output weights by least
# squares: a little better than interpolation, since the fit may leave the knots to
# reduce the error in between. Training would also move the kinks.

# %% [markdown]
# ## 6. Towers in two dimensions
#
# With two inputs, a step in $x_1$ is a wall. Four walls (up at $x_0$ and $y_0$, down at
# $x_1$ and $y_1$) add up to 4 inside a rectangle, 3 in the strips beside it and 2 beyond
# its corners. An output unit that thresholds this sum at 3.5 is about 1 on the rectangle
# and 0 elsewhere: a 2-D tower. A grid of such towers with heights $f(\text{centre})$
# approximates a function of two variables; the network has a layer of walls shared
# between neighbouring cells, a layer of thresholding units (one per cell) and a linear
# output.

# %%
f2 = lambda x, y: np.sin(3 * x) * np.cos(2 * y)  # noqa: E731
grid = np.linspace(0, 1, 120)
GX, GY = np.meshgrid(grid, grid)
P = np.c_[GX.ravel(), GY.ravel()]
one = approx.tower_2d_network((0.2, 0.6, 0.3, 0.7))
fig, axes = plt.subplots(1, 4, figsize=(12, 3), layout="constrained")
panels = [(one.forward(P)[:, 0], "one 2-D tower"),
          (f2(GX, GY).ravel(), "target sin(3x) cos(2y)")]
for k in (4, 12):
    panels.append((approx.tower_network_2d(f2, k).forward(P)[:, 0],
                   f"{k} × {k} towers"))
for ax, (Z, title) in zip(axes, panels):
    im = ax.imshow(Z.reshape(120, 120), origin="lower", extent=(0, 1, 0, 1),
                   cmap="cividis", vmin=-1, vmax=1)
    ax.set(title=title, xlabel="$x_1$")
axes[0].set_ylabel("$x_2$")
fig.colorbar(im, ax=axes, shrink=0.8, label="network output");
show(fig, "Four heat maps over the unit square, on one colour scale for the network "
          "output: one 2-D tower (a raised square), the target sin(3x) cos(2y), and "
          "its approximations with 4 x 4 and 12 x 12 towers; the finer grid follows "
          "the target more closely.")

# %%
# NBVAL_CHECK_OUTPUT
rng = np.random.default_rng(0)
Q = rng.uniform(0, 1, (20000, 2))
for k in (4, 8, 16):
    err = np.abs(approx.tower_network_2d(f2, k).forward(Q)[:, 0] - f2(Q[:, 0], Q[:, 1]))
    print(f"{k:2d} x {k:<2d} towers ({2 * (k + 1)} wall units, "
          f"{k * k} threshold units): mean error {err.mean():.4f}, "
          f"worst {err.max():.2f}")

# %% [markdown]
# The mean error falls as the cells shrink, but the worst error does not: at a corner where
# four cells meet, each cell's walls are only half up, its sum is 3 instead of 4, and no
# threshold unit fires. Steeper walls shrink these seams (the tests check that), but a
# point exactly on a corner is always missed. The theorem is about a different, smarter
# network; this simple construction shows the idea, not the best way.

# %% [markdown]
# ## 7. What the theorem does not say
#
# * **How many units.** The number of towers grows with how wiggly $f$ is and how small the
#   error must be; in $d$ dimensions a grid of towers needs about $(1/\Delta)^d$ cells,
#   hopeless for a 784-pixel image.
# * **Whether training finds them.** The theorem says good weights exist. Gradient descent
#   (lecture 4) starts from random weights and may or may not find them.
# * **How well it generalises.** Matching $f$ on training points says nothing about new
#   points unless we control the model's complexity (lecture 9).
#
# Depth helps with the first point: deep networks can represent some functions with far
# fewer units than shallow ones, which is one reason modern networks are deep.
#
# ### Question
#
# For the bumpy function, roughly how many towers would you need for a maximum error of
# 0.001? Use the table in section 4 and the "halve the width, halve the error" rule.
