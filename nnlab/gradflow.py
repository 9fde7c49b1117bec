"""How gradients flow through deep networks: measured layer by layer, and in closed form.

The network: an input layer d -> width, then ``depth`` hidden layers (or residual blocks) of
``width`` units, then a sigmoid output unit with binary cross-entropy, batch-first as in
``nnlab.nn``:

    plain layer l:     A_l = g(A_{l-1} @ W_l + b_l)
    residual block l:  A_l = A_{l-1} + (1/L) g(A_{l-1} @ V_l + b_l) @ U_l      (He et al., 2016)

Backward (``nn``'s backprop, delta = dL/dZ):  dA_{l-1} = delta_l @ W_l.T,  delta_l = dA_l * g'(Z_l).  For a
sigmoid each factor g' is at most 1/4, so the signal shrinks geometrically with depth.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from . import _validate as valid
from . import data as datasets
from . import nn
from .nn import ACTIVATIONS, binary_cross_entropy_with_logits, sigmoid
from .deepnet import ACTS, DeepNet, build  # noqa: F401 (gradflow's API: the networks it measures)
from .memo import memo
from .optim import Divergence

INITS = ("normal", "xavier", "he", "identity")   # the explorer's menu (``build`` takes any of ``nn.INITS``)
FLOATS = ("float64", "float32")   # what ``train`` computes in


def _network(net):
    """The layers of ``net`` and their activations as ``nn``'s shared passes take them."""
    return [net.inp, *net.layers, net.out], [net.activation] * (net.depth + 1) + ["linear"]


def forward(net, X):
    """All pre-activations Z and activations A; A[0] is the input layer's output, A[l] layer l's."""
    params, activations = _network(net)
    fw = nn._forward_layers(params, X, activations, net.depth)
    return fw.Z[1:-1], fw.A[1:-1], fw.Z[-1]


def _forward_reusing(net, X, key):
    """``forward``, with the layers measured before for the same ``key`` (everything but the depth) reused:
    layer l is the same at any depth (``_weights``), so a network deeper or shallower than the last one
    computes only the layers it adds."""
    if net.residual:  # a block's branch is scaled by 1/depth: no block is the same at another depth
        return forward(net, X)
    Z, A = memo(Measured, key).upto(net, X)
    return Z, A, A[-1] @ net.out[0] + net.out[1]


class Measured:
    """The pre-activations and activations of a plain network's input and hidden layers, measured so far
    (a growing result of ``memo``, keyed by everything but the depth; kept read-only: views of them go on
    to the callers)."""

    def __init__(self, key):
        self.Z, self.A, self.nbytes = [], [], 0
        self._lock = threading.Lock()

    def upto(self, net, X):
        """Z and A of the input layer and the first ``net.depth`` hidden layers."""
        with self._lock:
            n = len(self.Z)
            if n < net.depth + 1:  # the input layer and the hidden ones not measured yet
                params, activations = _network(net)
                fw = nn._forward_layers(params[n:-1], self.A[-1] if n else X, activations[n:-1])
                for a in (*fw.Z[1:], *fw.A[1:]):
                    a.flags.writeable = False
                self.Z, self.A = self.Z + fw.Z[1:], self.A + fw.A[1:]
                self.nbytes = sum(a.nbytes for a in (*self.Z, *self.A))
            Z, A = self.Z[:net.depth + 1], self.A[:net.depth + 1]
        if n < net.depth + 1:
            memo.trim()
        return Z, A


def backward(net, X, y, Z, A, logits):
    """Gradients of the mean BCE: per hidden layer/block the weight gradients, and dL/dA_l for l = 0..L
    (``nn``'s backprop, from the output's delta (sigmoid(logits) - y) / N)."""
    params, activations = _network(net)
    fw = nn.Forward(Z=[None, *Z, logits], A=[X, *A, logits])
    grads, dA = nn._backprop(params, fw, (sigmoid(logits) - y[:, None]) / len(X), activations, net.depth)
    return grads[0], grads[1:-1], grads[-1], dA[1:]


