"""Surfaces (finite differences), trajectories (divergence handling) and the rate theory on the bowl."""
import warnings

import numpy as np
import pytest

from nnlab import optim, surfaces


@pytest.mark.parametrize("name", sorted(surfaces.SURFACES))
def test_gradients_and_hessians_match_finite_differences(name):
    s = surfaces.make(name)
    rng = np.random.default_rng(0)
    P = np.c_[rng.uniform(*s.xlim, 20), rng.uniform(*s.ylim, 20)]
    h = 1e-6
    for p in P:
        num_g = np.array([(s.f(p + h * e) - s.f(p - h * e)) / (2 * h) for e in np.eye(2)])
        np.testing.assert_allclose(s.grad(p), num_g, rtol=1e-6, atol=1e-6)
        num_h = np.array([(s.grad(p + h * e) - s.grad(p - h * e)) / (2 * h) for e in np.eye(2)]).T
        np.testing.assert_allclose(s.hess(p), num_h, rtol=1e-5, atol=1e-5)
    assert s.f(P).shape == (20,) and s.grad(P).shape == (20, 2) and s.hess(P).shape == (20, 2, 2)
    for m in s.minima:
        np.testing.assert_allclose(s.grad(np.array(m)), 0, atol=1e-12)


def test_bowl_has_the_requested_eigenvalues():
    s = surfaces.quadratic(kappa=37.0, theta=0.6)
    np.testing.assert_allclose(np.linalg.eigvalsh(s.hess(np.zeros(2))), [1, 37])


def test_gd_diverges_above_2_over_lmax_and_stops_cleanly():
    kappa = 10.0
    bowl = surfaces.quadratic(kappa, 0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bad = surfaces.trajectory(optim.sgd(lr=2.05 / kappa), bowl, (1.0, 1.0), 5000)
        good = surfaces.trajectory(optim.sgd(lr=1.95 / kappa), bowl, (1.0, 1.0), 5000)
    assert bad.diverged and bad.diverged.startswith("diverged at step") and bad.steps < 5000
    assert np.all(np.isfinite(bad.path)) and np.all(np.isfinite(bad.loss))
    assert good.diverged is None and good.loss[-1] < 1e-12


@pytest.mark.parametrize("kappa", [4.0, 25.0, 100.0])
def test_gd_best_rate_is_kappa_minus_one_over_kappa_plus_one(kappa):
    lr, rate = surfaces.gd_best(1.0, kappa)
    tr = surfaces.trajectory(optim.sgd(lr=lr), surfaces.quadratic(kappa, 0.7), (1.0, -0.5), 300)
    assert surfaces.measured_rate(tr.path, 20, 120) == pytest.approx(rate, rel=0.05)


@pytest.mark.parametrize("kappa", [25.0, 100.0, 1000.0])
def test_heavy_ball_best_rate_is_sqrt_kappa_version(kappa):
    lr, rho, rate = surfaces.heavy_ball_best(1.0, kappa)
    tr = surfaces.trajectory(optim.sgd(lr=lr, momentum=rho), surfaces.quadratic(kappa, 0.7), (1.0, -0.5), 400)
    # the iteration matrix has a double eigenvalue of size rate, so |e_k| ~ k rate^k: measure late
    k0, k1 = 150, 350
    assert surfaces.measured_rate(tr.path, k0, k1) == pytest.approx(rate, rel=0.05)
    gd_rate = surfaces.gd_best(1.0, kappa)[1]
    assert rate < gd_rate


def test_noise_makes_the_trajectory_random_but_seeded():
    bowl = surfaces.quadratic(5.0)
    a = surfaces.trajectory(optim.sgd(lr=0.1), bowl, (1, 1), 50, noise=0.5, seed=1)
    b = surfaces.trajectory(optim.sgd(lr=0.1), bowl, (1, 1), 50, noise=0.5, seed=1)
    c = surfaces.trajectory(optim.sgd(lr=0.1), bowl, (1, 1), 50, noise=0.5, seed=2)
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.array_equal(a.path, c.path)


def test_bad_input():
    with pytest.raises(ValueError, match="kappa: expected a number >= 1.0"):
        surfaces.quadratic(kappa=0.5)
    with pytest.raises(ValueError, match="x0: expected shape \\(2\\)"):
        surfaces.trajectory(optim.sgd(lr=0.1), surfaces.quadratic(), (1, 2, 3), 5)
    with pytest.raises(ValueError, match="surface: expected one of"):
        surfaces.make("himmelblau")
