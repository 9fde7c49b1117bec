"""A recurrent network as lecture 10 writes it, and backpropagation through time.

    h_t = sigma(a_t),   a_t = W_hx x_t + W_hh h_{t-1} + b,   y^_t = W_yh h_t + c,   t = 1, ..., T, from h_0,

sigma tanh or relu (torch.nn.RNN's two), or linear (the identity, where the gradients' fate is a closed form).
Shapes follow torch.nn.RNN (sequence first): x (T, D) or a batch (T, N, D); h_0 (H,) or (N, H). W_hx (H, D) is
torch's weight_ih_l0, W_hh (H, H) weight_hh_l0, and b (H,) stands for bias_ih_l0 + bias_hh_l0: torch's two
biases only ever appear as their sum. W_yh (K, H) and c (K,) are an output torch.nn.Linear(H, K); c may be None
(no output bias). A batch computes row by row: a_t = x_t W_hx^T + h_{t-1} W_hh^T + b.

Backpropagation through time, given dy_t = dL/dy^_t for every t (zero where a step has no loss):

    dh_T = W_yh^T dy_T,   da_t = dh_t * sigma'(a_t),   dh_{t-1} = W_yh^T dy_{t-1} + W_hh^T da_t   (no dy_0)
    dW_hx = sum_t da_t x_t^T,  dW_hh = sum_t da_t h_{t-1}^T,  db = sum_t da_t,  dW_yh = sum_t dy_t h_t^T,
    dc = sum_t dy_t,  dx_t = W_hx^T da_t,  and dh_0 the last dh.

dh_t is the whole dL/dh_t (through y^_t and through every later step). With the loss on the last step only and
sigma linear, dh_{T-k} = (W_hh^T)^k dh_T: it shrinks or grows like rho(W_hh)^k, rho the spectral radius
(vanishing and exploding gradients; ``recurrent_matrix`` makes W_hh with a given rho). A run that overflows
returns its inf and nan values as they come, without warnings.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as valid

NONLINEARITIES = ("tanh", "relu", "linear")
KINDS = ("gaussian", "orthogonal")


class RNNParams(NamedTuple):
    W_hx: np.ndarray       # (H, D)
    W_hh: np.ndarray       # (H, H)
    b: np.ndarray          # (H,)
    W_yh: np.ndarray       # (K, H)
    c: np.ndarray | None   # (K,) or None


class RNNForward(NamedTuple):
    h: np.ndarray          # (T + 1, [N,] H): h[0] = h_0, h[t] = h_t
    a: np.ndarray          # (T, [N,] H): a[t - 1] = a_t, the pre-activations
    y: np.ndarray          # (T, [N,] K): y[t - 1] = y^_t
    x: np.ndarray          # the inputs (T, [N,] D), kept for the backward pass
    nonlinearity: str


class RNNGrads(NamedTuple):
    W_hx: np.ndarray
    W_hh: np.ndarray
    b: np.ndarray
    W_yh: np.ndarray
    c: np.ndarray | None
    h0: np.ndarray         # dL/dh_0, the shape of h_0
    x: np.ndarray          # dL/dx_t for every t, the shape of x
    dh: np.ndarray         # (T + 1, [N,] H): dh[t] = dL/dh_t (dh[0] = dL/dh_0)


# ------------------------------------------------------------------------------ parameters


def make_params(W_hx, W_hh, b, W_yh, c=None):
    """The parameters as an RNNParams, their shapes checked against each other (H from W_hh)."""
    W_hh = valid.as_array("W_hh", W_hh, ndim=2)
    H = W_hh.shape[0]
    if W_hh.shape != (H, H) or H == 0:
        raise ValueError(f"W_hh: expected a non-empty square matrix (H, H), got shape {W_hh.shape}")
    W_hx = valid.as_array("W_hx", W_hx, shape=(H, None))
    b = valid.as_array("b", b, shape=(H,))
    W_yh = valid.as_array("W_yh", W_yh, shape=(None, H))
    if 0 in W_hx.shape or 0 in W_yh.shape:
        raise ValueError(f"W_hx, W_yh: expected at least one input and one output, got shapes {W_hx.shape} and "
                         f"{W_yh.shape}")
    if c is not None:
        c = valid.as_array("c", c, shape=(W_yh.shape[0],))
    return RNNParams(W_hx, W_hh, b, W_yh, c)


def _params(params):
    if not isinstance(params, (tuple, list)) or len(params) != 5:
        raise ValueError(f"params: expected an RNNParams (W_hx, W_hh, b, W_yh, c), got {type(params).__name__}")
    return make_params(*params)


def recurrent_matrix(n, spectral_radius, seed=0, kind="gaussian"):
    """An (n, n) W_hh whose spectral radius (largest |eigenvalue|) is ``spectral_radius``.
        gaussian:    G / max|eig(G)| * rho, G with entries N(0, 1/n) (a generic, non-normal matrix: its powers
                     grow or shrink like rho^k only in the long run)
        orthogonal:  rho Q, Q orthogonal (Haar, from the QR of a Gaussian matrix): every singular value is rho,
                     so |(W^T)^k g| = rho^k |g| exactly."""
    n = valid.integer("n", n, low=1)
    rho = valid.real("spectral_radius", spectral_radius, low=0.0)
    kind = valid.choice("kind", kind, KINDS)
    G = np.random.default_rng(seed).standard_normal((n, n)) / np.sqrt(n)
    if kind == "orthogonal":
        Q, R = np.linalg.qr(G)
        return rho * Q * np.where(np.diag(R) < 0, -1.0, 1.0)
    return G * (rho / np.max(np.abs(np.linalg.eigvals(G))))


def init_params(input_size, hidden_size, output_size, seed=0, spectral_radius=None, output_bias=True):
    """Random parameters drawn as torch.nn.RNN and nn.Linear draw theirs: U(-1/sqrt(H), 1/sqrt(H)) for W_hx, W_hh
    and b (b as one bias), the output layer's U(-1/sqrt(H), 1/sqrt(H)). With ``spectral_radius`` W_hh is
    ``recurrent_matrix(H, spectral_radius)`` instead (orthogonal, from the same seed)."""
    D, H, K = (valid.integer(name, v, low=1) for name, v in
               (("input_size", input_size), ("hidden_size", hidden_size), ("output_size", output_size)))
    rng = np.random.default_rng(seed)
    a = 1.0 / np.sqrt(H)
    W_hx, W_hh, b = rng.uniform(-a, a, (H, D)), rng.uniform(-a, a, (H, H)), rng.uniform(-a, a, H)
    W_yh, c = rng.uniform(-a, a, (K, H)), rng.uniform(-a, a, K)
    if spectral_radius is not None:
        W_hh = recurrent_matrix(H, spectral_radius, rng, "orthogonal")
    return RNNParams(W_hx, W_hh, b, W_yh, c if output_bias else None)


# ------------------------------------------------------------------------------ forward and backward


def _sigma(name, a):
    return np.tanh(a) if name == "tanh" else np.maximum(a, 0.0) if name == "relu" else a


def _sigma_grad(name, a, h):
    """sigma'(a_t) from a_t and h_t = sigma(a_t): 1 - h^2 for tanh, [a > 0] for relu, 1 for linear."""
    return 1.0 - h * h if name == "tanh" else (a > 0).astype(float) if name == "relu" else np.ones_like(a)


