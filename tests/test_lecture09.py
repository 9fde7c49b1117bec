"""Lecture 9's worked numbers (nnlab/authoring/lectures/09_generalisation_and_regularisation.py) against
scikit-learn and NumPy's own least squares, and the claims its text makes about them."""
import numpy as np
import pytest
from sklearn.linear_model import Lasso, LinearRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from nnlab import generalization as gen

SIGMA = 0.3


def f(x):
    return np.sin(np.pi * x)


def sample(n, seed):   # the lecture's sampler, written again
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    return x, f(x) + SIGMA * rng.standard_normal(n)


X_TRAIN, Y_TRAIN = sample(20, 0)
X_TEST, Y_TEST = sample(2000, 1)


def sk_poly(degree, model):
    return make_pipeline(PolynomialFeatures(degree, include_bias=False), model)


def sk_mse(model, x, y):
    return float(np.mean((model.predict(x[:, None]) - y) ** 2))


def test_section1_errors_are_sklearns_least_squares_and_the_text_reads_them_right():
    errors = {}
    for degree in range(1, 13):   # raw powers stay well conditioned up to here on [-1, 1]
        w = gen.ridge(gen.features(X_TRAIN, degree, "legendre"), Y_TRAIN, 0.0)
        ours = [float(np.mean((gen.features(x, degree, "legendre") @ w - y) ** 2))
                for x, y in ((X_TRAIN, Y_TRAIN), (X_TEST, Y_TEST))]
        model = sk_poly(degree, LinearRegression()).fit(X_TRAIN[:, None], Y_TRAIN)
        theirs = [sk_mse(model, X_TRAIN, Y_TRAIN), sk_mse(model, X_TEST, Y_TEST)]
        np.testing.assert_allclose(ours, theirs, rtol=1e-7)
        errors[degree] = theirs
    assert errors[1][0] > 0.1 and errors[1][1] > 0.3            # degree 1 underfits: both high
    assert abs(errors[3][1] - errors[4][1]) < 0.001 and errors[3][1] < 0.13   # 3 and 4 tie near the floor
    assert errors[12][0] < errors[9][0] and errors[12][1] > 2 * errors[4][1]     # past 9: train down, test up
    assert errors[1][1] > SIGMA ** 2 and min(e[1] for e in errors.values()) > SIGMA ** 2


def test_section2_the_three_parts_add_up_to_the_measured_error_and_trade_as_said():
    rows = {d: gen.bias_variance(f, SIGMA, n=20, degree=d, resamples=400, design="grid", seed=0)
            for d in (1, 3, 5, 9, 15)}
    for d, bv in rows.items():
        assert abs(bv.bias2 + bv.variance + bv.noise - bv.error) < 3 * bv.error_se, d
    variances = [rows[d].variance for d in sorted(rows)]
    assert variances == sorted(variances)
    assert rows[1].bias2 > 0.2 > 0.01 > rows[3].bias2 and rows[5].bias2 < 1e-3


@pytest.mark.parametrize("lam", [1e-4, 1e-3, 1e-2, 1e-1])
def test_section3_penalised_fits_are_sklearns_ridge_and_lasso(lam):
    F, F_test = (gen.features(x, 12, "legendre") for x in (X_TRAIN, X_TEST))
    w2 = gen.ridge(F, Y_TRAIN, lam * len(Y_TRAIN))
    ridge = Ridge(alpha=lam * len(Y_TRAIN)).fit(F[:, 1:], Y_TRAIN)
    np.testing.assert_allclose(w2[1:], ridge.coef_, atol=1e-9)
    w1 = gen.lasso(F, Y_TRAIN, lam)
    lasso = Lasso(alpha=lam, tol=1e-12, max_iter=1_000_000).fit(F[:, 1:], Y_TRAIN)
    np.testing.assert_allclose(w1[1:], lasso.coef_, atol=1e-6)
    assert np.sum(w1[1:] == 0) == np.sum(lasso.coef_ == 0)
    np.testing.assert_allclose(np.mean((F_test @ w1 - Y_TEST) ** 2),
                               np.mean((lasso.predict(F_test[:, 1:]) - Y_TEST) ** 2), rtol=1e-5)


def test_section3_l1_zeroes_more_weights_as_lambda_grows_and_l2_shrinks_them():
    F = gen.features(X_TRAIN, 12, "legendre")
    zeros = [int(np.sum(gen.lasso(F, Y_TRAIN, lam)[1:] == 0)) for lam in (1e-4, 1e-3, 1e-2, 1e-1)]
    norms = [np.linalg.norm(gen.ridge(F, Y_TRAIN, lam * 20)[1:]) for lam in (0, 1e-4, 1e-3, 1e-2, 1e-1)]
    assert zeros == sorted(zeros) and zeros[-1] >= 10
    assert norms == sorted(norms, reverse=True)


def test_section5_the_grid_search_picks_what_gridsearchcv_picks():
    x, y = sample(40, 2)
    folds = gen.kfold(40, 5, seed=0)
    ours = gen.poly_ridge_search(x, y, degrees=range(1, 13), lams=(0.0, 1e-3, 1e-1, 1.0), folds=folds)
    pipe = make_pipeline(PolynomialFeatures(include_bias=False), StandardScaler(), Ridge())
    grid = {"polynomialfeatures__degree": list(range(1, 13)), "ridge__alpha": [0.0, 1e-3, 1e-1, 1.0]}
    theirs = GridSearchCV(pipe, grid, cv=folds, scoring="neg_mean_squared_error").fit(x[:, None], y)
    assert (ours.best_params["degree"], ours.best_params["lam"]) == (
        theirs.best_params_["polynomialfeatures__degree"], theirs.best_params_["ridge__alpha"])
    scores = np.sort(ours.mean_score)[::-1]
    assert scores[0] - scores[1] > 1e-6   # a clear winner: rounding cannot change the choice


def test_section6_the_peak_sits_at_p_equal_n_and_ridge_removes_it():
    ps = np.unique(np.geomspace(1, 400, 60).astype(int))
    plain = gen.double_descent(40, ps, noise=0.2, seed=0)
    ridged = gen.double_descent(40, ps, noise=0.2, lam=1e-1, seed=0)
    peak = ps[np.argmax(plain.test_error)]
    assert 36 <= peak <= 48
    assert plain.test_error.max() / ridged.test_error.max() > 1e4
    assert plain.test_error[-1] < plain.test_error.max() / 100     # and falls again
    assert np.all(plain.train_error[ps >= 40] < 1e-6)               # interpolation from p = n on
