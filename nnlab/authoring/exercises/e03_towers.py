# %% [markdown]
# # Exercise (lecture 3): towers
#
# Build one tower from two sigmoid steps, then add towers to approximate a function, the way the
# universal approximation argument does.

# %%
import numpy as np

from nnlab import approx, check

# %% [markdown]
# ## 1. A tower
#
# Two opposite steps: $\sigma(w (x - \text{left})) - \sigma(w (x - \text{right}))$. It is close
# to 1 on $[\text{left}, \text{right}]$ and close to 0 elsewhere when $w$ is large.

# %%
def tower(x, left, right, w):
    ### BEGIN SOLUTION
    # a sigmoid that cannot overflow
    s = lambda z: 0.5 * (1 + np.tanh(0.5 * z))  # noqa: E731
    return s(w * (x - left)) - s(w * (x - right))
    ### END SOLUTION


check.tower(tower)

# %% [markdown]
# ## 2. A sum of towers
#
# Split $[0, 1]$ into `n` equal pieces and give each tower the height of the target at the centre of
# its piece. Try `n = 5, 20, 80` and a steepness `w`: the error falls with `n` as long as the towers
# are steep enough for their width. Question: what happens when `w` is small compared with `n`?

# %%
def sum_of_towers(f, x, n, w):
    edges = np.linspace(0, 1, n + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    return sum(f(c) * tower(x, a, b, w)
               for a, b, c in zip(edges[:-1], edges[1:], centres))


x = np.linspace(0, 1, 401)
try:
    for n in (5, 20, 80):
        approximation = sum_of_towers(approx.bumpy, x, n, w=40 * n)
        err = np.abs(approximation - approx.bumpy(x)).max()
        print(f"n = {n:3d}: max error {err:.3f}")
except NotImplementedError:
    print("write tower in part 1 first")
