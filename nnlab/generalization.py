"""Generalisation and regularisation (the model behind the lecture): polynomial features, ridge and lasso,
their paths, the bias-variance decomposition, double descent with random features, k-fold grid search.

NumPy only, float64; every random draw comes from ``np.random.default_rng(seed)`` (or a stream spawned from
``seed``), so a call repeats exactly. The two penalties are scaled as scikit-learn scales them:

    ridge:  |y - X w|^2 + lam |w|^2                       (Ridge(alpha=lam))
    lasso:  |y - X w|^2 / (2 n) + lam |w|_1               (Lasso(alpha=lam))

With ``penalise_bias=False`` (the default) column 0 of X must be a constant c (``features`` puts 1 there) and
w[0] is not penalised: scikit-learn's ``fit_intercept=True`` on X[:, 1:], with coef_ = w[1:], intercept_ = c w[0].
The fit centres X[:, 1:] and y, solves without the constant, then w[0] = (mean(y) - mean(X[:, 1:]) w[1:]) / c.
With ``penalise_bias=True`` every weight is penalised (``fit_intercept=False`` on all of X).
"""
from __future__ import annotations

import math
import warnings
from itertools import product
from typing import NamedTuple

import numpy as np
from numpy.polynomial import legendre

from . import _validate as valid

BASES = ("raw", "scaled", "legendre")
PENALTIES = ("l2", "l1")
DESIGNS = ("random", "grid")


def _domain(domain):
    try:
        lo, hi = (valid.real("domain", v) for v in domain)
    except (TypeError, ValueError):
        lo = hi = None
    if lo is None or lo >= hi:
        raise ValueError(f"domain: expected a pair (lo, hi) of finite numbers with lo < hi, got {domain!r}")
    return lo, hi


def _sizes(name, values, low=1):
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu" or arr.min() < low:
        raise ValueError(f"{name}: expected a non-empty 1-D list of integers >= {low}, got {values!r}")
    return arr.astype(int)


# ------------------------------------------------------------------------------ polynomial features


def features(x, degree, basis="scaled", domain=(-1.0, 1.0)):
    """The matrix (len(x), degree + 1) of polynomial features; column 0 is the constant 1.
        raw:       x^k
        scaled:    t^k,    t = (2 x - lo - hi) / (hi - lo) maps ``domain`` (lo, hi) onto [-1, 1]
        legendre:  P_k(t), the Legendre polynomials (numpy.polynomial.legendre.legvander)
    All three span the same functions; on [-1, 1] the Legendre columns are nearly orthogonal, while raw
    powers of a wide domain differ by orders of magnitude (the lecture's conditioning point)."""
    x, degree = valid.as_array("x", x, ndim=1), valid.integer("degree", degree, low=0)
    basis, (lo, hi) = valid.choice("basis", basis, BASES), _domain(domain)
    if basis == "raw":
        return x[:, None] ** np.arange(degree + 1)
    t = (2.0 * x - lo - hi) / (hi - lo)
    return legendre.legvander(t, degree) if basis == "legendre" else t[:, None] ** np.arange(degree + 1)


# ------------------------------------------------------------------------------ ridge and lasso


def _shrink(X, Y, lam, svd=None):
    """argmin |Y - X W|^2 + lam |W|^2 through the SVD X = U diag(s) V^T (``svd``, when it is known already):
    W = V diag(s / (s^2 + lam)) U^T Y. lam = 0 inverts only s > eps max(n, p) s_max (numpy's lstsq cut-off):
    the minimum-norm least squares. Batched: X (..., n, p), Y (..., n, k) -> W (..., p, k)."""
    if X.shape[-1] == 0:
        return np.zeros(X.shape[:-2] + (0, Y.shape[-1]))
    U, s, Vt = np.linalg.svd(X, full_matrices=False) if svd is None else svd
    if lam > 0:
        d = s / (s * s + lam)
    else:
        keep = s > np.finfo(float).eps * max(X.shape[-2:]) * s[..., :1]
        d = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    return np.swapaxes(Vt, -1, -2) @ (d[..., :, None] * (np.swapaxes(U, -1, -2) @ Y))


