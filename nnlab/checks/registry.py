"""The registry of checks, how a check is run in a notebook, and how problems become a score.

A check is a ``Spec`` registered under its name (``register``); ``run_check`` draws its cases, runs the
student's function and judges the outcomes into a ``CheckResult``. The helpers below (``returned``,
``parts``, ``as_array``, ``ratio_hint``) are what judges use to read plain outcomes; ``diagnose`` names a
known mistake by its signature (the answer that mistake would have produced) and ``describe_difference``
says where an unrecognised answer differs, in numbers that never print alike.
"""
from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .harness import (DEFAULT_TIME_LIMIT, FORBIDDEN, NOT_RUN, RAISED, UNUSABLE, Problem, StudentError, run_calls,
                      shortcuts)


class Mode:
    """How ``check.NAME(f)`` calls in a notebook behave. The grading sandbox sets ``grading = True`` before it
    runs a submission: the grader then calls the graded functions itself, so the notebook's own check calls
    only say so (and cost nothing)."""

    grading = False


MODE = Mode()

@dataclass
class CheckResult:
    """The outcome of one check: passed, a score in [0, 1], messages (the first one is the diagnosis) and the
    problems they were made from."""

    name: str
    passed: bool
    score: float
    messages: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    points: float = 1.0    # what the question is worth (``points=`` of the check call; ``nnlab grade`` reads it)

    @property
    def earned(self):
        return round(self.score * self.points, 4)

    def __str__(self):
        head = f"{self.name}: {'passed' if self.passed else 'not yet'} (score {self.score:.2f}{self._worth()})"
        return "\n".join([head] + [f"  - {m}" for m in self.messages])

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        colour = "#009E73" if self.passed else "#D55E00"
        mark = "✔" if self.passed else "✘"
        items = "".join(f"<li>{html.escape(m)}</li>" for m in self.messages)
        return (f'<div class="nnlab-check" role="status" style="border-left:4px solid {colour};padding:4px 10px">'
                f"<b>{mark} {html.escape(self.name)}</b>: {'passed' if self.passed else 'not yet'} "
                f"(score {self.score:.2f}{self._worth()})<ul>{items}</ul></div>")

    def _worth(self):
        return "" if self.points == 1 else f", {self.earned:g} of {self.points:g} points"

    def raise_if_failed(self):
        __tracebackhide__ = True  # noqa: F841
        if not self.passed:
            raise AssertionError(self.messages[0] if self.messages else f"{self.name} failed")
        return self


class Spec:
    """A registered check: how to draw cases, run the student's function and judge the outcomes."""

    def __init__(self, name, title, cases, judge, run=run_calls, forbid=None, total=None, libraries=()):
        self.name, self.title = name, title
        self.cases, self.judge, self.run, self.forbid, self.total = cases, judge, run, forbid, total
        self.libraries = tuple(libraries)  # what ``run`` builds its objects from (the grading sandbox restores it)

    def refused(self, text, points=1):
        """A result of 0 for a function that was not the student's own work (``FORBIDDEN``)."""
        return _result(self.title, [Problem("", FORBIDDEN, text)], 1, points=points)

    def result(self, cases, outcomes, points=1):
        """Judge plain outcomes (trusted side) into a CheckResult worth ``points``."""
        problems = self.judge(cases, outcomes)
        return _result(self.title, problems, self.total or len(cases), points=points)


CHECKS: dict = {}
SEED = None  # the notebook checks' inputs: None draws fresh ones on every call (a grader draws its own per student)
ADVISORY = ("in this notebook the \"write it yourself\" rule is only watched, and can be got round; "
            "`nnlab grade` runs your function with those shortcuts unavailable")


def register(name, title, cases, judge, **kw):
    CHECKS[name] = Spec(name, title, cases, judge, **kw)


