# %% [markdown]
# # Exercise (lecture 4): backpropagation by hand, in an engine, and checked
#
# Three small pieces of an autodiff system, each with a check underneath that compares
# your code with PyTorch's autograd (or with the exact gradient) and names the slip when
# it recognises one:
#
# 1. sweep a small graph backward by hand;
# 2. write the backward rules of a tiny engine that keeps its graph on a tape;
# 3. write the gradient check that tells you whether a backward pass can be trusted.
#
# Write the code yourself: the checks refuse PyTorch's autograd and `nnlab.autodiff`.

# %%
import numpy as np

from nnlab import check

# %% [markdown]
# ## 1. Adjoints of a given graph
#
# The graph, for inputs $x_1, x_2$:
#
# $$v_1 = x_1 x_2, \qquad v_2 = e^{v_1}, \qquad v_3 = v_1 + v_2, \qquad y = v_3 / x_2 .$$
#
# Compute the values forward, then sweep backward from $\bar y = 1$, visiting the nodes
# in reverse. For a node $v = \mathrm{op}(u, \dots)$, every input gets
# $\bar u \mathrel{+}= \bar v \cdot \partial v / \partial u$. Two values here are used
# twice ($v_1$ and $x_2$): each use sends back a contribution, and they add up.
# Return `(x1_bar, x2_bar, v1_bar, v2_bar, v3_bar)`.

# %%
def graph_adjoints(x1, x2):
    ### BEGIN SOLUTION
    v1 = x1 * x2
    v2 = np.exp(v1)
    v3 = v1 + v2
    y_bar = 1.0
    v3_bar = y_bar / x2
    x2_bar = -y_bar * v3 / x2**2
    v1_bar = v3_bar
    v2_bar = v3_bar
    v1_bar += v2_bar * v2
    x1_bar = v1_bar * x2
    x2_bar += v1_bar * x1
    return x1_bar, x2_bar, v1_bar, v2_bar, v3_bar
    ### END SOLUTION


check.adjoints(graph_adjoints)

# %% [markdown]
# ## 2. The backward rules of a tape engine
#
# Real engines record the forward pass on a *tape*: one row per operation, in the order
# the operations ran. Here a row is `(op, out, a, b)`: node `out` was computed as
# `op(node a, node b)` (for the one-input operations `exp`, `sin` and `tanh`, `b` is -1).
# The first nodes are the inputs; `values[i]` is node i's value; the last node is the
# output $y$.
#
# The reverse sweep walks the tape backward and, for each row, sends the adjoint of
# `out` back to `a` and `b`, each multiplied by its local derivative. The rule for `add`
# is written for you; write the rules for `sub`, `mul`, `div`, `exp`, `sin` and `tanh`.
# Use `values` rather than recomputing: $\partial e^a/\partial a = e^a$ is the value of
# the node `out` itself, and so is $\tanh a$ in $\partial \tanh a/\partial a = 1 - \tanh^2 a$.
# Mind `+=`: a node used by two rows, or twice by one row (`x * x`), must collect every
# contribution.

# %%
def reverse_sweep(tape, values):
    adjoint = np.zeros(len(values))
    adjoint[-1] = 1.0                          # dy/dy = 1
    for op, out, a, b in reversed(tape):       # the last row first
        g = adjoint[out]                       # what flows back from node out
        if op == "add":                        # out = a + b: both local derivatives 1
            adjoint[a] += g
            adjoint[b] += g
        ### BEGIN SOLUTION
        elif op == "sub":
            adjoint[a] += g
            adjoint[b] -= g
        elif op == "mul":
            adjoint[a] += g * values[b]
            adjoint[b] += g * values[a]
        elif op == "div":
            adjoint[a] += g / values[b]
            adjoint[b] -= g * values[a] / values[b] ** 2
        elif op == "exp":
            adjoint[a] += g * values[out]
        elif op == "sin":
            adjoint[a] += g * np.cos(values[a])
        elif op == "tanh":
            adjoint[a] += g * (1.0 - values[out] ** 2)
        ### END SOLUTION
    return adjoint


check.reverse_sweep(reverse_sweep)

# %% [markdown]
# The tape of part 1's graph, as this engine writes it (nodes 0 and 1 are $x_1, x_2$).
# Your sweep should give the same adjoints as your hand-written one:

# %%
x1, x2 = 0.5, 1.5
tape = [["mul", 2, 0, 1], ["exp", 3, 2, -1], ["add", 4, 2, 3], ["div", 5, 4, 1]]
values = [x1, x2, x1 * x2, np.exp(x1 * x2)]
values = np.array(values + [values[2] + values[3], (values[2] + values[3]) / x2])
try:
    by_tape = reverse_sweep(tape, values)
    by_hand = graph_adjoints(x1, x2)
    print("by the tape:", np.round(np.asarray(by_tape, dtype=float)[:5], 6))
    print("by hand:    ", np.round(np.array(by_hand), 6))
except NotImplementedError:
    print("write graph_adjoints and reverse_sweep first")

# %% [markdown]
# ## 3. A gradient check
#
# A backward pass is easy to get almost right. The check against it: nudge one input at
# a time and difference the function,
#
# $$n_i = \frac{f(x + h e_i) - f(x - h e_i)}{2h},$$
#
# then compare the estimate $n$ with the gradient $g$ by the relative error
# $\lVert g - n\rVert / (\lVert g\rVert + \lVert n\rVert)$ (0 when both are zero). In
# float64 a right gradient gives about $10^{-10}$; a wrong one, far more.
#
# Write `gradient_check(f, grad, x)`: `f(x)` returns a number, `grad(x)` the array
# $\partial f/\partial x_i$. Choose the step $h$ yourself (lecture 4's V-shaped curve says
# where), do not change `x` for the caller, and return the relative error. The check
# watches where you evaluate `f`: it sees the step you chose and whether your difference
# is central.

# %%
def gradient_check(f, grad, x):
    ### BEGIN SOLUTION
    h = 1e-5
    g = np.asarray(grad(x), dtype=float)
    n = np.zeros_like(g)
    for i in range(len(x)):
        step = np.zeros(len(x))
        step[i] = h
        n[i] = (f(x + step) - f(x - step)) / (2 * h)
    total = np.linalg.norm(g) + np.linalg.norm(n)
    return 0.0 if total == 0 else float(np.linalg.norm(g - n) / total)
    ### END SOLUTION


check.gradient_check(gradient_check)

# %% [markdown]
# Now use it on your engine: the function below runs part 1's graph forward and your
# reverse sweep backward. A right sweep gives a relative error near $10^{-10}$.

# %%
def y_of(x):
    v1 = x[0] * x[1]
    return (v1 + np.exp(v1)) / x[1]


def sweep_gradient(x):
    v = [x[0], x[1], x[0] * x[1], np.exp(x[0] * x[1])]
    v = np.array(v + [v[2] + v[3], (v[2] + v[3]) / x[1]])
    return reverse_sweep(tape, v)[:2]


try:
    error = gradient_check(y_of, sweep_gradient, np.array([0.5, 1.5]))
    print(f"relative error of your sweep: {error:.1e}")
except NotImplementedError:
    print("write reverse_sweep and gradient_check first")
