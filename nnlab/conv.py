"""Convolution as lecture 10 writes it (the model behind the lecture's convolution explorer).

A filter w slides over the image x and each output cell is a product-sum:

    z_ij = sum_m sum_n w_mn x_{i s + m d, j s + n d}  (+ b)

with stride s, dilation d and x zero-padded by p cells on each side. This is cross-correlation, what
PyTorch's ``conv2d`` and every deep-learning library compute under the name convolution. ``flip=True`` gives
the convolution of signal processing, the same sum with the kernel flipped (w_{k-1-m, k-1-n}); scipy's
``correlate2d`` and ``convolve2d`` are the two.

Shapes follow PyTorch: x (C_in, H, W) or a batch (N, C_in, H, W), w (C_out, C_in, kH, kW), b (C_out,),
z (C_out, H', W') or (N, C_out, H', W'); a single-channel image (H, W) with a kernel (kH, kW) gives (H', W').
In 1-D the same without W (x (L,), (C_in, L) or (N, C_in, L); w (k,) or (C_out, C_in, k)). Stride, padding
and dilation are an integer or one per spatial axis. Along each axis

    H' = floor((H + 2p - d(k - 1) - 1) / s) + 1

and where the division is not exact the windows do not reach the last cells: the partial window is dropped
(``output_size``, ``explain_output_size``). The forward pass is one strided view of the padded input (every
window, no copy: the strides of ``numpy.lib.stride_tricks.as_strided``) and one matrix product. The backward pass is
convolution again: dL/dw correlates the windows with dL/dz, and dL/dx is the full convolution of dL/dz (spread
out by the stride) with the kernel, written as each kernel cell sending its products back to the cells it read.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import _validate as valid


class OutputSize(NamedTuple):
    size: int       # H' = floor((n + 2p - d(k-1) - 1) / s) + 1
    exact: bool     # whether s divides n + 2p - d(k-1) - 1
    dropped: int    # cells at the end of the padded input that no window reaches (the remainder)


class ConvGrads(NamedTuple):
    dx: np.ndarray          # dL/dx, the shape of x
    dw: np.ndarray          # dL/dw, the shape of w
    db: np.ndarray | None   # dL/db (C_out,), None when the layer has no bias


class Term(NamedTuple):
    x_index: tuple     # index into x as given (a padding cell lies outside x and reads 0)
    w_index: tuple     # index into w as given (flip=True: the flipped kernel's cell)
    x: float
    w: float
    product: float


class ReceptiveField(NamedTuple):
    size: int          # input cells (along one axis) that one output cell of the last layer sees
    jump: int          # input cells between neighbouring output cells of the last layer (product of strides)
    sizes: list        # the size after each layer
    jumps: list        # the jump after each layer


class ParameterCounts(NamedTuple):
    conv: int          # C_out C_in kH kW (+ C_out)
    dense: int         # a dense layer from the flattened input to the flattened output of the same size
    out_shape: tuple   # (C_out, H', W')


# ------------------------------------------------------------------------------ sizes


def _size(n, k, s, p, d):
    num = n + 2 * p - d * (k - 1) - 1
    return OutputSize(num // s + 1, num % s == 0, num % s)


def _size_args(n, k, stride, padding, dilation):
    return (valid.integer("n", n, low=1), valid.integer("k", k, low=1), valid.integer("stride", stride, low=1),
            valid.integer("padding", padding, low=0), valid.integer("dilation", dilation, low=1))


def output_size(n, k, stride=1, padding=0, dilation=1):
    """Output cells along one axis: floor((n + 2p - d(k-1) - 1) / s) + 1, whether the division was exact, and
    how many cells at the end of the padded input no window reaches (the dropped partial window)."""
    n, k, s, p, d = _size_args(n, k, stride, padding, dilation)
    if n + 2 * p < d * (k - 1) + 1:
        raise ValueError(f"k: expected a kernel no wider than the padded input (n + 2p = {n + 2 * p} cells), got k={k}"
                         f" spanning d(k - 1) + 1 = {d * (k - 1) + 1} cells")
    return _size(n, k, s, p, d)


def explain_output_size(n, k, stride=1, padding=0, dilation=1):
    """The output size formula with these numbers, in words; says what is dropped when s does not divide."""
    size, exact, dropped = output_size(n, k, stride, padding, dilation)
    num = n + 2 * padding - dilation * (k - 1) - 1
    head = (f"(n + 2p - d(k-1) - 1)/s + 1 = ({n} + 2*{padding} - {dilation}*({k}-1) - 1)/{stride} + 1 "
            f"= {num}/{stride} + 1")
    if exact:
        return f"{head} = {size}: the {size} windows fit exactly."
    return (f"{head} is not an integer: {num}/{stride} = {num / stride:.4g} rounds down to {num // stride}, so "
            f"{size} windows fit. The last {dropped} cell{'s' if dropped > 1 else ''} of the padded input "
            f"({n + 2 * padding} cells) {'are' if dropped > 1 else 'is'} in no window: the partial window is "
            f"dropped (PyTorch does the same).")


def receptive_field(layers):
    """The receptive field of a stack of layers along one axis; ``layers`` lists (kernel, stride, dilation) per
    layer (stride and dilation default to 1). From the input up: r_l = r_{l-1} + d_l (k_l - 1) j_{l-1},
    j_l = j_{l-1} s_l, r_0 = j_0 = 1. With dilation, or a stride wider than its kernel, the field has holes:
    ``size`` is its extent."""
    try:
        layers = [tuple(layer) if isinstance(layer, (tuple, list)) else (layer,) for layer in layers]
    except TypeError:
        raise ValueError(f"layers: expected a list of (kernel, stride, dilation), got {layers!r}") from None
    if not layers or any(not 1 <= len(layer) <= 3 for layer in layers):
        raise ValueError(f"layers: expected a non-empty list of (kernel, stride, dilation), got {layers!r}")
    r, j, sizes, jumps = 1, 1, [], []
    for l, layer in enumerate(layers):
        k, s, d = (valid.integer(f"layers[{l}][{i}]", v, low=1) for i, v in enumerate(layer + (1,) * (3 - len(layer))))
        r, j = r + d * (k - 1) * j, j * s
        sizes.append(r)
        jumps.append(j)
    return ReceptiveField(r, j, sizes, jumps)


def parameter_counts(in_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True):
    """Parameters of a conv layer, C_out C_in kH kW (+ C_out biases), against a dense layer mapping the same
    input (C_in, H, W) to an output of the same size (C_out, H', W'): (C_in H W)(C_out H' W') (+ C_out H' W').
    ``in_shape`` is (C_in, H, W), or (C_in, L) in 1-D."""
    try:
        in_shape = tuple(in_shape)
    except TypeError:
        raise ValueError(f"in_shape: expected (C_in, H, W) or (C_in, L), got {in_shape!r}") from None
    if len(in_shape) not in (2, 3):
        raise ValueError(f"in_shape: expected (C_in, H, W) or (C_in, L), got {in_shape!r}")
    dims = len(in_shape) - 1
    c_in, *spatial = (valid.integer(f"in_shape[{i}]", v, low=1) for i, v in enumerate(in_shape))
    c_out = valid.integer("out_channels", out_channels, low=1)
    k, s, p, d = (_per_axis(name, v, dims, low) for name, v, low in
                  (("kernel_size", kernel_size, 1), ("stride", stride, 1), ("padding", padding, 0),
                   ("dilation", dilation, 1)))
    out = tuple(_checked_size(n, *args, axis) for axis, (n, *args) in enumerate(zip(spatial, k, s, p, d)))
    conv = c_out * c_in * math.prod(k) + (c_out if bias else 0)
    n_in, n_out = c_in * math.prod(spatial), c_out * math.prod(out)
    return ParameterCounts(conv, n_in * n_out + (n_out if bias else 0), (c_out,) + out)


# ------------------------------------------------------------------------------ argument checks


def _per_axis(name, value, dims, low):
    if isinstance(value, (tuple, list)):
        if len(value) != dims:
            raise ValueError(f"{name}: expected an integer or {dims} integers (one per spatial axis), got {value!r}")
        return tuple(valid.integer(f"{name}[{i}]", v, low=low) for i, v in enumerate(value))
    return (valid.integer(name, value, low=low),) * dims


def _checked_size(n, k, s, p, d, axis):
    if n + 2 * p < d * (k - 1) + 1:
        raise ValueError(f"w: expected a kernel no wider than the padded input along spatial axis {axis} "
                         f"({n} + 2*{p} = {n + 2 * p} cells), got a kernel of {k} spanning d(k - 1) + 1 = "
                         f"{d * (k - 1) + 1} cells")
    return _size(n, k, s, p, d).size


class _Setup(NamedTuple):
    x: np.ndarray       # (N, C_in, *spatial)
    w: np.ndarray       # (C_out, C_in, *kernel), flipped already when flip
    b: np.ndarray | None
    stride: tuple
    padding: tuple
    dilation: tuple
    out: tuple          # the output's spatial sizes
    lead: int           # axes to drop from the (N, C, ...) result: 2 single channel, 1 unbatched, 0 batched


def _setup(x, w, b, dims, stride, padding, dilation, flip):
    letters = "(H, W)" if dims == 2 else "(L,)"
    x = valid.as_array("x", x, ndim=(dims, dims + 1, dims + 2))
    w = valid.as_array("w", w, ndim=(dims, dims + 2))
    if w.ndim == dims:
        if x.ndim != dims:
            raise ValueError(f"x: a kernel of shape {w.shape} (one channel in and out) expects x of shape {letters}, "
                             f"got shape {x.shape} (for channels give w as (C_out, C_in, ...))")
        x, w, lead = x[None, None], w[None, None], 2
    else:
        if x.ndim == dims:
            raise ValueError(f"x: a kernel of shape {w.shape} expects x of shape (C_in, ...) or (N, C_in, ...) with "
                             f"C_in = {w.shape[1]}, got shape {x.shape}")
        lead = 1 if x.ndim == dims + 1 else 0
        x = x[None] if lead else x
        if x.shape[1] != w.shape[1]:
            raise ValueError(f"w: expected {x.shape[1]} input channels (w[:, C_in], the channels of x), got shape "
                             f"{w.shape} for x of shape {x.shape[lead:]}")
    if 0 in x.shape or 0 in w.shape:
        raise ValueError(f"x, w: expected non-empty axes, got shapes {x.shape[lead:]} and {w.shape[lead:]}")
    if b is not None:
        b = valid.as_array("b", b, shape=(w.shape[0],))
    s, p, d = (_per_axis(name, v, dims, low) for name, v, low in
               (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1)))
    out = tuple(_checked_size(*args, axis) for axis, args in enumerate(zip(x.shape[2:], w.shape[2:], s, p, d)))
    if flip:
        w = w[(Ellipsis,) + (slice(None, None, -1),) * dims]
    return _Setup(x, w, b, s, p, d, out, lead)


# ------------------------------------------------------------------------------ forward and backward


def _pad(x, padding):
    return np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding]) if any(padding) else x


def _windows(xp, kernel, stride, dilation, out):
    """The view (N, C, *out, *kernel) of the padded input, window i holding xp[..., i s + m d] at kernel cell m:
    no copy, only strides (a step of one output cell moves s cells of xp, a step of one kernel cell d cells).
    This is ``numpy.lib.stride_tricks.as_strided`` without its overhead (a quarter of a small conv's time);
    the ndarray constructor also checks that every window lies inside xp."""
    xp = np.ascontiguousarray(xp)
    steps = xp.strides[2:]
    view = np.ndarray(xp.shape[:2] + tuple(out) + tuple(kernel), xp.dtype, xp, 0, xp.strides[:2]
                      + tuple(a * s for a, s in zip(steps, stride)) + tuple(a * d for a, d in zip(steps, dilation)))
    view.flags.writeable = False
    return view


def _correlate(xp, w, b, stride, dilation, out):
    """sum over c and kernel cells of windows * w, + b: (N, C_out, *out). The windows laid out as the columns of
    (N, C_in kH kW + 1, H' W') (the one copy, "im2col"; the last row is the constant input 1 that the bias
    multiplies), then one matrix product with [w as (C_out, C_in kH kW), b]."""
    dims, n, k = w.ndim - 2, xp.shape[0], w[0].size
    win = _windows(xp, w.shape[2:], stride, dilation, out)
    cols = np.empty((n, k + (b is not None), math.prod(out)))
    # written through a view of cols that splits its axes 1 and 2 (a split is always a view, never a copy)
    cols[:, :k].reshape(win.shape[:2] + win.shape[2 + dims:] + win.shape[2:2 + dims])[...] = \
        win.transpose((0, 1) + tuple(range(2 + dims, 2 + 2 * dims)) + tuple(range(2, 2 + dims)))
    w = w.reshape(w.shape[0], k)
    if b is not None:
        cols[:, k] = 1.0
        w = np.concatenate([w, b[:, None]], axis=1)
    return (w @ cols).reshape((n, w.shape[0]) + tuple(out))


def _forward(dims, x, w, b, stride, padding, dilation, flip):
    c = _setup(x, w, b, dims, stride, padding, dilation, flip)
    return _correlate(_pad(c.x, c.padding), c.w, c.b, c.stride, c.dilation, c.out)[(0,) * c.lead]


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, flip=False):
    """z_i = sum_c sum_m w_cm x_{c, i s + m d} + b for every output channel (torch.nn.functional.conv1d);
    flip=True flips the kernel (true convolution). Shapes in the module's docstring."""
    return _forward(1, x, w, b, stride, padding, dilation, flip)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, flip=False):
    """z_ij = sum_c sum_m sum_n w_cmn x_{c, i s + m d, j s + n d} + b for every output channel
    (torch.nn.functional.conv2d); flip=True flips the kernel (true convolution). Shapes in the module's docstring."""
    return _forward(2, x, w, b, stride, padding, dilation, flip)


