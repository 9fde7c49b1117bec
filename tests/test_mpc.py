"""nnlab.mpc against closed forms: without bounds the finite-horizon LQR (Riccati) and the normal equations of the
stacked cost; with bounds the optimality (KKT) conditions and a brute-force grid; SLSQP on the same problem. The
network's imitation error on held-out states, and the speed-up of one forward pass over one solve."""
import numpy as np
import pytest

from nnlab import mpc


def simulate_cost(A, B, Q, R, P, x0, U):
    """J by running the plant (no condensed matrices): sum x^T Q x + u^T R u over k < N, + x_N^T P x_N."""
    x, J = np.asarray(x0, float), 0.0
    for u in U:
        J += x @ Q @ x + u @ R @ u
        x = A @ x + B @ u
    return J + x @ P @ x


def hessian_form(p, x0):
    """The QP J = U^T H U + 2 f^T U + c written directly from the block matrices (no square roots)."""
    n, N = p.A.shape[0], p.horizon
    Qbar = np.kron(np.eye(N), p.Q)
    Qbar[-n:, -n:] = p.P
    H = p.Gamma.T @ Qbar @ p.Gamma + np.kron(np.eye(N), p.R)
    return H, p.Gamma.T @ Qbar @ p.Phi @ x0, x0 @ (p.Phi.T @ Qbar @ p.Phi + p.Q) @ x0


STATES = np.random.default_rng(0).uniform([-3, -2], [3, 2], (40, 2))


@pytest.mark.parametrize("seed", range(3))
def test_without_bounds_the_mpc_is_the_finite_horizon_lqr(seed):
    rng = np.random.default_rng(seed)
    n, m = 2 + seed, 1 + seed % 2
    A, B = rng.normal(size=(n, n)) / np.sqrt(n), rng.normal(size=(n, m))
    L = rng.normal(size=(n, n))
    p = mpc.problem(A, B, Q=L @ L.T + np.eye(n), R=0.5 * np.eye(m), P=2 * np.eye(n), horizon=8, u_max=np.inf)
    K = mpc.lqr_gains(p)
    for x0 in rng.normal(size=(5, n)):
        sol = mpc.solve(p, x0)
        for k in range(p.horizon):                       # u_k = -K_k x_k along the predicted states
            np.testing.assert_allclose(sol.u[k], -K[k] @ sol.x[k], rtol=0, atol=1e-10 * max(1, np.abs(sol.u).max()))
        H, f, _ = hessian_form(p, x0)
        np.testing.assert_allclose(sol.u.ravel(), -np.linalg.solve(H, f), rtol=1e-9, atol=1e-12)
        assert sol.cost == pytest.approx(simulate_cost(p.A, p.B, p.Q, p.R, p.P, x0, sol.u), rel=1e-12)
        assert not sol.active.any()


def test_bounds_hold_and_the_kkt_conditions_certify_the_optimum():
    """For a box-constrained convex QP: where u_i is inside its bounds dJ/du_i = 0, at the upper bound dJ/du_i <= 0,
    at the lower bound >= 0."""
    p = mpc.problem()
    saturated = 0
    for x0 in STATES:
        sol = mpc.solve(p, x0)
        U = sol.u.ravel()
        assert np.all(np.abs(U) <= p.u_max[0] + 1e-12)
        H, f, c = hessian_form(p, x0)
        grad = 2 * (H @ U + f)
        tol = 1e-9 * max(1.0, np.abs(grad).max())
        upper, lower = U >= p.u_max[0] - 1e-12, U <= -p.u_max[0] + 1e-12
        assert np.all(np.abs(grad[~upper & ~lower]) <= tol)
        assert np.all(grad[upper] <= tol) and np.all(grad[lower] >= -tol)
        np.testing.assert_array_equal(sol.active.ravel(), upper | lower)
        saturated += bool(sol.active.any())
        assert sol.cost == pytest.approx(U @ H @ U + 2 * f @ U + c, rel=1e-12)
        assert sol.cost == pytest.approx(simulate_cost(p.A, p.B, p.Q, p.R, p.P, x0, sol.u), rel=1e-12)
    assert 5 < saturated < 40                      # both kinds of state are among them


def test_a_tiny_case_against_a_brute_force_grid():
    """Horizon 2, |u| <= 0.5: J on a 401 x 401 grid of (u_0, u_1), by running the plant."""
    A, B = mpc.double_integrator(0.5)
    p = mpc.problem(A, B, Q=np.diag([1.0, 0.2]), R=[[0.3]], horizon=2, u_max=0.5)
    grid = np.linspace(-0.5, 0.5, 401)
    u0, u1 = np.meshgrid(grid, grid, indexing="ij")
    for x0 in ([1.0, 0.5], [-0.3, 0.2], [0.05, -0.1], [2.0, 2.0]):
        x1 = A @ x0 + B[:, 0] * u0[..., None]                     # (401, 401, 2)
        x2 = x1 @ A.T + B[:, 0] * u1[..., None]
        J = x0 @ p.Q @ x0 + 0.3 * u0 ** 2 + np.einsum("...i,ij,...j", x1, p.Q, x1) + 0.3 * u1 ** 2 \
            + np.einsum("...i,ij,...j", x2, p.P, x2)
        sol = mpc.solve(p, x0)
        best = np.unravel_index(np.argmin(J), J.shape)
        assert sol.cost <= J.min() + 1e-12
        np.testing.assert_allclose(sol.u.ravel(), [grid[best[0]], grid[best[1]]], atol=0.0026)   # one grid step
        assert mpc.first_control(p, x0) == pytest.approx(sol.u[0], abs=1e-15)


