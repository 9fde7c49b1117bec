"""Universal approximation by construction: steps, towers, splines, and real networks that build them.

A sigmoid with a large weight w is a step: sigma(w (x - s)) jumps from 0 to 1 at x = s
(in network terms b = -w s, so s = -b / w). Two opposite steps make a tower; a sum of towers
whose heights are f at their centres approximates f. With ReLU units the network is a
piecewise-linear spline instead. Every constructor here returns an ``nnlab.nn.MLP``, so the
construction runs through ``.forward`` and ``.to_torch()`` like any trained network.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as valid
from .nn import MLP, relu, sigmoid


def bumpy(x):
    """The curriculum's bumpy test function on [0, 1]: 0.2 + 0.4 x^2 + 0.3 x sin(15 x) + 0.05 cos(50 x)."""
    x = np.asarray(x, float)
    return 0.2 + 0.4 * x**2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x)


#: Target functions for the explorers, each with the interval it is shown on.
TARGETS = {
    "bumpy": (bumpy, (0.0, 1.0)),
    "sin": (np.sin, (0.0, 2 * np.pi)),
    "abs": (np.abs, (-1.0, 1.0)),
    "step": (lambda x: np.where(np.asarray(x, float) >= 0.3, 1.0, 0.0), (0.0, 1.0)),
}


def step(x, s, w):
    """sigma(w (x - s)): a step at s whose steepness grows with w (b = -w s)."""
    return sigmoid(valid.real("w", w) * (np.asarray(x, float) - valid.real("s", s)))


def tower(x, left, right, w):
    """step(x, left, w) - step(x, right, w): about 1 on [left, right], about 0 outside."""
    if right <= left:
        raise ValueError(f"right: expected a number > left = {left}, got {right}")
    return step(x, left, w) - step(x, right, w)


def check_interval(interval):
    """(a, b) as floats, finite with a < b; a ValueError naming ``interval`` otherwise."""
    try:
        a, b = (float(t) for t in interval)
    except (TypeError, ValueError):
        raise ValueError(f"interval: expected a pair (a, b) of numbers, got {interval!r}") from None
    if not (np.isfinite(a) and np.isfinite(b) and b > a):
        raise ValueError(f"interval: expected a < b, both finite, got {interval!r}")
    return a, b


def evaluate(f, x, name="f"):
    """f(x) for an array x, checked: finite, one value per x; a ValueError naming ``name`` otherwise."""
    try:
        y = np.asarray(f(x), dtype=float)
    except Exception as exc:
        raise ValueError(f"{name}: calling it on an array of x values failed: {type(exc).__name__}: {exc}") from exc
    if y.shape != x.shape:
        y = np.broadcast_to(y, x.shape) if y.size == 1 else y
    if y.shape != x.shape or not np.all(np.isfinite(y)):
        raise ValueError(f"{name}: expected finite values of the same shape as x {x.shape}, got shape {y.shape}")
    return y


def tower_edges(n, interval):
    """The n + 1 edges of n equal towers over [a, b]; the outermost steps are moved half a
    tower width outwards so the ends of the interval sit on a tower's flat top."""
    a, b = check_interval(interval)
    n = valid.integer("n", n, low=1)
    edges = np.linspace(a, b, n + 1)
    half = 0.5 * (b - a) / n
    edges[0] -= half
    edges[-1] += half
    return edges


def tower_weight(n, interval, steepness):
    """Hidden weight w = steepness * n / (b - a): each step's rise stays the same fraction
    of a tower's width as n changes."""
    a, b = check_interval(interval)
    return valid.real("steepness", steepness, low=0.0, low_open=True) * n / (b - a)


def tower_network(f, n, interval=(0.0, 1.0), steepness=10.0, heights=None):
    """An MLP [1, 2n, 1] (sigmoid hidden, linear output) that sums n towers.

    Tower i rises at edge e_i and falls at e_{i+1} (hidden units 2i and 2i+1, weight w, biases
    -w e_i and -w e_{i+1}); its output weights are +h_i and -h_i with h_i = f(centre_i), or the
    given ``heights``.
    """
    a, b = check_interval(interval)
    n = valid.integer("n", n, low=1, high=10_000)
    w = tower_weight(n, (a, b), steepness)
    centres = tower_centres(n, (a, b))
    h = evaluate(f, centres) if heights is None else valid.as_array("heights", heights, shape=(n,))
    edges = tower_edges(n, (a, b))
    W1 = np.full((1, 2 * n), w)
    b1 = -w * np.repeat(edges, 2)[1:-1]          # e0, e1, e1, e2, e2, ... e_n
    W2 = np.empty((2 * n, 1))
    W2[0::2, 0], W2[1::2, 0] = h, -h
    return MLP.from_params([(W1, b1), (W2, np.zeros(1))], hidden="sigmoid", output="linear")