def _backward(dims, dz, x, w, stride, padding, dilation, flip, bias):
    c = _setup(x, w, None, dims, stride, padding, dilation, flip)
    want = (c.x.shape[0], c.w.shape[0]) + c.out
    dz = valid.as_array("dz", dz, shape=want[c.lead:])[(None,) * c.lead]
    xp = _pad(c.x, c.padding)
    kernel, flipped = c.w.shape[2:], (Ellipsis,) + (slice(None, None, -1),) * dims
    # dL/dw_m = sum over samples and positions of dz_i x_{i s + m d}: the windows against dz
    dw = np.tensordot(dz, _windows(xp, kernel, c.stride, c.dilation, c.out),
                      axes=([0] + list(range(2, 2 + dims)), [0] + list(range(2, 2 + dims))))
    dw = dw[flipped] if flip else dw
    # dL/dx_a = sum over i s + m d = a of dz_i w_m: kernel cell m sends dz_i w_m back to the cell x_{i s + m d}
    # that it read, for all i at once (a loop over the kernel's cells, not over positions). At stride 1 this is
    # the full convolution of dz with w (scipy.signal.convolve2d(dz, w, "full")): convolution again.
    sent = (c.w.reshape(c.w.shape[0], -1).T @ dz.reshape(dz.shape[:2] + (-1,))).reshape(c.x.shape[:2] + kernel + c.out)
    dxp = np.zeros(xp.shape)
    for cell in np.ndindex(*kernel):
        dxp[(slice(None),) * 2 + tuple(slice(m * d, m * d + s * (o - 1) + 1, s) for m, d, s, o
                                       in zip(cell, c.dilation, c.stride, c.out))] += sent[(slice(None),) * 2 + cell]
    dx = dxp[(slice(None),) * 2 + tuple(slice(p, p + n) for p, n in zip(c.padding, c.x.shape[2:]))]
    db = dz.sum(axis=(0,) + tuple(range(2, 2 + dims))) if bias else None
    if c.lead == 2:
        dw = dw[0, 0]
    return ConvGrads(np.ascontiguousarray(dx[(0,) * c.lead]), dw, db)


