"""Check: per-layer gradient norms of a deep sigmoid network, against autograd."""
from __future__ import annotations

import numpy as np

from .harness import WRONG, Case, Problem, StudentError
from .registry import as_array, register, returned, run_check


def _deep_cases(rng):
    cases = []
    for k, (depth, width, scale) in enumerate([(3, 4, 1.0), (6, 5, 1.0), (8, 6, 3.0)]):
        sizes = [3] + [width] * (depth - 1) + [1]
        Ws = [rng.normal(0, scale / np.sqrt(m), (m, n)) for m, n in zip(sizes[:-1], sizes[1:])]
        bs = [rng.normal(0, 0.1, n) for n in sizes[1:]]
        X, Y = rng.normal(size=(9, 3)), rng.normal(size=(9, 1))
        cases.append(Case(f"network {k + 1} ({depth} layers)", (X, Y, Ws, bs)))
    return cases


def _deep_ref(X, Y, Ws, bs):
    """||dL/dW_l|| (Frobenius) by autograd for sigmoid hidden layers, a linear output and
    L = 1/2 sum (A_L - Y)^2; also the norms of dL/dA_l and dL/db_l for diagnoses."""
    import torch

    W = [torch.tensor(w, requires_grad=True) for w in Ws]
    b = [torch.tensor(v, requires_grad=True) for v in bs]
    A, acts = torch.tensor(X), []
    for l, (w, v) in enumerate(zip(W, b)):
        Z = A @ w + v
        A = Z if l == len(W) - 1 else torch.sigmoid(Z)
        A.retain_grad()
        acts.append(A)
    loss = 0.5 * ((A - torch.tensor(Y)) ** 2).sum()
    loss.backward()
    norm = lambda t: float(torch.linalg.norm(t.grad))  # noqa: E731
    return np.array([norm(w) for w in W]), np.array([norm(a) for a in acts]), np.array([norm(v) for v in b])


def _deep_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        L = len(case.args[2])
        try:
            norms = as_array("the norms", returned(outcomes, k), (L,))
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        ref, act_norms, bias_norms = _deep_ref(*case.args)
        close = lambda a, b: np.allclose(a, b, rtol=1e-7, atol=1e-12)  # noqa: E731
        if close(norms, ref):
            continue
        N = case.args[0].shape[0]
        if close(norms, ref[::-1]):
            problems.append(Problem(case.label, WRONG, "your norms are in reverse order: entry l is layer l + 1, "
                                                       "from the input"))
        elif close(norms, ref ** 2):
            problems.append(Problem(case.label, WRONG, "these are squared norms: take the square root of the sum "
                                                       "of squares"))
        elif close(norms, ref / N):
            problems.append(Problem(case.label, WRONG, f"your norms are 1/N = 1/{N} of the right ones: the loss "
                                                       f"is summed, "
                            "not averaged"))
        elif close(norms, act_norms):
            problems.append(Problem(case.label, WRONG, "these are the norms of dL/dA (the activations), not of dL/dW"))
        elif close(norms, bias_norms):
            problems.append(Problem(case.label, WRONG, "these are the norms of dL/db, not of dL/dW"))
        else:
            bad = [l + 1 for l in range(L) if not np.isclose(norms[l], ref[l], rtol=1e-7, atol=1e-12)]
            problems.append(Problem(case.label, WRONG, f"layer{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} "
                            f"differ{'' if len(bad) > 1 else 's'} from autograd (layer {bad[0]}: "
                            f"{norms[bad[0] - 1]:.6g}, expected {ref[bad[0] - 1]:.6g})"
                            + ("; the last layers agree, so look at how the error travels backward"
                               if bad[-1] < L else "")))
    return problems


register("gradient_norms", "per-layer gradient norms", _deep_cases, _deep_judge, forbid="gradient_norms")


def gradient_norms(f, strict=False, points=1, time_limit=None):
    """f(X, Y, Ws, bs) -> array of ||dL/dW_l|| (Frobenius), l = 1..L from the input, for a network with
    sigmoid hidden layers A_l = sigma(A_{l-1} W_l + b_l), a linear output and L = 1/2 sum (A_L - Y)^2."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("gradient_norms", f, strict, points, time_limit)
