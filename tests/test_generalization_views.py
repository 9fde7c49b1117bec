"""Lecture 9's explorers (PolynomialFit, DoubleDescent, RegularizationPath) show what the model computes: each
drawn curve, marker and number against ``nnlab.generalization`` called directly, or against a closed form
(NumPy's least-squares polynomial fit, the ridge normal equations)."""
import warnings

import numpy as np
import pytest
from numpy.polynomial import Polynomial

from nnlab import generalization as gen
from nnlab.views import DoubleDescent, PolynomialFit, RegularizationPath
from nnlab.views import polyfit, regpath
from nnlab.views.doubledescent import feature_counts


def training_set(n, noise, seed):
    """The explorers' data, as their docstrings say: x uniform on [-1, 1], y = sin(pi x) + noise N(0, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    return x, np.sin(np.pi * x) + noise * rng.standard_normal(n)


def errors(w, x, y, degree, noise):
    """Training error and test error (mean over the test grid of (fit - f)^2, plus noise^2) of Legendre weights."""
    train = np.mean((gen.features(x, degree, "legendre") @ w - y) ** 2)
    t = polyfit.X_TEST
    return train, np.mean((gen.features(t, degree, "legendre") @ w - np.sin(np.pi * t)) ** 2) + noise ** 2


# ------------------------------------------------------------------ PolynomialFit


def test_polynomial_fit_marks_the_models_errors_and_draws_its_fit():
    e = PolynomialFit(degree=9, n=15, noise=0.2, seed=1, penalty="l2", lam=1e-3)
    x, y = training_set(15, 0.2, 1)
    w = gen.ridge(gen.features(x, 9, "legendre"), y, 1e-3)
    train, test = errors(w, x, y, 9, 0.2)
    np.testing.assert_allclose(e.m_now.get_data()[1], [train, test], rtol=1e-10)
    np.testing.assert_allclose([e.l_train.get_ydata()[9], e.l_test.get_ydata()[9]], [train, test], rtol=1e-10)
    assert e.l_now.get_xdata()[0] == 9
    np.testing.assert_allclose(e.l_fit.get_ydata(), gen.features(polyfit.X_PLOT, 9, "legendre") @ w, atol=1e-10)
    np.testing.assert_array_equal(e.l_data.get_data(), [x, y])
    assert f"train {train:.3g}, test {test:.3g}" in e.describe()
    # the whole curve: every degree's ridge fit
    for d in (0, 4, 15, 20):
        wd = gen.ridge(gen.features(x, d, "legendre"), y, 1e-3)
        np.testing.assert_allclose(e.l_test.get_ydata()[d], errors(wd, x, y, d, 0.2)[1], rtol=1e-9)


def test_without_a_penalty_the_fit_is_numpys_least_squares_polynomial():
    """Legendre or monomials span the same polynomials: NumPy's own least-squares fit (another basis and solver)
    draws the same curve."""
    e = PolynomialFit(degree=5, n=25, noise=0.3, seed=4)
    x, y = training_set(25, 0.3, 4)
    theirs = Polynomial.fit(x, y, 5)(polyfit.X_PLOT)
    np.testing.assert_allclose(e.l_fit.get_ydata(), theirs, atol=1e-9)
    assert "no penalty (λ = 0)" in e.describe()


@pytest.mark.parametrize("settings, word", [
    (dict(degree=15, n=10), "overfitting"), (dict(degree=20, n=15), "overfitting"),
    (dict(degree=20, n=5, noise=1.0, points=[[1.0, 3.0], [-1.0, -3.0]]), "overfitting"),
    (dict(degree=0, n=30), "underfitting"), (dict(degree=1, n=30), "underfitting"),
    (dict(degree=3, n=30), "good fit"), (dict(degree=15, n=15, penalty="l2", lam=100.0), "underfitting")])
def test_the_caption_names_the_fit_from_its_numbers(settings, word):
    e = PolynomialFit(**settings)
    text = e.describe()
    assert f"({word})" in text, text
    fits, d = e.result.fits, settings["degree"]
    if word == "overfitting":     # train low, test high: right of the best degree, above the noise
        assert fits.train[d] < e.state["noise"] ** 2 < fits.test[d] and d > np.argmin(fits.test)
    if word == "underfitting":    # the training error itself well above the noise
        assert fits.train[d] > e.state["noise"] ** 2 + 0.05


@pytest.mark.parametrize("design", ["grid", "random"])
def test_bias_variance_bars_are_the_models_decomposition(design):
    e = PolynomialFit(degree=4, n=20, noise=0.3, penalty="l2", lam=0.01, design=design)
    bv = gen.bias_variance(lambda x: np.sin(np.pi * x), 0.3, 20, 4, 0.01, resamples=100, design=design,
                           basis="legendre", seed=0)
    lo = polyfit.BAR_LIMITS[0]
    heights = [bar.get_height() + lo for bar in e.bars]
    # bias² less the resamples' share variance / (R - 1): the mean of R fits misses f by variance / R more
    expected = [bv.bias2 - bv.variance / 99, bv.variance, 0.09, bv.error]
    np.testing.assert_allclose(heights, expected, rtol=1e-9)
    assert bv.variance / 99 < 0.5 * bv.bias2    # measurable here
    assert f"variance {bv.variance:.2g}" in e.describe() and [t.get_text() for t in e.bar_texts][1] == \
        f"{bv.variance:.2g}"
    assert bv.bias2 + bv.variance + bv.noise == pytest.approx(bv.error, rel=0.2)   # the identity, roughly
    assert {"grid": "x on a grid", "random": "random x"}[design] in e.ax_bv.get_title() and "(" + \
        {"grid": "x on a grid", "random": "random x"}[design] + ")" in e.describe()


def test_a_wild_fit_is_cut_at_the_top_and_says_so():
    """Degree 20 on 15 points without a penalty, new random x for each training set: variances ~1e14 (a set with
    a gap lets the fit swing there) on a log axis that ends at 1e4. On a grid of x the same fit is tame."""
    assert PolynomialFit(degree=20, n=15).result.bv.variance < 1
    e = PolynomialFit(degree=20, n=15, design="random")
    bv = e.result.bv
    assert bv.variance > 1e10
    lo, hi = polyfit.BAR_LIMITS
    assert e.bars[1].get_height() + lo == hi and "cut" in e.bar_texts[1].get_text()
    assert e.bars[0].get_height() == 0 and e.bar_texts[0].get_text() == "too small to measure"
    text = e.describe()
    assert "cut at the top" in text and "bias² too small to measure next to the variance" in text
    # the fit panel keeps the points' range: the fit leaves through the top
    top = e.ax_fit.get_ylim()[1]
    assert top < 5 and np.abs(e.result.curve).max() > 100 * top


def test_clicks_add_points_to_the_training_set_and_pick_degrees():
    e = PolynomialFit(degree=6, n=12, seed=3)
    px, py = e.pixel(e.ax_fit, 0.4, -1.2)
    assert e.click(px, py) is not None
    (xc, yc), = e.state["points"]
    assert abs(xc - 0.4) < 0.01 and abs(yc + 1.2) < 0.03
    x, y = training_set(12, 0.2, 3)
    w = gen.ridge(gen.features(np.r_[x, xc], 6, "legendre"), np.r_[y, yc], 0.0)
    np.testing.assert_allclose(e.result.w, w, atol=1e-9)
    np.testing.assert_array_equal(e.l_own.get_data(), [[xc], [yc]])
    assert "1 point of yours" in e.describe() and not e.controls["clear"].disabled
    e.click(*e.pixel(e.ax_err, 14, 1.0))
    assert e.state["degree"] == 14 and e.controls["degree"].value == 14
    assert e.click(*e.pixel(e.ax_bv, 1, 1.0)) is None
    e.set(add_x=-0.5, add_y=2.0)
    e.controls["add_point"].click()
    assert e.state["points"][-1] == [-0.5, 2.0]
    e.controls["clear"].click()
    assert e.state["points"] == [] and e.controls["clear"].disabled
    e.controls["resample"].click()
    assert e.state["seed"] == 4


def test_the_lasso_fit_has_exact_zeros_and_is_the_models():
    e = PolynomialFit(degree=12, n=30, noise=0.2, penalty="l1", lam=0.02)
    x, y = training_set(30, 0.2, 0)
    theirs = gen.lasso(gen.features(x, 12, "legendre"), y, 0.02)   # from zeros, to the default tolerance
    np.testing.assert_allclose(e.result.w, theirs, atol=1e-4)
    zeros = int(np.sum(e.result.w[1:] == 0))
    assert zeros == int(np.sum(theirs[1:] == 0)) >= 4
    assert f"set {zeros} of the 12 weights beyond the constant exactly to 0" in e.describe()
    assert f"{zeros} of its\n12 weights" in e.l1_note.get_text() and not e.bars[0].get_visible()


def test_the_lasso_reaches_the_smallest_lambda_at_every_degree_as_scikit_learn_solves_it():
    """The lasso's λ goes as low as ridge's (1e-8; it once stopped at 5e-3, where coordinate descent became too
    slow): each degree's fit at the bottom of the range has the least objective scikit-learn's Lasso finds."""
    from sklearn.linear_model import Lasso

    e = PolynomialFit(penalty="l2", lam=1e-8, n=12, noise=0.5)
    e.controls["penalty"].value = "l1"
    assert e.state["lam"] == e.controls["lam"].value == e.controls["lam"].low == 1e-8
    x, y = e.result.x, e.result.y
    for d in (3, 9, 11, 15, 20):
        X = gen.features(x, d, "legendre")[:, 1:]
        w = e.result.fits.weights[d]

        def objective(b, v):
            return np.sum((y - b - X @ v) ** 2) / (2 * len(y)) + 1e-8 * np.abs(v).sum()

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # scikit-learn's own solver may stop short here: ours must not lose
            theirs = Lasso(alpha=1e-8, tol=1e-12, max_iter=200_000).fit(X, y)
        assert objective(w[0], w[1:]) <= objective(theirs.intercept_, theirs.coef_) + 1e-12
    e.controls["penalty"].value = "none"
    assert e.controls["lam"].disabled and "λ = 0" in e.describe()
    with pytest.raises(ValueError, match=r"^points: expected at most 40 pairs"):
        PolynomialFit(points=[[2.0, 0.0]])


# ------------------------------------------------------------------ DoubleDescent


def test_double_descent_draws_the_models_curves_and_marks_p():
    e = DoubleDescent(p=30, n=20, noise=0.2, seed=2)
    ps = feature_counts(20)
    model = gen.double_descent(20, ps, 0.2, 0.0, 2)    # the model's own default target
    np.testing.assert_array_equal(e.l_test.get_data()[0], ps)
    np.testing.assert_allclose(e.l_test.get_ydata(), np.maximum(model.test_error, 1e-6), rtol=1e-12)
    np.testing.assert_allclose(e.l_train.get_ydata(), np.maximum(model.train_error, 1e-6), rtol=1e-12)
    np.testing.assert_allclose(e.l_norm.get_ydata(), model.norm, rtol=1e-12)
    at = gen.double_descent(20, [30], 0.2, 0.0, 2)
    np.testing.assert_allclose(e.m_err.get_data()[1], np.maximum([at.train_error[0], at.test_error[0]], 1e-6))
    assert all(line.get_xdata()[0] == 20 for line in e.thresholds)
    assert all(line.get_xdata()[0] == 30 for line in e.nows)
    assert f"test {at.test_error[0]:.3g}" in e.describe() and "beyond the threshold p = n" in e.describe()


@pytest.mark.parametrize("p, lam", [(8, 0.0), (20, 0.0), (75, 0.0), (20, 0.05)])
def test_the_drawn_fit_is_the_one_the_model_scores(p, lam):
    """The fit panel's curve comes from the model's parts (its features, ridge); its errors on the model's test
    grid (the midpoints of 400 cells) are the model's errors at p."""
    e = DoubleDescent(p=p, n=20, noise=0.3, seed=5, penalty="l2" if lam else "none", lam=lam or 1e-3)
    at = gen.double_descent(20, [p], 0.3, lam, 5)
    fit = e.result.fit
    x_test = -1 + 2 * (np.arange(400) + 0.5) / 400
    F_test = gen.random_features(x_test, p, 5, at.scale)
    test = np.mean((F_test @ fit.w - np.sin(2 * np.pi * x_test)) ** 2) + 0.09
    train = np.mean((gen.random_features(fit.x, p, 5, at.scale) @ fit.w - fit.y) ** 2)
    assert test == pytest.approx(at.test_error[0], rel=1e-9)
    assert train == pytest.approx(at.train_error[0], rel=1e-9, abs=1e-20)
    np.testing.assert_array_equal(e.l_data.get_data(), [fit.x, fit.y])


