"""Optimisers as small explicit state machines, with torch.optim's names, defaults and arithmetic.

Each optimiser is a pair of pure functions (the optax pattern):

    opt = adam(lr=1e-3)
    state = opt.init(params)                      # a NamedTuple you can print and plot
    params, state = opt.update(grads, state, params)

``params`` and ``grads`` are a NumPy array or a list of arrays of any shapes. Nothing is
updated in place. ``lr`` may be a number or a schedule ``lr(step)`` (step counts from 0).
The update rules follow PyTorch's single-tensor implementations operation by operation,
so one update agrees with ``torch.optim`` to rounding (tested at 1e-12 in float64).
"""
from __future__ import annotations

from typing import NamedTuple
from collections.abc import Callable

import numpy as np

from . import _validate as valid
from . import optim_rules as rules


class Optimizer(NamedTuple):
    name: str
    init: Callable
    update: Callable
    hyper: dict
    rule: str = ""   # the update rule (its constructor): "sgd", "heavy_ball", "adagrad", "rmsprop" or "adam"


class Divergence(str):
    """How every run in nnlab that can blow up says it did (``nn.MLP.fit``, ``gradflow.train``,
    ``surfaces.trajectory`` and ``surfaces.race`` keep it in ``diverged``, None while the run is sound).
    ``step``: the update after which the loss or the iterate was no longer finite (or left its bound),
    so the run kept the ``step`` values before it; ``why``: what happened. It reads as its message,
    "diverged at step 12: loss is nan" (MLP.fit counts in iterations)."""

    def __new__(cls, step, why, unit="step"):
        message = super().__new__(cls, f"diverged at {unit} {int(step)}: {why}")
        message.step, message.why, message.unit = int(step), why, unit
        return message

    def __reduce__(self):
        return Divergence, (self.step, self.why, self.unit)


class SGDState(NamedTuple):
    step: int
    momentum_buffer: list | None


class AdagradState(NamedTuple):
    step: int
    sum: list


class RMSpropState(NamedTuple):
    step: int
    square_avg: list
    momentum_buffer: list | None
    grad_avg: list | None


class AdamState(NamedTuple):
    step: int
    exp_avg: list
    exp_avg_sq: list
    max_exp_avg_sq: list | None


class HeavyBallState(NamedTuple):
    step: int
    previous: list | None


def _as_list(x):
    single = isinstance(x, np.ndarray) or np.isscalar(x)
    arrays = [np.asarray(x, float)] if single else [np.asarray(a, float) for a in x]
    return arrays, single


def _out(arrays, single):
    return arrays[0] if single else arrays


def _lr(lr, step):
    return float(lr(step)) if callable(lr) else lr


def _check_lr(lr):
    return lr if callable(lr) else valid.real("lr", lr, low=0.0)


def _pairs(grads, params):
    g, single = _as_list(grads)
    p, _ = _as_list(params)
    if len(g) != len(p) or any(a.shape != b.shape for a, b in zip(g, p)):
        raise ValueError(f"grads: expected the same shapes as params {[a.shape for a in p]}, "
                         f"got {[a.shape for a in g]}")
    return g, p, single


# ------------------------------------------------------------------------ SGD