def forward(params, x, h0=None, nonlinearity="tanh"):
    """Run the network over the sequence x (T, D) or (T, N, D) from h_0 (zeros by default): every h_t, a_t, y^_t."""
    p = _params(params)
    nonlinearity = valid.choice("nonlinearity", nonlinearity, NONLINEARITIES)
    H, D = p.W_hx.shape
    x = valid.as_array("x", x, ndim=(2, 3))
    if x.shape[-1] != D or x.shape[0] == 0 or 0 in x.shape:
        raise ValueError(f"x: expected shape (T, {D}) or (T, N, {D}) with T >= 1 (W_hx has {D} columns), got shape "
                         f"{x.shape}")
    lead = x.shape[1:-1]
    h0 = np.zeros(lead + (H,)) if h0 is None else valid.as_array("h0", h0, shape=lead + (H,))
    T = x.shape[0]
    h, a = np.empty((T + 1,) + lead + (H,)), np.empty((T,) + lead + (H,))
    h[0] = h0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T):
            a[t] = x[t] @ p.W_hx.T + h[t] @ p.W_hh.T + p.b
            h[t + 1] = _sigma(nonlinearity, a[t])
        y = h[1:] @ p.W_yh.T + (0.0 if p.c is None else p.c)
    return RNNForward(h, a, y, x, nonlinearity)