def conv1d_backward(dz, x, w, stride=1, padding=0, dilation=1, flip=False, bias=True):
    """dL/dx, dL/dw and dL/db (None with bias=False) of ``conv1d`` given dz = dL/dz (the shape of its output)."""
    return _backward(1, dz, x, w, stride, padding, dilation, flip, bias)


def conv2d_backward(dz, x, w, stride=1, padding=0, dilation=1, flip=False, bias=True):
    """dL/dx, dL/dw and dL/db (None with bias=False) of ``conv2d`` given dz = dL/dz (the shape of its output):
        dw_cmn = sum_i sum_j dz_ij x_{c, i s + m d, j s + n d},   db = sum_i sum_j dz_ij,
        dx_{c, a, e} = sum over i s + m d = a, j s + n d = e of dz_ij w_cmn."""
    return _backward(2, dz, x, w, stride, padding, dilation, flip, bias)


# ------------------------------------------------------------------------------ one output cell written out


def terms(x, w, position, out_channel=0, sample=0, stride=1, padding=0, dilation=1, flip=False):
    """The product-sum behind one output cell: for output ``position`` (i,) or (i, j) of ``out_channel`` (and
    ``sample`` of a batch), every term x[...] * w[...] in the order c, m, n. Indices are into x and w as given;
    a padding cell has an index outside x and reads 0. sum(t.product) + b[out_channel] is the output cell."""
    x_in, w_in = valid.as_array("x", x), valid.as_array("w", w)
    dims = w_in.ndim if w_in.ndim in (1, 2) and x_in.ndim == w_in.ndim else w_in.ndim - 2
    if dims not in (1, 2):
        raise ValueError(f"w: expected a kernel (k,), (kH, kW), (C_out, C_in, k) or (C_out, C_in, kH, kW), got shape "
                         f"{w_in.shape}")
    c = _setup(x_in, w_in, None, dims, stride, padding, dilation, False)
    o = valid.integer("out_channel", out_channel, low=0, high=c.w.shape[0] - 1)
    n = valid.integer("sample", sample, low=0, high=c.x.shape[0] - 1)
    try:
        position = tuple(position) if isinstance(position, (tuple, list)) else (position,)
    except TypeError:
        position = None
    if position is None or len(position) != dims:
        raise ValueError(f"position: expected {dims} output indices, got {position!r}")
    pos = [valid.integer(f"position[{a}]", v, low=0, high=c.out[a] - 1) for a, v in enumerate(position)]
    kernel = c.w.shape[2:]
    found = []
    for ch in range(c.x.shape[1]):
        for cell in np.ndindex(*kernel):
            src = tuple(i * s + m * d - p for i, m, s, d, p in zip(pos, cell, c.stride, c.dilation, c.padding))
            inside = all(0 <= a < size for a, size in zip(src, c.x.shape[2:]))
            xv = float(c.x[(n, ch) + src]) if inside else 0.0
            wcell = tuple(k - 1 - m for k, m in zip(kernel, cell)) if flip else cell
            wv = float(c.w[(o, ch) + wcell])
            x_index = ((n, ch), (ch,), ())[c.lead] + src
            w_index = (o, ch) + wcell if c.lead < 2 else wcell
            found.append(Term(x_index, w_index, xv, wv, xv * wv))
    return found