def run_check(name, f, strict=False, points=1, time_limit=None):
    """What ``check.NAME(f, strict, points, time_limit)`` does in a notebook: judge ``f`` on the notebook's
    cases with a limit of ``time_limit`` seconds per call (default ``DEFAULT_TIME_LIMIT``); ``strict``
    raises AssertionError with the diagnosis; ``points`` is what the question is worth."""
    __tracebackhide__ = True  # noqa: F841  (IPython folds this frame: the diagnosis is what matters)
    spec = CHECKS[name]
    if MODE.grading:  # inside ``nnlab grade``: the grader calls the function itself
        return CheckResult(spec.title, False, 0.0, ["not run while grading"], points=points)
    if not callable(f):
        problem = Problem("", UNUSABLE, f"check: expected your function, got {type(f).__name__}")
        return _finish(_result(spec.title, [problem], 1, points=points), strict)
    cases = spec.cases(np.random.default_rng(SEED))
    forbid = shortcuts(spec.forbid) if spec.forbid else None
    outcomes = spec.run(f, cases, forbid, time_limit or DEFAULT_TIME_LIMIT)
    result = spec.result(cases, outcomes, points)
    if spec.forbid:
        result.messages.append(ADVISORY)
    return _finish(result, strict)


def returned(outcomes, k):
    """The k-th outcome's value, or StudentError with what went wrong."""
    if k >= len(outcomes):
        raise StudentError("not run (an earlier step failed)", NOT_RUN)
    if outcomes[k].error:
        raise StudentError(outcomes[k].error, outcomes[k].kind or RAISED)
    return outcomes[k].value


def parts(value, n, what):
    if not isinstance(value, list) or len(value) != n:
        got = value["type"] if isinstance(value, dict) else "None" if value is None else \
            "ndarray" if isinstance(value, np.ndarray) else f"a sequence of length {len(value)}"
        raise StudentError(f"return {what}, got {got}")
    return value


def as_array(name, out, shape=None, ndim=None, integers="use floats (np.exp, / and 1.0 keep float64)"):
    """A plain return value (see ``plain``) as a float array of ``shape`` (or of any shape with ``ndim``
    dimensions: a wrong shape left for the judge to name), or StudentError saying why not; ``integers`` is the
    hint for an array of integers."""
    if out is None:
        raise StudentError(f"{name} is None: did you forget to return it?")
    if isinstance(out, dict):
        raise StudentError(f"{name} should be a NumPy array, got {out.get('type', 'something else')}")
    if isinstance(out, list):
        try:
            out = np.array(out)
        except Exception:
            raise StudentError(f"{name} should be a NumPy array, got a list of mixed things") from None
        if out.dtype == object:
            raise StudentError(f"{name} should be an array of numbers, got a list")
    arr = np.asarray(out)
    if ndim is not None and arr.ndim != ndim:
        raise StudentError(f"{name} should be a {ndim}-D array, got shape {arr.shape}"
                           + (": reshape it to (rows, columns)" if ndim == 2 and arr.ndim == 1 else ""))
    if shape is not None and arr.shape != shape:
        if arr.shape == shape[::-1] and len(shape) == 2:
            raise StudentError(f"{name} has shape {arr.shape}, expected {shape}: transposed? (batch-first: rows "
                               "are examples, W has shape (fan_in, fan_out))")
        raise StudentError(f"{name} has shape {arr.shape}, expected {shape}")
    if arr.dtype.kind in "iub":
        raise StudentError(f"{name} has integer dtype {arr.dtype}: {integers}")
    if arr.dtype.kind == "c":
        raise StudentError(f"{name} has complex numbers")
    if arr.dtype.kind != "f":
        raise StudentError(f"{name} should hold real numbers (float64), got dtype {arr.dtype}")
    return arr.astype(float)


def ratio_hint(mine, ref):
    """Recognise a constant factor between the student's answer and the right one."""
    m, r = mine.ravel(), ref.ravel()
    ok = np.abs(r) > 1e-12 * max(1.0, np.abs(r).max())
    if not ok.any():
        return None
    ratios = m[ok] / r[ok]
    k = np.median(ratios)
    if np.allclose(ratios, k, rtol=1e-6):
        return float(k)
    return None