def loss(logits, y):
    return binary_cross_entropy_with_logits(logits[:, 0], y)


@dataclass
class Flow:
    """Per-layer measurements, index 0 = first hidden layer (or block), last = the deepest."""

    grad_W: np.ndarray        # ||dL/dW_l|| (Frobenius; V_l for residual blocks)
    grad_A: np.ndarray        # ||dL/dA_l||
    act_mean: np.ndarray
    act_std: np.ndarray
    saturated: np.ndarray     # sigmoid/tanh: fraction of |g'| < 5 % of its peak; otherwise nan
    dead: np.ndarray          # relu: fraction of units that are 0 for every example; otherwise nan
    histograms: np.ndarray    # (depth, bins) counts of activations per layer
    bin_edges: np.ndarray
    loss: float
    config: dict = field(default_factory=dict)

    @property
    def ratio(self):
        """||dL/dW_1|| / ||dL/dW_L||: how much of the deepest layer's gradient reaches layer 1."""
        return _ratio(self.grad_W[0], self.grad_W[-1])

    @property
    def signal_ratio(self):
        """||dL/dA_1|| / ||dL/dA_L||: how the back-propagated signal grows (> 1) or shrinks (< 1)."""
        return _ratio(self.grad_A[0], self.grad_A[-1])

    def diagnosis(self) -> Diagnosis:
        """The one diagnosis of this flow, with the measurement that decides it (see ``Diagnosis``).

        In order: any inf or nan is an overflow (exploding); one hidden layer has nothing to vanish;
        no gradient at all (every norm 0) is vanishing; then the back-propagated signal dL/dA,
        whose ratio between layer 1 and layer L is the product of the per-layer factors the lecture
        derives: below 1/LIMIT vanishing, above LIMIT exploding; then the weight gradients' ratio with
        the same limits; then their size (largest above LARGE: exploding, even when balanced, as
        when activations and signals both blow up). Otherwise healthy."""
        L, r, s = len(self.grad_W), self.ratio, self.signal_ratio
        if not (np.all(np.isfinite(self.grad_W)) and np.all(np.isfinite(self.grad_A))):
            return Diagnosis("exploding", "overflow", r, s)
        if L == 1:
            return Diagnosis("shallow", "depth", r, s)
        if not (np.any(self.grad_W > 0) or np.any(self.grad_A > 0)):
            return Diagnosis("vanishing", "zero", r, s)
        for measure, value in (("signal", s), ("weights", r)):
            if value < 1 / Diagnosis.LIMIT:
                return Diagnosis("vanishing", measure, r, s)
            if value > Diagnosis.LIMIT:
                return Diagnosis("exploding", measure, r, s)
        if self.grad_W.max() > Diagnosis.LARGE:
            return Diagnosis("exploding", "size", r, s, float(self.grad_W.max()))
        return Diagnosis("healthy", "all", r, s)

    def regime(self):
        """How the gradient flows: 'vanishing', 'exploding', 'healthy' or 'shallow' (one layer)."""
        return self.diagnosis().regime

    def headline(self):
        """A short verdict for a figure title: the diagnosis and the number that decides it."""
        d, L = self.diagnosis(), len(self.grad_W)
        if d.measure == "overflow":
            return "gradients overflowed (inf or nan): exploding"
        if d.measure == "depth":
            return "one hidden layer: nothing to vanish or explode yet"
        if d.measure == "zero":
            return "no gradient reaches any hidden layer (every norm is 0): vanishing"
        if d.measure == "signal" and not d.weights_agree:
            return (f"signal ∂L/∂a at layer 1: {d.signal_ratio:.2g} × layer {L}'s "
                    f"(weight gradients {d.ratio:.2g} ×): {d.regime}")
        if d.measure == "size":
            return f"layer 1 gets {d.ratio:.2g} × the gradient of layer {L}, the largest is {d.largest:.2g}: exploding"
        return f"layer 1 gets {d.ratio:.2g} × the gradient of layer {L}: {d.regime}"

    def verdict(self):
        """The same diagnosis in a sentence, with every measurement behind it."""
        d, L = self.diagnosis(), len(self.grad_W)
        if d.measure == "overflow":
            return "gradients overflowed (inf or nan): exploding"
        if d.measure == "depth":
            return f"one hidden layer, weight gradient {self.grad_W[0]:.2g}: nothing to vanish or explode yet"
        if d.measure == "zero":
            return "no gradient reaches any hidden layer (every gradient norm is 0): vanishing"
        facts = (f"layer 1 receives {d.ratio:.2g} × the weight gradient at layer {L}, the back-propagated "
                 f"signal ∂L/∂a is {d.signal_ratio:.2g} × its size at layer {L}, the largest weight gradient "
                 f"is {self.grad_W.max():.2g}")
        orders = f"{np.log10(Diagnosis.LIMIT):.0f} orders of magnitude"
        why = {"signal": f"the signal {'shrinks' if d.regime == 'vanishing' else 'grows'} by more than {orders}",
               "weights": f"the weight gradients differ by more than {orders}",
               "size": f"weight gradients above {Diagnosis.LARGE:.0e}",
               "all": f"signal and weight gradients within {orders}"}[d.measure]
        return f"{facts}: {d.regime} ({why})"


