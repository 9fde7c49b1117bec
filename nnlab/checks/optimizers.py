"""Checks: momentum, RMSProp and Adam steps against torch.optim, and one epoch of mini-batch SGD."""
from __future__ import annotations

import numpy as np

from .harness import WRONG, Case, Problem, StudentError, DEFAULT_TIME_LIMIT, Outcome, call, plain, run_chain
from .registry import as_array, parts, register, returned, run_check


def _torch_steps(make, x0, grads):
    """x after each step of a torch.optim optimiser (and its state) from x0 with the given gradients."""
    import torch

    xt = torch.tensor(np.array(x0, float), requires_grad=True)
    opt = make([xt])
    states = []
    for g in grads:
        xt.grad = torch.tensor(g)
        opt.step()
        states.append((xt.detach().numpy().copy(), {k: v.numpy().copy() if hasattr(v, "numpy") else v
                                                    for k, v in opt.state[xt].items()}))
    return states


def _pair(outcomes, k, first, second, shape):
    """The k-th step's returned (first, second) as two float arrays of ``shape``, or StudentError."""
    out = parts(returned(outcomes, k), 2, f"the pair ({first}, {second})")
    return as_array(first, out[0], shape), as_array(second, out[1], shape)


def _momentum_cases(rng):
    x0, grads = rng.normal(size=4), [rng.normal(size=4) for _ in range(5)]
    lr, rho = 0.1, 0.9
    return [Case("step 1", (x0, np.zeros(4), grads[0], lr, rho))] + \
        [Case(f"step {k + 1}", (None, None, g, lr, rho)) for k, g in enumerate(grads[1:], start=1)]


def _momentum_judge(cases, outcomes):
    import torch

    x0, _, _, lr, rho = cases[0].args
    grads = [c.args[2] for c in cases]
    ref = _torch_steps(lambda p: torch.optim.SGD(p, lr=lr, momentum=rho), x0, grads)
    x, v = x0, np.zeros_like(x0)
    for k, (case, (want, state)) in enumerate(zip(cases, ref)):
        g = grads[k]
        try:
            new_x, new_v = _pair(outcomes, k, "x", "v", x.shape)
        except StudentError as exc:
            return [exc.problem(case.label)]
        want_v = state["momentum_buffer"]
        if np.allclose(new_x, want, rtol=1e-10, atol=1e-12) and np.allclose(new_v, want_v, rtol=1e-10, atol=1e-12):
            x, v = want, want_v
            continue
        if np.allclose(new_v, rho * v - lr * g):
            return [Problem(case.label, WRONG, "you used the other form, v <- rho v - lr grad, x <- x + v: the "
                                               "same method "
                    "(your x is right), but this exercise keeps v <- rho v + grad, x <- x - lr v (as "
                    "torch.optim.SGD), so v differs by the factor -lr")]
        if np.allclose(new_x, x - lr * g) and np.allclose(new_v, v):
            return [Problem(case.label, WRONG, "your step ignores the velocity: that is plain gradient descent")]
        if np.allclose(new_v, v + g) or np.allclose(new_v, rho * v + (1 - rho) * g):
            return [Problem(case.label, WRONG, "the velocity update should be v <- rho v + grad")]
        return [Problem(case.label, WRONG, f"x = {np.round(new_x, 5)}, torch.optim.SGD gives {np.round(want, 5)}")]
    return []


register("momentum", "momentum step", _momentum_cases, _momentum_judge, run=run_chain, total=1)


