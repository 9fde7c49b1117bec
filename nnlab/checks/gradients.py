"""Check: per-layer gradient norms of a deep sigmoid network, against autograd."""
from __future__ import annotations

import numpy as np

from .harness import WRONG, Case, Problem, StudentError
from .registry import as_array, describe_difference, diagnose, register, returned, run_check


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


def _variant(X, Y, Ws, bs, deriv=lambda A: A * (1 - A), back=lambda dZ, W: dZ @ W.T, out_sigmoid=False,
             skip=False):
    """The norms a backward pass with one known mistake returns (NumPy): ``deriv`` the factor for sigma',
    ``back`` how dL/dA travels through W, a sigmoid on the output too, or (``skip``) dL/dA instead of
    dL/dZ sent back through W."""
    sig = lambda z: 0.5 * (1 + np.tanh(0.5 * z))  # noqa: E731
    A = [X]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = A[-1] @ W + b
        A.append(sig(Z) if out_sigmoid or l < len(Ws) - 1 else Z)
    norms, dA = np.zeros(len(Ws)), A[-1] - Y
    for l in reversed(range(len(Ws))):
        linear = l == len(Ws) - 1 and not out_sigmoid
        dZ = dA if linear else dA * deriv(A[l + 1])
        norms[l] = np.linalg.norm(A[l].T @ dZ)
        dA = back(dA if skip else dZ, Ws[l])
    return norms


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
        if np.allclose(norms, ref, rtol=1e-7, atol=1e-12):
            continue
        N = case.args[0].shape[0]
        square = lambda dZ, W: dZ @ W if W.shape[0] == W.shape[1] else dZ @ W.T  # noqa: E731
        hint = diagnose(norms, [
            ("your norms are in reverse order: entry l is layer l + 1, from the input", ref[::-1]),
            ("these are squared norms: take the square root of the sum of squares", ref ** 2),
            (f"your norms are 1/N = 1/{N} of the right ones: the loss is summed, not averaged", ref / N),
            ("these are the norms of dL/dA (the activations), not of dL/dW", act_norms),
            ("these are the norms of dL/db, not of dL/dW", bias_norms),
            ("the sigmoid's derivative sigma'(Z_l) is A_l (1 - A_l): your derivative factor is A_l alone",
             _variant(*case.args, deriv=lambda A: A)),
            ("the derivative factor is missing: dL/dZ_l = dL/dA_l * A_l (1 - A_l) for a sigmoid layer",
             _variant(*case.args, deriv=lambda A: 1.0)),
            ("the output layer is linear: dL/dZ_L = A_L - Y, with no sigmoid there (and no sigma')",
             _variant(*case.args, out_sigmoid=True)),
            ("dL/dA_(l-1) = dL/dZ_l W_l^T: you multiplied by W_l, not its transpose (the shapes agree only "
             "because the hidden layers are square)", _variant(*case.args, back=square)),
            ("each layer's norm uses dL/dZ_l, but you sent dL/dA_l back through W_l: dL/dA_(l-1) = "
             "dL/dZ_l W_l^T, with the derivative factor in it", _variant(*case.args, skip=True)),
        ], rtol=1e-7, atol=1e-12)
        if hint:
            problems.append(Problem(case.label, WRONG, hint))
            continue
        bad = [l + 1 for l in range(L) if not np.isclose(norms[l], ref[l], rtol=1e-7, atol=1e-12)]
        problems.append(Problem(case.label, WRONG, f"layer{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} "
                        f"differ{'' if len(bad) > 1 else 's'} from autograd ("
                        + describe_difference(norms, ref, "norms", "autograd", 1e-7, 1e-12, 1) + ")"
                        + ("; the last layers agree, so look at how the error travels backward"
                           if bad[-1] < L else "")))
    return problems


register("gradient_norms", "per-layer gradient norms", _deep_cases, _deep_judge, forbid="gradient_norms")


def gradient_norms(f, strict=False, points=1, time_limit=None):
    """f(X, Y, Ws, bs) -> array of ||dL/dW_l|| (Frobenius), l = 1..L from the input, for a network with
    sigmoid hidden layers A_l = sigma(A_{l-1} W_l + b_l), a linear output and L = 1/2 sum (A_L - Y)^2."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("gradient_norms", f, strict, points, time_limit)