def sgd(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """SGD with optional momentum (torch.optim.SGD):
        g = grad + weight_decay p;  buf = momentum buf + (1 - dampening) g  (buf = g at step 0)
        g = g + momentum buf if nesterov else buf;   p = p - lr g
    With momentum rho this is the lecture's v <- rho v + grad(f), x <- x - alpha v."""
    lr = _check_lr(lr)
    momentum = valid.real("momentum", momentum, low=0.0)
    dampening = valid.real("dampening", dampening, low=0.0)
    weight_decay = valid.real("weight_decay", weight_decay, low=0.0)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError(f"nesterov: needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                         f"dampening={dampening}")

    def init(params):
        p, _ = _as_list(params)
        return SGDState(0, None)

    def update(grads, state, params):
        g, p, single = _pairs(grads, params)
        rate = _lr(lr, state.step)
        first = state.momentum_buffer is None
        new_p, bufs = [], []
        for i, (gi, pi) in enumerate(zip(g, p)):
            pi, buf = rules.sgd(pi, gi, None if first else state.momentum_buffer[i], first, rate, momentum, dampening,
                                weight_decay, nesterov)
            new_p.append(pi)
            bufs.append(np.array(buf, copy=True) if first and momentum else buf)  # never the caller's gradient
        return _out(new_p, single), SGDState(state.step + 1, bufs if momentum else None)

    return Optimizer("SGD (Nesterov)" if nesterov else "SGD + momentum" if momentum else "SGD", init, update,
                     dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                          nesterov=nesterov), "sgd")


def heavy_ball(lr=1e-3, eta=0.9):
    """Momentum written the lecture's other way: theta_{k+1} = theta_k - lr grad + eta (theta_k - theta_{k-1}).
    Identical to ``sgd(lr, momentum=eta)`` (the notebook shows the two paths coincide)."""
    lr = _check_lr(lr)
    eta = valid.real("eta", eta, low=0.0)

    def init(params):
        return HeavyBallState(0, None)

    def update(grads, state, params):
        g, p, single = _pairs(grads, params)
        rate = _lr(lr, state.step)
        first = state.previous is None
        new_p = [rules.heavy_ball(pi, gi, qi, first, rate, eta)[0]
                 for gi, pi, qi in zip(g, p, p if first else state.previous)]
        return _out(new_p, single), HeavyBallState(state.step + 1, [pi.copy() for pi in p])

    return Optimizer("heavy ball", init, update, dict(lr=lr, eta=eta), "heavy_ball")


# -------------------------------------------------------------------- AdaGrad


def adagrad(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    """AdaGrad (torch.optim.Adagrad): sum += g^2;  p = p - lr_t g / (sqrt(sum) + eps),
    lr_t = lr / (1 + (t - 1) lr_decay)."""
    lr = _check_lr(lr)
    lr_decay = valid.real("lr_decay", lr_decay, low=0.0)
    weight_decay = valid.real("weight_decay", weight_decay, low=0.0)
    acc0 = valid.real("initial_accumulator_value", initial_accumulator_value, low=0.0)
    eps = valid.real("eps", eps, low=0.0)

    def init(params):
        p, _ = _as_list(params)
        return AdagradState(0, [np.full_like(pi, acc0) for pi in p])

    def update(grads, state, params):
        g, p, single = _pairs(grads, params)
        t = state.step + 1
        rate = rules.adagrad_rate(_lr(lr, state.step), t, lr_decay)
        new_p, sums = [], []
        for gi, pi, si in zip(g, p, state.sum):
            pi, si = rules.adagrad(pi, gi, si, rate, weight_decay, eps)
            new_p.append(pi)
            sums.append(si)
        return _out(new_p, single), AdagradState(t, sums)

    return Optimizer("AdaGrad", init, update, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                                   initial_accumulator_value=acc0, eps=eps), "adagrad")


# -------------------------------------------------------------------- RMSprop


def rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    """RMSProp (torch.optim.RMSprop): sq = alpha sq + (1 - alpha) g^2;  avg = sqrt(sq) + eps
    (centred: sqrt(sq - mean(g)^2) + eps);  p = p - lr g / avg (or through a momentum buffer)."""
    lr = _check_lr(lr)
    alpha = valid.real("alpha", alpha, low=0.0, high=1.0)
    eps = valid.real("eps", eps, low=0.0)
    weight_decay = valid.real("weight_decay", weight_decay, low=0.0)
    momentum = valid.real("momentum", momentum, low=0.0)

    def init(params):
        p, _ = _as_list(params)
        z = [np.zeros_like(pi) for pi in p]
        return RMSpropState(0, z, [np.zeros_like(pi) for pi in p] if momentum else None,
                            [np.zeros_like(pi) for pi in p] if centered else None)

    def update(grads, state, params):
        g, p, single = _pairs(grads, params)
        rate = _lr(lr, state.step)
        new_p, sqs, bufs, gavgs = [], [], [], []
        for i, (gi, pi) in enumerate(zip(g, p)):
            pi, sq, buf, ga = rules.rmsprop(pi, gi, state.square_avg[i], state.momentum_buffer[i] if momentum else 0.0,
                                            state.grad_avg[i] if centered else 0.0, rate, alpha, eps, weight_decay,
                                            momentum, centered)
            new_p.append(pi)
            sqs.append(sq)
            bufs.append(buf)
            gavgs.append(ga)
        return _out(new_p, single), RMSpropState(state.step + 1, sqs, bufs if momentum else None,
                                                 gavgs if centered else None)

    return Optimizer("RMSProp", init, update, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                                   momentum=momentum, centered=centered), "rmsprop")


# ----------------------------------------------------------------------- Adam


def adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, bias_correction=True):
    """Adam (torch.optim.Adam): m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    p = p - lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps).
    ``bias_correction=False`` gives the lecture's "almost Adam" (momentum + RMSProp). As m and v
    start at zero, its first steps are badly sized: step 1 is (1 - b1)/sqrt(1 - b2) = 3.2 times lr
    with the default betas, instead of lr."""
    lr = _check_lr(lr)
    try:
        b1, b2 = (valid.real(f"betas[{i}]", b, low=0.0, high=1.0) for i, b in enumerate(betas))
    except TypeError:
        raise ValueError(f"betas: expected a pair (beta1, beta2), got {betas!r}") from None
    if b1 >= 1 or b2 >= 1:
        raise ValueError(f"betas: expected values in [0, 1), got {betas!r}")
    eps = valid.real("eps", eps, low=0.0)
    weight_decay = valid.real("weight_decay", weight_decay, low=0.0)

    def init(params):
        p, _ = _as_list(params)
        return AdamState(0, [np.zeros_like(pi) for pi in p], [np.zeros_like(pi) for pi in p],
                         [np.zeros_like(pi) for pi in p] if amsgrad else None)

    def update(grads, state, params):
        g, p, single = _pairs(grads, params)
        t = state.step + 1
        rate = _lr(lr, state.step)
        bc1, bc2_sqrt = rules.adam_corrections(t, b1, b2, bias_correction)
        new_p, ms, vs, maxes = [], [], [], []
        for i, (gi, pi) in enumerate(zip(g, p)):
            pi, m, v, mx = rules.adam(pi, gi, state.exp_avg[i], state.exp_avg_sq[i],
                                      state.max_exp_avg_sq[i] if amsgrad else 0.0, rate, b1, b2, eps, weight_decay,
                                      amsgrad, bc1, bc2_sqrt)
            new_p.append(pi)
            ms.append(m)
            vs.append(v)
            maxes.append(mx)
        return _out(new_p, single), AdamState(t, ms, vs, maxes if amsgrad else None)

    return Optimizer("Adam" if bias_correction else "Adam without bias correction", init, update,
                     dict(lr=lr, betas=(b1, b2), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                          bias_correction=bias_correction), "adam")