def momentum(f, strict=False, points=1, time_limit=None):
    """f(x, v, grad, lr, rho) -> (x, v): v <- rho v + grad, x <- x - lr v (torch.optim.SGD's form)."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("momentum", f, strict, points, time_limit)


def _rmsprop_cases(rng):
    x0, grads = rng.normal(size=3), [rng.normal(size=3) for _ in range(6)]
    hyper = (0.01, 0.99, 1e-8)
    return [Case("step 1", (x0, np.zeros(3), grads[0]) + hyper)] + \
        [Case(f"step {k + 1}", (None, None, g) + hyper) for k, g in enumerate(grads[1:], start=1)]


def _rmsprop_judge(cases, outcomes):
    import torch

    x0 = cases[0].args[0]
    lr, alpha, eps = cases[0].args[3:]
    grads = [c.args[2] for c in cases]
    ref = _torch_steps(lambda p: torch.optim.RMSprop(p, lr=lr, alpha=alpha, eps=eps, foreach=False), x0, grads)
    x, s = x0, np.zeros_like(x0)
    for k, (case, (want, state)) in enumerate(zip(cases, ref)):
        g = grads[k]
        try:
            new_x, new_s = _pair(outcomes, k, "x", "s", x.shape)
        except StudentError as exc:
            return [exc.problem(case.label)]
        if np.allclose(new_x, want, rtol=1e-9, atol=1e-12) and np.allclose(new_s, state["square_avg"], rtol=1e-9):
            x, s = want, state["square_avg"]
            continue
        s_ok = alpha * s + (1 - alpha) * g * g
        if np.allclose(new_s, alpha * s + (1 - alpha) * g):
            return [Problem(case.label, WRONG, "s should average the squared gradient: s <- alpha s + (1 - alpha) "
                                               "grad^2")]
        if np.allclose(new_x, x - lr * g / np.sqrt(s_ok + eps), rtol=1e-9):
            return [Problem(case.label, WRONG, "eps goes outside the square root, as in torch.optim.RMSprop: "
                    "x <- x - lr grad / (sqrt(s) + eps)")]
        if np.allclose(new_x, x - lr * g * (np.sqrt(s_ok) + eps), rtol=1e-9):
            return [Problem(case.label, WRONG, "divide the gradient by sqrt(s) + eps, do not multiply")]
        if np.allclose(new_x, x + lr * g / (np.sqrt(s_ok) + eps), rtol=1e-9):
            return [Problem(case.label, WRONG, "you moved uphill: x <- x - lr grad / (sqrt(s) + eps)")]
        return [Problem(case.label, WRONG, f"x = {np.round(new_x, 6)}, torch.optim.RMSprop gives {np.round(want, 6)}")]
    return []


register("rmsprop", "RMSProp step", _rmsprop_cases, _rmsprop_judge, run=run_chain, total=1)


def rmsprop(f, strict=False, points=1, time_limit=None):
    """f(x, s, grad, lr, alpha, eps) -> (x, s): s <- alpha s + (1 - alpha) grad^2, x <- x - lr grad / (sqrt(s)
    + eps) (torch.optim.RMSprop without momentum)."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("rmsprop", f, strict, points, time_limit)


def _adam_cases(rng):
    x0, grads = rng.normal(size=3), [rng.normal(size=3) for _ in range(6)]
    hyper = (0.01, 0.9, 0.999, 1e-8)
    return [Case("step 1", (x0, np.zeros(3), np.zeros(3), grads[0], 1) + hyper)] + \
        [Case(f"step {t}", (None, None, None, g, t) + hyper) for t, g in enumerate(grads[1:], start=2)]


