"""Check: one perceptron update."""
from __future__ import annotations

import numpy as np

from .harness import WRONG, Case, Problem, StudentError
from .registry import as_array, describe_difference, diagnose, parts, register, returned, run_check


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
    problems, answers = [], {}
    for k, case in enumerate(cases):
        try:
            out = parts(returned(outcomes, k), 2, "the pair (w, b)")
            new_w = as_array("w", out[0], (3,))
            new_b = as_array("b", out[1], np.shape(out[1]) if isinstance(out[1], np.ndarray) else ())
            if new_b.size != 1:
                raise StudentError(f"b should be a number, got shape {new_b.shape}")
            answers[k] = (new_w, float(new_b.reshape(-1)[0]))
        except StudentError as exc:
            problems.append(exc.problem(case.label))
    condition = _condition(cases, answers)
    for k, (new_w, new_b) in answers.items():
        case = cases[k]
        w, b, x, y = case.args
        score = y * (w @ x + b) + 0.0  # + 0.0: a score of -0.0 prints as 0
        mistake = score <= 0
        want_w, want_b = (w + y * x, b + y) if mistake else (w, b)
        if outcomes[k].mutated:
            problems.append(Problem(case.label, WRONG, "you changed w in place; return a new array (w + y * x)"))
        if np.allclose(new_w, want_w, rtol=1e-9, atol=1e-12) and np.isclose(new_b, want_b, rtol=1e-9, atol=1e-12):
            continue
        changed = not (np.allclose(new_w, w) and np.isclose(new_b, b))
        if condition and changed != mistake:
            problems.append(Problem(case.label, WRONG, condition))
            continue
        step = (new_w - w) @ (y * x) / (x @ x)
        hint = diagnose((new_w, new_b), [
            (f"the point was classified correctly (y (w.x + b) = {score:.3g} > 0) but you changed w: update "
             "only on mistakes", (None, None) if not mistake else None),
            (f"this point is a mistake (y (w.x + b) = {score:.3g} <= 0) but nothing changed"
             + (" (a score of exactly 0 counts as a mistake)" if score == 0 else ""), (w, b)),
            ("wrong sign: the update is w + y x, not w - y x", (w - y * x, None)),
            ("w is right, but b did not change: on a mistake b <- b + y too", (want_w, b)),
            (f"your step is {step:.3g} y x: the perceptron update is w + y x, with no learning rate or other factor",
             (w + step * y * x, None) if mistake and abs(step - 1) > 1e-9 else None),
        ])
        problems.append(Problem(case.label, WRONG, hint or (
            f"got w = {np.round(new_w, 4)}, b = {new_b:.4g}; expected w = {np.round(want_w, 4)}, b = {want_b:.4g}"
            + (f" ({describe_difference(new_w, want_w, 'w', 'the rule')})"
               if np.allclose(np.round(new_w, 4), np.round(want_w, 4)) else ""))))
    return problems


def _condition(cases, answers):
    """When the cases the student updated on follow a known wrong test for a mistake, the message naming it."""
    tests = {"you update when w.x + b <= 0, whatever the label: a mistake is y (w.x + b) <= 0 (the label says "
             "which side is right)": lambda w, b, x, y: w @ x + b <= 0,
             "you update when y (w.x) + b <= 0: a mistake is y (w.x + b) <= 0 (the label multiplies b too)":
             lambda w, b, x, y: y * (w @ x) + b <= 0}
    decided = {k: not (np.allclose(nw, cases[k].args[0]) and np.isclose(nb, cases[k].args[1]))
               for k, (nw, nb) in answers.items()}
    right = {k: cases[k].args[3] * (cases[k].args[0] @ cases[k].args[2] + cases[k].args[1]) <= 0 for k in decided}
    for message, test in tests.items():
        theirs = {k: bool(test(*cases[k].args)) for k in decided}
        if theirs == decided and theirs != right:
            return message
    return None


register("perceptron_update", "perceptron update", _perceptron_cases, _perceptron_judge)


def perceptron_update(f, strict=False, points=1, time_limit=None):
    """f(w, b, x, y) -> (w, b) after presenting one point with label y in {-1, +1}: on a mistake
    (y (w.x + b) <= 0) w <- w + y x and b <- b + y; otherwise nothing changes."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("perceptron_update", f, strict, points, time_limit)
