"""Checks of lecture 10's exercise, parts 1 and 2: how many outputs a convolution has along one axis, and a
single-channel 2-D convolution with stride and zero padding (cross-correlation, as PyTorch's ``conv2d``).

The oracles are the windows that fit, counted one by one, and scipy's ``correlate2d`` on the zero-padded image
with every s-th window kept; never ``nnlab.conv``, the lecture's own model, which the exercise rules out as a
shortcut. A wrong convolution is named by its signature: the judge computes what each known slip gives on the
same inputs (a flipped kernel, padding on one side, the stride ignored, ...) and, since a slip is made on every
input alike, names the one that explains the most of the cases the answer gets wrong (``consistent``).
"""
from __future__ import annotations

import numpy as np

from .harness import RAISED, UNUSABLE, WRONG, Case, Problem, StudentError
from .registry import as_array, consistent, describe_difference, fits, in_place, register, returned, run_check


# ------------------------------------------------------------------ the output size along one axis


def _windows(n, k, s, p, d):
    """The oracle: the windows that fit, counted one by one. A window starting at cell i of the padded input
    (n + 2p cells) covers cells i, i + d, ..., i + d(k - 1); the next one starts s cells further on."""
    count, start = 0, 0
    while start + d * (k - 1) <= n + 2 * p - 1:
        count, start = count + 1, start + s
    return count


