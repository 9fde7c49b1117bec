"""nnlab.generalization against scikit-learn and NumPy's closed forms: ridge and lasso to 1e-10 and 1e-8,
their paths, the bias-variance identity and the linear-Gaussian variance, the double-descent peak, and
GridSearchCV on the same folds."""
import warnings

import numpy as np
import pytest
from numpy.polynomial import legendre
from sklearn.linear_model import Lasso, LinearRegression, Ridge, lasso_path
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from nnlab import generalization as gen


def problem(n, p, seed=0, basis="legendre"):
    """n noisy samples of a smooth function and its polynomial features of degree p - 1 (column 0 constant)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    y = np.sin(3 * x) + 0.5 * x + 0.2 * rng.standard_normal(n)
    return gen.features(x, p - 1, basis), y


def close(a, b, tol):
    """|a - b| <= tol relative to the larger of |b|'s largest entry and 1."""
    b = np.asarray(b, float)
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * max(1.0, float(np.max(np.abs(b)))))


# ------------------------------------------------------------------------------ features


def test_features_are_the_documented_matrices():
    x = np.linspace(0.0, 4.0, 9)
    np.testing.assert_array_equal(gen.features(x, 4, "raw"), np.vander(x, 5, increasing=True))
    t = (x - 2.0) / 2.0
    np.testing.assert_allclose(gen.features(x, 4, "scaled", domain=(0, 4)), np.vander(t, 5, increasing=True),
                               rtol=0, atol=1e-15)
    np.testing.assert_allclose(gen.features(x, 4, "legendre", domain=(0, 4)), legendre.legvander(t, 4),
                               rtol=0, atol=1e-15)
    np.testing.assert_array_equal(gen.features(x, 0, "legendre"), np.ones((9, 1)))


def test_the_three_bases_give_the_same_least_squares_fit():
    x = np.linspace(-2, 3, 25)
    y = np.cos(x)
    fits = [X @ np.linalg.lstsq(X, y, rcond=None)[0]
            for X in (gen.features(x, 5, b, domain=(-2, 3)) for b in ("raw", "scaled", "legendre"))]
    np.testing.assert_allclose(fits[1], fits[0], atol=1e-11)
    np.testing.assert_allclose(fits[2], fits[0], atol=1e-11)


# ------------------------------------------------------------------------------ ridge and lasso


@pytest.mark.parametrize("n, p", [(40, 7), (25, 12), (12, 30)])
@pytest.mark.parametrize("lam", [1e-3, 0.5, 20.0])
def test_ridge_equals_sklearn_ridge_with_intercept(n, p, lam):
    X, y = problem(n, p, seed=n + p)
    w = gen.ridge(X, y, lam)
    theirs = Ridge(alpha=lam, fit_intercept=True).fit(X[:, 1:], y)
    close(w[1:], theirs.coef_, 1e-10)
    close(w[0] * X[0, 0], theirs.intercept_, 1e-10)


@pytest.mark.parametrize("n, p", [(40, 7), (12, 30)])
def test_ridge_penalising_the_bias_equals_sklearn_without_intercept(n, p):
    X, y = problem(n, p, seed=3)
    X = 2.0 * X                                   # a constant column of 2: penalised like any other
    theirs = Ridge(alpha=0.3, fit_intercept=False).fit(X, y)
    close(gen.ridge(X, y, 0.3, penalise_bias=True), theirs.coef_, 1e-10)


def test_ridge_at_lam_0_is_minimum_norm_least_squares():
    X, y = problem(10, 16, seed=4)               # p > n: many exact fits
    close(gen.ridge(X, y, 0.0, penalise_bias=True), np.linalg.lstsq(X, y, rcond=None)[0], 1e-9)
    ours, theirs = gen.ridge(X, y, 0.0), LinearRegression().fit(X[:, 1:], y)
    close(ours[1:], theirs.coef_, 1e-9)           # scikit-learn's lstsq on centred data: least |w[1:]|
    close(X @ ours, y, 1e-9)
    X, y = problem(50, 5, seed=5)
    close(gen.ridge(X, y, 0.0), np.linalg.lstsq(X, y, rcond=None)[0], 1e-12)