NAMES = ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam")


def make(name, lr, momentum=0.9, betas=(0.9, 0.999)):
    """An optimiser by the lecture's name: sgd, momentum, nesterov, rmsprop, adagrad or adam."""
    name = valid.choice("optimizer", name, NAMES)
    if name in ("sgd", "momentum", "nesterov"):
        return sgd(lr=lr, momentum=0.0 if name == "sgd" else momentum, nesterov=name == "nesterov")
    if name == "adam":
        return adam(lr=lr, betas=betas)
    return rmsprop(lr=lr) if name == "rmsprop" else adagrad(lr=lr)


def with_lr(opt, lr):
    """The same optimiser with another learning rate (a number or a schedule): its state carries over,
    so a running optimiser takes the new rate at its next update."""
    rules = {"sgd": sgd, "heavy_ball": heavy_ball, "adagrad": adagrad, "rmsprop": rmsprop, "adam": adam}
    if opt.rule not in rules:
        raise ValueError(f"opt: expected an nnlab.optim optimiser, got rule {opt.rule!r}")
    return rules[opt.rule](**{**opt.hyper, "lr": lr})


# ------------------------------------------------------------------ schedules


def step_lr(lr, step_size, gamma=0.1):
    """lr * gamma^(floor(t / step_size)) (torch.optim.lr_scheduler.StepLR)."""
    step_size = valid.integer("step_size", step_size, low=1)
    return lambda t: lr * gamma ** (t // step_size)


def exponential_lr(lr, gamma):
    """lr * gamma^t (ExponentialLR)."""
    return lambda t: lr * gamma**t


def cosine_lr(lr, T_max, eta_min=0.0):
    """eta_min + (lr - eta_min) (1 + cos(pi t / T_max)) / 2 (CosineAnnealingLR's closed form)."""
    T_max = valid.integer("T_max", T_max, low=1)
    return lambda t: eta_min + (lr - eta_min) * (1 + np.cos(np.pi * t / T_max)) / 2


# -------------------------------------------------------------- Gauss-Newton


def gauss_newton_step(J, r):
    """Delta = -(J^T J)^{-1} J^T r for residuals r(theta) with Jacobian J = dr/dtheta."""
    J = valid.as_array("J", J, ndim=2)
    r = valid.as_array("r", r, shape=(J.shape[0],))
    return -np.linalg.solve(J.T @ J, J.T @ r)


def fit_exponential_gauss_newton(x, y, theta0=(1.0, 0.0), steps=20):
    """Fit y = a exp(b x) by Gauss-Newton; returns the list of (a, b) iterates (theta0 first)."""
    x = valid.as_array("x", x, ndim=1)
    y = valid.as_array("y", y, shape=x.shape)
    theta = np.array(theta0, float)
    path = [theta.copy()]
    for _ in range(valid.integer("steps", steps, low=0)):
        a, b = theta
        e = np.exp(b * x)
        r = a * e - y
        J = np.c_[e, a * x * e]
        theta = theta + gauss_newton_step(J, r)
        path.append(theta.copy())
    return path


# ------------------------------------------------------------- the race line-up

RACE = ("SGD", "momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam")


def race_optimizers(lr=0.01, lr_adaptive=0.05, rho=0.9, beta1=0.9, beta2=0.999):
    """The six optimisers of the lecture with shared settings: the SGD family takes ``lr`` and
    momentum ``rho``; AdaGrad, RMSProp and Adam take ``lr_adaptive`` (their steps do not scale
    with the gradient), RMSProp decays with ``beta2`` and Adam uses (beta1, beta2)."""
    return {
        "SGD": sgd(lr=lr),
        "momentum": sgd(lr=lr, momentum=rho),
        "Nesterov": sgd(lr=lr, momentum=rho, nesterov=rho > 0) if rho > 0 else sgd(lr=lr),
        "AdaGrad": adagrad(lr=lr_adaptive),
        "RMSProp": rmsprop(lr=lr_adaptive, alpha=beta2),
        "Adam": adam(lr=lr_adaptive, betas=(beta1, beta2)),
    }
