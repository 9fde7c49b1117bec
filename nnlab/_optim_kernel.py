"""The update rules of ``nnlab.optim`` compiled with numba, shared by the compiled loops (the optimiser
race in ``_race_kernel`` and mini-batch training in ``_training_kernel``).

Each update applies the rule of ``nnlab.optim_rules`` to every entry, the rule ``nnlab.optim`` applies to
whole arrays: written once, so compiled paths agree with the NumPy ones (``tests/test_surfaces.py``,
``tests/test_training.py``). Compiled code takes numbers, not names: each rule (``Optimizer.rule``) has an
integer id, and an optimiser's hyper-parameters travel as one row of floats in the order of ``HYPER``
(flags as 0 or 1), which its update unpacks into named locals. Every update works in place on p and g, the
parameters and the gradient as flat arrays of any length, at step t = 1, 2, ..., with its state in named
flat arrays shaped like p (an unused state array may be empty).
"""
from __future__ import annotations

from . import optim_rules as rules

try:
    import numba
    from numba.extending import register_jitable
except ImportError:  # pragma: no cover - numba is a dependency; JupyterLite and the like may lack it
    numba = None
else:  # the rules (``optim_rules``, ``function_rules``) become callable from compiled code: numba is here now
    rules.register_with_numba(register_jitable)

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
    lr, momentum, dampening, weight_decay, nesterov = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    for j in range(p.shape[0]):
        p[j], momentum_buffer_j = rules.sgd(p[j], g[j], momentum_buffer[j] if momentum != 0 else 0.0, t == 1, lr,
                                            momentum, dampening, weight_decay, nesterov)
        if momentum != 0:
            momentum_buffer[j] = momentum_buffer_j


@_update
def _heavy_ball(p, g, t, hyper, previous):
    lr, eta = hyper[0], hyper[1]
    for j in range(p.shape[0]):
        p[j], previous[j] = rules.heavy_ball(p[j], g[j], previous[j], t == 1, lr, eta)


@_update
def _adagrad(p, g, t, hyper, state_sum):
    lr, lr_decay, weight_decay, initial_accumulator_value, eps = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    if t == 1:
        state_sum[:] = initial_accumulator_value
    rate = rules.adagrad_rate(lr, t, lr_decay)
    for j in range(p.shape[0]):
        p[j], state_sum[j] = rules.adagrad(p[j], g[j], state_sum[j], rate, weight_decay, eps)


@_update
def _rmsprop(p, g, t, hyper, square_avg, momentum_buffer, grad_avg):
    lr, alpha, eps, weight_decay, momentum, centered = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4], hyper[5]
    for j in range(p.shape[0]):
        p[j], square_avg[j], buf, ga = rules.rmsprop(
            p[j], g[j], square_avg[j], momentum_buffer[j] if momentum != 0 else 0.0,
            grad_avg[j] if centered != 0 else 0.0, lr, alpha, eps, weight_decay, momentum, centered)
        if momentum != 0:
            momentum_buffer[j] = buf
        if centered != 0:
            grad_avg[j] = ga


@_update
def _adam(p, g, t, hyper, exp_avg, exp_avg_sq, max_exp_avg_sq):
    lr, beta1, beta2, eps, weight_decay, amsgrad, bias_correction = (hyper[0], hyper[1], hyper[2], hyper[3],
                                                                      hyper[4], hyper[5], hyper[6])
    bc1, bc2_sqrt = rules.adam_corrections(t, beta1, beta2, bias_correction)
    for j in range(p.shape[0]):
        p[j], exp_avg[j], exp_avg_sq[j], vmax = rules.adam(
            p[j], g[j], exp_avg[j], exp_avg_sq[j], max_exp_avg_sq[j] if amsgrad != 0 else 0.0, lr, beta1, beta2,
            eps, weight_decay, amsgrad, bc1, bc2_sqrt)
        if amsgrad != 0:
            max_exp_avg_sq[j] = vmax


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