def _centred(X, Y):
    """X[..., 1:] and Y less their means over the rows, and the means (the constant column's fit)."""
    mx, my = X[..., 1:].mean(axis=-2, keepdims=True), Y.mean(axis=-2, keepdims=True)
    return X[..., 1:] - mx, Y - my, mx, my


def _ridge(X, Y, lam, penalise_bias):
    if penalise_bias:
        return _shrink(X, Y, lam)
    Xc, Yc, mx, my = _centred(X, Y)
    W = _shrink(Xc, Yc, lam)
    return np.concatenate([(my - mx @ W) / X[..., :1, :1], W], axis=-2)


def _xy(X, y, penalise_bias):
    X, y = valid.as_array("X", X, ndim=2), valid.as_array("y", y, ndim=1)
    valid.same_rows("X", X, "y", y)
    if 0 in X.shape:
        raise ValueError(f"X: expected at least one row and one column, got shape {X.shape}")
    if not penalise_bias and (X[0, 0] == 0 or np.any(X[:, 0] != X[0, 0])):
        raise ValueError(f"X: expected column 0 to be a non-zero constant (the bias's feature, unpenalised "
                         f"when penalise_bias is False), got values from {X[:, 0].min()} to {X[:, 0].max()}")
    return X, y


def ridge(X, y, lam, penalise_bias=False):
    """The weights w minimising |y - X w|^2 + lam |w|^2 (w[0] left out of the penalty unless
    ``penalise_bias``; see the module's note), from the SVD of the centred X (no normal equations).
    lam = 0 is least squares; where its solution is not unique (p > n) this is the one of least norm."""
    X, y = _xy(X, y, penalise_bias)
    lam = valid.real("lam", lam, low=0.0)
    return _ridge(X, y[:, None], lam, penalise_bias)[:, 0]


def _gap(X, y, w, lam):
    """The duality gap of (1/2n)|y - X w|^2 + lam |w|_1 at w, with the dual point s r (r = y - X w,
    s = min(1, n lam / |X^T r|_inf)): P(w) - D(s r), D(v) = (|y|^2 - |y - v|^2) / (2n)."""
    n, r = len(y), y - X @ w
    top = np.max(np.abs(X.T @ r)) if X.shape[1] else 0.0
    s = min(1.0, n * lam / top) if top > 0 else 1.0
    rr = r @ r
    return (rr / 2 + n * lam * np.abs(w).sum() - s * (r @ y) + s * s * rr / 2) / n


def _descend(X, y, lam, w, tol, max_iter):
    """Cyclic coordinate descent on (1/2n)|y - X w|^2 + lam |w|_1: for j = 0, 1, ..., p - 1
        rho = x_j^T (y - X w + x_j w_j) / n,   w_j = sign(rho) max(|rho| - lam, 0) / (x_j^T x_j / n),
    through G = X^T X / n and b = X^T y / n. Stops after the first sweep whose duality gap is at most tol
    times the objective at w = 0."""
    n, p = X.shape
    G, b = X.T @ X / n, X.T @ y / n
    rows, bs, zs = G.tolist(), b.tolist(), np.diag(G).tolist()   # Python floats: the loop is scalar work
    target = tol * (y @ y) / (2 * n)
    for sweep in range(1, max_iter + 1):
        q, ws = (G @ w).tolist(), w.tolist()
        for j in range(p):
            rho = bs[j] - q[j] + zs[j] * ws[j]
            new = math.copysign(max(abs(rho) - lam, 0.0), rho) / zs[j] if zs[j] > 0 else 0.0
            if new != ws[j]:
                step, ws[j] = new - ws[j], new
                q = [qi + gi * step for qi, gi in zip(q, rows[j])]   # G is symmetric: row j is column j
        w[:] = ws
        gap = _gap(X, y, w, lam)
        if gap <= target:
            return w
    warnings.warn(f"lasso: no convergence in max_iter={max_iter} sweeps (duality gap {gap:.3g}, wanted "
                  f"{target:.3g}); raise max_iter or tol", RuntimeWarning, stacklevel=3)
    return w