def test_at_the_threshold_the_least_norm_fit_interpolates_and_ridge_flattens_the_peak():
    e = DoubleDescent(p=20, n=20, seed=2)
    assert e.result.at.train_error[0] < 1e-20 and e.floor_note.get_visible()
    assert "passes through every training point" in e.describe()
    peak = e.l_test.get_ydata().max()
    e.set(penalty="l2", lam=0.1)
    assert e.l_test.get_ydata().max() < peak / 10 and "ridge λ = 0.1" in e.describe()
    e.click(*e.pixel(e.ax_err, 50, 1.0))
    assert e.state["p"] == 50


# ------------------------------------------------------------------ RegularizationPath


def test_regularization_path_draws_both_paths_of_the_model():
    e = RegularizationPath(degree=8, n=25, noise=0.3, seed=1, lam=0.05)
    x, y = training_set(25, 0.3, 1)
    X = gen.features(x, 8, "legendre")
    l2, l1 = gen.path(X, y, regpath.LAMS, "l2"), gen.path(X, y, regpath.LAMS, "l1")
    assert len(e.lines["l2"].get_segments()) == len(e.lines["l1"].get_segments()) == 8   # w1…w8
    for k in range(1, 9):
        for key, path, tol in (("l2", l2, 1e-12), ("l1", l1, 1e-4)):
            segment = e.lines[key].get_segments()[k - 1]
            np.testing.assert_array_equal(segment[:, 0], regpath.LAMS)
            np.testing.assert_allclose(segment[:, 1], path.coef[:, k], atol=tol)
    # ridge at λ by the normal equations of the centred data (the constant unpenalised)
    Xc, yc = X[:, 1:] - X[:, 1:].mean(0), y - y.mean()
    ridge = np.linalg.solve(Xc.T @ Xc + 0.05 * np.eye(8), Xc.T @ yc)
    np.testing.assert_allclose(e.dots["l2"].get_offsets()[:, 1], ridge, rtol=1e-9)
    assert np.all(e.dots["l2"].get_offsets()[:, 0] == 0.05)


