# %% [markdown]
# # Lecture 9: generalisation and regularisation
#
# A model is trained on one sample of the world and used on the rest of it. Training error
# says how well it fits the sample; what we care about is the error on points it has never
# seen. This lecture measures the gap between the two, splits the error into its parts
# (bias, variance and noise), and tries the usual ways of closing the gap: a penalty on the
# weights (L2 and L1), dropout, early stopping and more data. It ends with how to choose
# such settings honestly (cross-validation, then one test) and with a curve that surprised
# the field: the test error of ever larger models can fall again after its peak.
#
# Every curve here is computed in the notebook, in seconds.

# %%
import matplotlib.pyplot as plt
import numpy as np

from nnlab import generalization as gen
from nnlab import overfit
from nnlab.views import DoubleDescent, PolynomialFit, RegularizationPath, show

SIGMA = 0.3          # the noise's standard deviation


def f(x):
    """The truth the samples come from: one period of a sine on [-1, 1]."""
    return np.sin(np.pi * x)


def sample(n, seed):
    """n points x uniform on [-1, 1] and y = f(x) + noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    return x, f(x) + SIGMA * rng.standard_normal(n)


x_train, y_train = sample(20, seed=0)
x_test, y_test = sample(2000, seed=1)

# %% [markdown]
# ## 1. Fits of rising degree
#
# A polynomial of degree $d$ has $d + 1$ coefficients. We fit it to 20 noisy samples by
# least squares (`gen.ridge` with $\lambda = 0$), in the Legendre basis, which spans the same
# polynomials as $1, x, x^2, \dots$ but keeps the computation well conditioned. The
# **training error** is the mean squared error on the 20 samples; the **test error** on 2,000
# fresh samples from the same source. The noise alone costs $\sigma^2 = 0.09$ on any sample:
# no model can do better on average.

# %%
# NBVAL_CHECK_OUTPUT
def fit(x, y, degree, lam=0.0):
    """Coefficients of the polynomial of ``degree`` fitted to (x, y), L2 penalty lam."""
    return gen.ridge(gen.features(x, degree, "legendre"), y, lam)


def mse(w, x, y):
    degree = len(w) - 1
    return float(np.mean((gen.features(x, degree, "legendre") @ w - y) ** 2))


def short(value):
    """Three decimals, or a whole number for a large error."""
    return f"{value:.3f}" if value < 10 else f"{value:.0f}"


print("degree   train MSE   test MSE")
errors = {}
for degree in range(16):
    w = fit(x_train, y_train, degree)
    errors[degree] = (mse(w, x_train, y_train), mse(w, x_test, y_test))
    print(f"{degree:6d} {errors[degree][0]:11.3f} {short(errors[degree][1]):>10}")
best = min(errors, key=lambda d: errors[d][1])
ties = [d for d in errors if errors[d][1] < errors[best][1] + 0.001]
print(f"lowest test error {errors[best][1]:.3f}, at degrees {ties} (to 0.001)")

# %%
grid = np.linspace(-1, 1, 400)
fig, axes = plt.subplots(1, 4, figsize=(10, 2.8), sharey=True, layout="constrained")
for ax, degree in zip(axes, (1, 3, 9, 15)):
    w = fit(x_train, y_train, degree)
    ax.plot(grid, f(grid), color="k", lw=1, ls=":", label="truth f")
    ax.plot(grid, gen.features(grid, degree, "legendre") @ w, color="#D55E00",
            label="fit")
    ax.plot(x_train, y_train, "o", ms=3.5, color="#0072B2", label="20 samples")
    ax.set(title=f"degree {degree}", xlabel="x", ylim=(-2, 2))
    ax.grid(alpha=0.3)
axes[0].set_ylabel("y")
axes[0].legend(fontsize=8, loc="lower right")
show(fig, "Four polynomial fits to the same 20 noisy samples of a sine: degree 1 is a "
          "straight line that misses the curve, degree 3 follows it, degrees 9 and 15 "
          "bend to pass near every sample and swing away from the truth between them.")

# %% [markdown]
# Degree 1 **underfits**: both errors are high, the model cannot bend. Degree 3 is close to
# the noise floor on both. From degree 9 on the model **overfits**: the training error keeps
# falling (at degree 19 it would pass through all 20 points) while the test error climbs,
# because the fit follows the noise of this particular sample.
#
# ## 2. Bias, variance and noise
#
# Draw many training sets from the same source and fit each. At a test point $x$, the
# expected squared error of the fit $\hat f$ splits into three parts:
#
# $$\mathbb{E}\big[(\hat f(x) - y)^2\big] =
# \underbrace{\big(\mathbb{E}\hat f(x) - f(x)\big)^2}_{\text{bias}^2}
# + \underbrace{\mathbb{E}\big[(\hat f(x) - \mathbb{E}\hat f(x))^2\big]}_{\text{variance}}
# + \underbrace{\sigma^2}_{\text{noise}}.$$
#
# **Bias** is what the model's simplifying assumptions cost (a line cannot be a sine);
# **variance** is its sensitivity to the training sample. `gen.bias_variance` fits 400
# training sets of 20 points at once and measures the test error directly, beside the sum.
# Here the 20 positions $x$ stay on an even grid and only the noise is drawn anew
# (`design="grid"`): with random positions, a sample that leaves a gap lets a high-degree
# fit swing without limit there, and the variance of degree 9 runs into the thousands.

# %%
# NBVAL_CHECK_OUTPUT
print("degree    bias²   variance   noise     sum   measured")
for degree in (1, 3, 5, 9, 15):
    bv = gen.bias_variance(f, SIGMA, n=20, degree=degree, resamples=400, design="grid",
                           seed=0)
    total = bv.bias2 + bv.variance + bv.noise
    print(f"{degree:6d} {bv.bias2:8.3f} {bv.variance:10.3f} {bv.noise:7.3f}"
          f" {total:7.3f}"
          f"   {bv.error:.3f} ± {bv.error_se:.3f}")

# %% [markdown]
# Bias² falls quickly with the degree, variance rises; their sum with the noise is the measured
# error within its sampling error. The best degree balances the two. Move the controls
# below: the number of points shrinks the variance, the noise raises the floor, and λ (next
# section) trades variance for bias. Click on the fit to add a point of your own.

# %%
PolynomialFit(degree=9, n=20, noise=0.3, seed=0)   # the same 20 samples as above

# %% [markdown]
# ## 3. Penalties: L2 and L1
#
# Instead of choosing a smaller model, keep the large one and make large weights cost
# something. **L2** (ridge, Tikhonov) minimises $\lVert y - Xw\rVert^2 + \lambda \sum_k w_k^2$:
# all weights shrink, and the fit gets smoother. **L1** (lasso) uses $\lambda\sum_k |w_k|$:
# weights are pushed to exactly zero, so the model also chooses its features. The constant
# term is never penalised. Here degree 12, on the same 20 samples.

# %%
# NBVAL_CHECK_OUTPUT
X12 = gen.features(x_train, 12, "legendre")
print("  lambda   |w| (L2)   test MSE (L2)   zero weights (L1)   test MSE (L1)")
for lam in (1e-4, 1e-3, 1e-2, 1e-1):
    w2 = gen.ridge(X12, y_train, lam * len(y_train))
    w1 = gen.lasso(X12, y_train, lam)
    print(f"{lam:8.0e} {np.linalg.norm(w2[1:]):10.2f} {mse(w2, x_test, y_test):15.3f}"
          f" {int(np.sum(w1[1:] == 0)):12d} of 12 {mse(w1, x_test, y_test):15.3f}")
print(f"no penalty: |w| = {np.linalg.norm(fit(x_train, y_train, 12)[1:]):.1f}, "
      f"test MSE {errors[12][1]:.3g}")

# %% [markdown]
# (scikit-learn's scaling: the lasso's data term is divided by $2n$, so the same λ is
# multiplied by $n$ for ridge above to put the two on one scale.) As λ grows, the L2 weights
# shrink smoothly, while L1 sets one weight after another to exactly zero. Too much of either
# underfits again. The explorer draws the whole path of every coefficient against λ.

# %%
RegularizationPath(degree=12, n=20, noise=0.3, lam=1e-2)   # the same samples, degree 12

# %% [markdown]
# ## 4. A network that fits its training set and not the world
#
# The same story with a neural network. Sixty noisy points of two interleaved half-moons; a
# network with two ReLU layers of 64 units (4,481 weights for 60 points), Adam, 400 epochs.
# Each remedy changes one thing: an L2 penalty on the weights, dropout (lecture 5), early
# stopping on 200 validation points, and five times as much data (for the same number of
# updates). The test set (1,000 points) is looked at once per run.

# %%
prob = overfit.problem()
runs = {
    "no remedy": overfit.train(prob),
    "L2 penalty 1e-3": overfit.train(prob, l2=1e-3),
    "dropout 0.3": overfit.train(prob, dropout=0.3),
    "early stopping (patience 20)": overfit.train(prob, patience=20),
    "300 training points": overfit.train(overfit.problem(n=300), epochs=80),
}
for name, run in runs.items():
    print(f"{name:<30} training {run.train_accuracy:6.1%}"
          f"   test {run.test_accuracy:6.1%}"
          f"   ({run.epochs} epochs)")

# %% [markdown]
# Without a remedy every training point ends on its side (100 %) while about one test point
# in five does not: the network has learned the noise of its 60 points. Each remedy gives up
# a little training accuracy and wins test accuracy; more data wins the most. (The last
# digits depend on the machine: training is chaotic. tests/test_overfit.py checks these facts
# for other initial weights too.)
#
# A bigger network can also *train faster*: with more units, more directions lead downhill.
# Training loss after 50 epochs:

# %%
for width in (16, 64):
    run = overfit.train(prob, width=width, epochs=50)
    loss = run.history["train_loss"][-1]
    print(f"{width:3d} units per layer: training loss {loss:.2f}")

# %% [markdown]
# ## 5. Choosing settings honestly: cross-validation, then one test
#
# Degree and λ are **hyperparameters**: chosen by us, not by the fit. Choosing them on the
# test set would make the test error an optimistic guess. Instead, *k*-fold
# cross-validation splits the training set into *k* parts; each part is held out once while
# the model is fitted on the others, and the *k* validation errors are averaged. Anything
# fitted to data (here the standardisation of the features) is fitted inside each fold, on
# its training part only. The grid search tries every pair (degree, λ); the winner is fitted
# on the whole training set and tested **once**.

# %%
# NBVAL_CHECK_OUTPUT
x40, y40 = sample(40, seed=2)
folds = gen.kfold(len(x40), 5, seed=0)
search = gen.poly_ridge_search(x40, y40, degrees=range(1, 13),
                               lams=(0.0, 1e-3, 1e-1, 1.0), folds=folds)
best = search.best_params
print(f"{len(search.params)} candidates, 5 folds: best degree {best['degree']}, "
      f"lambda {best['lam']:g} "
      f"(validation MSE {-search.mean_score[search.best_index]:.3f})")
model = gen.fit_poly_ridge(x40, y40, best["degree"], best["lam"])
print(f"test MSE of the chosen model, measured once: "
      f"{np.mean((gen.predict(model, x_test) - y_test) ** 2):.3f}")

# %% [markdown]
# ## 6. Double descent
#
# The classical picture says: past the sweet spot, more parameters means more variance. Fit
# $y$ with $p$ random features (cosines of random frequencies) to $n = 40$ points by least
# squares, taking the smallest-norm solution once there are more features than points. The
# test error rises towards $p = n$, where the model can just interpolate the data and must
# bend wildly to do it, and then **falls again**: among all the interpolating fits, the one
# of smallest norm gets smoother as $p$ grows. A small ridge penalty removes the peak.

# %%
# NBVAL_CHECK_OUTPUT
ps = np.unique(np.geomspace(1, 400, 60).astype(int))
plain = gen.double_descent(40, ps, noise=0.2, seed=0)
ridged = gen.double_descent(40, ps, noise=0.2, lam=1e-1, seed=0)
peak = ps[np.argmax(plain.test_error)]
print(f"{len(ps)} values of p; the test error peaks at p = {peak} (n = 40)")
ratio = plain.test_error.max() / ridged.test_error.max()
print("ridge lowers the highest test error more than "
      f"{10 ** int(np.log10(ratio)):,}-fold")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.4), layout="constrained")
ax.loglog(ps, plain.test_error, color="#D55E00",
          label="test, least squares (min. norm)")
ax.loglog(ps, plain.train_error + 1e-6, color="#0072B2", ls="--",
          label="training, least squares (+1e-6)")
ax.loglog(ps, ridged.test_error, color="#009E73", label="test, ridge λ = 0.1")
ax.axvline(40, color="0.3", lw=1, ls=":")
ax.text(42, ax.get_ylim()[1] / 3, "p = n = 40", fontsize=9)
ax.set(xlabel="number of random features p", ylabel="mean squared error (log)",
       title="double descent: error against model size")
ax.grid(alpha=0.3)
ax.legend(fontsize=8, loc="lower left")
show(fig, "Test and training error against the number of random features on log axes: "
          "the training error falls to zero at p = 40, where the least-squares "
          "test error peaks; beyond it the test error falls again. The ridge curve has "
          "no peak.")

# %% [markdown]
# The explorer starts at the peak, $p = n = 20$. Move $p$ past it, then switch on the ridge
# penalty; more points move the peak with them.

# %%
DoubleDescent(p=20)

# %% [markdown]
# ## What to take away
#
# - Training error measures the fit; test error, on data never used for any choice, measures
#   what we want. Underfitting: both high. Overfitting: training low, test high.
# - Expected test error = bias² + variance + noise. Flexibility trades one for the other;
#   the noise is a floor.
# - L2 shrinks weights and smooths; L1 zeroes them; dropout, early stopping and more data
#   also narrow the gap. More data helps most when you can get it.
# - Choose hyperparameters by cross-validation with every fitted step inside the folds; test
#   once at the end.
# - Large models do not always overfit more: past the interpolation threshold the test error
#   can fall again (double descent).
