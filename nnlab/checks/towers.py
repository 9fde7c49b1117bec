"""Check: a tower from two steep sigmoids."""
from __future__ import annotations

import numpy as np

from .harness import WRONG, Case, Problem, StudentError
from .registry import as_array, register, returned, run_check
from .activations import sigmoid_ref


def _tower_cases(rng):
    x = np.linspace(-1, 2, 61)
    return [Case(f"tower {k + 1}", (x, left, right, w))
            for k, (left, right, w) in enumerate([(0.2, 0.7, 30.0), (-0.5, 1.5, 8.0), (1.0, 1.2, 100.0)])]


def _tower_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        x, left, right, w = case.args
        ref = sigmoid_ref(w * (x - left)) - sigmoid_ref(w * (x - right))
        try:
            y = as_array("the tower", returned(outcomes, k), x.shape)
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        if np.allclose(y, ref, rtol=1e-9, atol=1e-12):
            continue
        if np.allclose(y, -ref, rtol=1e-9, atol=1e-12):
            problems.append(Problem(case.label, WRONG, "your tower points down: subtract the step at right from "
                                                       "the step at left"))
        elif np.allclose(y, sigmoid_ref(w * x + w * left) - sigmoid_ref(w * x + w * right), rtol=1e-9):
            problems.append(Problem(case.label, WRONG, "your steps sit at -left and -right: the bias of a step at "
                                                       "s is -w s"))
        else:
            i = int(np.argmax(np.abs(y - ref)))
            problems.append(Problem(case.label, WRONG, f"at x = {x[i]:.3g} you return {y[i]:.4g}, expected "
                                                       f"{ref[i]:.4g}"))
    return problems


register("tower", "tower", _tower_cases, _tower_judge)


def tower(f, strict=False, points=1, time_limit=None):
    """f(x, left, right, w) -> sigma(w (x - left)) - sigma(w (x - right)): about 1 on [left, right]."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("tower", f, strict, points, time_limit)
