"""Checks: the forward pass and backprop of the curriculum's two-layer network (ReLU hidden, sigmoid output)."""
from __future__ import annotations

import numpy as np

from .harness import WRONG, Case, Problem, StudentError
from .registry import as_array, describe_difference, diagnose, parts, ratio_hint, register, returned, run_check
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
        Z1, raw = X @ W1 + b1, None
        try:
            raw = returned(outcomes, k)
            A2 = as_array("A2", raw, (X.shape[0], 1))
        except StudentError as exc:
            if not isinstance(raw, np.ndarray):
                problems.append(exc.problem(case.label))
                continue
            hint = diagnose(raw, [("np.max(Z, 0) is the largest entry of each column (a reduction along axis "
                                   "0); the ReLU is np.maximum(Z, 0), elementwise",
                                   sigmoid_ref(np.max(Z1, 0) @ W2 + b2))])
            problems.append(Problem(case.label, exc.kind, hint) if hint else exc.problem(case.label))
            continue
        ref, _ = _forward_ref(*case.args)
        if outcomes[k].mutated:
            names = ["X", "W1", "b1", "W2", "b2"]
            problems.append(Problem(case.label, WRONG, "your function changed "
                            f"{', '.join(names[i] for i in outcomes[k].mutated if i < 5)} in place"))
        if np.allclose(A2, ref, rtol=1e-9, atol=1e-12):
            continue
        relu = np.maximum(Z1, 0)
        hint = diagnose(A2, [
            ("your output matches a network with sigmoid in the hidden layer instead of ReLU",
             sigmoid_ref(sigmoid_ref(Z1) @ W2 + b2)),
            ("your output matches a network with no output sigmoid (you returned the logits A1 W2 + b2): "
             "apply the sigmoid to them", relu @ W2 + b2),
            ("your output matches a network with the biases are missing: X W1 + b1 and A1 W2 + b2",
             sigmoid_ref(np.maximum(X @ W1, 0) @ W2)),
            ("b1 is missing: the hidden layer is max(0, X W1 + b1)", sigmoid_ref(np.maximum(X @ W1, 0) @ W2 + b2)),
            ("b2 is missing: the output is sigma(A1 W2 + b2)", sigmoid_ref(relu @ W2)),
            ("you added b1 after the ReLU: the bias goes inside, max(0, X W1 + b1)",
             sigmoid_ref((np.maximum(X @ W1, 0) + b1) @ W2 + b2)),
            ("your output matches a network with no ReLU on the hidden layer: A1 = max(0, X W1 + b1)",
             sigmoid_ref(Z1 @ W2 + b2)),
        ])
        problems.append(Problem(case.label, WRONG, hint or describe_difference(A2, ref, "A2", "the reference")))
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


def _backprop_mistakes(X, Y, W1, b1, W2, b2):
    """(message, predicted (dW1, db1, dW2, db2)) for the known backprop mistakes, most specific first."""
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    A2 = sigmoid_ref(A1 @ W2 + b2)
    dZ2, relu_d = A2 - Y, (Z1 > 0)
    grads = lambda d2, d1: (X.T @ d1, d1.sum(0), A1.T @ d2, d2.sum(0))  # noqa: E731
    dA1 = dZ2 @ W2.T
    extra = dZ2 * A2 * (1 - A2)
    N = X.shape[0]
    return [
        ("dW2 and db2 are right, but dW1 and db1 differ exactly where Z1 < 0: relu' is missing, "
         "dZ1 = dA1 * relu'(Z1) with relu'(Z1) = (Z1 > 0)", grads(dZ2, dA1)),
        ("dZ1 = dA1 * relu'(Z1), and relu'(Z1) = (Z1 > 0) is 0 or 1: you multiplied by A1 = max(0, Z1) itself "
         "(dW2 and db2 are right)", grads(dZ2, dA1 * A1)),
        ("you used the sigmoid's derivative A1 (1 - A1) on the ReLU hidden layer: its derivative is "
         "relu'(Z1) = (Z1 > 0) (dW2 and db2 are right)", grads(dZ2, dA1 * A1 * (1 - A1))),
        ("every gradient is scaled by sigma'(Z2) = A2 (1 - A2) of its example: with the cross-entropy the "
         "sigmoid's derivative cancels, dZ2 = A2 - Y; do not multiply by sigma' again",
         grads(extra, (extra @ W2.T) * relu_d)),
        ("all four gradients have the wrong sign: dZ2 = A2 - Y, not Y - A2", grads(-dZ2, -dA1 * relu_d)),
        (f"all four gradients are 1/N = 1/{N} of the right ones: this exercise sums the loss over the batch, "
         "so do not divide by N", tuple(g / N for g in grads(dZ2, dA1 * relu_d))),
    ]


