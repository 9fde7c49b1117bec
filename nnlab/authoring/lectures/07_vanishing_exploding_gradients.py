# %% [markdown]
# # Lecture 7: vanishing and exploding gradients
#
# Backpropagation multiplies one factor per layer on its way from the loss back to the
# first layer. Multiply many numbers smaller than one and the product vanishes; many
# numbers larger than one and it explodes. Either way the early layers of a deep network
# stop learning properly. This lecture derives the effect, measures it layer by layer, and
# tests the remedies that made deep networks trainable.

# %%
import matplotlib.pyplot as plt
import numpy as np

from nnlab import gradflow
from nnlab.views import show

# %% [markdown]
# ## 1. The sigmoid chain
#
# Take a sigmoid network and the loss $L = \tfrac12 (\hat y - y)^2$. Write $\delta^{(l)} =
# \partial L / \partial z^{(l)}$ for the gradient with respect to layer $l$'s
# pre-activations. The chain rule gives the recursion
#
# $$\delta^{(l)} = \big(\delta^{(l+1)} W^{(l+1)\top}\big) \odot \sigma'(z^{(l)}) .$$
#
# Every step multiplies by a weight and by $\sigma'(z) \le 1/4$. For a chain of single
# units, $|\delta^{(l)}| \le |\hat y - y| \cdot (1/4)^{L-l+1} \prod_{k>l} |w_k|$: unless the
# weights are larger than 4 (which saturates the sigmoids and makes $\sigma'$ even smaller),
# the gradient shrinks geometrically with depth.

# %%
# NBVAL_CHECK_OUTPUT
rng = np.random.default_rng(0)
w = rng.normal(0, 2, 12)
delta, closed, bound = gradflow.sigmoid_chain(w, x=0.7, y=0.2)
print("layer   dL/dz (backprop)   closed-form product   bound 0.25^k prod|w|")
for l in (0, 3, 6, 9, 11):
    print(f"{l + 1:5d}   {delta[l]:16.3e}   {closed[l]:19.3e}   {bound[l]:19.3e}")
print("backprop equals the product formula:",
      bool(np.allclose(delta, closed, rtol=1e-12)))

# %% [markdown]
# ## 2. ReLU with $W = \alpha I$: vanishing or exploding
#
# Now a ReLU network with three hidden layers, every weight matrix equal to $\alpha I$, zero
# biases and positive inputs. Each ReLU sees positive numbers, so it passes them through,
# and the network is $\hat y = \alpha^4 x$. Going back from the loss
# $L = \tfrac12\lVert \hat y - y \rVert^2$ to the first hidden activation multiplies by
# $\alpha I$ three times:
#
# $$\frac{\partial L}{\partial a^{(1)}} = \alpha^3 (\alpha^4 x - y).$$
#
# For $\alpha > 1$ both the output and the gradient grow without bound with depth; for
# $\alpha < 1$ they vanish. Backprop reproduces the closed forms:

# %%
# NBVAL_CHECK_OUTPUT
x = np.array([0.5, 1.0, 2.0])
y = np.array([1.0, -1.0, 3.0])
for alpha in (0.5, 1.0, 2.0):
    y_hat, da1 = gradflow.relu_identity_chain(alpha, x, y)
    same = (np.allclose(y_hat, alpha**4 * x)
            and np.allclose(da1, alpha**3 * (alpha**4 * x - y)))
    print(f"alpha = {alpha}: y_hat = {np.round(y_hat, 4)}, "
          f"dL/da1 = {np.round(da1, 4)}, closed forms hold: {same}")

# %% [markdown]
# ## 3. Measuring every layer
#
# `gradflow.gradient_flow` builds a deep network for the circle problem of lecture 4
# (2 inputs, `depth` hidden layers of `width` units, a sigmoid output with cross-entropy),
# runs one batch forward and backward, and reports per layer the norm of the weight
# gradient $\lVert \partial L / \partial W \rVert$, the norm of the back-propagated signal
# $\lVert \partial L / \partial a \rVert$, and statistics of the activations. The tests
# check every one of these gradients against PyTorch autograd at depth 30.

# %%
# NBVAL_CHECK_OUTPUT
for act, init in (("sigmoid", "xavier"), ("tanh", "xavier"), ("relu", "he")):
    flow = gradflow.gradient_flow(50, 64, act, init, seed=0)
    print(f"{act:8s} {init:7s}: {flow.headline()}")

# %% [markdown]
# ## 4. The explorer
#
# The left panel is the headline picture: the gradient norm of every layer on a log scale.
# A straight downward slope towards layer 1 is vanishing; upward is exploding; flat is
# healthy. The middle panel shows the distribution of each layer's activations (one row
# per layer): watch them pile up at 0 and 1 when sigmoids saturate, or at 0 when ReLUs die.

# %%
from nnlab import GradientFlowExplorer

flow_explorer = GradientFlowExplorer(depth=30, width=64, activation="sigmoid",
                                     init="xavier")
flow_explorer