def tower_centres(n, interval):
    a, b = check_interval(interval)
    return a + (np.arange(valid.integer("n", n, low=1)) + 0.5) * (b - a) / n


def relu_network(f, n, interval=(0.0, 1.0)):
    """An MLP [1, n, 1] (ReLU hidden, linear output) equal to the linear spline through
    f at the n + 1 knots t_0 < ... < t_n on [a, b]:
        f_hat(x) = f(t_0) + sum_j c_j relu(x - t_j),  c_j = slope_j - slope_{j-1}.
    Each hidden unit adds one kink."""
    a, b = check_interval(interval)
    n = valid.integer("n", n, low=1, high=10_000)
    knots = np.linspace(a, b, n + 1)
    y = evaluate(f, knots)
    slopes = np.diff(y) / np.diff(knots)
    c = np.diff(slopes, prepend=0.0)
    return MLP.from_params([(np.ones((1, n)), -knots[:-1]), (c[:, None], np.array([y[0]]))],
                           hidden="relu", output="linear")


def fit_relu_output(x, y, n, interval=(0.0, 1.0)):
    """ReLU network [1, n, 1] with kinks fixed at n evenly spread points of [a, b) whose output
    layer (weights and bias) is fitted to samples (x, y) by least squares."""
    a, b = check_interval(interval)
    n = valid.integer("n", n, low=1)
    x = valid.as_array("x", x, ndim=1)
    y = valid.as_array("y", y, shape=(len(x),))
    kinks = np.linspace(a, b, n + 1)[:-1]
    H = np.c_[relu(x[:, None] - kinks[None, :]), np.ones(len(x))]
    coef = np.linalg.lstsq(H, y, rcond=None)[0]
    return MLP.from_params([(np.ones((1, n)), -kinks), (coef[:-1, None], coef[-1:])], hidden="relu",
                           output="linear")


@dataclass(frozen=True)
class ApproxError:
    max: float
    mean: float
    where: float   # x of the largest error


@dataclass(frozen=True)
class Comparison:
    """A 1-D network beside its target on a grid of [a, b]."""

    x: np.ndarray     # the grid
    y: np.ndarray     # net(x)
    fx: np.ndarray    # f(x)
    err: np.ndarray   # |net(x) - f(x)|

    @property
    def error(self) -> ApproxError:
        i = int(np.argmax(self.err))
        return ApproxError(float(self.err[i]), float(self.err.mean()), float(self.x[i]))


def compare(net, f, interval=(0.0, 1.0), n_grid=2001) -> Comparison:
    """net(x) and f(x) on ``n_grid`` equally spaced points of [a, b], and the absolute error."""
    a, b = check_interval(interval)
    x = np.linspace(a, b, valid.integer("n_grid", n_grid, low=2))
    y, fx = net.forward(x[:, None])[:, 0], evaluate(f, x)
    return Comparison(x, y, fx, np.abs(y - fx))


def approximation_error(net, f, interval=(0.0, 1.0), n_grid=2001) -> ApproxError:
    """Max and mean absolute error of net(x) against f(x) on a fine grid of [a, b]."""
    return compare(net, f, interval, n_grid).error


# -------------------------------------------------------------------- 2-D


def tower_2d_network(rect, steepness=50.0, threshold_steepness=20.0):
    """A 2-input MLP [2, 4, 1] (sigmoid everywhere) that is about 1 on the rectangle
    (x0, x1, y0, y1) and about 0 elsewhere.

    Hidden units are steps up at x0 and y0 and steps down at x1 and y1 (each about 0 or 1), so
    their sum is 4 inside the rectangle, 3 in the four strips beside it and 2 beyond the corners.
    The output unit thresholds that sum at 3.5: sigma(k (s - 3.5)).
    """
    x0, x1, y0, y1 = (valid.real("rect", t) for t in rect)
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"rect: expected (x0, x1, y0, y1) with x1 > x0 and y1 > y0, got {rect!r}")
    w = valid.real("steepness", steepness, low=0.0, low_open=True)
    k = valid.real("threshold_steepness", threshold_steepness, low=0.0, low_open=True)
    W1 = np.array([[w, -w, 0.0, 0.0], [0.0, 0.0, w, -w]])
    b1 = np.array([-w * x0, w * x1, -w * y0, w * y1])
    return MLP.from_params([(W1, b1), (np.full((4, 1), k), np.array([-3.5 * k]))], hidden="sigmoid",
                           output="sigmoid")


