"""The update rules of the optimisers, each written once, for NumPy and for numba alike.

Every function here is elementwise arithmetic on its arguments, so it takes whole arrays (``nnlab.optim``'s
NumPy updates call it once per parameter array) or single floats (``_optim_kernel`` compiles it with numba
and calls it once per entry, in its loops). Both paths therefore round the same way, operation by operation,
and both match torch.optim (tests/test_optim.py, tests/test_surfaces.py, tests/test_training.py).

Conventions: ``p`` the parameters, ``g`` the gradient, ``t`` the step (1, 2, ...), ``first`` whether t = 1;
flags (``nesterov``, ``centered``, ``amsgrad``) are numbers, 0 for off; each rule returns the new parameters
and its new state, never changing its arguments.
"""
from __future__ import annotations

import numpy as np

#: every function marked ``jitable`` (here and in ``function_rules``), in the order marked
MARKED = []
#: numba's ``register_jitable``, once a compiled module has called ``register_with_numba``
_REGISTER = []


def jitable(f):
    """Mark ``f`` as callable from numba-compiled code, and return it unchanged (plain Python).

    numba is not imported here: a lecture that only uses the NumPy paths should not pay its ~130 MiB. The
    compiled modules (``_optim_kernel``, which ``_race_kernel`` and ``_training_kernel`` import) call
    ``register_with_numba`` when they are imported, before they compile anything; a function marked after that
    is registered at once."""
    MARKED.append(f)
    if _REGISTER:
        _REGISTER[0](f)
    return f


def register_with_numba(register_jitable):
    """Register every marked function, and every one marked later, with numba's ``register_jitable`` (which
    adds an overload for the function object, so compiled code that calls it compiles it on first use, while
    Python keeps calling the plain function). Called once, by ``_optim_kernel`` when numba is there."""
    if not _REGISTER:
        _REGISTER.append(register_jitable)
        for f in MARKED:
            register_jitable(f)


@jitable
def decayed(g, p, weight_decay):
    """The gradient with L2 weight decay: d = g + weight_decay p."""
    return g + weight_decay * p if weight_decay != 0 else g


@jitable
def sgd(p, g, buf, first, lr, momentum, dampening, weight_decay, nesterov):
    """d = g + weight_decay p;  buf = momentum buf + (1 - dampening) d (buf = d at t = 1);
    d = d + momentum buf if nesterov else buf;  p = p - lr d.  Returns (p, buf)."""
    d = decayed(g, p, weight_decay)
    if momentum != 0:
        buf = d if first else buf * momentum + (1 - dampening) * d
        d = d + momentum * buf if nesterov != 0 else buf
    return p - lr * d, buf


@jitable
def heavy_ball(p, g, previous, first, lr, eta):
    """p_next = p - lr g + eta (p - p_previous), with p_previous = p at t = 1.  Returns (p_next, p)."""
    q = p if first else previous
    return p - lr * g + eta * (p - q), p


@jitable
def adagrad_rate(lr, t, lr_decay):
    """AdaGrad's step size at step t: lr / (1 + (t - 1) lr_decay)."""
    return lr / (1 + (t - 1) * lr_decay)


@jitable
def adagrad(p, g, total, rate, weight_decay, eps):
    """total = total + d^2;  p = p - rate d / (sqrt(total) + eps), rate from ``adagrad_rate``.
    Returns (p, total)."""
    d = decayed(g, p, weight_decay)
    total = total + d * d
    return p - rate * (d / (np.sqrt(total) + eps)), total


@jitable
def rmsprop(p, g, square_avg, buf, grad_avg, lr, alpha, eps, weight_decay, momentum, centered):
    """sq = alpha sq + (1 - alpha) d^2;  avg = sqrt(sq) + eps, centred sqrt(sq - ga^2) + eps with ga the running
    mean of d (torch's lerp);  p = p - lr d / avg, or through buf = momentum buf + d / avg.
    Returns (p, square_avg, buf, grad_avg)."""
    d = decayed(g, p, weight_decay)
    square_avg = square_avg * alpha + (1 - alpha) * d * d
    if centered != 0:
        grad_avg = grad_avg + (d - grad_avg) * (1 - alpha)
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum != 0:
        buf = buf * momentum + d / avg
        return p - lr * buf, square_avg, buf, grad_avg
    return p - lr * (d / avg), square_avg, buf, grad_avg


@jitable
def adam_corrections(t, beta1, beta2, bias_correction):
    """Adam's bias corrections at step t: (1 - b1^t, sqrt(1 - b2^t)), or (1, 1) without them."""
    if bias_correction == 0:
        return 1.0, 1.0
    return 1 - beta1 ** float(t), np.sqrt(1 - beta2 ** float(t))


@jitable
def adam(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay, amsgrad, bc1, bc2_sqrt):
    """m = b1 m + (1 - b1) d (torch's lerp);  v = b2 v + (1 - b2) d^2 (v_max = max(v_max, v) with amsgrad);
    p = p - lr/bc1 * m / (sqrt(v)/bc2_sqrt + eps), bc1 and bc2_sqrt from ``adam_corrections``.
    Returns (p, exp_avg, exp_avg_sq, max_exp_avg_sq)."""
    d = decayed(g, p, weight_decay)
    exp_avg = exp_avg + (d - exp_avg) * (1 - beta1)
    exp_avg_sq = exp_avg_sq * beta2 + (1 - beta2) * d * d
    if amsgrad != 0:
        max_exp_avg_sq = np.maximum(max_exp_avg_sq, exp_avg_sq)
        denom = np.sqrt(max_exp_avg_sq) / bc2_sqrt + eps
    else:
        denom = np.sqrt(exp_avg_sq) / bc2_sqrt + eps
    return p - (lr / bc1) * (exp_avg / denom), exp_avg, exp_avg_sq, max_exp_avg_sq
