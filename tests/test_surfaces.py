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


# ------------------------------------------------- the compiled race (nnlab/_race_kernel.py)

RACERS = dict(optim.race_optimizers(lr=1e-3, lr_adaptive=1e-2),
              heavy=optim.heavy_ball(lr=1e-3, eta=0.9), adam_raw=optim.adam(lr=1e-2, bias_correction=False),
              amsgrad=optim.adam(lr=1e-2, amsgrad=True, weight_decay=0.01),
              rms_centred=optim.rmsprop(lr=1e-2, centered=True, momentum=0.5),
              sgd_all=optim.sgd(lr=1e-3, momentum=0.8, dampening=0.1, weight_decay=0.05),
              adagrad_all=optim.adagrad(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01),
              blows_up=optim.sgd(lr=0.5))


@pytest.mark.parametrize("name", list(surfaces.SURFACES))
@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_compiled_race_is_each_optimisers_numpy_trajectory(name, noise):
    """Same stops and messages; paths equal to rounding. Last-bit differences (a fused multiply-add)
    grow on chaotic paths, so later steps are compared where the path is stable: on the bowl."""
    from nnlab import _race_kernel

    s = surfaces.make(name)
    assert _race_kernel.run(list(RACERS.values()), s, s.start, 5, noise, 0) is not None, "compiled path not taken"
    fast = surfaces.race(RACERS, s, s.start, 1000, noise, seed=3)
    for key, opt in RACERS.items():
        ref = surfaces.trajectory(opt, s, s.start, 1000, noise, seed=3)
        assert fast[key].diverged == ref.diverged and fast[key].path.shape == ref.path.shape, key
        n = 1000 if name == "quadratic" else 50
        np.testing.assert_allclose(fast[key].path[:n], ref.path[:n], rtol=1e-12, atol=1e-14, err_msg=key)
        np.testing.assert_allclose(fast[key].loss[:n], ref.loss[:n], rtol=1e-10, atol=1e-14, err_msg=key)


def test_compiled_race_matches_torch_optim_on_the_bowl():
    import torch

    bowl = surfaces.quadratic(20.0, theta=0.4)
    H = torch.tensor(bowl.hess(np.zeros(2)))
    makers = {"SGD": lambda p: torch.optim.SGD(p, lr=0.02),
              "momentum": lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9),
              "Nesterov": lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9, nesterov=True),
              "AdaGrad": lambda p: torch.optim.Adagrad(p, lr=0.1),
              "RMSProp": lambda p: torch.optim.RMSprop(p, lr=0.1, alpha=0.99),
              "Adam": lambda p: torch.optim.Adam(p, lr=0.1, betas=(0.9, 0.99))}
    ours = surfaces.race(optim.race_optimizers(lr=0.02, lr_adaptive=0.1, rho=0.9, beta2=0.99), bowl, bowl.start, 50)
    for key, make in makers.items():
        x = torch.tensor(bowl.start, dtype=torch.float64, requires_grad=True)
        opt, path = make([x]), [x.detach().clone().numpy()]
        for _ in range(50):
            opt.zero_grad()
            (0.5 * x @ H @ x).backward()
            opt.step()
            path.append(x.detach().clone().numpy())
        np.testing.assert_allclose(ours[key].path, np.array(path), rtol=1e-10, atol=1e-13, err_msg=key)


def test_race_falls_back_to_numpy_for_schedules_and_custom_surfaces():
    from nnlab import _race_kernel

    bowl = surfaces.quadratic(5.0)
    scheduled = {"step lr": optim.sgd(lr=optim.step_lr(0.1, 10, 0.5))}
    assert _race_kernel.run(list(scheduled.values()), bowl, bowl.start, 5, 0.0, 0) is None
    mine = surfaces.Surface("mine", lambda P: (np.asarray(P) ** 2).sum(-1), lambda P: 2 * np.asarray(P, float),
                            lambda P: None, (-1, 1), (-1, 1))
    for surf, opts in ((bowl, scheduled), (mine, {"SGD": optim.sgd(lr=0.1)})):
        got = surfaces.race(opts, surf, (0.5, -0.5), 30)
        for key, opt in opts.items():
            np.testing.assert_array_equal(got[key].path, surfaces.trajectory(opt, surf, (0.5, -0.5), 30).path)


def test_a_race_without_optimisers_is_empty():
    assert surfaces.race({}, surfaces.quadratic(), (1.0, 1.0), 10) == {}