def lasso(X, y, lam, penalise_bias=False, tol=1e-10, max_iter=100_000, start=None):
    """The weights w minimising |y - X w|^2 / (2n) + lam |w|_1 (w[0] left out of the penalty unless
    ``penalise_bias``), by cyclic coordinate descent with soft-thresholding from ``start`` (zeros by default).
    Small enough weights are exactly zero. lam = 0 is least squares: ``ridge(X, y, 0)``'s answer."""
    X, y = _xy(X, y, penalise_bias)
    lam = valid.real("lam", lam, low=0.0)
    tol, max_iter = valid.real("tol", tol, low=0.0, low_open=True), valid.integer("max_iter", max_iter, low=1)
    w = np.zeros(X.shape[1]) if start is None else valid.as_array("start", start, shape=(X.shape[1],)).copy()
    if lam == 0:
        return _ridge(X, y[:, None], 0.0, penalise_bias)[:, 0]
    if penalise_bias:
        return _descend(X, y, lam, w, tol, max_iter)
    Xc, yc, mx, my = _centred(X, y[:, None])
    w[1:] = _descend(Xc, yc[:, 0], lam, w[1:], tol, max_iter)
    w[0] = (my[0, 0] - mx[0] @ w[1:]) / X[0, 0]
    return w


class CoefPath(NamedTuple):
    """The weights along a regularisation path: coef[i] minimises the objective at lams[i]."""

    lams: np.ndarray
    coef: np.ndarray   # (len(lams), p)


def _knots(X, y, low=0.0):
    """The exact lasso path of (1/2n)|y - X w|^2 + lam |w|_1 (homotopy, LARS with the lasso's drops): the
    weights are linear in lam between knots. From lam_0 = |X^T y|_inf / n, where w = 0, the active weights
    move along d = (X_A^T X_A)^-1 s_A (s the signs of the correlations c = X^T (y - X w)), so every active
    |c_j| falls at the same rate, until an inactive |c_j| catches up (it joins), an active weight reaches 0
    (it leaves) or lam reaches ``low``. A column that would join where X_A already spans it (possible only at
    a tie, |c_j| = lam all along) stays out. Returns the knots' lams (falling) and weights."""
    n, p = X.shape
    G, b = X.T @ X, X.T @ y
    w, c = np.zeros(p), b.copy()
    top = float(np.max(np.abs(c))) if p else 0.0
    lams, coefs = [top / n], [w.copy()]
    if top <= n * low:
        return np.array(lams), np.array(coefs)
    tiny, end = 1e-12 * top, n * low
    active, out, tied = [int(np.argmax(np.abs(c)))], np.ones(p, bool), []
    out[active[0]] = False
    for _ in range(10 * p + 10):
        A = np.array(active)
        GA = G[np.ix_(A, A)]
        if np.linalg.eigvalsh(GA)[0] <= 1e-12 * np.trace(GA):   # a tie: X_A spans the column that joined
            tied.append(active.pop())
            out[tied[-1]] = True
            continue
        d = np.linalg.solve(GA, np.sign(c[A]))
        a = G[:, A] @ d   # c(g) = c - g a, and for the active ones |c| = top - g
        with np.errstate(divide="ignore", invalid="ignore"):
            catch = np.fmin(*(np.where(v > tiny, v, np.inf) for v in ((top - c) / (1 - a), (top + c) / (1 + a))))
            zero = -w[A] / d
        catch[~out] = np.inf
        catch[tied] = np.inf
        zero[~(zero > tiny)] = np.inf
        join, drop = int(np.argmin(catch)), int(np.argmin(zero))
        g = min(catch[join], zero[drop], top - end)
        w[A] += g * d
        top = end if g == top - end else top - g
        c = b - G @ w
        lams.append(low if top == end else top / n), coefs.append(w.copy())
        if top <= max(tiny, end):
            break
        if g == zero[drop]:
            w[A[drop]], out[A[drop]], tied = 0.0, True, []
            active.remove(int(A[drop]))
        else:
            active.append(join)
            out[join] = False
    return np.array(lams), np.array(coefs)