def test_slsqp_solves_the_same_problem():
    p = mpc.problem()
    for x0 in STATES[:10]:
        np.testing.assert_allclose(mpc.solve(p, x0, solver="slsqp").u, mpc.solve(p, x0).u, atol=1e-5)


def test_several_inputs_with_a_bound_each():
    rng = np.random.default_rng(4)
    p = mpc.problem(np.eye(3) + 0.1 * rng.normal(size=(3, 3)), rng.normal(size=(3, 2)), horizon=6, u_max=[0.2, np.inf])
    for x0 in rng.normal(scale=3, size=(10, 3)):
        sol = mpc.solve(p, x0)
        assert np.all(np.abs(sol.u[:, 0]) <= 0.2 + 1e-12) and not sol.active[:, 1].any()
        H, f, _ = hessian_form(p, x0)
        grad = 2 * (H @ sol.u.ravel() + f)
        assert np.all(np.abs(grad[1::2]) <= 1e-8 * max(1, np.abs(grad).max()))    # the unbounded input: stationary


# ------------------------------------------------------------------------------ the learned controller


@pytest.fixture(scope="module")
def learned():
    p = mpc.problem()
    return p, mpc.imitate(p)


def test_the_network_imitates_the_mpc_on_held_out_states(learned):
    p, im = learned
    assert im.rms_error < 0.02 * p.u_max[0] and im.max_error < 0.1 * p.u_max[0]
    assert len(im.X_train) == 1000 and len(im.X_test) == 300
    mpc_u = np.array([mpc.first_control(p, x) for x in im.X_test])
    np.testing.assert_array_equal(mpc_u, im.U_test)
    ours = np.array([mpc.control(im, x) for x in im.X_test])
    assert np.sqrt(np.mean((ours - mpc_u) ** 2)) == pytest.approx(im.rms_error, rel=1e-9)
    np.testing.assert_allclose(ours, np.clip(im.net.forward(im.X_test / im.scale), -1, 1) * p.u_max, atol=1e-14)
    assert 0.2 < np.mean(np.abs(im.U_test) >= p.u_max - 1e-9) < 0.8       # saturated and unsaturated states
    assert im.seconds < 20


def test_the_learned_controller_respects_the_bounds_everywhere(learned):
    p, im = learned
    far = np.random.default_rng(5).uniform(-30, 30, (200, 2))            # far outside the training box
    assert all(np.all(np.abs(mpc.control(im, x)) <= p.u_max) for x in far)


def test_one_forward_pass_is_more_than_10_times_faster_than_one_solve(learned):
    p, im = learned
    t = mpc.timings(p, im, repeats=5)
    assert t.ratio > 10, t
    assert t.ratio == pytest.approx(t.mpc_ms / t.mlp_ms)


# ------------------------------------------------------------------------------ bad inputs


def test_bad_inputs_raise_errors_naming_the_argument():
    p = mpc.problem()
    bad = [
        (lambda: mpc.double_integrator(0.0), "^dt: "),
        (lambda: mpc.problem(A=np.ones((2, 3))), "^A: "),
        (lambda: mpc.problem(B=np.ones((3, 1))), "^B: "),
        (lambda: mpc.problem(Q=[[1, 2], [0, 1]]), "^Q: expected a symmetric"),
        (lambda: mpc.problem(Q=-np.eye(2)), "^Q: expected a positive semi-definite"),
        (lambda: mpc.problem(R=[[0.0]]), "^R: expected a positive definite"),
        (lambda: mpc.problem(P=np.eye(3)), "^P: "),
        (lambda: mpc.problem(horizon=0), "^horizon: "),
        (lambda: mpc.problem(u_max=0.0), "^u_max: "),
        (lambda: mpc.problem(u_max=[1.0, 2.0]), "^u_max: .*one per input"),
        (lambda: mpc.problem(u_max=np.nan), "^u_max: "),
        (lambda: mpc.solve(p, [1.0, 2.0, 3.0]), "^x0: "),
        (lambda: mpc.solve(p, [1.0, np.inf]), "^x0: "),
        (lambda: mpc.solve((1, 2), [1.0, 2.0]), "^problem: "),
        (lambda: mpc.solve(p, [1.0, 2.0], solver="osqp"), "^solver: "),
        (lambda: mpc.imitate(mpc.problem(u_max=np.inf)), "^problem: .*bounded"),
        (lambda: mpc.imitate(p, box=(1.0, -1.0)), "^box: "),
        (lambda: mpc.imitate(p, hidden=(8, 0)), "^hidden\\[1\\]: "),
        (lambda: mpc.imitate(p, n_train=0), "^n_train: "),
        (lambda: mpc.control("net", [0.0, 0.0]), "^imitation: "),
        (lambda: mpc.timings(p, None), "^imitation: "),
    ]
    for call, message in bad:
        with pytest.raises(ValueError, match=message):
            call()