def _adam_judge(cases, outcomes):
    import torch

    x0 = cases[0].args[0]
    lr, b1, b2, eps = cases[0].args[5:]
    grads = [c.args[3] for c in cases]
    ref = _torch_steps(lambda p: torch.optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps, foreach=False), x0, grads)
    x, m, s = x0, np.zeros_like(x0), np.zeros_like(x0)
    for k, (case, (want, state)) in enumerate(zip(cases, ref)):
        g, t = grads[k], k + 1
        try:
            out = parts(returned(outcomes, k), 3, "(x, m, v)")
            new_x = as_array("x", out[0], x.shape)
            as_array("m", out[1], x.shape), as_array("v", out[2], x.shape)
        except StudentError as exc:
            return [exc.problem(case.label)]
        if np.allclose(new_x, want, rtol=1e-9, atol=1e-12):
            x, m, s = want, state["exp_avg"], state["exp_avg_sq"]
            continue
        m_ok, s_ok = b1 * m + (1 - b1) * g, b2 * s + (1 - b2) * g * g
        if not np.all(np.isfinite(new_x)):
            return [Problem(case.label, WRONG, "x is not finite: with t starting at 0 the correction 1 - beta^0 "
                                               "is 0 and you "
                    "divide by zero; the first step has t = 1")]
        if np.allclose(new_x, x - lr * m_ok / (np.sqrt(s_ok) + eps), rtol=1e-9):
            return [Problem(case.label, WRONG, "you skipped the bias correction: divide m by (1 - beta1^t) and v by "
                    "(1 - beta2^t); without it the first steps are about 3 times too large")]
        t0 = t - 1
        if t0 > 0 and np.allclose(new_x, x - lr * (m_ok / (1 - b1**t0)) / (np.sqrt(s_ok / (1 - b2**t0)) + eps),
                                  rtol=1e-9):
            return [Problem(case.label, WRONG, "your bias correction uses t - 1: the first step has t = 1")]
        return [Problem(case.label, WRONG, f"x = {np.round(new_x, 6)}, torch.optim.Adam gives {np.round(want, 6)}")]
    return []


register("adam", "Adam step", _adam_cases, _adam_judge, run=run_chain, total=1)