def _lasso_path(X, y, lams, penalise_bias):
    """The lasso's weights at each lam from the exact path (``_knots``), interpolated between its knots; lams
    below the last knot (a path that stopped early) by coordinate descent, warm-started from the last."""
    Xs, ys, mx, my = (X, y, None, None) if penalise_bias else _centred(X, y[:, None])
    ys = ys if penalise_bias else ys[:, 0]
    knots, coefs = _knots(Xs, ys, low=lams.min())
    order = np.argsort(knots, kind="stable")
    W = np.zeros((len(lams), Xs.shape[1]))
    for j in range(Xs.shape[1]):
        W[:, j] = np.interp(lams, knots[order], coefs[order, j], right=0.0)
    for i in np.flatnonzero(lams < knots[-1]):
        W[i] = _descend(Xs, ys, lams[i], coefs[-1].copy(), 1e-12, 100_000)
    if penalise_bias:
        return W
    return np.concatenate([(my[0, 0] - W @ mx[0])[:, None] / X[0, 0], W], axis=1)


def path(X, y, lams, penalty="l2", penalise_bias=False):
    """``ridge`` (penalty "l2") or the lasso ("l1") for each lam in ``lams``, kept in their order. The lasso
    comes from its exact path (a homotopy: the weights are piecewise linear in lam, see ``_knots``), equal to
    ``lasso``'s coordinate descent to its tolerance, and fast at any lam."""
    X, y = _xy(X, y, penalise_bias)
    lams = valid.as_array("lams", lams, ndim=1)
    if lams.size == 0 or lams.min() < 0:
        raise ValueError(f"lams: expected a non-empty list of numbers >= 0, got {lams!r}")
    penalty = valid.choice("penalty", penalty, PENALTIES)
    if penalty == "l2":
        return CoefPath(lams, np.stack([_ridge(X, y[:, None], lam, penalise_bias)[:, 0] for lam in lams]))
    return CoefPath(lams, _lasso_path(X, y, lams, penalise_bias))


# ------------------------------------------------------------------------------ bias and variance


class BiasVariance(NamedTuple):
    """The decomposition E[(fit(x) - y)^2] = bias^2 + variance + noise, averaged over the test points x,
    from R fits to R training sets (y = f(x) + noise). The averages over the fits divide by R, so
    bias2 + variance is exactly the fits' mean squared distance from f; bias2 exceeds the true bias^2 by
    variance / R on average. ``error`` is measured directly, against targets with fresh noise."""

    bias2: float         # mean over x of (mean fit - f)^2
    variance: float      # mean over x of the fits' variance
    noise: float         # sigma^2
    error: float         # mean over fits and x of (fit - f - fresh noise)^2
    error_se: float      # its standard error: std of the R per-fit test errors / sqrt(R)
    x_test: np.ndarray
    fits: np.ndarray     # (R, len(x_test)): each fit's predictions


def _values(f, x):
    try:
        fx = np.asarray(f(x), dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"f: expected a function returning one number per point, failed with {exc}") from exc
    if fx.shape not in ((), x.shape):
        raise ValueError(f"f: expected a function returning one number per point, shape {x.shape}, got shape "
                         f"{fx.shape}")
    return valid.as_array("f(x)", np.broadcast_to(fx, x.shape))


