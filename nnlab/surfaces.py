"""Two-dimensional test functions with analytic gradients and Hessians, and optimiser trajectories.

Every surface works on points of shape (..., 2): ``f(P)`` has shape (...), ``grad(P)`` and
``hess(P)`` add the trailing (2,) and (2, 2).
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from . import _validate as valid
from .optim import Divergence


@dataclass(frozen=True)
class Surface:
    name: str
    f: Callable
    grad: Callable
    hess: Callable
    xlim: tuple
    ylim: tuple
    minima: tuple = ()          # known minimisers
    start: tuple = (0.0, 0.0)   # a start point that shows the surface's character
    kernel: tuple = ()          # (name, numbers) of its gradient in ``_race_kernel`` (built-in surfaces only)


def _xy(P):
    P = np.asarray(P, float)
    return P[..., 0], P[..., 1]


def quadratic(kappa=10.0, theta=0.0):
    """f = 1/2 x^T H x with H = R diag(1, kappa) R^T, R a rotation by theta (radians):
    Hessian eigenvalues 1 and kappa, condition number kappa."""
    kappa = valid.real("kappa", kappa, low=1.0)
    R = eigvecs(valid.real("theta", theta))
    H = R @ np.diag([1.0, kappa]) @ R.T
    span = 2.0
    return Surface(f"quadratic bowl (kappa = {kappa:g})",
                   lambda P: 0.5 * np.einsum("...i,ij,...j->...", np.asarray(P, float), H, np.asarray(P, float)),
                   lambda P: np.asarray(P, float) @ H,
                   lambda P: np.broadcast_to(H, np.shape(P)[:-1] + (2, 2)),
                   (-span, span), (-span, span), ((0.0, 0.0),), tuple(R @ np.array([1.5, 1.0])),
                   ("quadratic", tuple(H.ravel())))


def eigvecs(theta):
    """The bowl's eigenvectors (columns, for eigenvalues 1 and kappa): a rotation by theta."""
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


def rosenbrock(a=1.0, b=100.0):
    """(a - x)^2 + b (y - x^2)^2: a curved, narrow valley with its minimum at (a, a^2)."""
    def f(P):
        x, y = _xy(P)
        return (a - x) ** 2 + b * (y - x * x) ** 2

    def grad(P):
        x, y = _xy(P)
        return np.stack([-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)], -1)

    def hess(P):
        x, y = _xy(P)
        return np.stack([np.stack([2 - 4 * b * (y - x * x) + 8 * b * x * x, -4 * b * x], -1),
                         np.stack([-4 * b * x, np.full_like(x, 2 * b)], -1)], -2)

    return Surface("Rosenbrock", f, grad, hess, (-2.0, 2.0), (-1.0, 3.0), ((a, a * a),), (-1.5, 2.0),
                   ("rosenbrock", (a, b)))


def saddle():
    """x^2 / 2 - y^2 / 2 + y^4 / 4: a saddle at the origin between minima at (0, +-1)."""
    def f(P):
        x, y = _xy(P)
        return 0.5 * x * x - 0.5 * y * y + 0.25 * y**4

    def grad(P):
        x, y = _xy(P)
        return np.stack([x, -y + y**3], -1)

    def hess(P):
        x, y = _xy(P)
        return np.stack([np.stack([np.ones_like(x), np.zeros_like(x)], -1),
                         np.stack([np.zeros_like(x), -1 + 3 * y * y], -1)], -2)

    return Surface("saddle", f, grad, hess, (-2.0, 2.0), (-2.0, 2.0), ((0.0, 1.0), (0.0, -1.0)), (1.8, 1e-3),
                   ("saddle", ()))


def wells():
    """(x^2 - 1)^2 + (y^2 - 1)^2 + 0.3 x + 0.2 y: four local minima of different depths."""
    def f(P):
        x, y = _xy(P)
        return (x * x - 1) ** 2 + (y * y - 1) ** 2 + 0.3 * x + 0.2 * y

    def grad(P):
        x, y = _xy(P)
        return np.stack([4 * x * (x * x - 1) + 0.3, 4 * y * (y * y - 1) + 0.2], -1)

    def hess(P):
        x, y = _xy(P)
        z = np.zeros_like(x)
        return np.stack([np.stack([12 * x * x - 4, z], -1), np.stack([z, 12 * y * y - 4], -1)], -2)

    return Surface("four wells", f, grad, hess, (-1.8, 1.8), (-1.8, 1.8), (), (0.9, 1.6), ("wells", ()))


def beale():
    """Beale's function: (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2, minimum at (3, 0.5)."""
    c = (1.5, 2.25, 2.625)

    def parts(P):
        x, y = _xy(P)
        return x, y, [(ci - x + x * y ** (k + 1)) for k, ci in enumerate(c)]

    def f(P):
        _, _, r = parts(P)
        return sum(ri * ri for ri in r)

    def grad(P):
        x, y, r = parts(P)
        gx = sum(2 * ri * (y ** (k + 1) - 1) for k, ri in enumerate(r))
        gy = sum(2 * ri * x * (k + 1) * y**k for k, ri in enumerate(r))
        return np.stack([gx, gy], -1)

    def hess(P):
        x, y, r = parts(P)
        dx = [y ** (k + 1) - 1 for k in range(3)]
        dy = [x * (k + 1) * y**k for k in range(3)]
        dxy = [(k + 1) * y**k for k in range(3)]
        dyy = [x * (k + 1) * k * y ** (k - 1) if k else 0 * x for k in range(3)]
        hxx = sum(2 * dx[k] ** 2 for k in range(3))
        hxy = sum(2 * (dx[k] * dy[k] + r[k] * dxy[k]) for k in range(3))
        hyy = sum(2 * (dy[k] ** 2 + r[k] * dyy[k]) for k in range(3))
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

    return Surface("Beale", f, grad, hess, (-1.0, 4.0), (-1.5, 2.0), ((3.0, 0.5),), (0.5, 1.5), ("beale", c))