@dataclass(frozen=True)
class Diagnosis:
    """How the gradient flows, and why. ``regime``: 'vanishing', 'exploding', 'healthy' or 'shallow';
    ``measure``: what decided it ('overflow', 'depth', 'zero', 'signal', 'weights', 'size' or 'all' for
    healthy); ``ratio`` and ``signal_ratio`` as in ``Flow``; ``largest``: the largest weight gradient
    when its size decided."""

    regime: str
    measure: str
    ratio: float
    signal_ratio: float
    largest: float | None = None

    #: layer 1 against layer L: a ratio beyond 10^3 either way is vanishing or exploding
    LIMIT = 1e3
    #: a weight gradient norm above this is exploding however balanced the layers are
    LARGE = 1e6

    @property
    def weights_agree(self):
        """Whether the weight gradients' ratio alone points to the same regime."""
        return {"vanishing": self.ratio < 1 / self.LIMIT, "exploding": self.ratio > self.LIMIT,
                "healthy": True}.get(self.regime, True)


def _ratio(a, b):
    """a / b for two norms; 1 when both are 0, inf when only b is."""
    if b > 0:
        return float(a / b)
    return 1.0 if a == 0 else float("inf")


def _norm(a):
    """The Frobenius norm of ``a`` without underflow: tiny gradients (1e-200) have squares below the
    smallest double, so their norm is taken of ``a`` scaled by its largest entry."""
    with np.errstate(over="ignore", under="ignore"):
        n = float(np.linalg.norm(a))
    if 1e-150 < n < 1e150:  # no square under- or overflowed
        return n
    m = float(np.max(np.abs(a))) if a.size else 0.0
    if m == 0 or not np.isfinite(m):
        return m
    return m * float(np.linalg.norm(a / m))


def task(batch=128, seed=0):
    """The data the flow is measured on: the circle problem (inputs standardised)."""
    X, y = datasets.circle(batch, seed=seed)
    return X, y.astype(float)


