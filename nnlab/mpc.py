"""A learned controller (lecture 10): model predictive control, and a network trained to imitate it, measured.

The plant is linear, x_{k+1} = A x_k + B u_k; ``double_integrator`` gives the lecture's example (position and
velocity, pushed by a bounded force): A = [[1, dt], [0, 1]], B = [[dt^2 / 2], [dt]]. At a state x_0 the MPC picks
the inputs u_0, ..., u_{N-1} that minimise

    J = sum_{k<N} (x_k^T Q x_k + u_k^T R u_k) + x_N^T P x_N     subject to  -u_max <= u_k <= u_max,

applies u_0 and solves again at the next state. Writing every x_k as A^k x_0 + sum_{j<k} A^{k-1-j} B u_j (the
condensed form, x_{1..N} = Phi x_0 + Gamma U) makes J a bounded least-squares problem in U = (u_0, ..., u_{N-1}):

    J = |F U + G x_0|^2 + x_0^T Q x_0,    F = [S_Q Gamma; S_R],  G = [S_Q Phi; 0],

S_Q block-diagonal with the square roots of Q (P for x_N) and S_R of R. scipy.optimize.lsq_linear with method
"bvls" (bounded-variable least squares, an active-set method) solves it exactly; ``solver="slsqp"`` solves the
same problem with scipy.optimize.minimize's SLSQP, a general-purpose solver of the kind an MPC with other
constraints would need (to about 1e-6, several times slower). Without bounds it is the finite-horizon LQR,
u_k = -K_k x_k from the Riccati recursion (``lqr_gains``).

The learned controller is an nnlab.nn.MLP with ReLU units (a piecewise-affine function, as the MPC's first control
is) trained with nnlab.training on u_0*(x) at states drawn uniformly from a box, its output clipped to the bounds.
``timings`` measures one MPC solve against one NumPy forward pass of the network for a single state.
"""
from __future__ import annotations

import math
import statistics
import time
from typing import NamedTuple

import numpy as np

from . import _validate as valid
from . import nn, optim, training


class Problem(NamedTuple):
    A: np.ndarray        # (n, n)
    B: np.ndarray        # (n, m)
    Q: np.ndarray        # (n, n), symmetric positive semi-definite
    R: np.ndarray        # (m, m), symmetric positive definite
    P: np.ndarray        # (n, n), the terminal weight
    horizon: int         # N
    u_max: np.ndarray    # (m,), inf for an unbounded input
    Phi: np.ndarray      # (N n, n): x_{1..N} = Phi x_0 + Gamma U
    Gamma: np.ndarray    # (N n, N m)
    F: np.ndarray        # (N n + N m, N m): J = |F U + G x_0|^2 + x_0^T Q x_0
    G: np.ndarray        # (N n + N m, n)


class Solution(NamedTuple):
    u: np.ndarray        # (N, m) the optimal inputs
    x: np.ndarray        # (N + 1, n) the predicted states, x[0] = x_0
    cost: float          # J
    active: np.ndarray   # (N, m) True where an input sits on its bound


class Imitation(NamedTuple):
    net: nn.MLP          # inputs x / scale, output u / u_max (clipped to [-1, 1] in use)
    scale: np.ndarray    # (n,) the half-widths of the box the states were drawn from
    u_max: np.ndarray    # (m,)
    layers: list         # the network as deployed: (W, b) per layer, 1 / scale and u_max folded into the first and last
    X_train: np.ndarray
    U_train: np.ndarray  # u_0*(x) for each training state
    X_test: np.ndarray
    U_test: np.ndarray
    rms_error: float     # sqrt(mean |u_net - u_mpc|^2) on the held-out states
    max_error: float     # the largest |u_net - u_mpc| on the held-out states
    seconds: float       # training time (the labels' solves not included)


class Timing(NamedTuple):
    mpc_ms: float        # one MPC solve (lsq_linear), median over the states
    mlp_ms: float        # one forward pass of the network (NumPy), median over the states
    ratio: float         # mpc_ms / mlp_ms


