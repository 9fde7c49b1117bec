# %% [markdown]
# # Exercise (lectures 5 and 8): momentum, RMSProp, Adam and a mini-batch epoch
#
# Four short update rules. Each check runs your function for several steps next to `torch.optim`
# (or, for the epoch, records every gradient call) and names the mistake if it finds one.

# %%
import numpy as np

from nnlab import check

# %% [markdown]
# ## 1. A momentum step
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
# ## 2. An RMSProp step
#
# $s \leftarrow \alpha s + (1-\alpha) g^2$, then $x \leftarrow x - \text{lr}\; g / (\sqrt{s} + \epsilon)$
# (as `torch.optim.RMSprop`: $\epsilon$ outside the square root). Return `(x, s)`.

# %%
def rmsprop_step(x, s, grad, lr, alpha, eps):
    ### BEGIN SOLUTION
    s = alpha * s + (1 - alpha) * grad * grad
    return x - lr * grad / (np.sqrt(s) + eps), s
    ### END SOLUTION


check.rmsprop(rmsprop_step)

# %% [markdown]
# ## 3. An Adam step
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
# ## 4. One epoch of mini-batch SGD
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