def diagnose(answer, mistakes, rtol=1e-9, atol=1e-12):
    """The message of the first known mistake whose predicted answer matches ``answer``, or None.

    ``mistakes`` is a sequence of ``(message, predicted)`` pairs, in order of preference: ``predicted``
    is what a function with that mistake would have returned, computed by the judge from the case's
    inputs. ``answer`` and ``predicted`` are arrays (or numbers), or tuples/lists of them for a function
    that returns several things; a ``None`` entry in ``predicted`` matches anything (the mistake does
    not say what that part should be) and ``predicted = None`` skips the candidate (it does not apply
    to this case). A candidate matches when every part has the same shape and agrees within ``rtol``
    and ``atol`` (``np.allclose``; nan never matches). Put mistakes that predict more parts first: a
    looser candidate could otherwise take the credit for a more specific one.

        hint = diagnose((x, v), [("x moves uphill: x <- x - lr v", (x_old + lr * v_ok, v_ok)), ...])
    """
    for message, predicted in mistakes:
        if predicted is not None and _matches(answer, predicted, rtol, atol):
            return message
    return None


def in_place(outcome, names, how):
    """A problem text for inputs the student's function changed, or None; ``how`` says how to avoid it."""
    changed = [names[i] for i in outcome.mutated if i < len(names)]
    if not changed:
        return None
    return f"your function changed {' and '.join(changed)} in place: the caller's arrays must stay as they were ({how})"


def fits(answer, predicted, atol, rtol=1e-9):
    """Whether a known slip's predicted answer (None: the slip does not apply here) matches the student's."""
    return predicted is not None and _matches(answer, predicted, rtol, atol)


def consistent(found):
    """``found`` lists, per wrong case, the keys of the known slips whose answers match the student's (in order of
    preference). Returns, per case, the key to name: of the matching ones, the key that matches the most cases
    (a slip is made on every input alike, and two slips can give the same answer on one input), or None. Where
    ``diagnose`` names the first slip that matches one case, this weighs every case."""
    counts = Counter(key for keys in found for key in dict.fromkeys(keys))
    return [max(keys, key=lambda k: (counts[k], -keys.index(k))) if keys else None for keys in found]


