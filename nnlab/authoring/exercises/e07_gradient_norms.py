# %% [markdown]
# # Exercise (lecture 7): per-layer gradient norms
#
# Write the backward pass of a deep network with sigmoid hidden layers and return
# $\|\partial L / \partial W_l\|$ for every layer. Then look at how the norms fall from the output
# towards the input: the vanishing gradient, measured by your own code. The check compares your
# norms with PyTorch autograd and recognises the usual slips (reversed order, squared norms,
# averaging, the norms of $\partial L/\partial A$ instead of $\partial L/\partial W$).

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from nnlab import check
from nnlab.views import show

# %% [markdown]
# ## 1. The norms
#
# The network: $A_0 = X$, $A_l = \sigma(A_{l-1} W_l + b_l)$ for the hidden layers, a linear output
# $A_L = A_{L-1} W_L + b_L$, and $L = \tfrac12 \sum (A_L - Y)^2$ (summed over the batch).
# Going backward: $\partial L/\partial Z_L = A_L - Y$; $\partial L/\partial W_l = A_{l-1}^\top\,
# \partial L/\partial Z_l$; $\partial L/\partial A_{l-1} = \partial L/\partial Z_l\, W_l^\top$; and
# $\partial L/\partial Z_{l} = \partial L/\partial A_{l} \odot A_l (1 - A_l)$ for a sigmoid layer.
# Return `np.array([||dL/dW_1||, ..., ||dL/dW_L||])` (Frobenius norms, from the input).
# Write it yourself: the check refuses autograd and nnlab's `gradflow`.

# %%
def gradient_norms(X, Y, Ws, bs):
    ### BEGIN SOLUTION
    A = [X]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = A[-1] @ W + b
        A.append(Z if l == len(Ws) - 1 else 0.5 * (1 + np.tanh(0.5 * Z)))
    norms = np.zeros(len(Ws))
    dA = A[-1] - Y
    for l in reversed(range(len(Ws))):
        dZ = dA if l == len(Ws) - 1 else dA * A[l + 1] * (1 - A[l + 1])
        norms[l] = np.linalg.norm(A[l].T @ dZ)
        dA = dZ @ Ws[l].T
    return norms
    ### END SOLUTION


check.gradient_norms(gradient_norms)

# %% [markdown]
# ## 2. Watch them vanish
#
# A 12-layer sigmoid network of width 32, weights drawn with standard deviation $1/\sqrt{n}$.
# Each sigmoid layer multiplies the backward signal by at most $\tfrac14 \|W\|$, so the norms should
# fall roughly geometrically towards the input. Try `scale = 4`: does the fall stop? Why is that not
# a cure? (Look at how many sigmoids saturate.)

# %%
def deep_net(depth=12, width=32, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [2] + [width] * (depth - 1) + [1]
    Ws = [rng.normal(0, scale / np.sqrt(m), (m, n))
          for m, n in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(n) for n in sizes[1:]]
    X = rng.normal(size=(64, 2))
    return X, np.sin(X[:, :1]), Ws, bs


try:
    curves = {scale: gradient_norms(*deep_net(scale=scale)) for scale in (1.0, 4.0)}
except NotImplementedError:
    curves = None
    print("write gradient_norms in part 1 first")
if curves:
    fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
    for (scale, norms), colour in zip(curves.items(), ("#0072B2", "#D55E00")):
        ax.semilogy(np.arange(1, len(norms) + 1), norms, "o-", color=colour,
                    label=f"weights std {scale:g}/sqrt(n)")
    ax.set_xlabel("layer l (1 = next to the input)")
    ax.set_ylabel("||dL/dW_l||")
    ax.legend()
    first = curves[1.0]
    print(f"scale 1: ||dL/dW_1|| / ||dL/dW_12|| = {first[0] / first[-1]:.1e}")
    ratio = first[0] / first[-1]
    alt = (f"Gradient norm of each layer's weights on a log scale, layer 1 to "
           f"{len(first)}, for weights of std 1/sqrt(n) and 4/sqrt(n); at std "
           f"1/sqrt(n) the first layer gets {ratio:.1e} times the last layer's norm.")
    display(show(fig, alt))
