"""Checks: the forward pass and backprop of the curriculum's two-layer network (ReLU hidden, sigmoid output)."""
from __future__ import annotations

import numpy as np

from .harness import WRONG, Case, Problem, StudentError
from .registry import as_array, parts, register, returned, run_check, ratio_hint
from .activations import sigmoid_ref


def _two_layer_inputs(rng, N=7, d=3, h=5):
    """Seeded inputs for the 2-layer exercises, with every hidden pre-activation away from the ReLU kink."""
    while True:
        X = rng.normal(size=(N, d))
        W1, b1 = rng.normal(size=(d, h)), rng.normal(0, 0.5, h)
        W2, b2 = rng.normal(size=(h, 1)), rng.normal(0, 0.5, 1)
        Y = rng.integers(0, 2, (N, 1)).astype(float)
        if np.abs(X @ W1 + b1).min() > 0.05:
            return X, Y, W1, b1, W2, b2


def _forward_ref(X, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    return sigmoid_ref(A1 @ W2 + b2), A1


def _forward_cases(rng):
    cases = []
    for k in range(3):
        X, _, W1, b1, W2, b2 = _two_layer_inputs(rng)
        cases.append(Case(f"test {k + 1}", (X, W1, b1, W2, b2)))
    return cases


def _forward_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        X, W1, b1, W2, b2 = case.args
        try:
            A2 = as_array("A2", returned(outcomes, k), (X.shape[0], 1))
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        ref, _ = _forward_ref(*case.args)
        if outcomes[k].mutated:
            names = ["X", "W1", "b1", "W2", "b2"]
            problems.append(Problem(case.label, WRONG, "your function changed "
                            f"{', '.join(names[i] for i in outcomes[k].mutated if i < 5)} in place"))
        if np.allclose(A2, ref, rtol=1e-9, atol=1e-12):
            continue
        alternatives = {
            "sigmoid in the hidden layer instead of ReLU": sigmoid_ref(sigmoid_ref(X @ W1 + b1) @ W2 + b2),
            "no output sigmoid (you returned the logits)": np.maximum(X @ W1 + b1, 0) @ W2 + b2,
            "the biases are missing": sigmoid_ref(np.maximum(X @ W1, 0) @ W2),
            "no ReLU on the hidden layer": sigmoid_ref((X @ W1 + b1) @ W2 + b2),
        }
        hint = next((k for k, alt in alternatives.items() if np.allclose(A2, alt, rtol=1e-9, atol=1e-12)), None)
        if hint:
            problems.append(Problem(case.label, WRONG, f"your output matches a network with {hint}"))
        else:
            i = int(np.argmax(np.abs(A2 - ref)))
            problems.append(Problem(case.label, WRONG, f"example {i} gives {A2[i, 0]:.6g}, expected {ref[i, 0]:.6g}"))
    return problems


register("forward", "forward pass", _forward_cases, _forward_judge, forbid="forward")


def forward(f, strict=False, points=1, time_limit=None):
    """f(X, W1, b1, W2, b2) -> A2: ReLU hidden layer, sigmoid output, batch-first (X @ W + b)."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("forward", f, strict, points, time_limit)


def _backprop_ref(X, Y, W1, b1, W2, b2):
    """Gradients of the summed BCE by PyTorch autograd (the oracle)."""
    import torch

    T = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (W1, b1, W2, b2)]
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    logits = torch.relu(Xt @ T[0] + T[1]) @ T[2] + T[3]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, Yt, reduction="sum")
    loss.backward()
    return [t.grad.numpy() for t in T]


def _backprop_cases(rng):
    return [Case(f"test {k + 1}", _two_layer_inputs(rng)) for k in range(3)]


def _backprop_judge(cases, outcomes):
    problems = []
    names = ["dW1", "db1", "dW2", "db2"]
    for k, case in enumerate(cases):
        X, Y, W1, b1, W2, b2 = case.args
        try:
            out = parts(returned(outcomes, k), 4, "the four gradients (dW1, db1, dW2, db2) as a tuple")
            grads = [as_array(n, o, s) for n, o, s in zip(names, out, [W1.shape, b1.shape, W2.shape, b2.shape])]
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        refs = _backprop_ref(*case.args)
        if outcomes[k].mutated:
            problems.append(Problem(case.label, WRONG, "your function changed its inputs in place"))
        N = X.shape[0]
        for n, g, r in zip(names, grads, refs):
            if np.allclose(g, r, rtol=1e-7, atol=1e-10):
                continue
            ratio = ratio_hint(g, r)
            if ratio is not None and abs(ratio - 1 / N) < 1e-6:
                problems.append(Problem(case.label, WRONG, f"{n} is 1/N = 1/{N} of the right value: this exercise "
                                                           f"sums the "
                                "loss over the batch, so do not divide by N"))
            elif ratio is not None and abs(ratio - N) < 1e-6:
                problems.append(Problem(case.label, WRONG, f"{n} is N = {N} times too large"))
            elif ratio is not None and abs(ratio + 1) < 1e-6:
                problems.append(Problem(case.label, WRONG, f"{n} has the wrong sign (dZ2 = A2 - Y, not Y - A2)"))
            elif g.ndim == 2:
                bad = [j for j in range(g.shape[1]) if not np.allclose(g[:, j], r[:, j], rtol=1e-7, atol=1e-10)]
                good = [j for j in range(g.shape[1]) if j not in bad]
                unit = "hidden unit" if n == "dW1" else "output"
                msg = f"{n} column{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} " \
                      f"({unit} {', '.join(str(j + 1) for j in bad)}) differ{'' if len(bad) > 1 else 's'} from autograd"
                if good:
                    err = max(np.abs(g[:, good] - r[:, good]).max(), 1e-16)
                    msg += f"; the other columns agree to {err:.0e}"
                problems.append(Problem(case.label, WRONG, msg))
            else:
                i = int(np.argmax(np.abs(g - r)))
                problems.append(Problem(case.label, WRONG, f"{n}[{i}] is {g[i]:.6g}, autograd says {r[i]:.6g}"))
    return problems


register("backprop", "backprop", _backprop_cases, _backprop_judge, forbid="backprop")


def backprop(f, strict=False, points=1, time_limit=None):
    """f(X, Y, W1, b1, W2, b2) -> (dW1, db1, dW2, db2) for the curriculum's network (ReLU hidden, sigmoid
    output) and the binary cross-entropy summed over the batch (dZ2 = A2 - Y, no 1/N)."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("backprop", f, strict, points, time_limit)
