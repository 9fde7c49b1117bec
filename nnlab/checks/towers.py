"""Check: a tower from two steep sigmoids."""
from __future__ import annotations

import numpy as np

from .harness import WRONG, Case, Problem, StudentError
from .registry import as_array, describe_difference, diagnose, register, returned, run_check
from .activations import sigmoid_ref


def _tower_cases(rng):
    x = np.linspace(-1, 2, 61) + rng.uniform(-0.02, 0.02)
    jitter = lambda v: round(float(v * rng.uniform(0.9, 1.1)), 3)  # noqa: E731  (each student's own towers)
    return [Case(f"tower {k + 1}", (x, jitter(left), jitter(left) + jitter(right - left), jitter(w)))
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
        step = lambda s, c=w: sigmoid_ref(c * (x - s))  # noqa: E731
        hint = diagnose(y, [
            ("your tower points down: subtract the step at right from the step at left", -ref),
            ("your steps sit at -left and -right: the bias of a step at s is -w s, so write w (x - s)",
             sigmoid_ref(w * x + w * left) - sigmoid_ref(w * x + w * right)),
            ("the bias of a step at s is -w s: write sigma(w (x - left)), not sigma(w x - left)",
             sigmoid_ref(w * x - left) - sigmoid_ref(w * x - right)),
            (f"your steps ignore the steepness w = {w:g}: sigma(w (x - left)) - sigma(w (x - right))",
             step(left, 1.0) - step(right, 1.0)),
            ("you added the two steps: subtract the step at right from the step at left",
             step(left) + step(right)),
            ("your steps are twice as steep: 0.5 (1 + tanh(z)) is sigma(2z); sigma(z) = 0.5 (1 + tanh(z / 2))",
             step(left, 2 * w) - step(right, 2 * w)),
        ])
        problems.append(Problem(case.label, WRONG, hint or describe_difference(y, ref, "tower", "the reference")))
    return problems


register("tower", "tower", _tower_cases, _tower_judge)


def tower(f, strict=False, points=1, time_limit=None):
    """f(x, left, right, w) -> sigma(w (x - left)) - sigma(w (x - right)): about 1 on [left, right]."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("tower", f, strict, points, time_limit)
