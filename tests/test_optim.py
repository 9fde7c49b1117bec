"""nnlab.optim against torch.optim: single updates to 1e-12 and whole trajectories."""
import numpy as np
import pytest
import torch

from nnlab import optim

RNG = np.random.default_rng(0)

CASES = [
    ("SGD", optim.sgd, torch.optim.SGD, [dict(lr=0.1), dict(lr=0.05, momentum=0.9), dict(lr=0.02, momentum=0.99,
     nesterov=True), dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.01)]),
    ("Adagrad", optim.adagrad, torch.optim.Adagrad, [dict(), dict(lr=0.3, lr_decay=0.01, weight_decay=0.1,
     initial_accumulator_value=0.2, eps=1e-6)]),
    ("RMSprop", optim.rmsprop, torch.optim.RMSprop, [dict(), dict(lr=0.003, alpha=0.9, momentum=0.5),
     dict(lr=0.01, centered=True, weight_decay=0.05, eps=1e-6)]),
    ("Adam", optim.adam, torch.optim.Adam, [dict(), dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.02),
     dict(lr=0.01, amsgrad=True, eps=1e-6)]),
]


def _shapes():
    return [(3,), (2, 4), (5, 1, 2)]


@pytest.mark.parametrize("name, ours, theirs, configs", CASES, ids=[c[0] for c in CASES])
def test_updates_match_torch_optim_to_1e12(name, ours, theirs, configs):
    for config in configs:
        params = [RNG.normal(size=s) for s in _shapes()]
        tparams = [torch.tensor(p, requires_grad=True) for p in params]
        topt = theirs(tparams, foreach=False, **config)
        opt = ours(**config)
        state = opt.init(params)
        for _ in range(7):  # several steps, so the state (buffers, step count) is exercised too
            grads = [RNG.normal(size=p.shape) for p in params]
            for t, g in zip(tparams, grads):
                t.grad = torch.tensor(g)
            topt.step()
            params, state = opt.update(grads, state, params)
            for p, t in zip(params, tparams):
                np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-12, atol=1e-15, err_msg=f"{name} {config}")


def _quadratic(d, kappa, rng):
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    H = Q @ np.diag(np.linspace(1, kappa, d)) @ Q.T
    return H


@pytest.mark.parametrize("name, ours, theirs, configs", CASES, ids=[c[0] for c in CASES])
def test_trajectories_match_torch_for_50_steps_on_random_quadratics(name, ours, theirs, configs):
    """Later steps of the normalised methods (RMSProp, Adam, AdaGrad) divide by tiny square roots
    near the minimum and amplify last-bit differences, so the comparison stops at 50 steps."""
    rng = np.random.default_rng(1)
    for config in configs:
        H = _quadratic(4, 20.0, rng)
        x = rng.normal(size=4)
        xt = torch.tensor(x.copy(), requires_grad=True)
        topt = theirs([xt], foreach=False, **config)
        opt = ours(**config)
        state = opt.init(x)
        Ht = torch.tensor(H)
        for _ in range(50):
            topt.zero_grad()
            (0.5 * xt @ Ht @ xt).backward()
            topt.step()
            x, state = opt.update(H @ x, state, x)
        np.testing.assert_allclose(x, xt.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=f"{name} {config}")


def test_heavy_ball_is_sgd_momentum():
    rng = np.random.default_rng(2)
    H = _quadratic(3, 50.0, rng)
    x0 = rng.normal(size=3)
    a, b = optim.sgd(lr=0.01, momentum=0.9), optim.heavy_ball(lr=0.01, eta=0.9)
    xa, sa, xb, sb = x0, a.init(x0), x0, b.init(x0)
    for _ in range(200):
        xa, sa = a.update(H @ xa, sa, xa)
        xb, sb = b.update(H @ xb, sb, xb)
    np.testing.assert_allclose(xa, xb, rtol=1e-9, atol=1e-14)