def bias_variance(f, noise, n, degree, lam=0.0, resamples=200, x_test=None, design="random",
                  basis="scaled", domain=(-1.0, 1.0), seed=0):
    """Fit a polynomial of ``degree`` (``features``, then ``ridge`` with the constant unpenalised) to each
    of ``resamples`` training sets of n points y = f(x) + noise N(0, 1), and decompose its test error on
    ``x_test`` (default: 101 evenly spaced points of ``domain``). ``design`` "random" draws each set's x
    uniformly on ``domain``; "grid" keeps n evenly spaced x (a fixed design: only the noise is redrawn).
    ``f`` takes an array of points. All fits are one batched SVD."""
    noise, lam = valid.real("noise", noise, low=0.0), valid.real("lam", lam, low=0.0)
    n, degree = valid.integer("n", n, low=1), valid.integer("degree", degree, low=0)
    R, design = valid.integer("resamples", resamples, low=2), valid.choice("design", design, DESIGNS)
    basis, (lo, hi) = valid.choice("basis", basis, BASES), _domain(domain)
    x_test = np.linspace(lo, hi, 101) if x_test is None else valid.as_array("x_test", x_test, ndim=1)
    rng = np.random.default_rng(seed)
    xs = rng.uniform(lo, hi, (R, n)) if design == "random" else np.broadcast_to(np.linspace(lo, hi, n), (R, n))
    Y = _values(f, xs) + noise * rng.standard_normal((R, n))
    if design == "grid":
        W = _ridge(features(xs[0], degree, basis, domain), Y.T, lam, False).T          # (R, p)
    else:
        X = features(xs.ravel(), degree, basis, domain).reshape(R, n, degree + 1)
        W = _ridge(X, Y[:, :, None], lam, False)[:, :, 0]
    fits = W @ features(x_test, degree, basis, domain).T
    truth = _values(f, x_test)
    per_fit = np.mean((fits - truth - noise * rng.standard_normal(fits.shape)) ** 2, axis=1)
    bias2 = float(np.mean((fits.mean(axis=0) - truth) ** 2))
    return BiasVariance(bias2, float(np.mean(fits.var(axis=0))), noise * noise, float(per_fit.mean()),
                        float(per_fit.std(ddof=1) / np.sqrt(R)), x_test, fits)


# ------------------------------------------------------------------------------ double descent


def random_features(x, p, seed=0, scale=1.0):
    """Random Fourier features of 1-D inputs: column j is cos(w_j x + b_j), w_j ~ N(0, scale^2),
    b_j ~ U[0, 2 pi). The w and the b come from two streams spawned from ``seed``, so column j does not
    depend on p: ``random_features(x, p)`` is ``random_features(x, P)[:, :p]`` for p <= P."""
    x, p = valid.as_array("x", x, ndim=1), valid.integer("p", p, low=0)
    seed, scale = valid.integer("seed", seed, low=0), valid.real("scale", scale, low=0.0)
    ws, bs = np.random.SeedSequence(seed).spawn(2)
    w = scale * np.random.default_rng(ws).standard_normal(p)
    b = np.random.default_rng(bs).uniform(0.0, 2 * np.pi, p)
    return np.cos(x[:, None] * w + b)


class DoubleDescent(NamedTuple):
    """Errors of the random-features fit for each number of features p."""

    ps: np.ndarray
    train_error: np.ndarray   # mean squared error on the n training points
    test_error: np.ndarray    # expected squared error on fresh noisy targets: mean over x_test of (fit - f)^2 + noise^2
    norm: np.ndarray          # |w|: with lam = 0 it peaks at p = n too
    scale: float              # the frequencies' standard deviation used


def _wave(x):
    return np.sin(2 * np.pi * x)