def bptt(params, fw, dy):
    """Backpropagation through time: the gradients of every parameter, of h_0 and of x, and dL/dh_t for every t,
    given dy = dL/dy^ of the shape of fw.y (the rules in the module's docstring)."""
    p = _params(params)
    if not isinstance(fw, RNNForward):
        raise ValueError(f"fw: expected the RNNForward that forward returned, got {type(fw).__name__}")
    if fw.h.shape[-1] != p.W_hh.shape[0] or fw.x.shape[-1] != p.W_hx.shape[1] or fw.y.shape[-1] != p.W_yh.shape[0]:
        raise ValueError(f"fw: expected the forward pass of these parameters (H = {p.W_hh.shape[0]}, D = "
                         f"{p.W_hx.shape[1]}, K = {p.W_yh.shape[0]}), got states {fw.h.shape}, inputs {fw.x.shape} "
                         f"and outputs {fw.y.shape}")
    dy = valid.as_array("dy", dy, shape=fw.y.shape)
    T = fw.a.shape[0]
    dh = np.empty_like(fw.h)
    da = np.empty_like(fw.a)
    with np.errstate(over="ignore", invalid="ignore"):
        dh[T] = dy[T - 1] @ p.W_yh
        for t in range(T, 0, -1):                    # t = T, ..., 1: a_t is a[t - 1], h_t is h[t]
            da[t - 1] = dh[t] * _sigma_grad(fw.nonlinearity, fw.a[t - 1], fw.h[t])
            dh[t - 1] = da[t - 1] @ p.W_hh + (dy[t - 2] @ p.W_yh if t > 1 else 0.0)
        steps = "tn" if fw.x.ndim == 3 else "t"
        sums = f"{steps}i,{steps}j->ij"             # sums over t (and the batch) of outer products
        over = tuple(range(da.ndim - 1))
        dW_hx, dW_hh, dW_yh = np.einsum(sums, da, fw.x), np.einsum(sums, da, fw.h[:-1]), np.einsum(sums, dy, fw.h[1:])
        dc = None if p.c is None else dy.sum(axis=over)
        return RNNGrads(dW_hx, dW_hh, da.sum(axis=over), dW_yh, dc, dh[0].copy(), da @ p.W_hx, dh)


def squared_error(y_hat, y):
    """L = 1/2 sum over t (and the batch) of |y^_t - y_t|^2, and dL/dy^ = y^ - y (for ``bptt``)."""
    y_hat = valid.as_array("y_hat", y_hat, finite=False)      # an overflowed run's outputs give an inf loss
    y = valid.as_array("y", y, shape=y_hat.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        r = y_hat - y
        return 0.5 * float(np.sum(r * r)), r


def gradient_norms(grads):
    """|dL/dh_t| for t = 0, ..., T (over the hidden units; one per sample of a batch): (T + 1,) or (T + 1, N)."""
    if not isinstance(grads, RNNGrads):
        raise ValueError(f"grads: expected the RNNGrads that bptt returned, got {type(grads).__name__}")
    with np.errstate(over="ignore", invalid="ignore"):
        return np.linalg.norm(grads.dh, axis=-1)


def last_step_gradient_norms(params, x, h0=None, nonlinearity="tanh", dy_T=None):
    """|dL/dh_t| for t = 0, ..., T when only the last step has a loss, dL/dy^_T = dy_T (ones by default): the
    gradient sent back through time, the lecture's vanishing or exploding gradient."""
    fw = forward(params, x, h0, nonlinearity)
    dy = np.zeros_like(fw.y)
    dy[-1] = 1.0 if dy_T is None else valid.as_array("dy_T", dy_T, shape=fw.y.shape[1:])
    return gradient_norms(bptt(params, fw, dy))