def _size_slips(n, k, s, p, d):
    """What the common slips give, each with its diagnosis (the first that matches is said)."""
    num = n + 2 * p - d * (k - 1) - 1
    return [
        ("the + 1 is missing: (n + 2p - d(k - 1) - 1) // s counts the steps from the first window to the last, "
         "and the first window is one more", num // s),
        ("you rounded up: a window that would run past the end of the padded input is dropped, so the division "
         "rounds down (// in Python, or math.floor)", -(-num // s) + 1),
        ("the - 1 is missing: the kernel spans d(k - 1) + 1 cells, so the first window leaves n + 2p - d(k - 1) - 1 "
         "cells to step through", (num + 1) // s + 1),
        ("the padding is missing: p zeros on each side make the input n + 2p cells long", (num - 2 * p) // s + 1),
        ("the padding is counted once: p zeros on each side make the input n + 2p cells long, not n + p",
         (num - p) // s + 1),
        ("the dilation is missing: k kernel cells spread d apart span d(k - 1) + 1 cells", (n + 2 * p - k) // s + 1),
        ("a dilated kernel spans d(k - 1) + 1 cells (k cells with d - 1 gaps between neighbours), not d k",
         (n + 2 * p - d * k) // s + 1),
        ("the stride is missing: the window moves s cells at a time, so divide by s (rounding down) before adding 1",
         num + 1),
    ]


# (stride, padding from .. to, dilation, the remainder of (n + 2p - d(k - 1) - 1) / s; None: any)
_SIZE_KINDS = [(1, (0, 0), 1, None), (2, (1, 3), 1, 1), (3, (0, 0), 1, 1), (1, (3, 5), 3, None), (2, (1, 4), 3, 1),
               (3, (1, 4), 2, 0)]


def _size_cases(rng):
    """Six layers drawn anew for each student: n from 12 to 1024 cells, kernels of 2 to 7, strides of 1 to 3 (where
    the division is exact and where it is not), padding and dilation. Drawn again until every slip named is told
    apart from every other by some case (where it is wrong and the other gives another number)."""
    while True:
        cases = []
        for s, (low, high), d, rest in _SIZE_KINDS:
            while True:
                n, k, p = int(rng.integers(12, 1025)), int(rng.integers(2, 8)), int(rng.integers(low, high + 1))
                num = n + 2 * p - d * (k - 1) - 1
                if (rest is None or num % s == rest) and num // s + 1 not in (0, 1, n):
                    break
            cases.append((n, k, s, p, d))
        slips = [(_windows_formula(*c), [v for _, v in _size_slips(*c)]) for c in cases]
        pairs = [(a, b) for a in range(len(slips[0][1])) for b in range(len(slips[0][1])) if a != b]
        if all(any(v[a] != right and v[a] != v[b] for right, v in slips) for a, b in pairs):
            break
    return [Case(f"test {t + 1} (n = {n}, k = {k}, stride {s}, padding {p}, dilation {d})", (n, k, s, p, d))
            for t, (n, k, s, p, d) in enumerate(cases)]


def _windows_formula(n, k, s, p, d):
    """The formula, for drawing the cases (the judge counts the windows with ``_windows``)."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _count(out):
    """A returned count as an int, or StudentError saying why it is not one."""
    if out is None:
        raise StudentError("your function returned None: did you forget to return the size?", UNUSABLE)
    arr = np.asarray(out) if not isinstance(out, (dict, list)) else None
    if arr is None or arr.shape != () or arr.dtype.kind not in "iuf" or not np.isfinite(arr):
        got = out.get("type") if isinstance(out, dict) else "a list or tuple" if isinstance(out, list) else out
        raise StudentError(f"return one whole number, got {got}", UNUSABLE)
    return float(arr)


def _size_judge(cases, outcomes):
    problems, pending = [], []  # pending: (index in problems, the slips that match)
    for k, case in enumerate(cases):
        n, kernel, s, p, d = case.args
        try:
            mine = _count(returned(outcomes, k))
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        right = _windows(n, kernel, s, p, d)
        if mine == right:
            continue
        num = n + 2 * p - d * (kernel - 1) - 1
        if mine != round(mine):
            said = ("a number of windows is a whole number: round the division down with // (your / gives a "
                    "fraction)" if abs(mine - (num / s + 1)) < 1e-9 else
                    f"a number of windows is a whole number, got {mine:g}")
        else:
            found = [text for text, v in _size_slips(n, kernel, s, p, d) if v == mine and v != right]
            pending.append((len(problems), found))
            said = (f"{mine:g} is {'more' if mine > right else 'fewer'} than the {right} windows that fit: "
                    "(n + 2p - d(k - 1) - 1) // s + 1")
        problems.append(Problem(case.label, WRONG, said))
    for (at, _), text in zip(pending, consistent([found for _, found in pending])):
        if text:
            problems[at] = Problem(problems[at].case, WRONG, text)
    return problems


register("output_size", "the output size of a convolution", _size_cases, _size_judge, forbid="output_size")


def output_size(f, strict=False, points=1, time_limit=None):
    """f(n, k, stride, padding, dilation) -> the number of outputs along an axis of n cells: the windows of a
    kernel of k cells, d apart, that fit in the input padded with p zeros on each side, moved s cells at a time."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("output_size", f, strict, points, time_limit)


# ------------------------------------------------------------------ a 2-D convolution with stride and padding

# (H, W, kH, kW, stride, padding): non-square images and kernels; exact and inexact divisions
_CONV_SHAPES = [(5, 7, 2, 3, 1, 0), (7, 9, 3, 2, 2, 0), (6, 5, 3, 3, 1, 1), (8, 7, 3, 4, 2, 1), (9, 6, 4, 2, 3, 2),
                (6, 8, 2, 5, 1, 2)]


def _conv_cases(rng):
    """Six images and kernels drawn anew for each student, in fixed shapes (see ``_CONV_SHAPES``)."""
    cases = []
    for t, (H, W, kh, kw, s, p) in enumerate(_CONV_SHAPES):
        x, w = rng.normal(0, 1, (H, W)), rng.normal(0, 1, (kh, kw))
        cases.append(Case(f"test {t + 1} (x {H}x{W}, w {kh}x{kw}, stride {s}, padding {p})", (x, w, s, p)))
    return cases


def _right(x, w, s, p):
    """The oracle: scipy's cross-correlation of the zero-padded x with w, every s-th window in both directions."""
    from scipy.signal import correlate2d

    return correlate2d(np.pad(x, p), w, mode="valid")[::s, ::s]


def _slide(xp, w, stride=(1, 1), dilation=(1, 1)):
    """The cross-correlation of an already padded xp with w, the window moving ``stride`` cells (rows, columns) and
    the kernel's cells ``dilation`` apart; None where the kernel does not fit (what the slips compute with)."""
    (kh, kw), (sh, sw), (dh, dw) = w.shape, stride, dilation
    oh, ow = (xp.shape[0] - dh * (kh - 1) - 1) // sh + 1, (xp.shape[1] - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        return None
    out = np.zeros((oh, ow))
    for m in range(kh):
        for n in range(kw):
            out += w[m, n] * xp[m * dh:m * dh + sh * (oh - 1) + 1:sh, n * dw:n * dw + sw * (ow - 1) + 1:sw]
    return out


FORMULA = "(H + 2p - kH) // s + 1 rows and (W + 2p - kW) // s + 1 columns"
SUM = "z[i, j] = sum over m, n of w[m, n] * x_pad[i*s + m, j*s + n]"
CONV_SAID = {
    "flipped": "you flipped the kernel, which is convolution as signal processing defines it (scipy's convolve2d): "
               f"a CNN's convolution is cross-correlation, {SUM}, with w as it is given (PyTorch's conv2d does this)",
    "flip_axis": f"the kernel is flipped along one axis (w[::-1] or w[:, ::-1]): use w as it is given, {SUM}",
    "kernel_T": "you used the kernel transposed (w.T, or w[n, m] in place of w[m, n]): m counts the kH rows of w and "
                f"moves down the rows of x, n counts its kW columns: {SUM}",
    "output_T": f"your output is transposed: z has {FORMULA}, and z[i, j] is the window whose top-left corner is "
                "x_pad[i*s, j*s] (i down, j across)",
    "x_T": "your windows read x with its rows and columns swapped (x[j*s + n, i*s + m]): row i of z slides along "
           f"rows i*s to i*s + kH - 1 of the padded x: {SUM}",
    "no_pad": "the padding is missing: pad x with p zeros on every side first (np.pad(x, p)), so that the padded "
              "image is (H + 2p) x (W + 2p)",
    "pad_one_side": "you padded one side only: p zeros go above the first row and below the last, and left of the "
                    "first column and right of the last (np.pad(x, p) does all four)",
    "pad_one_axis": "you padded one axis only: p zeros go above and below x, and also left and right of it "
                    "(np.pad(x, p) pads both axes)",
    "pad_mode": "the padding must be zeros: np.pad(x, p) pads with zeros by default, while mode='edge', 'reflect', "
                "'symmetric' or 'wrap' copy cells of x",
    "no_stride": f"the stride is missing: the window moves s cells at a time, so z[i, j] starts at x_pad[i*s, j*s] "
                 f"and z has {FORMULA}",
    "stride_one_axis": "the stride is applied along one axis only: the window moves s cells at a time both down "
                       "(x_pad[i*s + m, ...]) and across (x_pad[..., j*s + n])",
    "stride_input": "you subsampled x (x[::s, ::s]) and slid the kernel one cell at a time: the stride moves the "
                    f"window, whose kH x kW cells stay neighbours: {SUM}",
    "stride_dilation": "you spread the kernel's cells s apart (x_pad[i + m*s, j + n*s], a dilation): the stride moves "
                       f"the window's corner and the kernel's cells stay neighbours: {SUM}",
    "ceil": "your output keeps a partial window at the end (the size rounded up, or the input extended to fit it): "
            f"windows that would run past the padded input are dropped, so z has {FORMULA}",
    "missing_last": f"the last row or column of z is missing: z has {FORMULA} (the + 1 counts the first window; "
                    "range(n) stops at n - 1)",
    "extra_zeros": f"z has an extra row and column of zeros at the end: it has {FORMULA}, and every cell holds a "
                   "window's product-sum",
    "mean": "your outputs are the right ones divided by kH * kW: each output is the sum of the products "
            "w[m, n] * x_pad[i*s + m, j*s + n], not their mean",
}


def _conv_slips(x, w, s, p, right):
    """(key, what the slip gives) for each slip ``CONV_SAID`` names; slips that cannot show here are left out."""
    xp, st, (kh, kw) = np.pad(x, p), (s, s), w.shape
    slips = [("flipped", _slide(xp, w[::-1, ::-1], st)), ("flip_axis", _slide(xp, w[::-1], st)),
             ("flip_axis", _slide(xp, w[:, ::-1], st)), ("kernel_T", _slide(xp, w.T, st)), ("output_T", right.T),
             ("x_T", _slide(xp.T, w, st)), ("mean", right / (kh * kw)), ("missing_last", right[:-1, :-1]),
             ("missing_last", right[:-1]), ("missing_last", right[:, :-1]),
             ("extra_zeros", np.pad(right, ((0, 1), (0, 1))))]
    if p:
        slips += [("no_pad", _slide(x, w, st))]
        slips += [("pad_one_side", _slide(np.pad(x, pads), w, st)) for pads in (((p, 0), (p, 0)), ((0, p), (0, p)))]
        slips += [("pad_one_axis", _slide(np.pad(x, pads), w, st)) for pads in (((p, p), (0, 0)), ((0, 0), (p, p)))]
        slips += [("pad_mode", _slide(np.pad(x, p, mode=mode), w, st)) for mode in ("edge", "reflect", "symmetric",
                                                                                    "wrap")]
    if s > 1:
        slips += [("no_stride", _slide(xp, w)), ("stride_one_axis", _slide(xp, w, (s, 1))),
                  ("stride_one_axis", _slide(xp, w, (1, s))), ("stride_input", _slide(xp[::s, ::s], w)),
                  ("stride_input", _slide(np.pad(x[::s, ::s], p), w)), ("stride_dilation", _slide(xp, w, (1, 1),
                                                                                                  (s, s)))]
        extra = [(-(n + 2 * p - k)) % s for n, k in zip(x.shape, w.shape)]
        if any(extra):
            slips += [("ceil", _slide(np.pad(xp, ((0, extra[0]), (0, extra[1]))), w, st))]
    return slips


def _conv_unknown(z, right, args):
    """The diagnosis of a wrong z that no known slip explains."""
    x, w, s, p = args
    if not np.all(np.isfinite(z)):
        return "z holds nan or inf: every output is a finite product-sum of finite numbers"
    if z.shape != right.shape:
        return (f"z has shape {z.shape}, expected {right.shape}: with x {x.shape[0]}x{x.shape[1]}, w "
                f"{w.shape[0]}x{w.shape[1]}, stride {s} and padding {p}, z has {FORMULA}")
    where = describe_difference(z, right, "z", "scipy's correlate2d on np.pad(x, p), every s-th window",
                                rtol=1e-9, atol=1e-9 * max(1.0, np.abs(right).max()))
    return f"{where}: {SUM}"


SHAPE_ERRORS = ("broadcast", "shape", "index", "size", "dimension")


def _conv_judge(cases, outcomes):
    problems, pending = [], []  # pending: (case index, label, [matching slips], z, right, args)
    for k, case in enumerate(cases):
        x, w, s, p = case.args
        try:
            z = as_array("z", returned(outcomes, k), ndim=2, integers="the products of floats are floats "
                         "(np.zeros(shape) is float64; np.zeros(shape, dtype=int) cuts off the fractions)")
        except StudentError as exc:
            text = str(exc)
            if exc.kind == RAISED and any(word in text.lower() for word in SHAPE_ERRORS):
                text += ("; a window x_pad[i*s:i*s + kH, j*s:j*s + kW] has the kernel's shape only while i < "
                         "(H + 2p - kH) // s + 1 and j < (W + 2p - kW) // s + 1")
            problems.append((k, Problem(case.label, exc.kind, text)))
            continue
        right = _right(x, w, s, p)
        changed = in_place(outcomes[k], ("x", "w"), "np.pad returns a new array; x[...] = or += write into x")
        if changed:
            problems.append((k, Problem(case.label, WRONG, changed)))
        atol = 1e-9 * max(1.0, np.abs(right).max())
        if fits(z, right, atol):
            continue
        found = [key for key, predicted in _conv_slips(x, w, s, p, right) if fits(z, predicted, atol)]
        pending.append((k, case.label, found, z, right, case.args))
    keys = consistent([found for _, _, found, _, _, _ in pending])
    for (k, label, _, z, right, args), key in zip(pending, keys):
        problems.append((k, Problem(label, WRONG, CONV_SAID[key] if key else _conv_unknown(z, right, args))))
    return [problem for _, problem in sorted(problems, key=lambda kp: kp[0])]


register("conv2d", "a 2-D convolution with stride and padding", _conv_cases, _conv_judge, forbid="conv2d")


def conv2d(f, strict=False, points=1, time_limit=None):
    """f(x, w, stride, padding) -> z, z[i, j] = sum over m, n of w[m, n] x_pad[i*s + m, j*s + n]: x (H, W) padded
    with p zeros on every side, w (kH, kW) as it is given (cross-correlation, as PyTorch's conv2d), z of shape
    ((H + 2p - kH) // s + 1, (W + 2p - kW) // s + 1)."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("conv2d", f, strict, points, time_limit)
