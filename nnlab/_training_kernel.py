"""Mini-batch steps of ``training.Trainer`` compiled with numba: the same arithmetic as ``nn`` and ``optim``.

``Trainer.run`` hands a chunk of consecutive batches of the current epoch to ``run`` below when numba is
there and the setup is one it covers (no dropout; loss averaged over the batch; softmax only with
cross-entropy; optimiser ``sgd`` or ``adam`` without amsgrad); otherwise the NumPy step serves.
Per step: the forward pass Z_l = A_{l-1} @ W_l + b_l, the loss and dZ_L of nn.MLP (BCE from logits,
softmax cross-entropy, or squared error through the output's derivative), the backward pass, the
penalty's l2 W + l1 sign(W), and the update of optim.sgd / optim.adam (``_optim_kernel``'s, which the
optimiser race uses too). Sums run in loops, not BLAS, so results agree with the NumPy path to rounding
(tests/test_training.py checks both against each other and against PyTorch).

The network travels as one flat vector ``theta``: layer l's W (row-major, fan_in x fan_out) at
``w_off[l]``, then its b at ``b_off[l]``; an optimiser's state arrays are flat the same way.
"""
from __future__ import annotations

import math

import numpy as np

from . import function_rules as rules
from ._optim_kernel import RULES, WIDTH, numba, row, update
from ._optim_kernel import jit as _jit

ACTS = rules.CODES
LOSSES = {"bce": 0, "cross_entropy": 1, "mse": 2}
_g, _dg, _sigmoid, _bce = rules.activation, rules.activation_grad, rules.sigmoid, rules.bce_with_logits


@_jit
def _steps(X, Y, idx, starts, theta, fan_in, fan_out, w_off, b_off, acts, loss_code, l1, l2, rule, hyper, lrs,
           t0, s0, s1, s2, losses, grad):
    """Batch k holds rows idx[starts[k]:starts[k + 1]]. Returns how many updates were taken (fewer than
    the batches when a loss is not finite: losses[taken] is that loss)."""
    L, width = fan_in.shape[0], max(fan_in.max(), fan_out.max())
    rows_max = np.max(starts[1:] - starts[:-1])
    A, Z = np.zeros((L + 1, rows_max, width)), np.zeros((L + 1, rows_max, width))
    D = np.zeros((2, rows_max, width))                      # dZ of this layer and of the one below
    for k in range(starts.shape[0] - 1):
        rows = idx[starts[k]:starts[k + 1]]
        n = rows.shape[0]
        for i in range(n):
            for j in range(fan_in[0]):
                A[0, i, j] = X[rows[i], j]
        for l in range(L):                                  # forward: Z_l = A_{l-1} W_l + b_l, A_l = g(Z_l)
            a, b, wo, bo = fan_in[l], fan_out[l], w_off[l], b_off[l]
            for i in range(n):
                for j in range(b):
                    s = 0.0
                    for q in range(a):
                        s += A[l, i, q] * theta[wo + q * b + j]
                    Z[l + 1, i, j] = s + theta[bo + j]
                    A[l + 1, i, j] = _g(acts[l], Z[l + 1, i, j])
        K, out = fan_out[L - 1], acts[L - 1]
        dZ, here = D[0], 0
        loss = 0.0
        for i in range(n):                                  # the loss and dZ_L
            y = Y[rows[i]]
            if loss_code == 0:
                z = Z[L, i, 0]
                loss += _bce(z, y[0])
                dZ[i, 0] = (_sigmoid(z) - y[0]) / n
            elif loss_code == 1:
                m = Z[L, i, 0]
                for j in range(K):
                    m = max(m, Z[L, i, j])
                total = 0.0
                for j in range(K):
                    total += math.exp(Z[L, i, j] - m)
                for j in range(K):
                    loss -= y[j] * Z[L, i, j]
                    dZ[i, j] = (math.exp(Z[L, i, j] - m) / total - y[j]) / n
                loss += m + math.log(total)
            else:
                for j in range(K):
                    r = A[L, i, j] - y[j]
                    loss += r * r
                    dZ[i, j] = 2.0 * r / (n * K) * _dg(out, Z[L, i, j])
        loss = loss / (n * K) if loss_code != 1 else loss / n
        if l1 != 0 or l2 != 0:
            for l in range(L):
                for q in range(fan_in[l] * fan_out[l]):
                    w = theta[w_off[l] + q]
                    loss += 0.5 * l2 * w * w + l1 * abs(w)
        if not math.isfinite(loss):
            losses[k] = loss
            return k
        losses[k] = loss
        for l in range(L - 1, -1, -1):                      # backward
            a, b, wo, bo = fan_in[l], fan_out[l], w_off[l], b_off[l]
            for q in range(a):
                for j in range(b):
                    s = 0.0
                    for i in range(n):
                        s += A[l, i, q] * dZ[i, j]
                    w = theta[wo + q * b + j]
                    grad[wo + q * b + j] = s + l2 * w + l1 * (1.0 if w > 0 else -1.0 if w < 0 else 0.0)
            for j in range(b):
                s = 0.0
                for i in range(n):
                    s += dZ[i, j]
                grad[bo + j] = s
            if l > 0:
                here = 1 - here
                below = D[here]
                for i in range(n):
                    for q in range(a):
                        s = 0.0
                        for j in range(b):
                            s += dZ[i, j] * theta[wo + q * b + j]
                        below[i, q] = s * _dg(acts[l - 1], Z[l, i, q])
                dZ = below
        hyper[0] = lrs[k]                                   # the update, as optim's rule
        update(rule, theta, grad, t0 + k + 1, hyper, s0, s1, s2)
    return starts.shape[0] - 1


