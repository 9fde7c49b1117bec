# %% [markdown]
# # Exercise: activations, the forward pass and backpropagation
#
# Write three functions in NumPy. After each one, run the check below it: it tests your
# function on fresh inputs against an independent oracle and tells you what is wrong, not
# just *that* something is wrong. Replace each `raise NotImplementedError(...)` with your code.
#
# Conventions (as in the lectures): a batch `X` has one example per row; a layer computes
# `X @ W + b` with `W` of shape (fan_in, fan_out).

# %%
import numpy as np

from nnlab import check

# %% [markdown]
# ## 1. A sigmoid that never overflows
#
# $\sigma(z) = 1/(1 + e^{-z})$. Computed naively, `np.exp(-z)` overflows for $z = -1000$.
# Use $1/(1 + e^{-z})$ for $z \ge 0$ and $e^{z}/(1 + e^{z})$ for $z < 0$: both only ever
# exponentiate a non-positive number.

# %%
def my_sigmoid(z):
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


check.sigmoid(my_sigmoid)

# %% [markdown]
# ## 2. The forward pass
#
# A network with a ReLU hidden layer and one sigmoid output unit:
# $A_1 = \max(0, X W_1 + b_1)$, $A_2 = \sigma(A_1 W_2 + b_2)$. Return $A_2$, shape (N, 1).

# %%
def my_forward(X, W1, b1, W2, b2):
    ### BEGIN SOLUTION
    A1 = np.maximum(X @ W1 + b1, 0.0)
    return my_sigmoid(A1 @ W2 + b2)
    ### END SOLUTION


check.forward(my_forward)

# %% [markdown]
# ## 3. Backpropagation
#
# With the binary cross-entropy **summed** over the batch, the output error is
# $dZ_2 = A_2 - Y$ (no $1/N$). Then $dW_2 = A_1^\top dZ_2$, $db_2 = \sum_n dZ_2$,
# $dA_1 = dZ_2 W_2^\top$, $dZ_1 = dA_1 \odot \mathrm{relu}'(Z_1)$, $dW_1 = X^\top dZ_1$,
# $db_1 = \sum_n dZ_1$. Return `(dW1, db1, dW2, db2)`.

# %%
def my_backprop(X, Y, W1, b1, W2, b2):
    ### BEGIN SOLUTION
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    A2 = my_sigmoid(A1 @ W2 + b2)
    dZ2 = A2 - Y
    dW2, db2 = A1.T @ dZ2, dZ2.sum(axis=0)
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    return X.T @ dZ1, dZ1.sum(axis=0), dW2, db2
    ### END SOLUTION


check.backprop(my_backprop)

# %% [markdown]
# ## 4. Check your gradient yourself
#
# The check above compares with PyTorch's autograd. You can do the same with central
# differences: nudge one weight by ±ε, see how the loss changes, and compare with your
# gradient. `nnlab.nn.relative_error` gives $\lVert a - n\rVert / (\lVert a\rVert + \lVert n\rVert)$;
# below $10^{-7}$ means your backward pass is right.

# %%
from nnlab import nn

rng = np.random.default_rng(1)
X, Y = rng.normal(size=(6, 3)), rng.integers(0, 2, (6, 1)).astype(float)
W1, b1 = rng.normal(size=(3, 4)), rng.normal(size=4)
W2, b2 = rng.normal(size=(4, 1)), rng.normal(size=1)


def loss(W1):
    A2 = np.clip(my_forward(X, W1, b1, W2, b2), 1e-12, 1 - 1e-12)
    return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))


try:
    numerical = nn.numerical_gradient(lambda: loss(W1), W1)
    mine = my_backprop(X, Y, W1, b1, W2, b2)[0]
    print(f"relative error of dW1: {nn.relative_error(mine, numerical):.1e}")
except NotImplementedError:
    print("finish the three functions above first")