def _matches(answer, predicted, rtol, atol):
    if predicted is None:
        return True
    if isinstance(predicted, (tuple, list)):
        if not isinstance(answer, (tuple, list)) or len(answer) != len(predicted):
            return False
        return all(_matches(a, p, rtol, atol) for a, p in zip(answer, predicted))
    if isinstance(answer, (tuple, list)) or answer is None:
        return False
    try:
        a, p = np.asarray(answer, dtype=float), np.asarray(predicted, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == p.shape and bool(np.all(np.isfinite(p))) and np.allclose(a, p, rtol=rtol, atol=atol)


def agreeing_digits(a, b):
    """How many leading significant digits two numbers share (0 when they differ in sign or size; 17 when
    equal): -log10 of the relative error, rounded down."""
    a, b = float(a), float(b)
    if a == b:
        return 17
    scale = max(abs(a), abs(b))
    if not np.isfinite(scale) or np.sign(a) != np.sign(b):
        return 0
    return int(max(0, min(17, np.floor(-np.log10(abs(a - b) / scale)))))


def _distinct(a, b, digits):
    """a and b printed with just enough significant digits (at least ``digits``) to look different."""
    for d in range(max(digits, 1), 18):
        sa, sb = f"{a:.{d}g}", f"{b:.{d}g}"
        if sa != sb:
            return sa, sb
    return repr(a), repr(b)


def describe_difference(mine, ref, name="the result", oracle="the reference", rtol=1e-9, atol=1e-12, limit=2):
    """Where ``mine`` differs from ``ref`` (same shape), in words that never show two numbers alike.

    Names the differing component(s) (``name[i]``, at most ``limit`` of them, the largest absolute errors first,
    plus how many others differ and whether the rest agree), each printed with enough digits to tell
    the two apart, with where the expected value comes from (``oracle``), the relative error and how
    many significant digits agree:

        "x[2] is 0.6304231, expected 0.6304254 (torch.optim.Adam): relative error 3.6e-06, they agree
         to 5 significant digits; the other components agree"

    ``name`` may instead be a tuple of names when ``mine`` and ``ref`` are tuples of arrays (the parts a
    function returns): the parts that agree are said to be right and only the wrong ones are described.
    Returns "" when everything agrees within ``rtol``/``atol``.
    """
    if isinstance(name, (tuple, list)):
        bad = [n for n, m, r in zip(name, mine, ref)
               if np.shape(m) != np.shape(r) or not np.allclose(m, r, rtol=rtol, atol=atol)]
        good = [n for n in name if n not in bad]
        text = "; ".join(describe_difference(m, r, n, oracle, rtol, atol, limit)
                         for n, m, r in zip(name, mine, ref) if n in bad)
        if good and text:
            text += f"; your {' and '.join(good)} {'is' if len(good) == 1 else 'are'} right"
        return text
    m, r = np.asarray(mine, dtype=float), np.asarray(ref, dtype=float)
    if m.shape != r.shape:
        return f"{name} has shape {m.shape}, {oracle} has shape {r.shape}"
    close = np.isclose(m, r, rtol=rtol, atol=atol)
    if close.all():
        return ""
    err = np.where(close, 0.0, np.abs(m - r))
    err = np.where(np.isnan(err), np.inf, err)
    wrong = [np.unravel_index(i, m.shape) for i in np.argsort(-err, axis=None, kind="stable")[:int((~close).sum())]]
    parts_ = []
    for idx in wrong[:limit]:
        a, b = float(m[idx]), float(r[idx])
        where = name if m.ndim == 0 else f"{name}[{', '.join(map(str, idx))}]"
        if not (np.isfinite(a) and np.isfinite(b)):
            parts_.append(f"{where} is {a}, expected {b} ({oracle})")
            continue
        digits = agreeing_digits(a, b)
        sa, sb = _distinct(a, b, digits + 2)
        rel = abs(a - b) / max(abs(a), abs(b))
        agree = f"they agree to {digits} significant digit{'s' if digits != 1 else ''}" if digits else \
            ("the sign differs" if np.sign(a) != np.sign(b) and a and b else "not even the first digit agrees")
        parts_.append(f"{where} is {sa}, expected {sb} ({oracle}): relative error {rel:.2g}, {agree}")
    text = "; ".join(parts_)
    if len(wrong) > limit:
        text += f"; {len(wrong) - limit} other component{'s' if len(wrong) - limit > 1 else ''} differ"
        text += "" if len(wrong) - limit > 1 else "s"
    if close.any() and m.ndim:
        text += "; the other components agree"
    return text


def _result(name, problems, total, notes=(), points=1):
    """Score = the share of the ``total`` test cases without a problem; several problems in one case count
    once (a problem of the function as a whole, case "", counts as one case)."""
    if not all(isinstance(p, Problem) for p in problems):
        raise TypeError(f"problems: expected Problem records, got {[type(p).__name__ for p in problems]}")
    passed = not problems
    failed = len({p.case for p in problems})
    score = 1.0 if passed else max(0.0, 1.0 - failed / max(total, 1))
    msgs = _fold(problems) + list(notes)
    if passed:
        msgs.insert(0, "all tests agree with the oracle")
    return CheckResult(name, passed, round(score, 3), msgs, list(problems), points)


def _fold(problems):
    """One message for cases that failed the same way: "case 1, case 2, case 3: <message>"."""
    groups = {}
    for p in problems:
        labels = groups.setdefault(p.text, [])
        if p.case:
            labels.append(p.case)
    return [f"{', '.join(labels)}: {text}" if labels else text for text, labels in groups.items()]


def _finish(result, strict):
    __tracebackhide__ = True  # noqa: F841
    return result.raise_if_failed() if strict else result
