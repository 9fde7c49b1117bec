# %% [markdown]
# # Exercise (lecture 9): ridge, folds without leakage, and weight decay
#
# Three pieces of the regularisation lecture, written by you: ridge regression in closed form,
# standardisation inside the folds of a cross-validation, and the gradient of an L2 penalty as
# weight decay adds it. Each check under a piece runs your function on cases of its own, drawn
# afresh at every call, and names the slip it recognises.
#
# Write them with NumPy (or plain Python). scikit-learn's `Ridge`, `StandardScaler`, `KFold` and
# `cross_val_score`, PyTorch's autograd and the lecture's own `nnlab.generalization` would do the
# work for you, so the checks rule them out.

# %%
import numpy as np

from nnlab import check

# %% [markdown]
# ## 1. Ridge regression in closed form
#
# `X` is an `n` × `p` array: one row per example, and a first column that is the constant 1, so
# that `w[0]` is the bias. Ridge regression chooses the weights that minimise
#
# $$\lVert y - Xw \rVert^2 + \lambda \sum_{j=1}^{p-1} w_j^2 .$$
#
# The bias is not penalised: shrinking it would pull every prediction towards 0 instead of towards
# the mean of `y`. Setting the gradient to zero gives the normal equations
#
# $$(X^\top X + \lambda D)\, w = X^\top y, \qquad D = \mathrm{diag}(0, 1, \dots, 1),$$
#
# where $D$ is the identity with its top-left entry set to 0. Return `w` as a 1-D array of `p`
# weights. Solve the system (`np.linalg.solve`) rather than inverting the matrix: it is faster and
# more accurate. This is scikit-learn's `Ridge(alpha=lam)` on `X[:, 1:]`, with its intercept as
# `w[0]`.

# %%
def ridge(X, y, lam):
    ### BEGIN SOLUTION
    D = np.eye(X.shape[1])
    D[0, 0] = 0.0
    return np.linalg.solve(X.T @ X + lam * D, X.T @ y)
    ### END SOLUTION


check.ridge(ridge)

# %% [markdown]
# ## 2. Standardise inside each fold
#
# k-fold cross-validation cuts the `n` rows of `X` into `k` blocks of consecutive rows, in order
# and without shuffling, as scikit-learn's `KFold(n_splits=k)` does. Each block has `n // k` rows,
# and the first `n % k` blocks have one row more (`np.array_split(np.arange(n), k)` gives the same
# blocks). Fold `i` validates on block `i` and trains on all the other rows, kept in their order.
#
# Standardising a column means $z = (x - \mu) / \sigma$, with $\mu$ its mean and $\sigma$ its
# standard deviation. In each fold, $\mu$ and $\sigma$ come from that fold's **training** rows
# only, and the same $\mu$ and $\sigma$ transform its validation rows. Statistics that include the
# validation rows would leak them into the model that the fold is meant to test. Each column has its
# own $\mu$ and $\sigma$, and $\sigma$ divides by the number of rows (`ddof=0`, the default of
# `np.std` and what `StandardScaler` uses). `X` holds the features only, with no column of ones:
# a constant column has $\sigma = 0$.
#
# Return a list of `k` pairs `(X_train, X_val)`, one per fold, in order: both parts standardised,
# each with the columns of `X`.

# %%
def standardise_folds(X, k):
    ### BEGIN SOLUTION
    rows = np.arange(len(X))
    folds = []
    for val in np.array_split(rows, k):
        train = np.setdiff1d(rows, val)
        mu, sigma = X[train].mean(axis=0), X[train].std(axis=0)
        folds.append(((X[train] - mu) / sigma, (X[val] - mu) / sigma))
    return folds
    ### END SOLUTION


check.standardise_folds(standardise_folds)

# %% [markdown]
# ## 3. The gradient of an L2 penalty
#
# Weight decay trains on the loss $L(w)$ plus an L2 penalty. This exercise writes the penalty with a
# half,
#
# $$L(w) + \frac{\lambda}{2} \sum_{j \ge 1} w_j^2, \qquad \text{whose gradient is} \qquad
# \nabla L(w) + \lambda\, (0, w_1, w_2, \dots),$$
#
# so that each weight's gradient gains $\lambda w_j$: the same term that `torch.optim.SGD`'s
# `weight_decay=lam` adds. (Without the half, $\lambda \lVert w \rVert^2$ has the gradient
# $2 \lambda w$.) As in part 1, the bias is not penalised: its entry gains nothing.
#
# `w` is either a 1-D array of weights whose first entry `w[0]` is the bias, or a layer's 2-D array
# of weights whose first row `w[0]` holds the biases, one per output. `grad_loss` is $\nabla L(w)$,
# with the shape of `w`. Return the gradient of the penalised loss, with the same shape, and leave
# `w` and `grad_loss` unchanged.

# %%
def penalised_gradient(w, grad_loss, lam):
    ### BEGIN SOLUTION
    decay = lam * w
    decay[0] = 0.0
    return grad_loss + decay
    ### END SOLUTION


check.penalised_gradient(penalised_gradient)

# %% [markdown]
# ## 4. Put them together
#
# Noisy samples of a cubic, and the powers $x, x^2, \dots, x^9$ as features. For each $\lambda$, the
# mean squared validation error over 5 folds, each fold standardised by your function and fitted by
# your ridge. Which $\lambda$ would you choose?
#
# Then gradient descent on $\frac{1}{2} \lVert y - Zw \rVert^2 + \frac{\lambda}{2} \lVert w_{1:}
# \rVert^2$ with your penalised gradient. This objective is half of part 1's, so it has the same
# minimiser: the descent should end at your ridge's weights.

# %%
rng = np.random.default_rng(9)
x = rng.uniform(-1, 1, 40)
y = x ** 3 - x + 0.1 * rng.standard_normal(40)
powers = x[:, None] ** np.arange(1, 10)
y_blocks = np.array_split(y, 5)
try:
    for lam in [1e-4, 1e-2, 1.0, 100.0]:
        errors = []
        for i, (Z_train, Z_val) in enumerate(standardise_folds(powers, 5)):
            y_train = np.concatenate(y_blocks[:i] + y_blocks[i + 1:])
            w = ridge(np.c_[np.ones(len(Z_train)), Z_train], y_train, lam)
            predicted = np.c_[np.ones(len(Z_val)), Z_val] @ w
            errors.append(np.mean((predicted - y_blocks[i]) ** 2))
        print(f"lam = {lam:<8g} mean validation error {np.mean(errors):.4f}")

    Z = np.c_[np.ones(len(x)), (powers - powers.mean(axis=0)) / powers.std(axis=0)]
    lam = 1.0
    w = np.zeros(Z.shape[1])
    step = 1 / (np.linalg.norm(Z, 2) ** 2 + lam)
    for _ in range(3000):
        w = w - step * penalised_gradient(w, Z.T @ (Z @ w - y), lam)
    gap = np.abs(w - ridge(Z, y, lam)).max()
    print(f"gradient descent ends {gap:.1e} from your ridge's weights")
except NotImplementedError:
    print("write ridge, standardise_folds and penalised_gradient first")