def gradient_flow(depth, width, activation="relu", init="he", scale=1.0, residual=False, batch=128, seed=0,
                  bins=40):
    """Build the network, run one batch forward and backward, and measure every layer."""
    batch = valid.integer("batch", batch, low=1, high=100_000)
    net = build(depth, width, activation, init, scale, residual, seed=seed)
    X, y = task(batch, seed)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        Z, A, logits = _forward_reusing(net, X, (width, activation, init, scale, batch, seed))
        _, grads, _, dAs = backward(net, X, y, Z, A, logits)
        gW = np.array([_norm(gr[0]) for gr in grads])
        gA = np.array([_norm(d) for d in dAs[1:]])
        hidden = A[1:]
        lo, hi = {"sigmoid": (0, 1), "tanh": (-1, 1)}.get(activation, (None, None))
        if lo is None:
            # the 1st and 99th percentiles of a sample of the activations set the histogram's range
            sample = np.concatenate([a.ravel()[::7] for a in hidden])
            sample = sample[np.isfinite(sample)]
            lo, hi = (float(np.percentile(sample, 1)), float(np.percentile(sample, 99))) if sample.size else (0, 1)
            hi = max(hi, lo + 1e-6)
        edges = np.linspace(lo, hi, bins + 1)
        hist = np.empty((len(hidden), bins), np.intp)
        t = np.empty(hidden[0].shape)
        for i, a in enumerate(hidden):  # bin (a - lo) / (hi - lo) * bins, values outside in the end bins
            np.subtract(a, lo, out=t)
            t /= hi - lo
            t *= bins
            np.clip(t, 0, bins - 1, out=t)
            hist[i] = np.bincount(t.astype(np.intp).ravel(), minlength=bins)
        pre = Z[1:]  # the hidden layers' (or blocks') pre-activations
        if activation in ("sigmoid", "tanh"):
            # g'(z) from the layer's output a = g(z): a (1 - a) for sigmoid, 1 - a^2 for tanh
            slope = (lambda a: a * (1.0 - a)) if activation == "sigmoid" else (lambda a: 1.0 - a ** 2)
            peak = 0.25 if activation == "sigmoid" else 1.0
            saturated = (np.array([np.mean(slope(a) < 0.05 * peak) for a in hidden]) if not residual else
                         np.array([np.mean(ACTIVATIONS[activation][1](z) < 0.05 * peak) for z in pre]))
        else:
            saturated = np.full(len(pre), np.nan)
        dead = (np.array([np.mean(np.all(z <= 0, axis=0)) for z in pre]) if activation == "relu"
                else np.full(len(pre), np.nan))
        L = loss(logits, y)
        means, stds = np.array([a.mean() for a in hidden]), np.array([a.std() for a in hidden])  # inf when exploding
    return Flow(gW, gA, means, stds, saturated, dead, hist, edges, float(L),
                dict(depth=depth, width=width, activation=activation, init=init, scale=scale, residual=residual,
                     batch=batch, seed=seed))


# ---------------------------------------------------------------- closed forms


def sigmoid_chain(weights, x, y):
    """A scalar chain a_l = sigma(w_l a_{l-1}) (a_0 = x) with output a_L and L = (a_L - y)^2 / 2.

    Returns (backprop's dL/dz_l for every l, the closed form prod_{k>l} w_k sigma'(z_k)...,
    and the bound 0.25^(L-l) prod |w_k|)."""
    w = valid.as_array("weights", weights, ndim=1)
    z, a = [], [float(x)]
    for wl in w:
        z.append(wl * a[-1])
        a.append(float(sigmoid(np.array(z[-1]))))
    s = lambda t: float(sigmoid(np.array(t)) * (1 - sigmoid(np.array(t))))  # noqa: E731
    # backprop, step by step
    d = [0.0] * len(w)
    d[-1] = (a[-1] - y) * s(z[-1])
    for l in range(len(w) - 2, -1, -1):
        d[l] = d[l + 1] * w[l + 1] * s(z[l])
    # closed form: dL/dz_l = (a_L - y) * sigma'(z_L) * prod_{k=l+1}^{L-1} w_{k+1} sigma'(z_k) ... written as a product
    closed = [(a[-1] - y) * s(z[-1]) * np.prod([w[k] * s(z[k - 1]) for k in range(l + 1, len(w))])
              for l in range(len(w))]
    bound = [abs(a[-1] - y) * 0.25 ** (len(w) - l) * np.prod(np.abs(w[l + 1:])) for l in range(len(w))]
    return np.array(d), np.array(closed), np.array(bound)


def layer_gain_bounds(net):
    """Upper bounds on ||dL/dA_{l-1}|| / ||dL/dA_l|| for each plain layer: max|g'| * ||W_l||_2
    (1/4 for the sigmoid, 1 for tanh, ReLU and linear), from dA_{l-1} = (dA_l * g'(Z_l)) @ W_l.T."""
    if net.residual:
        raise ValueError("net: expected a plain network (residual=False); blocks add the identity path")
    peak = 0.25 if net.activation == "sigmoid" else 1.0
    return np.array([peak * np.linalg.norm(W, 2) for W, _ in net.layers])


