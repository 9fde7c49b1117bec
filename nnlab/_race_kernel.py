"""The optimiser race compiled with numba: the same arithmetic as ``optim`` and ``surfaces``, in one loop.

``surfaces.race`` calls ``run`` and falls back to one ``surfaces.trajectory`` per optimiser when this
cannot serve (numba missing, a surface of your own, a learning-rate schedule). Each update below
repeats the NumPy expression of ``nnlab.optim`` operation by operation (same order, same rounding),
so the paths agree with the NumPy ones; ``tests/test_surfaces.py`` checks that, and checks both
against torch.optim. Six optimisers x 1,000 steps take about 0.1 ms instead of 60-170 ms.
"""
from __future__ import annotations

import math

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency; JupyterLite and the like may lack it
    numba = None

# Compiled on first call (about 3 s), then loaded from numba's on-disk cache (about 0.3 s).
_jit = numba.njit(cache=True, nogil=True) if numba is not None else (lambda f: f)

RULES = {"sgd": 0, "heavy_ball": 1, "adagrad": 2, "rmsprop": 3, "adam": 4}
HYPER = {  # the order of each rule's numbers in its row of ``hp``
    "sgd": ("lr", "momentum", "dampening", "weight_decay", "nesterov"),
    "heavy_ball": ("lr", "eta"),
    "adagrad": ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"),
    "rmsprop": ("lr", "alpha", "eps", "weight_decay", "momentum", "centered"),
    "adam": ("lr", "betas", "eps", "weight_decay", "amsgrad", "bias_correction"),
}


@_jit
def _grad(sid, sp, x, y):
    """Each built-in surface's gradient, written as in ``surfaces`` (see ``Surface.kernel``)."""
    if sid == 0:    # quadratic: P @ H
        return x * sp[0] + y * sp[2], x * sp[1] + y * sp[3]
    if sid == 1:    # Rosenbrock (a, b)
        a, b = sp[0], sp[1]
        return -2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)
    if sid == 2:    # saddle
        return x, -y + y ** 3.0
    if sid == 3:    # four wells
        return 4 * x * (x * x - 1) + 0.3, 4 * y * (y * y - 1) + 0.2
    # Beale
    gx, gy = 0.0, 0.0
    for k in range(3):
        r = sp[k] - x + x * y ** (k + 1.0)
        gx += 2 * r * (y ** (k + 1.0) - 1)
        gy += 2 * r * x * (k + 1) * y ** float(k)
    return gx, gy


@_jit
def _race(sid, sp, kinds, hp, x0, steps, noise, scale, bound, path, last, code):
    for i in range(kinds.shape[0]):
        kind, h = kinds[i], hp[i]
        p = np.array([x0[0], x0[1]])
        a = np.zeros(2)      # momentum buffer / previous point / sum / square_avg / exp_avg
        b = np.zeros(2)      # RMSProp momentum buffer / exp_avg_sq
        c = np.zeros(2)      # RMSProp grad_avg / Adam max_exp_avg_sq
        g = np.zeros(2)
        if kind == 2:
            a[:] = h[3]
        path[i, 0] = p
        last[i] = steps
        for k in range(1, steps + 1):
            g[0], g[1] = _grad(sid, sp, p[0], p[1])
            if scale != 0.0:
                g[0] = g[0] + scale * noise[k - 1, 0]
                g[1] = g[1] + scale * noise[k - 1, 1]
            t = k
            for j in range(2):
                pj, gj = p[j], g[j]
                if kind == 0:      # sgd: lr, momentum, dampening, weight_decay, nesterov
                    d = gj + h[3] * pj if h[3] != 0 else gj
                    if h[1] != 0:
                        a[j] = d if k == 1 else a[j] * h[1] + (1 - h[2]) * d
                        d = d + h[1] * a[j] if h[4] != 0 else a[j]
                    p[j] = pj - h[0] * d
                elif kind == 1:    # heavy ball: lr, eta
                    q = pj if k == 1 else a[j]
                    a[j] = pj
                    p[j] = pj - h[0] * gj + h[1] * (pj - q)
                elif kind == 2:    # adagrad: lr, lr_decay, weight_decay, acc0, eps
                    clr = h[0] / (1 + (t - 1) * h[1])
                    d = gj + h[2] * pj if h[2] != 0 else gj
                    a[j] = a[j] + d * d
                    p[j] = pj - clr * (d / (math.sqrt(a[j]) + h[4]))
                elif kind == 3:    # rmsprop: lr, alpha, eps, weight_decay, momentum, centered
                    d = gj + h[3] * pj if h[3] != 0 else gj
                    a[j] = a[j] * h[1] + (1 - h[1]) * d * d
                    if h[5] != 0:
                        c[j] = c[j] + (d - c[j]) * (1 - h[1])
                        avg = math.sqrt(a[j] - c[j] * c[j]) + h[2]
                    else:
                        avg = math.sqrt(a[j]) + h[2]
                    if h[4] != 0:
                        b[j] = b[j] * h[4] + d / avg
                        p[j] = pj - h[0] * b[j]
                    else:
                        p[j] = pj - h[0] * (d / avg)
                else:              # adam: lr, beta1, beta2, eps, weight_decay, amsgrad, bias_correction
                    b1, b2 = h[1], h[2]
                    bc1 = 1 - b1 ** float(t) if h[6] != 0 else 1.0
                    bc2_sqrt = math.sqrt(1 - b2 ** float(t)) if h[6] != 0 else 1.0
                    d = gj + h[4] * pj if h[4] != 0 else gj
                    a[j] = a[j] + (d - a[j]) * (1 - b1)
                    b[j] = b[j] * b2 + (1 - b2) * d * d
                    if h[5] != 0:
                        c[j] = max(c[j], b[j])
                        denom = math.sqrt(c[j]) / bc2_sqrt + h[3]
                    else:
                        denom = math.sqrt(b[j]) / bc2_sqrt + h[3]
                    p[j] = pj - (h[0] / bc1) * (a[j] / denom)
            finite = math.isfinite(p[0]) and math.isfinite(p[1])
            if not finite or max(abs(p[0]), abs(p[1])) > bound:
                last[i] = k - 1
                code[i] = 1 if finite else 2
                break
            path[i, k] = p


def _row(opt):
    h = opt.hyper
    values = []
    for name in HYPER[opt.rule]:
        value = h[name]
        if callable(value):
            return None  # a schedule: the NumPy path handles it
        values.extend(value if isinstance(value, tuple) else [value])
    return [float(x) for x in values]


def run(optimizers, surface, x0, steps, noise, seed, bound=1e6):
    """(path (n, steps + 1, 2), last step reached (n,), stop code (n,): 0 ran, 1 |x| > bound, 2 not finite),
    or None when the compiled race cannot serve these optimisers or this surface."""
    if numba is None or not surface.kernel or not optimizers:
        return None
    rows = []
    for opt in optimizers:
        row = _row(opt) if opt.rule in RULES else None
        if row is None:
            return None
        rows.append(row + [0.0] * (8 - len(row)))
    sid, params = surface.kernel
    z = np.random.default_rng(seed).standard_normal((steps, 2)) if noise else np.zeros((0, 2))
    n = len(rows)
    path = np.full((n, steps + 1, 2), np.nan)
    last, code = np.zeros(n, np.int64), np.zeros(n, np.int64)
    _race(sid, np.array(params, float), np.array([RULES[o.rule] for o in optimizers], np.int64),
              np.array(rows), np.asarray(x0, float), int(steps), z, float(noise), float(bound), path, last, code)
    return path, last, code