def adam(f, strict=False, points=1, time_limit=None):
    """f(x, m, v, grad, t, lr, beta1, beta2, eps) -> (x, m, v) for Adam's step number t (t = 1 first),
    with bias correction m / (1 - beta1^t), v / (1 - beta2^t) (torch.optim.Adam)."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("adam", f, strict, points, time_limit)


# --------------------------------------------------------------- mini-batch SGD


def _sgd_cases(rng):
    N, d, B, lr = 23, 3, 5, 0.1
    X, Y, w0 = rng.normal(size=(N, d)), rng.normal(size=(N, 1)), rng.normal(size=(d, 1))
    seed = int(rng.integers(1000))
    return [Case("epoch 1", (X, Y, w0, lr, B, seed)), Case("epoch 2", (X, Y, w0, lr, B, seed))]


def _run_sgd(f, cases, forbid=None, time_limit=DEFAULT_TIME_LIMIT):
    """Run two epochs with one generator (as a training loop would pass it), recording every grad_fn call."""
    X, Y, w0, lr, B, seed = cases[0].args
    rng = np.random.default_rng(seed)
    outcomes = []
    for case in cases:
        calls = []

        def grad_fn(w, Xb, Yb, calls=calls):
            w, Xb, Yb = np.array(w, float), np.array(Xb, float), np.array(Yb, float)
            calls.append((w, Xb, Yb))
            return Xb.T @ (Xb @ w - Yb)          # least-squares gradient, summed over the batch

        try:
            out, warns, mutated = call(f, X, Y, w0, grad_fn, lr, B, rng, time_limit=time_limit, forbid=forbid)
        except StudentError as exc:
            outcomes.append(Outcome(error=str(exc), kind=exc.kind))
            break
        record = {"w": [c[0] for c in calls], "Xb": [c[1] for c in calls], "Yb": [c[2] for c in calls]}
        outcomes.append(Outcome(plain(out), None, warns, mutated, record))
    return outcomes


def _sgd_judge(cases, outcomes):
    """The oracle is the definition itself, checked on the recorded grad_fn calls: the batches cover every
    example once, in an order that changes between epochs, and each step starts where the last one ended."""
    X, Y, w0, lr, B, _ = cases[0].args
    N = X.shape[0]
    rows = {tuple(np.round(x, 12)): i for i, x in enumerate(X)}
    orders = []
    for k, case in enumerate(cases):
        epoch = case.label
        try:
            w = as_array("w", returned(outcomes, k), w0.shape)
            rec = outcomes[k].record
            calls = list(zip(rec["w"], rec["Xb"], rec["Yb"]))
            if not calls:
                raise StudentError("grad_fn was never called")
            batches = [[rows[tuple(np.round(x, 12))] for x in np.atleast_2d(Xb)] for _, Xb, _ in calls]
        except KeyError:
            return [Problem(epoch, WRONG, "grad_fn received rows that are not rows of X")]
        except (StudentError, ValueError, TypeError) as exc:
            return [exc.problem(epoch)]
        if outcomes[k].mutated:
            return [Problem(epoch, WRONG, "your function changed X, Y or w in place")]
        order = [i for b in batches for i in b]
        orders.append(order)
        sizes = [len(b) for b in batches]
        if sorted(order) != list(range(N)):
            missing = sorted(set(range(N)) - set(order))
            twice = sorted({i for i in order if order.count(i) > 1})
            if missing and len(missing) == N % B and not twice:
                return [Problem(epoch, WRONG, f"the last {len(missing)} examples were never used: keep the final, "
                                              f"smaller batch")]
            return [Problem(epoch, WRONG, f"every example must be used exactly once per epoch; missing {missing[:5]}, "
                    f"used twice {twice[:5]}")]
        if any(s != B for s in sizes[:-1]) or sizes[-1] > B:
            return [Problem(epoch, WRONG, f"batch sizes were {sizes}; expected {B} each, the last one smaller")]
        if order == list(range(N)):
            return [Problem(epoch, WRONG, "the batches follow the original order: shuffle each epoch with "
                                          "rng.permutation(N)")]
        grads = [Xb.T @ (Xb @ wk - Yb) for wk, Xb, Yb in calls]
        for j in range(1, len(calls)):
            w_prev, w_now = calls[j - 1][0], calls[j][0]
            if np.shape(w_now) != np.shape(w_prev) or not np.allclose(w_now, w_prev - lr * grads[j - 1],
                                                                      rtol=1e-10, atol=1e-12):
                if np.shape(w_now) == np.shape(w_prev) and np.allclose(w_now, w_prev + lr * grads[j - 1], rtol=1e-10):
                    return [Problem(epoch, WRONG, f"step {j}: you moved uphill: use w - lr * gradient")]
                if np.shape(w_now) == np.shape(w_prev) and np.allclose(w_now, w_prev):
                    return [Problem(epoch, WRONG, "w did not change between batches: update after every batch, "
                                                  "not once per "
                            "epoch")]
                return [Problem(epoch, WRONG, f"batch {j + 1} did not start from w - lr * (the previous batch's "
                                              f"gradient)")]
        if not np.allclose(w, calls[-1][0] - lr * grads[-1], rtol=1e-10, atol=1e-12):
            return [Problem(epoch, WRONG, "the returned w is not the result of the last step")]
    if len(orders) == 2 and orders[0] == orders[1]:
        return [Problem("", WRONG, "both epochs used the same order: draw a new permutation from rng every epoch "
                        "(do not create a new generator with a fixed seed inside the function)")]
    return []


register("sgd_epoch", "SGD epoch", _sgd_cases, _sgd_judge, run=_run_sgd, total=1)


def sgd_epoch(f, strict=False, points=1, time_limit=None):
    """f(X, Y, w, grad_fn, lr, batch_size, rng) -> w after one epoch of mini-batch SGD: shuffle the
    examples with ``rng.permutation(N)``, walk the shuffled order in batches of ``batch_size`` (the
    last batch may be smaller), and after each batch set w <- w - lr * grad_fn(w, X_batch, Y_batch).

    The oracle is the definition itself, checked by recording every call to ``grad_fn``: the batches
    must cover every example exactly once, in a random order that changes from epoch to epoch, and
    each step must start where the previous one ended."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("sgd_epoch", f, strict, points, time_limit)