def warm_up():
    """Compile the steps (about 5 s the first time, then loaded from numba's cache in under 1 s) on a tiny
    problem, so that the first real run does not wait; safe to call from a thread (nogil)."""
    if numba is not None:
        one, two = np.ones(1, np.int64), np.array([2, 1], np.int64)
        _steps(np.zeros((1, 2)), np.zeros((1, 1)), np.zeros(1, np.int64), np.array([0, 1], np.int64),
               np.zeros(3), two[:1], one, np.zeros(1, np.int64), two[:1], np.zeros(1, np.int64), 0, 0.0, 0.0,
               RULES["sgd"], np.zeros(WIDTH), np.ones(1), 0, np.zeros(3), np.zeros(0), np.zeros(0),
               np.zeros(1), np.zeros(3))


def covers(trainer):
    """True when the compiled steps reproduce this trainer's NumPy step."""
    opt, net = trainer.optimizer, trainer.net
    return (numba is not None and trainer.dropout == 0 and net.reduction == "mean"
            and (net.output != "softmax" or net.loss_name == "cross_entropy")
            and (opt.rule == "sgd" or (opt.rule == "adam" and not opt.hyper["amsgrad"])))


def _flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def _shaped(flat, like):
    out, at = [], 0
    for a in like:
        out.append(flat[at:at + a.size].reshape(a.shape))
        at += a.size
    return out


def run(trainer, batches):
    """Take the given batches (index arrays, in order) as updates of ``trainer``: the new parameters and
    optimiser state, and the losses of the updates taken (one more, not finite, if the run diverged)."""
    from .optim import AdamState, SGDState

    net, opt, state = trainer.net, trainer.optimizer, trainer.opt_state
    arrays = [a for layer in net.params for a in layer]
    sizes = net.sizes
    fan_in, fan_out = np.array(sizes[:-1], np.int64), np.array(sizes[1:], np.int64)
    offsets = np.cumsum([0] + [a.size for a in arrays])
    w_off, b_off = offsets[0:-1:2].astype(np.int64), offsets[1::2].astype(np.int64)
    h, empty = opt.hyper, np.zeros(0)
    if opt.rule == "sgd":
        s0 = np.zeros(offsets[-1]) if state.momentum_buffer is None else _flat(state.momentum_buffer)
        s1 = empty
    else:
        s0, s1 = _flat(state.exp_avg), _flat(state.exp_avg_sq)
    lr = h["lr"]
    lrs = np.array([float(lr(state.step + k)) if callable(lr) else lr for k in range(len(batches))])
    idx = np.concatenate(batches).astype(np.int64)
    starts = np.cumsum([0] + [len(b) for b in batches]).astype(np.int64)
    theta, grad, losses = _flat(arrays), np.zeros(offsets[-1]), np.full(len(batches), np.nan)
    acts = np.array([ACTS[g] for g in net.activations()], np.int64)
    taken = _steps(trainer.X, trainer.Y, idx, starts, theta, fan_in, fan_out, w_off, b_off, acts,
                   LOSSES[net.loss_name], net.l1, net.l2, RULES[opt.rule], np.array(row(opt, lr=0.0)), lrs,
                   state.step, s0, s1, empty, losses, grad)
    params = _shaped(theta, arrays)
    step = state.step + taken
    if opt.rule == "sgd":
        new_state = SGDState(step, _shaped(s0, arrays) if h["momentum"] and step else state.momentum_buffer)
    else:
        new_state = AdamState(step, _shaped(s0, arrays), _shaped(s1, arrays), None)
    last = min(taken + 1, len(batches))
    return params, new_state, losses[:last], _shaped(grad, arrays)
