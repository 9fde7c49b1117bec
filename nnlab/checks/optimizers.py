"""Checks: momentum, RMSProp and Adam steps against torch.optim, and one epoch of mini-batch SGD."""
from __future__ import annotations

import numpy as np

from .harness import WRONG, Case, Problem, StudentError, DEFAULT_TIME_LIMIT, Outcome, call, plain, run_chain
from .registry import as_array, describe_difference, diagnose, parts, register, returned, run_check


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


def _chain_judge(cases, outcomes, names, refs, mistakes, oracle, args):
    """Judge a chain of optimizer steps: step k must return ``names`` (x first) as torch's ``refs[k]``
    does, from the state the student's own previous step returned. At the first wrong step, the known
    ``mistakes(received, k)`` (message, predicted parts) are tried by signature; steps are compared as
    x_new - x_received, so that an error of 1e-8 in a step of 1e-2 still shows. ``args`` names the
    function's arguments (for in-place changes)."""
    first = cases[0].args
    received = tuple(np.array(a, dtype=float) for a in first[:len(names)])
    tol = dict(rtol=1e-10, atol=1e-14)
    for k, (case, want) in enumerate(zip(cases, refs)):
        try:
            out = parts(returned(outcomes, k), len(names), f"({', '.join(names)})")
            got = tuple(as_array(n, o, received[0].shape) for n, o in zip(names, out))
        except StudentError as exc:
            return [exc.problem(case.label)]
        step = lambda p, x=received[0]: None if p is None else (  # noqa: E731
            None if p[0] is None else p[0] - x,) + tuple(p[1:])
        if diagnose(step(got), [("", step(want))], **tol) is not None:
            if outcomes[k].mutated:
                changed = ", ".join(args[i] for i in outcomes[k].mutated if i < len(args))
                return [Problem(case.label, WRONG, f"your values are right, but your function changed its input "
                                f"{changed} in place (as in {args[1]} *= ... or x -= ...): return new arrays, "
                                f"e.g. x = x - ..., so that the caller's arrays stay as they were")]
            received = got
            continue
        if not np.all(np.isfinite(got[0])):
            hint = "x is not finite (nan or inf)"
        else:
            hint = diagnose(step(got), [(m, step(p)) for m, p in mistakes(received, k)], **tol)
        if hint is None:
            hint = describe_difference(got, want, names, oracle, limit=1)
        return [Problem(case.label, WRONG, hint)]
    return []


def _momentum_cases(rng):
    x0, grads = rng.normal(size=4), [rng.normal(size=4) for _ in range(5)]
    lr, rho = 0.1, 0.9
    return [Case("step 1", (x0, np.zeros(4), grads[0], lr, rho))] + \
        [Case(f"step {k + 1}", (None, None, g, lr, rho)) for k, g in enumerate(grads[1:], start=1)]