# %% [markdown]
# ### Guided experiments
#
# 1. **Deeper.** With the sigmoid, move the depth from 5 to 50. How many orders of
#    magnitude does layer 1 lose per extra layer? Compare with $\log_{10} 4 \approx 0.6$.
# 2. **Wider.** Change the width from 8 to 256. Does width fix vanishing gradients?
# 3. **Sigmoid → ReLU.** Switch the activation to ReLU and the init to *he*. What happens
#    to the slope of the curve?
# 4. **Scale up and down.** With ReLU and *he*, set the weight scale to 0.5 and then to 2.
#    The per-layer factor is about the scale itself: over 30 layers that is $2^{30}$.
# 5. **Xavier vs He.** With ReLU, compare the two inits: Xavier's variance $2/(n_{in} +
#    n_{out})$ is half of He's $2/n_{in}$ here, so each layer halves the signal's power.
# 6. **Residual.** Go back to the sigmoid at depth 50 and tick *residual blocks*.
# 7. **Training.** Tick *compare training* to train the current network next to a residual
#    ReLU network on the same data. A big network (deep and wide) trains for fewer steps, in
#    float32 as PyTorch does, and in the background: the flow comes first, then your network's
#    curve, then the reference's.

# %% [markdown]
# ## 5. What it does to training
#
# The same 20-layer, 32-unit network trained four ways with the same learning rate: the
# sigmoid network's loss barely moves, because its first layers receive almost no gradient.
# (Training for the full 300 steps takes a few seconds; `steps` is the knob.)

# %%
curves = gradflow.compare_training(depth=20, width=32, steps=300, lr=0.1)
fig, ax = plt.subplots(figsize=(6.5, 3.4), layout="constrained")
styles = ["-", "--", "-.", ":"]
colours = ["#D55E00", "#E69F00", "#0072B2", "#009E73"]
for c, ls, col in zip(curves, styles, colours):
    ax.plot(c.loss, ls=ls, color=col, lw=2, label=c.label)
ax.set(xlabel="gradient step", ylabel="training loss (binary cross-entropy)",
       title="20 layers of 32 units")
ax.grid(alpha=0.3)
ax.legend(fontsize=8);
show(fig, "Training loss against gradient step for four networks of 20 layers of 32 "
          "units. Final losses: "
          + "; ".join(f"{c.label} {c.loss[-1]:.3f}" for c in curves) + ".")

# %%
# NBVAL_CHECK_OUTPUT
_, labels = gradflow.task()
p = labels.mean()
print(f"{p:.0%} of the points are inside the circle: "
      f"predicting {p:.2f} for every point gives loss "
      f"{-(p * np.log(p) + (1 - p) * np.log(1 - p)):.3f}")
for c in curves:
    loss = np.array(c.loss)
    halved = np.flatnonzero(loss < loss[0] / 2)
    outcome = (f"halved after {halved[0]} steps" if halved.size
               else f"never halved, lowest {loss.min():.3f}")
    print(f"{c.label:28s} loss {loss[0]:.3f} at the start, {outcome}")

# %% [markdown]
# The sigmoid network's loss sinks to the loss of predicting the fraction of points inside
# the circle for every point, and stays there: it has learned how common the inside class
# is, and nothing about where the points are. The other three halve their loss, the plain
# tanh and ReLU networks first.
#
# ### Why your curves may not look like your neighbour's
#
# At this learning rate the tanh and the plain ReLU networks train at the edge of
# stability: now and then a step overshoots and the loss spikes. Where those spikes come,
# and how high they go, depends on the last bits of the arithmetic: the order in which a
# matrix product adds its terms, the CPU's vector instructions, the number of threads the
# linear-algebra library uses. In these two networks a difference in the 16th digit grows
# with every step until it is as large as the loss itself. The printout above therefore
# reports only what every machine agrees on: the losses at the start, the sigmoid network's
# plateau, and the step at which each loss first halves, which comes before the differences
# have grown. To see the effect, train the tanh network again with every hidden weight
# changed by one part in $10^{15}$:

# %%
nudged = gradflow.train(20, 32, "tanh", "xavier", scale=1 + 1e-15, steps=300, lr=0.1)
for t in (0, 25, 50, 100, 200, 299):
    print(f"step {t:3d}: loss {curves[1].loss[t]:.6f} as above, "
          f"{nudged.loss[t]:.6f} with the nudged weights")

# %% [markdown]
# ## 6. Remedies
#
# * **ReLU-family activations.** The derivative is 1 wherever the unit is active, so an
#   active path passes the gradient back unchanged. (Units that are never active are
#   "dead" and pass nothing; leaky variants keep a small slope.)
# * **Careful initialisation.** Choose the weight variance so that the size of activations
#   and gradients stays the same from layer to layer: Xavier/Glorot ($2/(n_{in}+n_{out})$)
#   for tanh-like units, He ($2/n_{in}$) for ReLU.
# * **Batch normalisation.** Standardise each layer's pre-activations over the mini-batch
#   during training, which keeps them out of the saturated regions.
# * **Residual connections** (He et al., CVPR 2016). Let each block add a correction to
#   its input: $x_{l+1} = x_l + \tfrac1L U^\top \sigma(V x_l + b)$. The identity path carries
#   the gradient straight back, so $\partial L/\partial x_l$ is at least the gradient of the
#   next block plus a small correction.
# * **The continuous limit.** With the $1/L$ factor, a residual network is Euler's method
#   for the ordinary differential equation $dx/ds = U^\top \sigma(V x + b)$ with step $1/L$.
#   Letting $L \to \infty$ gives a **neural ODE** (Chen et al., NeurIPS 2018), trained by
#   solving an adjoint ODE backwards instead of storing every layer.
#
# ### Question
#
# In the explorer, a 50-layer sigmoid network with residual blocks has a healthy gradient.
# Its blocks still use sigmoids with $\sigma' \le 1/4$. Why does the product of small
# factors no longer appear?