# ------------------------------------------------------------------------------ the problem


def double_integrator(dt=0.1):
    """(A, B) of x = (position, velocity) under a force u held for dt: p += v dt + u dt^2 / 2, v += u dt."""
    dt = valid.real("dt", dt, low=0.0, low_open=True)
    return np.array([[1.0, dt], [0.0, 1.0]]), np.array([[dt * dt / 2], [dt]])


def _root(name, S, definite):
    """S^(1/2) with (S^(1/2))^T S^(1/2) = S, from the eigendecomposition of the symmetric S."""
    if not np.allclose(S, S.T, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(S).max())):
        raise ValueError(f"{name}: expected a symmetric matrix, got {S.tolist()}")
    lam, V = np.linalg.eigh(S)
    if lam.min() < -1e-12 * max(1.0, lam.max()) or (definite and lam.min() <= 0):
        kind = "positive definite" if definite else "positive semi-definite"
        raise ValueError(f"{name}: expected a {kind} matrix, got eigenvalues {lam.tolist()}")
    return np.sqrt(np.clip(lam, 0.0, None))[:, None] * V.T


def problem(A=None, B=None, Q=None, R=None, P=None, horizon=10, u_max=1.0):
    """The MPC problem and its condensed matrices. Defaults: the double integrator at dt = 0.1, Q = I, R = I,
    P = Q, N = 10, |u| <= 1. ``u_max`` is one bound for every input or one per input (np.inf: unbounded)."""
    A0, B0 = double_integrator()
    A = valid.as_array("A", A0 if A is None else A, ndim=2)
    n = A.shape[0]
    if A.shape != (n, n) or n == 0:
        raise ValueError(f"A: expected a non-empty square matrix, got shape {A.shape}")
    B = valid.as_array("B", B0 if B is None else B, shape=(n, None))
    m = B.shape[1]
    if m == 0:
        raise ValueError(f"B: expected at least one input column, got shape {B.shape}")
    Q = valid.as_array("Q", np.eye(n) if Q is None else Q, shape=(n, n))
    R = valid.as_array("R", np.eye(m) if R is None else R, shape=(m, m))
    P = valid.as_array("P", Q if P is None else P, shape=(n, n))
    N = valid.integer("horizon", horizon, low=1)
    u_max = valid.as_array("u_max", u_max, ndim=(0, 1), finite=False)
    if u_max.shape not in ((), (m,)):
        raise ValueError(f"u_max: expected one bound or {m} (one per input), got shape {u_max.shape}")
    u_max = np.broadcast_to(u_max, (m,)).copy()
    if np.any(np.isnan(u_max)) or np.any(u_max <= 0):
        raise ValueError(f"u_max: expected bounds > 0 (np.inf for none), got {u_max.tolist()}")
    SQ, SR, SP = _root("Q", Q, False), _root("R", R, True), _root("P", P, False)
    powers = [np.eye(n)]
    for _ in range(N):
        powers.append(A @ powers[-1])
    Phi = np.vstack(powers[1:])
    Gamma = np.zeros((N * n, N * m))
    for k in range(1, N + 1):                       # x_k = A^k x_0 + sum_{j<k} A^(k-1-j) B u_j
        for j in range(k):
            Gamma[(k - 1) * n:k * n, j * m:(j + 1) * m] = powers[k - 1 - j] @ B
    S = np.kron(np.eye(N), SQ)
    S[-n:, -n:] = SP
    F = np.vstack([S @ Gamma, np.kron(np.eye(N), SR)])
    G = np.vstack([S @ Phi, np.zeros((N * m, n))])
    return Problem(A, B, Q, R, P, N, u_max, Phi, Gamma, F, G)


def _problem(p):
    if not isinstance(p, Problem):
        raise ValueError(f"problem: expected a Problem made by mpc.problem(...), got {type(p).__name__}")
    return p


