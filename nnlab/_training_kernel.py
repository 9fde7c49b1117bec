"""Mini-batch steps of ``training.Trainer`` compiled with numba: ``nn``'s step, from the same rules.

``Trainer.run`` hands a chunk of consecutive batches of the current epoch to ``run`` below when numba is
there and the setup is one it covers (no dropout; optimiser ``sgd`` or ``adam``); otherwise the NumPy step
serves. Each step is the NumPy step's arithmetic, piece
by piece the same functions of ``function_rules`` that ``nn.MLP`` calls: ``dense`` and ``activation``
forward, ``loss_total`` and ``penalty`` for the loss, ``loss_delta``, ``weight_grad`` and ``delta`` backward,
then ``_optim_kernel``'s update (``optim_rules``, which the optimiser race uses too). Only the plumbing is
this module's: the batches' rows, and the network as one flat vector ``theta`` that the layers view, layer
l's W (row-major, fan_in x fan_out) at ``w_off[l]`` and its b at ``b_off[l]``; an optimiser's state arrays
are flat the same way. tests/test_training.py checks both paths against each other and against PyTorch.
"""
from __future__ import annotations

import math

import numpy as np

from . import function_rules as rules
from ._optim_kernel import RULES, WIDTH, numba, row, update
from ._optim_kernel import jit as _jit

ACTS = rules.CODES
LOSSES = rules.LOSS_CODES


@_jit
def _view(flat, at, rows, cols):
    """The rows x cols matrix stored row-major in flat[at:]."""
    return flat[at:at + rows * cols].reshape((rows, cols))


@_jit
def _steps(X, Y, idx, starts, theta, fan_in, fan_out, w_off, b_off, acts, loss, mean, l1, l2, rule, hyper, lrs,
           t0, s0, s1, s2, losses, grad):
    """Batch k holds rows idx[starts[k]:starts[k + 1]]. Returns how many updates were taken (fewer than
    the batches when a loss is not finite: losses[taken] is that loss)."""
    L, out = fan_in.shape[0], acts[fan_in.shape[0] - 1]
    for k in range(starts.shape[0] - 1):
        rows = idx[starts[k]:starts[k + 1]]
        Yb = Y[rows]
        A = [X[rows]]                                       # A[l] and Z[l] of layers l = 1..L (A[0] the batch)
        Z = [A[0]]
        for l in range(L):                                  # forward
            Z.append(rules.dense(A[l], _view(theta, w_off[l], fan_in[l], fan_out[l]),
                                 theta[b_off[l]:b_off[l] + fan_out[l]]))
            A.append(rules.activation(acts[l], Z[l + 1]))
        count = rules.loss_count(loss, Z[L]) if mean else 1
        value = rules.loss_total(loss, out, Z[L], Yb) / count
        if l1 != 0 or l2 != 0:
            for l in range(L):
                value += rules.penalty(_view(theta, w_off[l], fan_in[l], fan_out[l]), l1, l2)
        losses[k] = value
        if not math.isfinite(value):
            return k
        dZ = rules.loss_delta(loss, out, Z[L], A[L], Yb, 1.0 / count)
        for l in range(L - 1, -1, -1):                      # backward
            W = _view(theta, w_off[l], fan_in[l], fan_out[l])
            _view(grad, w_off[l], fan_in[l], fan_out[l])[:, :] = rules.weight_grad(A[l], dZ, W, l1, l2)
            grad[b_off[l]:b_off[l] + fan_out[l]] = dZ.sum(axis=0)
            if l > 0:
                dZ = rules.delta(acts[l - 1], Z[l], A[l], dZ @ W.T)
        hyper[0] = lrs[k]                                   # the update, as optim's rule
        update(rule, theta, grad, t0 + k + 1, hyper, s0, s1, s2)
    return starts.shape[0] - 1


def warm_up():
    """Compile the steps (about 5 s the first time, then loaded from numba's cache in under 1 s) on a tiny
    problem, so that the first real run does not wait; safe to call from a thread (nogil)."""
    if numba is not None:
        one, two = np.ones(1, np.int64), np.array([2, 1], np.int64)
        _steps(np.zeros((1, 2)), np.zeros((1, 1)), np.zeros(1, np.int64), np.array([0, 1], np.int64),
               np.zeros(3), two[:1], one, np.zeros(1, np.int64), two[:1], np.zeros(1, np.int64), 0, True, 0.0, 0.0,
               RULES["sgd"], np.zeros(WIDTH), np.ones(1), 0, np.zeros(3), np.zeros(0), np.zeros(0),
               np.zeros(1), np.zeros(3))


def covers(trainer):
    """True when the compiled steps reproduce this trainer's NumPy step."""
    return numba is not None and trainer.dropout == 0 and trainer.optimizer.rule in ("sgd", "adam")


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
        s1 = s2 = empty
    else:
        s0, s1 = _flat(state.exp_avg), _flat(state.exp_avg_sq)
        s2 = _flat(state.max_exp_avg_sq) if h["amsgrad"] else empty
    lr = h["lr"]
    lrs = np.array([float(lr(state.step + k)) if callable(lr) else lr for k in range(len(batches))])
    idx = np.concatenate(batches).astype(np.int64)
    starts = np.cumsum([0] + [len(b) for b in batches]).astype(np.int64)
    theta, grad, losses = _flat(arrays), np.zeros(offsets[-1]), np.full(len(batches), np.nan)
    acts = np.array([ACTS[g] for g in net.activations()], np.int64)
    X, Y = np.ascontiguousarray(trainer.X, float), np.ascontiguousarray(trainer.Y, float)
    taken = _steps(X, Y, idx, starts, theta, fan_in, fan_out, w_off, b_off, acts, LOSSES[net.loss_name],
                   net.reduction == "mean", net.l1, net.l2, RULES[opt.rule], np.array(row(opt, lr=0.0)), lrs,
                   state.step, s0, s1, s2, losses, grad)
    params = _shaped(theta, arrays)
    step = state.step + taken
    if opt.rule == "sgd":
        new_state = SGDState(step, _shaped(s0, arrays) if h["momentum"] and step else state.momentum_buffer)
    else:
        new_state = AdamState(step, _shaped(s0, arrays), _shaped(s1, arrays),
                              _shaped(s2, arrays) if h["amsgrad"] else None)
    last = min(taken + 1, len(batches))
    return params, new_state, losses[:last], _shaped(grad, arrays)