def tower_network_2d(f, k, xlim=(0.0, 1.0), ylim=(0.0, 1.0), steepness=50.0, threshold_steepness=20.0):
    """An MLP [2, 2(k + 1), k^2, 1] that approximates f(x, y) by k x k towers.

    Layer 1: one step per grid edge in x and in y (shared by neighbouring towers).
    Layer 2: one thresholding unit per cell, about 1 inside its cell.
    Output (linear): the cells' heights f(centre).
    """
    k = valid.integer("k", k, low=1, high=100)
    ex, ey = tower_edges(k, xlim), tower_edges(k, ylim)
    wx, wy = tower_weight(k, xlim, steepness), tower_weight(k, ylim, steepness)
    t = valid.real("threshold_steepness", threshold_steepness, low=0.0, low_open=True)
    CX, CY = np.meshgrid(tower_centres(k, xlim), tower_centres(k, ylim), indexing="ij")
    try:
        heights = np.asarray(f(CX, CY), dtype=float)
    except Exception as exc:
        raise ValueError(f"f: calling f(x, y) on arrays failed: {type(exc).__name__}: {exc}") from exc
    if heights.shape != CX.shape or not np.all(np.isfinite(heights)):
        raise ValueError(f"f: expected finite values of shape {CX.shape} from f(x, y), got shape {heights.shape}")
    m = k + 1
    W1 = np.zeros((2, 2 * m))
    W1[0, :m], W1[1, m:] = wx, wy
    b1 = np.r_[-wx * ex, -wy * ey]
    # cell (i, j): (sx_i - sx_{i+1}) + (sy_j - sy_{j+1}) is 2 inside, so threshold at 1.5
    W2 = np.zeros((2 * m, k * k))
    for i in range(k):
        for j in range(k):
            c = i * k + j
            W2[i, c], W2[i + 1, c] = t, -t
            W2[m + j, c], W2[m + j + 1, c] = t, -t
    b2 = np.full(k * k, -1.5 * t)
    return MLP.from_params([(W1, b1), (W2, b2), (heights.reshape(-1, 1), np.zeros(1))], hidden="sigmoid",
                           output="linear")


# ------------------------------------------------------------ for the explorers

UNITS = ("sigmoid", "relu")   # the hidden units an approximation is built from: sigmoid towers or a ReLU spline


def network_for(units, f, n, interval, steepness=10.0):
    """units 'sigmoid': n sigmoid towers (2n hidden units); 'relu': a ReLU spline with n hidden units."""
    units = valid.choice("units", units, UNITS)
    return tower_network(f, n, interval, steepness) if units == "sigmoid" else relu_network(f, n, interval)


def unit_contributions(net, x):
    """Each hidden unit's share of the output, W2[j] * a_j(x), shape (len(x), hidden units);
    for a tower network, consecutive pairs are summed so each column is one tower."""
    fw = net.forward_pass(np.asarray(x, float)[:, None])
    parts = fw.A[1] * net.params[1][0][:, 0]
    if net.hidden == "sigmoid":
        parts = parts[:, 0::2] + parts[:, 1::2]
    return parts


def error_against_n(f, interval, units="sigmoid", steepness=10.0, ns=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 100),
                    n_grid=2001):
    """Max and mean absolute error of ``network_for(units, f, n, ...)`` for each n, on ``n_grid``
    points of the interval."""
    ns = np.asarray(ns, int)
    errs = [approximation_error(network_for(units, f, int(n), interval, steepness), f, interval, n_grid) for n in ns]
    return ns, np.array([e.max for e in errs]), np.array([e.mean for e in errs])


def design_network(heights, interval=(0.0, 1.0), steepness=10.0):
    """The tower network for hand-chosen heights (the design mode of the tower explorer)."""
    heights = valid.as_array("heights", heights, ndim=1)
    return tower_network(None, len(heights), interval, steepness, heights=heights)
