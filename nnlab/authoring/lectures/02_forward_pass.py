# %% [markdown]
# # Lecture 2: the forward pass of a neural network
#
# Lecture 1 ended with a problem: a single linear classifier can only cut the input space
# with one straight line. A neural network stacks many small classifiers (**hidden units**)
# and combines their answers. This lecture follows an input through such a network, one
# layer at a time: the **forward pass**.

# %%
import matplotlib.pyplot as plt
import numpy as np

from nnlab import nn
from nnlab.views import show

# %% [markdown]
# ## 1. Neurons and layers
#
# A **neuron** (a *unit*) takes inputs $x_1, \dots, x_d$, forms a weighted sum plus a bias,
# and applies an **activation function** $g$:
#
# $$z = \sum_i w_i x_i + b, \qquad a = g(z).$$
#
# $z$ is the **pre-activation**, $a$ the **post-activation** (or simply the activation).
# A **layer** is many units reading the same inputs, each with its own weights. Stacking the
# weight vectors as columns of a matrix $W$ gives, for one input row $x$,
#
# $$z = x W + b, \qquad a = g(z).$$
#
# A layer where every unit reads every input is **fully connected** (in PyTorch:
# `nn.Linear`). A **two-layer network** feeds the hidden activations into an output layer:
#
# $$\hat y = g_2\big(g_1(x W_1 + b_1)\, W_2 + b_2\big).$$
#
# The inputs form the **input layer**, the middle units the **hidden layer** (we never see
# their target values), and the last units the **output layer**.
#
# > **Convention.** Many textbooks write $h = g(W x + b)$ with $W$ of shape
# > (outputs × inputs) and $x$ a column. nnlab (like PyTorch's data layout) stores one
# > example per **row**, so a batch $X$ of shape $(N, d)$ goes through `X @ W + b` with
# > `W` of shape (fan_in, fan_out): the transpose of the textbook matrix. Same maths.

# %% [markdown]
# ## 2. Activation functions and their derivatives
#
# | name | $g(z)$ | $g'(z)$ |
# |---|---|---|
# | sigmoid | $\sigma(z) = 1/(1 + e^{-z})$ | $\sigma(z)(1 - \sigma(z)) \le 1/4$ |
# | tanh | $\tanh z$ | $1 - \tanh^2 z \le 1$ |
# | ReLU | $\max(0, z)$ | $0$ for $z < 0$, $1$ for $z > 0$ |
#
# The derivatives matter because training (lecture 4) multiplies them together along the
# network. Use the explorer to see each function and how steep it is.

# %%
from nnlab import ActivationExplorer

ActivationExplorer(activation="tanh", w=2.0, b=0.0)

# %%
z = np.linspace(-6, 6, 601)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
colours = {"sigmoid": "#0072B2", "tanh": "#E69F00", "relu": "#009E73"}
for name, (g, dg) in nn.ACTIVATIONS.items():
    if name == "linear":
        continue
    ax1.plot(z, g(z), color=colours[name], lw=2, label=name)
    ax2.plot(z, dg(z), color=colours[name], lw=2, label=name)
ax1.set(xlabel="pre-activation z", ylabel="g(z)", title="activations", ylim=(-1.2, 2))
ax2.set(xlabel="pre-activation z", ylabel="g'(z)", title="their derivatives")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.legend()
show(fig, "Left: the sigmoid, tanh and ReLU activations against the pre-activation z. "
          "Right: their derivatives. The sigmoid's derivative peaks at 0.25 and tanh's "
          "at 1, both at z = 0, and both vanish for large |z|; ReLU's is 0 for "
          "negative z and 1 for positive z.")

# %%
# NBVAL_CHECK_OUTPUT
print(f"largest sigmoid'(z): {nn.sigmoid_grad(z).max():.4f}")
print(f"largest tanh'(z):    {nn.tanh_grad(z).max():.4f}")
print(f"relu'(-1), relu'(2): {nn.relu_grad(np.array([-1.0, 2.0]))}")

# %% [markdown]
# ## 3. Output activation and loss, by task
#
# The last layer's activation and the loss are chosen together, by what we predict:
#
# | task | output layer | loss |
# |---|---|---|
# | two classes (stop sign or not) | 1 unit, sigmoid: $\hat y = \sigma(z)$ | binary cross-entropy $-[y \ln \hat y + (1-y)\ln(1-\hat y)]$ |
# | $K$ classes (which of 43 signs) | $K$ units, softmax | categorical cross-entropy $-\sum_k y_k \ln \hat y_k$ |
# | real numbers (a vehicle's pose) | linear units | squared error $\lVert \hat y - y \rVert^2$ |
#
# In code, binary cross-entropy is best computed from the logit $z$ directly:
# $\ln(1 + e^{z}) - y z$. It gives the same number, but never takes the log of a probability
# that has rounded to 0 or 1:

# %%
# NBVAL_CHECK_OUTPUT
zs = np.array([-3.0, 0.0, 3.0])
ys = np.array([1.0, 0.0, 1.0])
print("from probabilities:", round(nn.binary_cross_entropy(nn.sigmoid(zs), ys), 10))
print("from logits:       ", round(nn.binary_cross_entropy_with_logits(zs, ys), 10))
big = np.array([40.0])
print("logit 40, label 0: probabilities give",
      round(nn.binary_cross_entropy(nn.sigmoid(big), [0.0]), 3),
      "(clipped), logits give", nn.binary_cross_entropy_with_logits(big, [0.0]))

