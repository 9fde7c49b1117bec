"""The update rules of ``nnlab.optim`` compiled with numba, shared by the compiled loops (the optimiser
race in ``_race_kernel`` and mini-batch training in ``_training_kernel``).

Each update repeats the NumPy expression of ``nnlab.optim`` operation by operation (same order, same
rounding), so compiled paths agree with the NumPy ones (``tests/test_surfaces.py``,
``tests/test_training.py``). Compiled code takes numbers, not names: each rule (``Optimizer.rule``) has an
integer id, and an optimiser's hyper-parameters travel as one row of floats in the order of ``HYPER``
(flags as 0 or 1), which its update unpacks into named locals. Every update works in place on p and g, the
parameters and the gradient as flat arrays of any length, at step t = 1, 2, ..., with its state in named
flat arrays shaped like p (an unused state array may be empty).
"""
from __future__ import annotations

import math

try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency; JupyterLite and the like may lack it
    numba = None

# Compiled on first call, then loaded from numba's on-disk cache. The updates are inlined into the loops
# that call them (numba's inline="always": about 10 % faster than calls).
jit = numba.njit(cache=True, nogil=True) if numba is not None else (lambda f: f)
_update = numba.njit(cache=True, nogil=True, inline="always") if numba is not None else (lambda f: f)

SGD, HEAVY_BALL, ADAGRAD, RMSPROP, ADAM = 0, 1, 2, 3, 4
RULES = {"sgd": SGD, "heavy_ball": HEAVY_BALL, "adagrad": ADAGRAD, "rmsprop": RMSPROP, "adam": ADAM}
HYPER = {  # the order of each rule's numbers in its row (``betas`` gives two)
    "sgd": ("lr", "momentum", "dampening", "weight_decay", "nesterov"),
    "heavy_ball": ("lr", "eta"),
    "adagrad": ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"),
    "rmsprop": ("lr", "alpha", "eps", "weight_decay", "momentum", "centered"),
    "adam": ("lr", "betas", "eps", "weight_decay", "amsgrad", "bias_correction"),
}
WIDTH = 8   # the longest row (Adam's seven numbers), rows are padded to it
STATE = 3   # the most arrays a rule keeps (RMSProp, Adam)


def row(opt, lr=None):
    """The optimiser's hyper-parameters as a row of WIDTH floats in the order of HYPER, or None when a
    compiled loop cannot take it (an unknown rule, or a schedule and no number ``lr`` given for it)."""
    if opt.rule not in RULES:
        return None
    values = []
    for name in HYPER[opt.rule]:
        value = opt.hyper[name] if not (name == "lr" and lr is not None) else lr
        if callable(value):
            return None  # a schedule: the caller passes each step's number, or the NumPy path serves
        values.extend(value if isinstance(value, tuple) else [value])
    return [float(x) for x in values] + [0.0] * (WIDTH - len(values))


@_update
def _sgd(p, g, t, hyper, momentum_buffer):
    """optim.sgd: d = g + weight_decay p;  buf = momentum buf + (1 - dampening) d (buf = d at t = 1);
    d = d + momentum buf if nesterov else buf;  p = p - lr d."""
    lr, momentum, dampening, weight_decay, nesterov = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    for j in range(p.shape[0]):
        d = g[j] + weight_decay * p[j] if weight_decay != 0 else g[j]
        if momentum != 0:
            momentum_buffer[j] = d if t == 1 else momentum_buffer[j] * momentum + (1 - dampening) * d
            d = d + momentum * momentum_buffer[j] if nesterov != 0 else momentum_buffer[j]
        p[j] = p[j] - lr * d


@_update
def _heavy_ball(p, g, t, hyper, previous):
    """optim.heavy_ball: p_next = p - lr g + eta (p - p_previous), p_previous = p at t = 1."""
    lr, eta = hyper[0], hyper[1]
    for j in range(p.shape[0]):
        pj = p[j]
        q = pj if t == 1 else previous[j]
        previous[j] = pj
        p[j] = pj - lr * g[j] + eta * (pj - q)