class RandomFeatures:
    """The part of ``double_descent`` that its noise and lam do not change: the n training x and the test x, the
    features at both, and the SVD of the first p columns for each p. Compared by identity (``memo`` keeps it)."""

    def __init__(self, n, ps, seed=0, n_test=400, scale=None, domain=(-1.0, 1.0)):
        self.n, self.n_test, self.ps = valid.integer("n", n, low=1), valid.integer("n_test", n_test, low=1), \
            _sizes("ps", ps)
        self.seed, (lo, hi) = valid.integer("seed", seed, low=0), _domain(domain)
        self.scale = 0.7 * np.pi * max(n - 1, 1) / (hi - lo) if scale is None else valid.real("scale", scale, low=0.0)
        self.x, self.x_test = np.linspace(lo, hi, n), lo + (hi - lo) * (np.arange(n_test) + 0.5) / n_test
        self.F, self.F_test = (random_features(v, int(self.ps.max()), seed, self.scale) for v in (self.x, self.x_test))
        self.svds = [np.linalg.svd(self.F[:, :p], full_matrices=False) for p in self.ps]


def double_descent(n, ps, noise=0.2, lam=0.0, seed=0, f=_wave, n_test=400, scale=None, domain=(-1.0, 1.0),
                   features=None):
    """Train and test error of y ~ random_features(x, p, seed, scale) w against p. The n training x are
    evenly spaced on ``domain`` (spacing h) with y = f(x) + noise N(0, 1), noise drawn from
    ``default_rng(seed)``; the test x are the midpoints of ``n_test`` equal cells of ``domain``. lam = 0 fits
    the minimum-norm least squares (it interpolates once p >= n), lam > 0 ridge |y - F w|^2 + lam |w|^2;
    no weight is special. ``scale`` defaults to 0.7 pi / h, 70 % of the grid's Nyquist frequency: smoother
    features are nearly dependent on the grid and blur the peak at p = n. Default f: sin(2 pi x).
    ``features``: ``RandomFeatures(n, ps, seed, n_test, scale, domain)`` made before (then those arguments
    are its own): a new noise or lam then costs no new SVD."""
    rf = RandomFeatures(n, ps, seed, n_test, scale, domain) if features is None else features
    noise, lam = valid.real("noise", noise, low=0.0), valid.real("lam", lam, low=0.0)
    y = _values(f, rf.x) + noise * np.random.default_rng(rf.seed).standard_normal(rf.n)
    truth = _values(f, rf.x_test)
    train, test, norm = (np.empty(len(rf.ps)) for _ in range(3))
    for i, (p, svd) in enumerate(zip(rf.ps, rf.svds)):
        w = _shrink(rf.F[:, :p], y[:, None], lam, svd)[:, 0]
        train[i] = np.mean((rf.F[:, :p] @ w - y) ** 2)
        test[i] = np.mean((rf.F_test[:, :p] @ w - truth) ** 2) + noise * noise
        norm[i] = np.linalg.norm(w)
    return DoubleDescent(rf.ps, train, test, norm, float(rf.scale))


# ------------------------------------------------------------------------------ cross-validation