def test_adam_without_bias_correction_takes_first_steps_about_three_times_too_large():
    """Step 1 without bias correction: m = (1 - b1) g, v = (1 - b2) g^2, so the step is
    lr (1 - b1) / sqrt(1 - b2) = 3.16 lr for the default betas, whatever g; with it, exactly lr."""
    x = np.array([1.0])
    g = np.array([2.0])
    corrected, raw = optim.adam(lr=0.1), optim.adam(lr=0.1, bias_correction=False)
    x1, _ = corrected.update(g, corrected.init(x), x)
    x2, _ = raw.update(g, raw.init(x), x)
    assert 1 - x1[0] == pytest.approx(0.1, rel=1e-6)                          # a full lr-sized step
    assert 1 - x2[0] == pytest.approx(0.1 * 0.1 / np.sqrt(0.001), rel=1e-6)   # lr (1-b1) / sqrt(1-b2)
    assert (1 - x2[0]) / (1 - x1[0]) == pytest.approx(3.162, rel=1e-3)


@pytest.mark.parametrize("ours, theirs", [
    (lambda: optim.step_lr(0.1, 3, 0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
    (lambda: optim.exponential_lr(0.1, 0.9), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
    (lambda: optim.cosine_lr(0.1, 10, 0.01), lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 10, 0.01)),
])
def test_schedules_match_torch(ours, theirs):
    p = torch.zeros(1, requires_grad=True)
    o = torch.optim.SGD([p], lr=0.1)
    sched = theirs(o)
    mine = ours()
    for t in range(10):
        assert mine(t) == pytest.approx(o.param_groups[0]["lr"], rel=1e-12)
        o.step()
        sched.step()


def test_schedule_drives_the_update():
    opt = optim.sgd(lr=optim.step_lr(1.0, 2, 0.1))
    x, s = np.array([0.0]), opt.init(np.array([0.0]))
    steps = []
    for _ in range(4):
        x_new, s = opt.update(np.array([1.0]), s, x)
        steps.append(float((x - x_new)[0]))
        x = x_new
    np.testing.assert_allclose(steps, [1, 1, 0.1, 0.1])


def test_gauss_newton_fit_matches_scipy():
    from scipy.optimize import least_squares

    x = np.linspace(0, 1, 30)
    y = 2.0 * np.exp(-1.3 * x) + 0.01 * np.random.default_rng(3).normal(size=30)
    path = optim.fit_exponential_gauss_newton(x, y, theta0=(1.0, 0.0), steps=15)
    ref = least_squares(lambda t: t[0] * np.exp(t[1] * x) - y, x0=[1.0, 0.0], xtol=1e-14, ftol=1e-14).x
    np.testing.assert_allclose(path[-1], ref, rtol=1e-8)


@pytest.mark.parametrize("call, words", [
    (lambda: optim.sgd(lr=-1), ["lr", ">= 0"]),
    (lambda: optim.sgd(lr=0.1, nesterov=True), ["nesterov", "momentum > 0"]),
    (lambda: optim.adam(betas=(0.9, 1.0)), ["betas", "[0, 1)"]),
    (lambda: optim.adam(betas=0.9), ["betas", "pair"]),
    (lambda: optim.sgd(lr=0.1).update([np.zeros(2)], optim.sgd(lr=0.1).init([np.zeros(3)]), [np.zeros(3)]),
     ["grads", "(3,)"]),
])
def test_bad_input(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for w in words:
        assert w in str(info.value), str(info.value)


def test_jitable_marks_without_numba_and_the_compiled_modules_register_the_marks():
    """``optim_rules.jitable`` leaves a function plain Python and imports no numba (tests/test_memory.py checks the
    lectures); ``_optim_kernel`` registers every marked function when it is imported, and a function marked after
    that at once, so compiled code can call either."""
    import subprocess
    import sys

    code = ("import sys\nfrom nnlab import nn, optim, optim_rules\nassert 'numba' not in sys.modules\n"
            "early = optim_rules.jitable(lambda x: x + 1.0)\n"
            "from nnlab import _optim_kernel\nlate = optim_rules.jitable(lambda x: 2.0 * x)\n"
            "import numba\nuse = numba.njit(lambda x: late(early(x)))\n"
            "assert use(1.0) == 4.0 and early(1.0) == 2.0 and type(late).__name__ == 'function'\n"
            "print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