@_update
def _adagrad(p, g, t, hyper, state_sum):
    """optim.adagrad: sum = sum + d^2 (from initial_accumulator_value), d = g + weight_decay p;
    p = p - lr_t d / (sqrt(sum) + eps),  lr_t = lr / (1 + (t - 1) lr_decay)."""
    lr, lr_decay, weight_decay, initial_accumulator_value, eps = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    if t == 1:
        state_sum[:] = initial_accumulator_value
    clr = lr / (1 + (t - 1) * lr_decay)
    for j in range(p.shape[0]):
        d = g[j] + weight_decay * p[j] if weight_decay != 0 else g[j]
        state_sum[j] = state_sum[j] + d * d
        p[j] = p[j] - clr * (d / (math.sqrt(state_sum[j]) + eps))


@_update
def _rmsprop(p, g, t, hyper, square_avg, momentum_buffer, grad_avg):
    """optim.rmsprop: sq = alpha sq + (1 - alpha) d^2;  avg = sqrt(sq) + eps (centred: sqrt(sq - ga^2) + eps,
    ga the running mean of d);  p = p - lr d / avg, or through buf = momentum buf + d / avg."""
    lr, alpha, eps, weight_decay, momentum, centered = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4], hyper[5]
    for j in range(p.shape[0]):
        d = g[j] + weight_decay * p[j] if weight_decay != 0 else g[j]
        square_avg[j] = square_avg[j] * alpha + (1 - alpha) * d * d
        if centered != 0:
            grad_avg[j] = grad_avg[j] + (d - grad_avg[j]) * (1 - alpha)
            avg = math.sqrt(square_avg[j] - grad_avg[j] * grad_avg[j]) + eps
        else:
            avg = math.sqrt(square_avg[j]) + eps
        if momentum != 0:
            momentum_buffer[j] = momentum_buffer[j] * momentum + d / avg
            p[j] = p[j] - lr * momentum_buffer[j]
        else:
            p[j] = p[j] - lr * (d / avg)


@_update
def _adam(p, g, t, hyper, exp_avg, exp_avg_sq, max_exp_avg_sq):
    """optim.adam: m = b1 m + (1 - b1) d;  v = b2 v + (1 - b2) d^2 (v_max = max(v_max, v) with amsgrad);
    p = p - lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps), without the (1 - b^t) if not bias_correction."""
    lr, beta1, beta2, eps, weight_decay, amsgrad, bias_correction = (hyper[0], hyper[1], hyper[2], hyper[3],
                                                                      hyper[4], hyper[5], hyper[6])
    bc1 = 1 - beta1 ** float(t) if bias_correction != 0 else 1.0
    bc2_sqrt = math.sqrt(1 - beta2 ** float(t)) if bias_correction != 0 else 1.0
    for j in range(p.shape[0]):
        d = g[j] + weight_decay * p[j] if weight_decay != 0 else g[j]
        exp_avg[j] = exp_avg[j] + (d - exp_avg[j]) * (1 - beta1)
        exp_avg_sq[j] = exp_avg_sq[j] * beta2 + (1 - beta2) * d * d
        if amsgrad != 0:
            max_exp_avg_sq[j] = max(max_exp_avg_sq[j], exp_avg_sq[j])
            denom = math.sqrt(max_exp_avg_sq[j]) / bc2_sqrt + eps
        else:
            denom = math.sqrt(exp_avg_sq[j]) / bc2_sqrt + eps
        p[j] = p[j] - (lr / bc1) * (exp_avg[j] / denom)


@_update
def update(rule, p, g, t, hyper, s0, s1, s2):
    """One step of rule ``rule`` (an id of RULES) with its state arrays s0, s1, s2 in the order its
    update names them."""
    if rule == SGD:
        _sgd(p, g, t, hyper, s0)
    elif rule == HEAVY_BALL:
        _heavy_ball(p, g, t, hyper, s0)
    elif rule == ADAGRAD:
        _adagrad(p, g, t, hyper, s0)
    elif rule == RMSPROP:
        _rmsprop(p, g, t, hyper, s0, s1, s2)
    else:
        _adam(p, g, t, hyper, s0, s1, s2)