def test_the_l1_panel_shows_exact_zeros():
    e = RegularizationPath()        # degree 10, 20 points, λ = 0.03
    x, y = training_set(20, 0.2, 0)
    theirs = gen.lasso(gen.features(x, 10, "legendre"), y, 0.03)
    w = e.result.now.l1
    np.testing.assert_allclose(w, theirs, atol=1e-5)
    zero = w[1:] == 0
    assert np.array_equal(zero, theirs[1:] == 0) and 5 <= zero.sum() < 10
    assert np.all(e.dots["l1"].get_offsets()[zero, 1] == 0)            # drawn on the axis
    assert not np.any(e.result.now.l2[1:] == 0)                         # ridge: none
    assert e.ax_path["l1"].get_title().endswith(f"{zero.sum()} of 10 exactly 0")
    assert e.ax_path["l2"].get_title().endswith(": 0 of 10 exactly 0")
    text = e.describe()
    assert f"the lasso (L1) sets {zero.sum()} of 10 exactly to 0" in text and "sets none exactly to 0" in text
    kept = [k for k in range(1, 11) if not zero[k - 1]]
    assert "keeping w" + ", w".join(map(str, kept)) in text
    # a big λ leaves only the constant; a click on a path panel picks λ
    e.click(*e.pixel(e.ax_path["l1"], 10.0, 0.0))
    assert e.state["lam"] == pytest.approx(10.0, rel=0.02)
    assert np.all(e.result.now.l1[1:] == 0) and "10 of 10 exactly 0" in e.ax_path["l1"].get_title()