# %% [markdown]
# ## 4. Shapes: one example and a batch
#
# Take $d = 5$ inputs, 20 hidden units and 3 outputs. For one example $x$ has shape $(5,)$,
# the hidden activations $(20,)$ and the output $(3,)$. For a **batch** of 100 examples we
# stack them as rows; every layer then processes all of them in one matrix product.

# %%
# NBVAL_CHECK_OUTPUT
net = nn.MLP([5, 20, 3], hidden="relu", output="softmax", seed=0)
X = np.random.default_rng(0).normal(size=(100, 5))
fw = net.forward_pass(X)
print("W1", net.params[0][0].shape, " b1", net.params[0][1].shape,
      " W2", net.params[1][0].shape, " b2", net.params[1][1].shape)
print("X", fw.A[0].shape, "-> hidden", fw.A[1].shape, "-> output", fw.A[2].shape)
print("each output row sums to 1:", bool(np.allclose(fw.A[2].sum(axis=1), 1)))

# %% [markdown]
# ## 5. Counting parameters
#
# Every unit has one weight per input plus one bias. A network with $N_I$ inputs, $N_H$
# hidden units and $N_O$ outputs therefore has $N_H (N_I + 1) + N_O (N_H + 1)$ parameters.

# %%
# NBVAL_CHECK_OUTPUT
for sizes in ([5, 20, 3], [3, 4, 2], [784, 128, 10]):
    print(f"{'-'.join(map(str, sizes)):>10}: "
          f"{nn.count_parameters(sizes):>7,} parameters")
small = nn.MLP([3, 4, 2])
print(f"3-4-2: {sum(small.sizes[1:])} neurons, "
      f"{sum(W.size for W, _ in small.params)} weights, "
      f"{small.n_parameters} learnable parameters")

# %% [markdown]
# ### Question
#
# How many parameters does a 784-100-10 network for 28×28 digit images have? Compute it
# by hand first, then with `nn.count_parameters`.

# %% [markdown]
# ## 6. Without a nonlinearity, depth is useless
#
# If every activation is the identity, each layer is a matrix product plus a shift, and a
# product of such maps is again one such map:
# $(x W_1 + b_1) W_2 + b_2 = x (W_1 W_2) + (b_1 W_2 + b_2)$. A ten-layer linear network can
# draw exactly the same boundaries as a single linear layer. The check below collapses a
# deep linear network into one layer and compares outputs.

# %%
# NBVAL_CHECK_OUTPUT
deep = nn.MLP([4, 16, 16, 16, 2], hidden="linear", output="linear",
              init="xavier_uniform", seed=1)
W, b = np.eye(4), np.zeros(4)
for Wl, bl in deep.params:
    W, b = W @ Wl, b @ Wl + bl
X = np.random.default_rng(1).normal(size=(50, 4))
print("one layer with W =", W.shape, "reproduces the 4-layer network:",
      bool(np.allclose(X @ W + b, deep.forward(X))))

# %% [markdown]
# ## 7. A worked exercise: three sigmoid units, one input
#
# Take a scalar input $x \in [-4, 8]$, three sigmoid hidden units with weights
# $w_h = [1, 1, 1]$ and biases $b_h = -[0, 2, 4]$, and a linear output with weights
# $w_o = [1, -2, 0.5]$ and bias $b_o = 0.1$:
#
# $$\hat y(x) = 1\cdot\sigma(x) - 2\,\sigma(x - 2) + 0.5\,\sigma(x - 4) + 0.1 .$$
#
# Each hidden unit is a soft step, at $x = 0$, $2$ and $4$. The output adds them up with
# its weights: a rise, a larger fall, a smaller rise. Every weight and bias has a slider.

# %%
from nnlab import HiddenUnitsExplorer

units = HiddenUnitsExplorer()
units

# %%
# NBVAL_CHECK_OUTPUT
worked = units.network()
xs = np.array([-4.0, 0.0, 2.0, 4.0, 8.0])
for x_, y_ in zip(xs, worked.forward(xs[:, None])[:, 0]):
    print(f"y({x_:+.0f}) = {y_:+.4f}")

# %% [markdown]
# ### Try this
#
# * Raise all three hidden weights to 10: the soft steps become sharp, and the output
#   becomes a staircase. (Lecture 3 builds on exactly this.)
# * Set unit 2's output weight to 0. Which part of the curve disappears?
# * Can you make the output a single bump between $x = 0$ and $x = 2$ using only two units?

# %% [markdown]
# ## 8. Hidden units are linear classifiers
#
# With two inputs, each sigmoid hidden unit $\sigma(w_1 x_1 + w_2 x_2 + b)$ is a logistic
# classifier: close to 1 on one side of its line $w_1 x_1 + w_2 x_2 + b = 0$ and close to 0
# on the other. The output unit adds the hidden activations with its weights and applies
# its own sigmoid. With the defaults below it fires only where **all three** hidden units
# fire: the intersection of three half-planes, a triangle. No single line could carve out
# that region; three hidden units can.

# %%
HiddenUnitsExplorer(inputs=2)

# %% [markdown]
# ### Try this
#
# * Lower the output bias from −25 to −15. Now two of three units suffice: what shape does
#   the region take?
# * Flip unit 3's weights (w2 from −4 to 4, b from 4 to −4). Where is the region now?
# * How would you carve out a disc, as in the circle problem of lecture 1? (More units,
#   each a tangent line around the circle.)
