"""Check: one perceptron update."""
from __future__ import annotations

import numpy as np

from .harness import WRONG, Case, Problem, StudentError
from .registry import as_array, parts, register, returned, run_check


def _perceptron_cases(rng):
    cases = []
    for k in range(8):
        w, b, x = rng.normal(size=3), float(rng.normal()), rng.normal(size=3)
        y = 1 if k % 2 else -1
        if k == 6:  # a point exactly on the line counts as a mistake
            w, b = np.zeros(3), 0.0
        cases.append(Case(f"case {k + 1}", (w, b, x, y)))
    return cases


def _perceptron_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        w, b, x, y = case.args
        mistake = y * (w @ x + b) <= 0
        want_w, want_b = (w + y * x, b + y) if mistake else (w, b)
        try:
            out = parts(returned(outcomes, k), 2, "the pair (w, b)")
            new_w = as_array("w", out[0], (3,))
            new_b = as_array("b", out[1], np.shape(out[1]) if isinstance(out[1], np.ndarray) else ())
            if new_b.size != 1:
                raise StudentError(f"b should be a number, got shape {new_b.shape}")
            new_b = float(new_b.reshape(-1)[0])
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        if outcomes[k].mutated:
            problems.append(Problem(case.label, WRONG, "you changed w in place; return a new array (w + y * x)"))
        if np.allclose(new_w, want_w) and np.isclose(new_b, want_b):
            continue
        score = y * (w @ x + b)
        if not mistake and not np.allclose(new_w, w):
            problems.append(Problem(case.label, WRONG, "the point was classified correctly (y (w.x + b) = "
                            f"{score:.3g} > 0) but you changed w: update only on mistakes"))
        elif mistake and np.allclose(new_w, w) and np.isclose(new_b, b):
            problems.append(Problem(case.label, WRONG, f"this point is a mistake (y (w.x + b) = {score:.3g} <= 0) "
                                                       f"but nothing "
                            "changed" + (" (a score of exactly 0 counts as a mistake)" if score == 0 else "")))
        elif mistake and np.allclose(new_w, w - y * x):
            problems.append(Problem(case.label, WRONG, "wrong sign: the update is w + y x, not w - y x"))
        elif mistake and np.allclose(new_w, w + (y + 1) / 2 * x):
            problems.append(Problem(case.label, WRONG, "you used labels in {0, 1}; the perceptron rule needs y "
                                                       "in {-1, +1}"))
        else:
            problems.append(Problem(case.label, WRONG, f"got w = {np.round(new_w, 4)}, b = {new_b:.4g}; expected "
                            f"w = {np.round(want_w, 4)}, b = {want_b:.4g}"))
    return problems


register("perceptron_update", "perceptron update", _perceptron_cases, _perceptron_judge)


def perceptron_update(f, strict=False, points=1, time_limit=None):
    """f(w, b, x, y) -> (w, b) after presenting one point with label y in {-1, +1}: on a mistake
    (y (w.x + b) <= 0) w <- w + y x and b <- b + y; otherwise nothing changes."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("perceptron_update", f, strict, points, time_limit)