def _state(p, x0, name="x0"):
    return valid.as_array(name, x0, shape=(p.A.shape[0],))


# ------------------------------------------------------------------------------ solving


SOLVERS = ("bvls", "slsqp")


def _solve(p, x0, solver="bvls"):
    from scipy.optimize import lsq_linear, minimize

    bound, g = np.tile(p.u_max, p.horizon), p.G @ x0
    if np.all(np.isinf(bound)):
        return np.linalg.lstsq(p.F, -g, rcond=None)[0]
    if solver == "bvls":
        return lsq_linear(p.F, -g, bounds=(-bound, bound), method="bvls").x

    def J(U):                                     # |F U + g|^2 and its gradient 2 F^T (F U + g)
        r = p.F @ U + g
        return r @ r, 2.0 * (p.F.T @ r)

    return minimize(J, np.zeros(p.F.shape[1]), jac=True, method="SLSQP", bounds=list(zip(-bound, bound)),
                    options=dict(ftol=1e-12, maxiter=500)).x


def solve(problem, x0, solver="bvls"):
    """The optimal inputs from x0, the predicted states, J (by simulating the plant) and where bounds bind."""
    p = _problem(problem)
    x0 = _state(p, x0)
    m = p.B.shape[1]
    u = _solve(p, x0, valid.choice("solver", solver, SOLVERS)).reshape(p.horizon, m)
    x = [x0]
    for k in range(p.horizon):
        x.append(p.A @ x[-1] + p.B @ u[k])
    x = np.array(x)
    cost = sum(x[k] @ p.Q @ x[k] + u[k] @ p.R @ u[k] for k in range(p.horizon)) + x[-1] @ p.P @ x[-1]
    active = np.abs(u) >= p.u_max * (1 - 1e-9)
    return Solution(u, x, float(cost), active)


def first_control(problem, x0, solver="bvls"):
    """u_0*(x0), the input the MPC applies (m,)."""
    p = _problem(problem)
    return _solve(p, _state(p, x0), valid.choice("solver", solver, SOLVERS))[:p.B.shape[1]]


def lqr_gains(problem):
    """The finite-horizon LQR gains K_k (N, m, n), u_k = -K_k x_k: the MPC's solution when no bound binds.
        P_N = P,   K_k = (R + B^T P_{k+1} B)^{-1} B^T P_{k+1} A,   P_k = Q + A^T P_{k+1} (A - B K_k)."""
    p = _problem(problem)
    S, K = p.P, []
    for _ in range(p.horizon):
        Kk = np.linalg.solve(p.R + p.B.T @ S @ p.B, p.B.T @ S @ p.A)
        S = p.Q + p.A.T @ S @ (p.A - p.B @ Kk)
        K.append(Kk)
    return np.array(K[::-1])


# ------------------------------------------------------------------------------ the learned controller


def _deployed(params, scale, u_max):
    """The layers with the input scaling and the output's u_max folded in: x / scale enters as W_1 / scale."""
    layers = [(W.copy(), b.copy()) for W, b in params]
    layers[0] = (layers[0][0] / scale[:, None], layers[0][1])
    layers[-1] = (layers[-1][0] * u_max, layers[-1][1] * u_max)
    return layers


def _policy(layers, u_max, x):
    """The network's control for one state: ReLU layers, a linear output, clipped to the bounds."""
    h = x
    for W, b in layers[:-1]:
        h = np.maximum(h @ W + b, 0.0)
    W, b = layers[-1]
    return np.minimum(np.maximum(h @ W + b, -u_max), u_max)