SURFACES = {"quadratic": quadratic, "rosenbrock": rosenbrock, "saddle": saddle, "wells": wells, "beale": beale}


def make(name, **kwargs):
    return SURFACES[valid.choice("surface", name, tuple(SURFACES))](**kwargs)


# ---------------------------------------------------------------- trajectories


@dataclass
class Trajectory:
    path: np.ndarray          # (k + 1, 2): start and every iterate
    loss: np.ndarray          # f at every point of the path
    diverged: Divergence | None   # when and why it stopped early, or None

    @property
    def steps(self):
        return len(self.path) - 1

    def steps_to(self, tol, f_min=0.0):
        """First step at which f - f_min <= tol (None if never)."""
        hits = np.flatnonzero(self.loss - f_min <= tol)
        return int(hits[0]) if hits.size else None


def _diverged(step, finite, bound):
    return Divergence(step, f"|x| > {bound:g}" if finite else "x is not finite")


def trajectory(optimizer, surface, x0, steps, noise=0.0, seed=None, bound=1e6):
    """Run ``optimizer`` on ``surface`` from ``x0``; gradients get N(0, noise^2) added when noise > 0.

    Stops cleanly, without warnings, when the iterate or the loss stops being finite or |x| > bound,
    and says at which step (``diverged``)."""
    x = valid.as_array("x0", x0, shape=(2,))
    steps = valid.integer("steps", steps, low=0, high=1_000_000)
    noise = valid.real("noise", noise, low=0.0)
    rng = np.random.default_rng(seed)
    state = optimizer.init(x)
    path = np.empty((steps + 1, 2))
    path[0] = x
    diverged = None
    k = 0
    with np.errstate(all="ignore"):
        for k in range(1, steps + 1):
            g = surface.grad(x)
            if noise:
                g = g + noise * rng.standard_normal(2)
            x, state = optimizer.update(g, state, x)
            if not np.all(np.isfinite(x)) or np.max(np.abs(x)) > bound:
                diverged = _diverged(k, np.all(np.isfinite(x)), bound)
                k -= 1
                break
            path[k] = x
        else:
            k = steps
        loss = surface.f(path[:k + 1])
    return Trajectory(path[:k + 1].copy(), np.asarray(loss, float), diverged)


# ---------------------------------------------------------------------- theory


def gd_best(lmin, lmax):
    """Gradient descent on a quadratic: the best step 2/(lmin + lmax) and its rate (kappa-1)/(kappa+1)."""
    kappa = lmax / lmin
    return 2.0 / (lmin + lmax), (kappa - 1) / (kappa + 1)


def heavy_ball_best(lmin, lmax):
    """Heavy-ball momentum on a quadratic: lr = 4/(sqrt(lmax)+sqrt(lmin))^2, momentum ((sqrt k-1)/(sqrt k+1))^2,
    rate (sqrt(kappa)-1)/(sqrt(kappa)+1)."""
    sk = np.sqrt(lmax / lmin)
    rate = (sk - 1) / (sk + 1)
    return 4.0 / (np.sqrt(lmax) + np.sqrt(lmin)) ** 2, rate**2, rate


def measured_rate(path, k0, k1, x_star=(0.0, 0.0)):
    """(|x_k1 - x*| / |x_k0 - x*|)^(1/(k1 - k0)): the average contraction per step."""
    e = np.linalg.norm(np.asarray(path) - np.asarray(x_star), axis=1)
    return float((e[k1] / e[k0]) ** (1.0 / (k1 - k0)))


def race(optimizers, surface, x0, steps, noise=0.0, seed=0, bound=1e6):
    """One trajectory per named optimiser, all from x0 with the same gradient noise seed: the same as
    ``trajectory`` for each, computed in one compiled loop when it can be (``_race_kernel``)."""
    from . import _race_kernel

    x = valid.as_array("x0", x0, shape=(2,))
    steps = valid.integer("steps", steps, low=0, high=1_000_000)
    noise = valid.real("noise", noise, low=0.0)
    fast = _race_kernel.run(list(optimizers.values()), surface, x, steps, noise, seed, bound)
    if fast is None:
        return {name: trajectory(opt, surface, x, steps, noise, seed, bound) for name, opt in optimizers.items()}
    path, last, code = fast
    out = {}
    with np.errstate(all="ignore"):
        for i, name in enumerate(optimizers):
            p = path[i, :last[i] + 1].copy()
            why = None if code[i] == 0 else _diverged(last[i] + 1, code[i] == 1, bound)
            out[name] = Trajectory(p, np.asarray(surface.f(p), float), why)
    return out


def grid_minimum(surface, n=201):
    """The lowest value of f on an n x n grid over the surface's plotting window (a floor for log plots)."""
    gx, gy = np.meshgrid(np.linspace(*surface.xlim, n), np.linspace(*surface.ylim, n))
    values = surface.f(np.stack([gx, gy], -1))
    known = [float(surface.f(np.array(m))) for m in surface.minima]
    return float(min([values.min()] + known))