def _bias_shape(name, value, N, width):
    """A clearer message than a bare shape error when a bias gradient was summed over the wrong axis."""
    shape = np.shape(value) if isinstance(value, np.ndarray) else None
    if shape == (N,) and N != width:
        raise StudentError(f"{name} has shape {shape}, expected ({width},): you summed over the units (axis=1); "
                           "sum over the examples, axis=0")
    if shape == (N, width):
        raise StudentError(f"{name} has shape {shape}, expected ({width},): sum dZ over the examples, "
                           f"{name} = dZ.sum(axis=0)")


def _backprop_judge(cases, outcomes):
    problems = []
    names = ["dW1", "db1", "dW2", "db2"]
    for k, case in enumerate(cases):
        X, Y, W1, b1, W2, b2 = case.args
        try:
            out = parts(returned(outcomes, k), 4, "the four gradients (dW1, db1, dW2, db2) as a tuple")
            _bias_shape("db1", out[1], X.shape[0], b1.shape[0])
            _bias_shape("db2", out[3], X.shape[0], b2.shape[0])
            grads = [as_array(n, o, s) for n, o, s in zip(names, out, [W1.shape, b1.shape, W2.shape, b2.shape])]
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        refs = _backprop_ref(*case.args)
        if outcomes[k].mutated:
            problems.append(Problem(case.label, WRONG, "your function changed its inputs in place"))
        if all(np.allclose(g, r, rtol=1e-7, atol=1e-10) for g, r in zip(grads, refs)):
            continue
        hint = diagnose(tuple(grads), _backprop_mistakes(*case.args), rtol=1e-7, atol=1e-10)
        if hint:
            problems.append(Problem(case.label, WRONG, hint))
            continue
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
            elif g.ndim == 2 and g.shape[1] > 1:
                bad = [j for j in range(g.shape[1]) if not np.allclose(g[:, j], r[:, j], rtol=1e-7, atol=1e-10)]
                good = [j for j in range(g.shape[1]) if j not in bad]
                unit = "hidden unit" if n == "dW1" else "output"
                msg = f"{n} column{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} " \
                      f"({unit} {', '.join(str(j + 1) for j in bad)}) differ{'' if len(bad) > 1 else 's'} from autograd"
                if good:
                    err = max(np.abs(g[:, good] - r[:, good]).max(), 1e-16)
                    msg += f"; the other columns agree to {err:.0e}"
                where = describe_difference(g, r, n, "autograd", 1e-7, 1e-10, 1)
                problems.append(Problem(case.label, WRONG, f"{msg}: {where}"))
            else:
                problems.append(Problem(case.label, WRONG, describe_difference(g, r, n, "autograd", 1e-7, 1e-10, 1)))
    return problems


register("backprop", "backprop", _backprop_cases, _backprop_judge, forbid="backprop")


def backprop(f, strict=False, points=1, time_limit=None):
    """f(X, Y, W1, b1, W2, b2) -> (dW1, db1, dW2, db2) for the curriculum's network (ReLU hidden, sigmoid
    output) and the binary cross-entropy summed over the batch (dZ2 = A2 - Y, no 1/N)."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("backprop", f, strict, points, time_limit)
