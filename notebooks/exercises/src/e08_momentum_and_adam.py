# %% [markdown]
# # Exercise: the perceptron update, towers, momentum, Adam and a mini-batch epoch
#
# Five short functions from lectures 1, 3, 5 and 8. Each check compares your function with an
# independent oracle (the rule itself, `torch.optim`) and names the mistake if it finds one.

# %%
import numpy as np

from nnlab import check

# %% [markdown]
# ## 1. One perceptron step (lecture 1)
#
# Labels are $y \in \{-1, +1\}$. If $y\,(w \cdot x + b) \le 0$ the point is a mistake: return
# $(w + y x,\; b + y)$. Otherwise return $(w, b)$ unchanged. Do not change `w` in place.

# %%
def perceptron_update(w, b, x, y):
    ### BEGIN SOLUTION
    if y * (w @ x + b) <= 0:
        return w + y * x, b + y
    return w, b
    ### END SOLUTION


check.perceptron_update(perceptron_update)

# %% [markdown]
# ## 2. A tower (lecture 3)
#
# Two opposite steps: $\sigma(w (x - \text{left})) - \sigma(w (x - \text{right}))$.

# %%
def tower(x, left, right, w):
    ### BEGIN SOLUTION
    s = lambda z: 0.5 * (1 + np.tanh(0.5 * z))  # noqa: E731  (a sigmoid that cannot overflow)
    return s(w * (x - left)) - s(w * (x - right))
    ### END SOLUTION


check.tower(tower)

# %% [markdown]
# ## 3. A momentum step (lecture 8)
#
# $v \leftarrow \rho v + \nabla f(x)$, then $x \leftarrow x - \alpha v$. Return `(x, v)`.

# %%
def momentum_step(x, v, grad, lr, rho):
    ### BEGIN SOLUTION
    v = rho * v + grad
    return x - lr * v, v
    ### END SOLUTION


check.momentum(momentum_step)

# %% [markdown]
# ## 4. An Adam step (lecture 8)
#
# $m \leftarrow \beta_1 m + (1-\beta_1) g$, $v \leftarrow \beta_2 v + (1-\beta_2) g^2$,
# $\hat m = m / (1 - \beta_1^t)$, $\hat v = v / (1 - \beta_2^t)$,
# $x \leftarrow x - \alpha\, \hat m / (\sqrt{\hat v} + \epsilon)$. The first step has $t = 1$.
# Return `(x, m, v)`.

# %%
def adam_step(x, m, v, grad, t, lr, beta1, beta2, eps):
    ### BEGIN SOLUTION
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    ### END SOLUTION


check.adam(adam_step)

# %% [markdown]
# ## 5. One epoch of mini-batch SGD (lecture 5)
#
# Shuffle the examples with `rng.permutation(N)` (a new order every epoch), walk the shuffled
# order in batches of `batch_size` (the last batch may be smaller), and after each batch set
# `w = w - lr * grad_fn(w, X_batch, Y_batch)`. Return the final `w`.

# %%
def sgd_epoch(X, Y, w, grad_fn, lr, batch_size, rng):
    ### BEGIN SOLUTION
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        batch = order[start:start + batch_size]
        w = w - lr * grad_fn(w, X[batch], Y[batch])
    return w
    ### END SOLUTION


check.sgd_epoch(sgd_epoch)