def imitate(problem, n_train=1000, n_test=300, box=(3.0, 2.0), hidden=(32, 32), epochs=150, lr=0.01,
            batch_size=32, seed=0):
    """Train an MLP on u_0*(x) at ``n_train`` states drawn uniformly from the box |x_i| <= box_i, and measure it
    on ``n_test`` others. Inputs x / box, targets u / u_max; Adam with a cosine schedule over the epochs."""
    p = _problem(problem)
    n, m = p.B.shape
    if np.any(np.isinf(p.u_max)):
        raise ValueError(f"problem: expected bounded inputs to imitate (the output is scaled by u_max), got u_max "
                         f"{p.u_max.tolist()}")
    n_train, n_test = valid.integer("n_train", n_train, low=1), valid.integer("n_test", n_test, low=1)
    scale = valid.as_array("box", box, shape=(n,))
    if np.any(scale <= 0):
        raise ValueError(f"box: expected half-widths > 0, got {scale.tolist()}")
    widths = [valid.integer(f"hidden[{i}]", h, low=1) for i, h in enumerate(hidden)]
    epochs = valid.integer("epochs", epochs, low=1)
    lr = valid.real("lr", lr, low=0.0, low_open=True)
    batch_size = valid.integer("batch_size", batch_size, low=1)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-scale, scale, (n_train + n_test, n))
    U = np.array([_solve(p, x)[:m] for x in X])
    net = nn.MLP([n, *widths, m], hidden="relu", output="linear", init="he", seed=seed)
    steps = training.steps_per_epoch(n_train, batch_size)
    opt = optim.with_lr(optim.adam(lr=lr), training.epoch_schedule(lr, ("cosine", epochs), steps))
    trainer = training.Trainer(net, X[:n_train] / scale, U[:n_train] / p.u_max, optimizer=opt, batch_size=batch_size,
                               seed=seed, record=False, compiled=False)
    t0 = time.perf_counter()
    trainer.fit(epochs)
    seconds = time.perf_counter() - t0
    X_test, U_test = X[n_train:], U[n_train:]
    err = np.clip(net.forward(X_test / scale), -1.0, 1.0) * p.u_max - U_test
    rms, worst = float(np.sqrt(np.mean(np.sum(err * err, axis=1)))), float(np.max(np.abs(err)))
    return Imitation(net, scale, p.u_max, _deployed(net.params, scale, p.u_max), X[:n_train], U[:n_train], X_test,
                     U_test, rms, worst, seconds)


def control(imitation, x):
    """The learned controller's input at state x: the network's output, clipped to the bounds."""
    if not isinstance(imitation, Imitation):
        raise ValueError(f"imitation: expected the Imitation that imitate returned, got {type(imitation).__name__}")
    x = valid.as_array("x", x, shape=(len(imitation.scale),))
    return _policy(imitation.layers, imitation.u_max, x)


def _per_call_ms(fn, states, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for x in states:
            fn(x)
        times.append((time.perf_counter() - t0) / len(states))
    return statistics.median(times) * 1e3


def timings(problem, imitation, states=None, repeats=5, solver="bvls"):
    """Milliseconds per MPC solve and per forward pass of the network, for one state at a time (the held-out states
    by default), each the median over ``repeats`` passes over the states; and their ratio."""
    p = _problem(problem)
    solver = valid.choice("solver", solver, SOLVERS)
    if not isinstance(imitation, Imitation):
        raise ValueError(f"imitation: expected the Imitation that imitate returned, got {type(imitation).__name__}")
    states = imitation.X_test if states is None else valid.as_array("states", states, shape=(None, p.A.shape[0]))
    if len(states) == 0:
        raise ValueError("states: expected at least one state, got none")
    repeats = valid.integer("repeats", repeats, low=1)
    layers, u_max = imitation.layers, imitation.u_max
    _solve(p, states[0], solver), _policy(layers, u_max, states[0])      # first calls (scipy's imports) untimed
    mpc_ms = _per_call_ms(lambda x: _solve(p, x, solver), states, repeats)
    mlp_ms = _per_call_ms(lambda x: _policy(layers, u_max, x), states, repeats)
    return Timing(mpc_ms, mlp_ms, mpc_ms / mlp_ms if mlp_ms > 0 else math.inf)