def kfold(n, k, seed=None):
    """k folds of range(n) as (train_idx, val_idx) pairs. The validation parts are consecutive pieces of the
    order (0, ..., n - 1), or of ``default_rng(seed).permutation(n)`` when a seed is given; the first n % k
    pieces hold one more index. ``seed=None`` gives scikit-learn's ``KFold(k).split`` exactly."""
    n = valid.integer("n", n, low=2)
    k = valid.integer("k", k, low=2, high=n)
    order = np.arange(n) if seed is None else np.random.default_rng(seed).permutation(n)
    edges = np.r_[0, np.cumsum(np.full(k, n // k) + (np.arange(k) < n % k))]
    return [(np.setdiff1d(np.arange(n), order[a:b]), order[a:b]) for a, b in zip(edges[:-1], edges[1:])]


class Search(NamedTuple):
    """A grid search's results, in the order of the candidates."""

    params: list              # the candidates, dicts in scikit-learn's ParameterGrid order
    scores: np.ndarray        # (candidates, folds): each fold's validation score
    mean_score: np.ndarray    # the mean over the folds (scikit-learn's mean_test_score)
    best_index: int           # the first candidate of the highest mean score
    best_params: dict


def grid_search(X, y, grid, folds, fit, score):
    """Cross-validated search over every combination of ``grid`` (a dict name -> list of values; the
    combinations run with the names sorted, the last name fastest, as scikit-learn's ParameterGrid).
    ``fit(X_train, y_train, **params)`` returns a prediction function; ``score(y_true, y_pred)`` is higher
    for better. Each fold's model sees only its training rows."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"y: expected one target per row of X ({len(X)}), got {len(y)}")
    if not isinstance(grid, dict) or not grid or any(len(v) == 0 for v in grid.values()):
        raise ValueError(f"grid: expected a dict of names to non-empty lists of values, got {grid!r}")
    if not folds or any(len(pair) != 2 for pair in folds):
        raise ValueError("folds: expected a non-empty list of (train_idx, val_idx) pairs (kfold makes them)")
    names = sorted(grid)
    params = [dict(zip(names, values)) for values in product(*(grid[name] for name in names))]
    scores = np.empty((len(params), len(folds)))
    for i, candidate in enumerate(params):
        for j, (train, val) in enumerate(folds):
            predict = fit(X[train], y[train], **candidate)
            scores[i, j] = score(y[val], predict(X[val]))
    mean, best = scores.mean(axis=1), int(np.argmax(scores.mean(axis=1)))
    return Search(params, scores, mean, best, params[best])


class PolyRidge(NamedTuple):
    """A fitted polynomial ridge model: the features but the constant, standardised with ``mean`` and
    ``std`` (of the training x), then the weights w (w[0] the unpenalised constant)."""

    degree: int
    lam: float
    basis: str
    domain: tuple
    mean: np.ndarray
    std: np.ndarray
    w: np.ndarray


def fit_poly_ridge(x, y, degree, lam, basis="raw", domain=(-1.0, 1.0)):
    """``ridge`` on [1, (phi(x) - mean) / std], phi the ``features`` but the constant, mean and std
    (divisor n) those of these x; a feature of std below 10 eps keeps std 1. With basis "raw" this is
    scikit-learn's Pipeline(PolynomialFeatures(degree, include_bias=False), StandardScaler(), Ridge(lam))."""
    Phi = features(x, degree, basis, domain)[:, 1:]
    mean, std = Phi.mean(axis=0), Phi.std(axis=0)
    std = np.where(std < 10 * np.finfo(float).eps, 1.0, std)
    Z = np.c_[np.ones(len(Phi)), (Phi - mean) / std]
    return PolyRidge(degree, valid.real("lam", lam, low=0.0), basis, tuple(domain), mean, std, ridge(Z, y, lam))


def predict(model, x):
    """A ``PolyRidge`` model's predictions at the points x."""
    Phi = features(x, model.degree, model.basis, model.domain)[:, 1:]
    return model.w[0] + ((Phi - model.mean) / model.std) @ model.w[1:]


def neg_mse(y_true, y_pred):
    """Minus the mean squared error (scikit-learn's "neg_mean_squared_error": higher is better)."""
    return -float(np.mean((np.asarray(y_true, float) - np.asarray(y_pred, float)) ** 2))


def poly_ridge_search(x, y, degrees, lams, folds, basis="raw", domain=(-1.0, 1.0)):
    """``grid_search`` of ``fit_poly_ridge`` over ``degrees`` and ``lams`` scored by ``neg_mse``: the
    standardisation is fitted inside each fold, on its training part only. Candidates {"degree", "lam"}."""
    x, y, degrees = valid.as_array("x", x, ndim=1), valid.as_array("y", y, ndim=1), _sizes("degrees", degrees, 0)
    lams = valid.as_array("lams", lams, ndim=1)
    if lams.size == 0 or lams.min() < 0:
        raise ValueError(f"lams: expected a non-empty list of numbers >= 0, got {lams!r}")

    def fit(xt, yt, degree, lam):
        model = fit_poly_ridge(xt, yt, degree, lam, basis, domain)
        return lambda xv: predict(model, xv)

    grid = {"degree": [int(d) for d in degrees], "lam": [float(lam) for lam in lams]}
    return grid_search(x, y, grid, folds, fit, neg_mse)