@pytest.mark.parametrize("lam", [1e-3, 0.02, 0.2])
@pytest.mark.parametrize("penalise_bias", [False, True])
def test_lasso_equals_sklearn_lasso(lam, penalise_bias):
    X, y = problem(60, 9, seed=6)
    w = gen.lasso(X, y, lam, penalise_bias=penalise_bias)
    theirs = Lasso(alpha=lam, fit_intercept=not penalise_bias, tol=1e-14, max_iter=1_000_000)
    if penalise_bias:
        close(w, theirs.fit(X, y).coef_, 1e-8)
    else:
        theirs.fit(X[:, 1:], y)
        close(w[1:], theirs.coef_, 1e-8)
        close(w[0], theirs.intercept_, 1e-8)
    assert np.array_equal(w[1:] == 0, np.asarray(theirs.coef_)[-8:] == 0)


def test_lasso_at_lam_0_is_least_squares_and_warns_when_it_stops_short():
    X, y = problem(30, 4, seed=7)
    close(gen.lasso(X, y, 0.0), np.linalg.lstsq(X, y, rcond=None)[0], 1e-12)
    with pytest.warns(RuntimeWarning, match="max_iter=1"):
        gen.lasso(X, y, 1e-4, max_iter=1)


# ------------------------------------------------------------------------------ paths

LAMS = np.geomspace(1e-4, 2.0, 12)


def test_l1_path_matches_lasso_path_with_growing_exact_zeros():
    X, y = problem(60, 9, seed=8)
    result = gen.path(X, y, LAMS, penalty="l1")
    Xc, yc = X[:, 1:] - X[:, 1:].mean(axis=0), y - y.mean()
    _, theirs, _ = lasso_path(Xc, yc, alphas=LAMS[::-1], tol=1e-14, max_iter=1_000_000)
    close(result.coef[:, 1:], theirs.T[::-1], 1e-8)
    zeros = np.sum(result.coef[:, 1:] == 0, axis=1)
    assert np.all(np.diff(zeros) >= 0) and zeros[0] < zeros[-1]
    lam_max = np.max(np.abs(Xc.T @ yc)) / len(y)    # from here on every penalised weight is zero
    assert zeros[0] == 0 and np.all(gen.lasso(X, y, lam_max)[1:] == 0)
    assert np.any(gen.lasso(X, y, 0.99 * lam_max)[1:] != 0)


@pytest.mark.parametrize("n, p, seed", [(60, 9, 1), (40, 21, 2), (25, 21, 3), (12, 21, 4), (8, 6, 5)])
def test_the_l1_path_is_exact_at_lars_knots_and_between_them(n, p, seed):
    """The lasso's path is piecewise linear in lam (a homotopy): its knots are scikit-learn's ``lars_path``
    with the lasso's drops (the same alphas, the same weights there), including more features than points;
    between knots, and below the last one scikit-learn can reach, no coordinate descent finds a lower
    objective."""
    from sklearn.linear_model import lars_path

    X, y = problem(n, p, seed)
    Xc, yc = X[:, 1:] - X[:, 1:].mean(axis=0), y - y.mean()
    alphas, _, coefs = lars_path(Xc, yc, method="lasso")
    inside = alphas > 1e-10 * alphas[0]
    ours = gen.path(X, y, alphas[inside], "l1").coef
    close(ours[:, 1:], coefs.T[inside], 1e-6)   # degree 20 on 25-40 points is ill-conditioned
    lams = np.geomspace(1e-9, 2.0, 13)
    mine = gen.path(X, y, lams, "l1").coef
    for lam, w in zip(lams, mine):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = Lasso(alpha=lam, tol=1e-13, max_iter=100_000).fit(X[:, 1:], y)

        def objective(b, v, lam=lam):
            return np.sum((y - b - X[:, 1:] @ v) ** 2) / (2 * n) + lam * np.abs(v).sum()

        assert objective(w[0], w[1:]) <= objective(theirs.intercept_, theirs.coef_) + 1e-12 * max(1.0, y @ y)