def relu_identity_chain(alpha, x, y, layers=4):
    """ReLU network with every W = alpha I, b = 0, positive input x, L = ||y_hat - y||^2 / 2.

    Returns (y_hat, dL/da^(1)) measured by backprop; the closed forms are alpha^layers x and
    alpha^(layers-1) (alpha^layers x - y)."""
    alpha = valid.real("alpha", alpha, low=0.0, low_open=True)
    x = valid.as_array("x", x, ndim=1)
    y = valid.as_array("y", y, shape=x.shape)
    if np.any(x <= 0):
        raise ValueError(f"x: expected positive inputs (the closed form assumes ReLU is the identity), got {x}")
    n = len(x)
    W = alpha * np.eye(n)
    A = [x]
    for _ in range(layers - 1):
        A.append(np.maximum(A[-1] @ W, 0.0))   # hidden layers (ReLU)
    y_hat = A[-1] @ W                            # linear output
    dA = y_hat - y
    grads_A = []
    for l in range(layers - 1, 0, -1):          # back to a^(1)
        dA = dA @ W.T
        grads_A.append(dA)
        dA = dA * (A[l] > 0)
    return y_hat, grads_A[-1]


# ----------------------------------------------------------------- training


@dataclass
class TrainingCurve:
    label: str
    loss: list
    diverged: Divergence | None = None


def train(depth, width, activation="relu", init="he", scale=1.0, residual=False, steps=200, lr=0.1, batch=128,
          seed=0, label=None, dtype="float64"):
    """Full-batch gradient descent on the circle problem; returns the loss before each step.

    ``dtype="float32"`` trains in PyTorch's default precision, twice as fast for big networks (OpenBLAS
    multiplies float32 matrices 2-4x faster than float64). The curve is float64's up to rounding, but
    training a plain deep network at this rate is chaotic: after some 30 steps the two precisions
    take different paths, as two runs nudged by 1e-7 do (``tests/test_worked_numbers.py``)."""
    steps = valid.integer("steps", steps, low=1, high=100_000)
    lr = valid.real("lr", lr, low=0.0, low_open=True)
    dtype = np.dtype(valid.choice("dtype", _dtype_name(dtype), FLOATS))
    net = build(depth, width, activation, init, scale, residual, seed=seed)
    # arrays of its own (the built ones are shared: ``_weights``), updated in place
    net.inp, net.out = (tuple(p.astype(dtype) for p in ps) for ps in (net.inp, net.out))
    net.layers = [tuple(p.astype(dtype) for p in ps) for ps in net.layers]
    params = [*net.inp, *(p for ps in net.layers for p in ps), *net.out]
    X, y = (a.astype(dtype) for a in task(batch, seed))
    curve = TrainingCurve(label or f"{activation}, {init} x{scale:g}{', residual' if residual else ''}", [])
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for t in range(steps):
            Z, A, logits = forward(net, X)
            L = loss(logits, y)
            if not np.isfinite(L):
                curve.diverged = Divergence(t, f"loss is {L}")
                break
            curve.loss.append(float(L))
            g_in, grads, g_out, _ = backward(net, X, y, Z, A, logits)
            for p, d in zip(params, [*g_in, *(d for ds in grads for d in ds), *g_out]):
                d *= lr
                p -= d
    return curve


def _dtype_name(dtype):
    try:
        return np.dtype(dtype).name   # np.float32, "float32", float, ...
    except TypeError:
        return dtype                  # said by the check: not a dtype at all


def compare_training(depth=20, width=32, steps=300, lr=0.1, seed=0):
    """The same depth and width trained four ways: sigmoid (Xavier), tanh (Xavier), ReLU (He), ReLU residual."""
    configs = [("sigmoid", "xavier", False), ("tanh", "xavier", False), ("relu", "he", False), ("relu", "he", True)]
    return [train(depth, width, act, init, 1.0, res, steps=steps, lr=lr, seed=seed) for act, init, res in configs]