def _momentum_judge(cases, outcomes):
    import torch

    x0, _, _, lr, rho = cases[0].args
    grads = [c.args[2] for c in cases]
    ref = [(x, s["momentum_buffer"]) for x, s in
           _torch_steps(lambda p: torch.optim.SGD(p, lr=lr, momentum=rho), x0, grads)]

    def mistakes(received, k):
        x, v, g = *received, grads[k]
        v_ok = rho * v + g
        ema = rho * v + (1 - rho) * g
        return [
            ("you returned (v, x): return them in the order (x, v)", (v_ok, x - lr * v_ok)),
            ("your step ignores the velocity: that is plain gradient descent, x <- x - lr grad; keep "
             "v <- rho v + grad and step x <- x - lr v", (x - lr * g, v)),
            ("x moves the wrong way: the step is x <- x - lr v, not x + lr v (your v is right)", (x + lr * v_ok, v_ok)),
            ("x must use the new v: first v <- rho v + grad, then x <- x - lr v with that new v (your v is "
             "right)", (x - lr * v, v_ok)),
            ("you used the other form, v <- rho v - lr grad, x <- x + v: the same method (your x is right), but "
             "this exercise keeps v <- rho v + grad, x <- x - lr v (as torch.optim.SGD), so v differs by the "
             "factor -lr", (x - lr * v_ok, rho * v - lr * g)),
            ("your x is right, but your v is lr times too small: v <- rho v + grad has no lr in it; the lr "
             "goes into the step, x <- x - lr v", (x - lr * v_ok, rho * v + lr * g)),
            ("you averaged the gradient into v with (1 - rho): that is an exponential average (as in Adam); "
             "momentum adds the whole gradient, v <- rho v + grad", (x - lr * ema, ema)),
            ("you averaged the gradient into v with (1 - rho): momentum adds the whole gradient, "
             "v <- rho v + grad", (None, ema)),
            ("v forgets nothing: v <- v + grad misses the factor rho, v <- rho v + grad", (None, v + g)),
        ]

    return _chain_judge(cases, outcomes, ("x", "v"), ref, mistakes, "torch.optim.SGD", ("x", "v", "grad"))


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
    ref = [(x, s["square_avg"]) for x, s in
           _torch_steps(lambda p: torch.optim.RMSprop(p, lr=lr, alpha=alpha, eps=eps, foreach=False), x0, grads)]

    def mistakes(received, k):
        x, s, g = *received, grads[k]
        s_ok = alpha * s + (1 - alpha) * g * g
        step = lambda s_: x - lr * g / (np.sqrt(s_) + eps)  # noqa: E731
        adagrad, swapped = s + g * g, (1 - alpha) * s + alpha * g * g
        return [
            ("you returned (s, x): return them in the order (x, s)", (s_ok, step(s_ok))),
            ("s <- s + grad^2 sums the squares forever: that is AdaGrad; RMSProp forgets old gradients, "
             "s <- alpha s + (1 - alpha) grad^2", (None, adagrad)),
            ("alpha and 1 - alpha are swapped: s <- alpha s + (1 - alpha) grad^2 keeps most of the old s "
             f"(alpha = {alpha:g})", (None, swapped)),
            ("s should average the squared gradient: s <- alpha s + (1 - alpha) grad^2, not grad",
             (None, alpha * s + (1 - alpha) * g)),
            ("eps goes outside the square root, as in torch.optim.RMSprop: x <- x - lr grad / (sqrt(s) + eps) "
             "(your s is right)", (x - lr * g / np.sqrt(s_ok + eps), s_ok)),
            ("the square root is missing: x <- x - lr grad / (sqrt(s) + eps) (your s is right)",
             (x - lr * g / (s_ok + eps), s_ok)),
            ("divide the gradient by sqrt(s) + eps, do not multiply (your s is right)",
             (x - lr * g * (np.sqrt(s_ok) + eps), s_ok)),
            ("you moved uphill: x <- x - lr grad / (sqrt(s) + eps) (your s is right)",
             (x + lr * g / (np.sqrt(s_ok) + eps), s_ok)),
            ("x must use the new s: first s <- alpha s + (1 - alpha) grad^2, then the step with that new s "
             "(your s is right)", (step(s), s_ok)),
        ]

    return _chain_judge(cases, outcomes, ("x", "s"), ref, mistakes, "torch.optim.RMSprop", ("x", "s", "grad"))


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
    ref = [(x, s["exp_avg"], s["exp_avg_sq"]) for x, s in
           _torch_steps(lambda p: torch.optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps, foreach=False), x0, grads)]

    def mistakes(received, k):
        x, m, v, g, t = *received, grads[k], k + 1
        m_ok, v_ok = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m_ok / (1 - b1**t), v_ok / (1 - b2**t)
        step = lambda mh, vh: x - lr * mh / (np.sqrt(vh) + eps)  # noqa: E731
        found = [
            ("your x is right, but you returned the corrected m / (1 - beta1^t) and v / (1 - beta2^t) as the "
             "state: return the uncorrected m and v (the correction is only for the step)",
             (step(m_hat, v_hat), m_hat, v_hat)),
            ("you skipped the bias correction: divide m by (1 - beta1^t) and v by (1 - beta2^t); without it the "
             "first steps are about 3 times too large (your m and v are right)", (step(m_ok, v_ok), m_ok, v_ok)),
            ("eps goes outside the square root, as in torch.optim.Adam: x <- x - lr m_hat / (sqrt(v_hat) + eps) "
             "(your m and v are right)", (x - lr * m_hat / np.sqrt(v_hat + eps), m_ok, v_ok)),
            ("the bias correction is 1 - beta1^t (beta to the power t), not (1 - beta1)^t (your m and v are right)",
             (step(m_ok / (1 - b1)**t, v_ok / (1 - b2)**t), m_ok, v_ok)),
            ("you moved uphill: x <- x - lr m_hat / (sqrt(v_hat) + eps) (your m and v are right)",
             (2 * x - step(m_hat, v_hat), m_ok, v_ok)),
            ("beta1 and 1 - beta1 are swapped: m <- beta1 m + (1 - beta1) grad keeps most of the old m",
             (None, (1 - b1) * m + b1 * g, None)),
            ("beta2 and 1 - beta2 are swapped: v <- beta2 v + (1 - beta2) grad^2",
             (None, None, (1 - b2) * v + b2 * g * g)),
            ("v should average the squared gradient: v <- beta2 v + (1 - beta2) grad^2",
             (None, None, b2 * v + (1 - b2) * g)),
            ("v should average the squared gradient: v <- beta2 v + (1 - beta2) grad^2, not |grad|",
             (None, None, b2 * v + (1 - b2) * np.abs(g))),
        ]
        if t > 1:
            found.append(("your bias correction uses t - 1: the first step has t = 1, and t counts the steps",
                          (step(m_ok / (1 - b1**(t - 1)), v_ok / (1 - b2**(t - 1))), m_ok, v_ok)))
        return found

    problems = _chain_judge(cases, outcomes, ("x", "m", "v"), ref, mistakes, "torch.optim.Adam",
                            ("x", "m", "v", "grad"))
    if problems and problems[0].text == "x is not finite (nan or inf)":
        problems = [Problem(problems[0].case, WRONG, "x is not finite: with t starting at 0 the correction "
                            "1 - beta^0 is 0 and you divide by zero; the first step has t = 1")]
    return problems


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
            return [Problem(epoch, WRONG, "your function changed X, Y or w in place (rng.shuffle(X) or X[:] = ... "
                                          "shuffles the caller's data): index with the permutation instead, "
                                          "X[idx], Y[idx]")]
        for (_, _, Yb), b in zip(calls, batches):
            if np.shape(Yb) != Y[b].shape or not np.allclose(Yb, Y[b], rtol=0, atol=0):
                return [Problem(epoch, WRONG, "Y_batch does not belong with X_batch: take both with the same "
                                              "shuffled indices, X[idx] and Y[idx]")]
        order = [i for b in batches for i in b]
        orders.append(order)
        sizes = [len(b) for b in batches]
        if len(sizes) > 1 and all(n == B + 1 for n in sizes[:-1]):
            return [Problem(epoch, WRONG, f"each batch takes batch_size + 1 = {B + 1} examples, so neighbouring "
                                          "batches share one: perm[i:i + batch_size] already stops before "
                                          "i + batch_size")]
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
                if np.shape(w_now) == np.shape(w_prev) and np.allclose(w_now, w_prev - lr * grads[j - 1] / sizes[j - 1],
                                                                       rtol=1e-10):
                    return [Problem(epoch, WRONG, f"step {j}: you divided the gradient by the batch size: grad_fn "
                                                  "already returns the gradient to use, w - lr * grad_fn(w, X_batch, "
                                                  "Y_batch)")]
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