def test_the_l1_path_is_quick_at_any_lam():
    """The reason for the homotopy: 21 degrees' lasso fits down to lam = 1e-8 on 15 points, where coordinate
    descent took seconds, need a few hundred knots in all (counted, not timed)."""
    X, y = problem(15, 21, seed=6)
    Xc, yc = X[:, 1:] - X[:, 1:].mean(axis=0), y - y.mean()
    knots, _ = gen._knots(Xc, yc, low=1e-8)
    assert knots[-1] == pytest.approx(1e-8) and len(knots) < 200


def test_l2_path_matches_ridge_per_lam_and_shrinks_the_norm():
    X, y = problem(30, 10, seed=9)
    lams = np.geomspace(1e-6, 1e3, 15)
    result = gen.path(X, y, lams, penalty="l2")
    for lam, w in zip(lams, result.coef):
        close(w[1:], Ridge(alpha=lam).fit(X[:, 1:], y).coef_, 1e-10)
    assert np.all(np.diff(np.linalg.norm(result.coef[:, 1:], axis=1)) < 0)


def test_path_keeps_the_order_of_the_lams():
    X, y = problem(40, 6, seed=10)
    order = np.random.default_rng(0).permutation(len(LAMS))
    for penalty in ("l1", "l2"):
        straight, shuffled = gen.path(X, y, LAMS, penalty), gen.path(X, y, LAMS[order], penalty)
        close(shuffled.coef, straight.coef[order], 1e-9)
        np.testing.assert_array_equal(shuffled.lams, LAMS[order])


# ------------------------------------------------------------------------------ bias and variance


def wave(x):
    return np.sin(np.pi * x) + 0.3 * x


@pytest.mark.parametrize("degree, lam, design, n", [(1, 0.0, "random", 20), (3, 0.0, "random", 30),
                                                    (9, 0.1, "random", 30), (12, 0.0, "grid", 30),
                                                    (20, 1e-3, "grid", 30)])
def test_bias_variance_and_noise_add_up_to_the_measured_error(degree, lam, design, n):
    r = gen.bias_variance(wave, 0.3, n, degree, lam=lam, resamples=400, design=design, seed=degree)
    assert r.noise == pytest.approx(0.09)
    assert abs(r.bias2 + r.variance + r.noise - r.error) <= 3 * r.error_se
    mean = r.fits.mean(axis=0)                    # the definitions, from the fits
    assert r.bias2 == pytest.approx(np.mean((mean - wave(r.x_test)) ** 2), rel=1e-12)
    assert r.variance == pytest.approx(np.mean((r.fits - mean) ** 2), rel=1e-12)


def test_each_fit_is_ridge_on_its_training_set():
    """A fixed design and seed: the fits are sklearn's Ridge on the grid with the seed's noise."""
    r = gen.bias_variance(wave, 0.2, 15, 4, lam=0.5, resamples=3, design="grid", seed=11)
    x = np.linspace(-1, 1, 15)
    noise = np.random.default_rng(11).standard_normal((3, 15))
    for fit, e in zip(r.fits, noise):
        model = Ridge(alpha=0.5).fit(np.vander(x, 5, increasing=True)[:, 1:], wave(x) + 0.2 * e)
        close(fit, model.predict(np.vander(r.x_test, 5, increasing=True)[:, 1:]), 1e-10)


def test_variance_of_least_squares_lines_matches_the_closed_form():
    """f linear, degree 1, fixed design: the fits' variance at x* is sigma^2 phi*^T (X^T X)^-1 phi*."""
    sigma, n, R = 0.5, 12, 4000
    r = gen.bias_variance(lambda x: 1.0 - 2.0 * x, sigma, n, 1, resamples=R, design="grid", basis="raw",
                          seed=12)
    X, T = np.vander(np.linspace(-1, 1, n), 2, increasing=True), np.vander(r.x_test, 2, increasing=True)
    Sigma = sigma**2 * np.linalg.inv(X.T @ X)     # the covariance of the fitted (b, a)
    A = T.T @ T / len(T)
    exact = np.trace(A @ Sigma)                    # mean over x* of sigma^2 phi*^T (X^T X)^-1 phi*
    se = np.sqrt(2 * np.trace(A @ Sigma @ A @ Sigma) / R)    # of the sample covariance's trace(A S)
    assert abs(r.variance - exact * (R - 1) / R) <= 4 * se
    assert r.bias2 <= 5 * exact / R                 # unbiased: only the mean fit's own scatter, variance / R
    assert abs(r.error - (exact + sigma**2)) <= 4 * r.error_se


