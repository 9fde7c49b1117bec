"""Check: a numerically stable sigmoid."""
from __future__ import annotations

import numpy as np

from .harness import WRONG, Case, Problem, StudentError
from .registry import as_array, describe_difference, diagnose, register, returned, run_check


def sigmoid_ref(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_cases(rng):
    return [Case("on small values", (rng.normal(0, 2, (4, 5)),)),
            Case("on a vector", (np.linspace(-6, 6, 13) + rng.uniform(-0.2, 0.2),)),
            Case("on large values", (rng.permutation(np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])
                                                     * rng.uniform(1.0, 1.2, 7)),))]


def _sigmoid_judge(cases, outcomes):
    problems, ys = [], []
    for k, case in enumerate(cases):
        z = case.args[0]
        try:
            y = as_array("the result", returned(outcomes, k), z.shape)
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            ys.append(None)
            continue
        ys.append(y)
        ref = sigmoid_ref(z)
        if outcomes[k].mutated:
            problems.append(Problem(case.label, WRONG, "your function changed its input array in place; compute a "
                                                       "new array"))
        right = np.allclose(y, ref, rtol=1e-9, atol=1e-12)
        if any("overflow" in w for w in outcomes[k].warnings):
            if right and any("invalid value" in w for w in outcomes[k].warnings):
                problems.append(Problem(case.label, WRONG, "your values are right, but np.exp overflowed "
                                "(RuntimeWarning): np.where computes both branches on every element before "
                                "choosing, so exponentiate only non-positive numbers, e = np.exp(-np.abs(z)), "
                                "and use e in both branches"))
            else:
                problems.append(Problem(case.label, WRONG, "np.exp overflowed (RuntimeWarning). Use a stable form: "
                                "for z < 0 write e^z / (1 + e^z), for z >= 0 write 1 / (1 + e^-z)"))
        if not np.all(np.isfinite(y)):
            problems.append(Problem(case.label, WRONG, "the result contains nan or inf"))
        elif not right:
            hint = diagnose(y, [
                ("you computed 1 / (1 + e^z), which is sigma(-z): check the sign of z", 1 - ref),
                ("your values are sigma(2z): 0.5 (1 + tanh(z)) is sigma(2z); the identity is "
                 "sigma(z) = 0.5 (1 + tanh(z / 2))", sigmoid_ref(2 * z)),
                ("you returned sigma'(z) = sigma(z) (1 - sigma(z)), the derivative: return sigma(z) itself",
                 ref * (1 - ref)),
            ])
            hint = hint or describe_difference(y, ref, "sigma(z)", "the reference")
            problems.append(Problem(case.label, WRONG, hint))
    if ys[0] is not None and ys[1] is not None and np.allclose(ys[0].ravel()[:5], ys[1].ravel()[:5]) \
            and not np.allclose(cases[0].args[0].ravel()[:5], cases[1].args[0][:5]):
        problems.append(Problem("", WRONG, "your function returns the same numbers for different inputs: does it "
                                "use a global variable instead of its argument?"))
    return problems


register("sigmoid", "sigmoid", _sigmoid_cases, _sigmoid_judge, forbid="sigmoid")


def sigmoid(f, strict=False, points=1, time_limit=None):
    """sigma(z) = 1/(1 + e^-z), elementwise, without overflow warnings for |z| up to 1000."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("sigmoid", f, strict, points, time_limit)