def test_bias_variance_repeats_with_its_seed():
    a = gen.bias_variance(wave, 0.3, 20, 5, resamples=50, seed=3)
    b = gen.bias_variance(wave, 0.3, 20, 5, resamples=50, seed=3)
    np.testing.assert_array_equal(a.fits, b.fits)
    assert a.error == b.error and a.error != gen.bias_variance(wave, 0.3, 20, 5, resamples=50, seed=4).error


# ------------------------------------------------------------------------------ double descent

N = 40
PS = np.unique(np.r_[np.arange(1, 41), np.round(np.geomspace(41, 10 * N, 20))]).astype(int)


def test_random_features_are_the_documented_cosines_and_nest():
    x = np.linspace(-1, 1, 7)
    F = gen.random_features(x, 50, seed=5, scale=3.0)
    ws, bs = np.random.SeedSequence(5).spawn(2)
    w = 3.0 * np.random.default_rng(ws).standard_normal(50)
    b = np.random.default_rng(bs).uniform(0, 2 * np.pi, 50)
    np.testing.assert_array_equal(F, np.cos(np.outer(x, w) + b))
    np.testing.assert_array_equal(gen.random_features(x, 13, seed=5, scale=3.0), F[:, :13])


def test_double_descent_fits_are_pinv_and_ridge_closed_forms():
    x = np.linspace(-1, 1, N)
    x_test = -1 + 2 * (np.arange(400) + 0.5) / 400
    scale = 0.7 * np.pi * (N - 1) / 2
    y = np.sin(2 * np.pi * x) + 0.2 * np.random.default_rng(0).standard_normal(N)
    for lam, ps in ((0.0, [10, 70]), (0.5, [10, 70])):
        r = gen.double_descent(N, ps, noise=0.2, lam=lam, seed=0)
        assert r.scale == pytest.approx(scale)
        for i, p in enumerate(ps):
            F, T = (gen.random_features(v, p, 0, scale) for v in (x, x_test))
            w = np.linalg.pinv(F) @ y if lam == 0 else np.linalg.solve(F.T @ F + lam * np.eye(p), F.T @ y)
            assert r.train_error[i] == pytest.approx(np.mean((F @ w - y) ** 2), rel=1e-8, abs=1e-20)
            assert r.test_error[i] == pytest.approx(np.mean((T @ w - np.sin(2 * np.pi * x_test)) ** 2) + 0.04,
                                                    rel=1e-8)
            assert r.norm[i] == pytest.approx(np.linalg.norm(w), rel=1e-8)


def test_test_error_peaks_at_p_equal_n():
    r = gen.double_descent(N, PS, noise=0.2, seed=0)
    assert len(PS) == 60
    peak = PS[np.argmax(r.test_error)]
    assert 0.8 * N <= peak <= 1.25 * N
    assert r.test_error.max() > 100 * max(r.test_error[0], r.test_error[-1])
    assert r.test_error[-1] < 0.5 * r.test_error[0]          # the second descent: better than one feature
    train = r.train_error
    assert np.all(np.diff(train[PS < N]) <= 1e-12)           # more features never fit the training set worse
    assert np.all(train[PS >= N] < 1e-12)                     # and from p = n on they interpolate it
    assert PS[np.argmax(r.norm)] == peak


def test_ridge_removes_the_peak():
    plain = gen.double_descent(N, PS, noise=0.2, seed=0)
    ridged = gen.double_descent(N, PS, noise=0.2, lam=1.0, seed=0)
    assert ridged.test_error.max() < plain.test_error.max() / 1000
    near = (PS >= 0.8 * N) & (PS <= 1.25 * N)
    assert ridged.test_error[near].max() < ridged.test_error[0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_peak_stays_at_n_for_other_seeds(seed):
    r = gen.double_descent(N, PS, noise=0.2, seed=seed)
    assert 0.8 * N <= PS[np.argmax(r.test_error)] <= 1.25 * N


# ------------------------------------------------------------------------------ cross-validation


@pytest.mark.parametrize("n, k", [(10, 2), (23, 5), (7, 7)])
def test_kfold_without_a_seed_is_sklearn_kfold(n, k):
    ours = gen.kfold(n, k)
    theirs = list(KFold(k).split(np.zeros(n)))
    assert len(ours) == len(theirs)
    for (a, b), (c, d) in zip(ours, theirs):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_kfold_with_a_seed_partitions_a_shuffled_order():
    folds = gen.kfold(23, 5, seed=1)
    val = np.concatenate([v for _, v in folds])
    np.testing.assert_array_equal(val, np.random.default_rng(1).permutation(23))
    assert [len(v) for _, v in folds] == [5, 5, 5, 4, 4]
    for train, v in folds:
        np.testing.assert_array_equal(np.sort(np.r_[train, v]), np.arange(23))


def cv_data():
    rng = np.random.default_rng(13)
    x = rng.uniform(-1, 1, 48)
    return x, np.sin(3 * x) + 0.3 * rng.standard_normal(48)


def test_poly_ridge_search_equals_gridsearchcv_with_a_scaling_pipeline():
    x, y = cv_data()
    folds = gen.kfold(len(x), 4, seed=0)
    degrees, lams = [1, 2, 3, 5, 8], [1e-3, 0.1, 1.0, 10.0]
    ours = gen.poly_ridge_search(x, y, degrees, lams, folds)
    pipe = make_pipeline(PolynomialFeatures(include_bias=False), StandardScaler(), Ridge())
    theirs = GridSearchCV(pipe, {"polynomialfeatures__degree": degrees, "ridge__alpha": lams}, cv=folds,
                          scoring="neg_mean_squared_error").fit(x[:, None], y)
    assert [(c["degree"], c["lam"]) for c in ours.params] == \
        [(c["polynomialfeatures__degree"], c["ridge__alpha"]) for c in theirs.cv_results_["params"]]
    close(ours.mean_score, theirs.cv_results_["mean_test_score"], 1e-10)
    for j in range(len(folds)):
        close(ours.scores[:, j], theirs.cv_results_[f"split{j}_test_score"], 1e-10)
    assert ours.best_index == theirs.best_index_
    assert ours.best_params == {"degree": theirs.best_params_["polynomialfeatures__degree"],
                                "lam": theirs.best_params_["ridge__alpha"]}


def test_grid_search_takes_any_model_and_score():
    """Ridge on given columns scored by R^2: GridSearchCV's default score for Ridge."""
    X, y = problem(40, 6, seed=14)
    folds = gen.kfold(40, 5, seed=2)

    def fit(X_train, y_train, lam):
        w = gen.ridge(X_train, y_train, lam)
        return lambda X_val: X_val @ w

    ours = gen.grid_search(X, y, {"lam": [1e-4, 1e-2, 1.0, 100.0]}, folds, fit, r2_score)
    theirs = GridSearchCV(Ridge(), {"alpha": [1e-4, 1e-2, 1.0, 100.0]}, cv=folds).fit(X[:, 1:], y)
    close(ours.mean_score, theirs.cv_results_["mean_test_score"], 1e-10)
    assert ours.best_params == {"lam": theirs.best_params_["alpha"]}


def test_standardisation_uses_the_training_fold_only():
    x, y = cv_data()
    model = gen.fit_poly_ridge(x[:30], y[:30], 3, 0.1)
    np.testing.assert_allclose(model.mean, [np.mean(x[:30] ** k) for k in (1, 2, 3)], rtol=1e-13)
    np.testing.assert_allclose(model.std, [np.std(x[:30] ** k) for k in (1, 2, 3)], rtol=1e-13)
    pipe = make_pipeline(PolynomialFeatures(3, include_bias=False), StandardScaler(), Ridge(0.1))
    close(gen.predict(model, x[30:]), pipe.fit(x[:30, None], y[:30]).predict(x[30:, None]), 1e-10)


# ------------------------------------------------------------------------------ bad arguments

X3, Y3 = problem(10, 3)
BAD = [
    (lambda: gen.features([0.1, 0.2], -1), "degree: expected an integer in \\[0, inf\\], got -1"),
    (lambda: gen.features([0.1, 0.2], 2.5), "degree: expected an integer"),
    (lambda: gen.features([0.1, 0.2], 2, basis="cubic"), "basis: expected one of 'raw', 'scaled', 'legendre'"),
    (lambda: gen.features([[0.1, 0.2]], 2), "x: expected a 1-D array"),
    (lambda: gen.features([0.1], 2, domain=(1, -1)), "domain: expected a pair \\(lo, hi\\)"),
    (lambda: gen.ridge(X3, Y3, -0.1), "lam: expected a number >= 0.0, got -0.1"),
    (lambda: gen.ridge(X3, Y3[:5], 1.0), "y: expected 10 rows"),
    (lambda: gen.ridge(X3[:, 1:], Y3, 1.0), "X: expected column 0 to be a non-zero constant"),
    (lambda: gen.ridge(np.ones((0, 2)), [], 1.0), "X: expected at least one row and one column"),
    (lambda: gen.poly_ridge_search(X3[:, 1], Y3[:4], [1], [0.1], gen.kfold(10, 2)), "y: expected one target"),
    (lambda: gen.lasso(X3, Y3, -1.0), "lam: expected a number >= 0.0"),
    (lambda: gen.lasso(X3, Y3, 0.1, tol=0), "tol: expected a number > 0.0"),
    (lambda: gen.lasso(X3, Y3, 0.1, start=[0.0]), "start: expected shape \\(3\\)"),
    (lambda: gen.path(X3, Y3, [0.1, -1.0]), "lams: expected a non-empty list of numbers >= 0"),
    (lambda: gen.path(X3, Y3, [0.1], penalty="l3"), "penalty: expected one of 'l2', 'l1'"),
    (lambda: gen.bias_variance(wave, -0.1, 10, 2), "noise: expected a number >= 0.0"),
    (lambda: gen.bias_variance(wave, 0.1, 10, -1), "degree: expected an integer in \\[0, inf\\]"),
    (lambda: gen.bias_variance(wave, 0.1, 10, 2, resamples=1), "resamples: expected an integer in \\[2, inf\\]"),
    (lambda: gen.bias_variance(wave, 0.1, 10, 2, design="fixed"), "design: expected one of 'random', 'grid'"),
    (lambda: gen.bias_variance(lambda x: x[:1], 0.1, 10, 2), "f: expected a function returning one number"),
    (lambda: gen.random_features([0.0], -2), "p: expected an integer in \\[0, inf\\]"),
    (lambda: gen.double_descent(20, [0, 5]), "ps: expected a non-empty 1-D list of integers >= 1"),
    (lambda: gen.double_descent(20, [5], lam=-1), "lam: expected a number >= 0.0"),
    (lambda: gen.kfold(5, 6), "k: expected an integer in \\[2, 5\\], got 6"),
    (lambda: gen.grid_search(X3, Y3, {}, gen.kfold(10, 2), None, None), "grid: expected a dict"),
    (lambda: gen.poly_ridge_search(X3[:, 1], Y3, [-1], [0.1], gen.kfold(10, 2)), "degrees: expected"),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m.split(":")[0] + f"-{i}" for i, (_, m) in enumerate(BAD)])
def test_bad_arguments_name_themselves(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_no_warnings_on_the_lectures_settings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gen.bias_variance(wave, 0.3, 30, 20, resamples=200)
        gen.double_descent(N, PS)
        gen.path(*problem(40, 8), LAMS, penalty="l1")
