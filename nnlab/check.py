"""Checks for exercises: call one with your function and read the diagnosis.

    from nnlab import check
    check.sigmoid(my_sigmoid)            # shows a short report in the notebook
    check.backprop(my_backprop, strict=True)   # raises AssertionError with the diagnosis (for graders)
    check.backprop(my_backprop, points=3)      # ``points`` is read by ``nnlab grade`` from the exercise source

Every check calls your function on seeded float64 inputs (kept away from ReLU kinks), compares
with an independent oracle (a closed form, PyTorch autograd, central differences), and names
the mistake when it recognises one: a sign error, a missing or extra 1/N, transposed shapes,
overflow in exp, inputs changed in place, integer arrays, a function that ignores its inputs.
A check never crashes on your code: exceptions, wrong types, NaNs and endless loops (a time
limit per call) become messages; warnings are captured, never printed.
"""
from __future__ import annotations

import html
import json
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

TIME_LIMIT = 10.0  # seconds per call of the student's function


# Kinds of problem. WRONG: the function returned an answer that differs from the oracle's. The others say
# how the student's code failed to give an answer; a grader decides statuses from these, never from wording.
WRONG = "wrong"
UNUSABLE = "unusable"              # returned None, the wrong shape or type, integers
RAISED = "raised"                  # raised an exception
NOT_IMPLEMENTED = "not implemented"  # still the stub
TIMEOUT = "timeout"                # did not return within the time limit
MEMORY = "memory"                  # ran out of memory
FORBIDDEN = "forbidden"            # called a function a "write it yourself" exercise rules out
NOT_RUN = "not run"                # an earlier step of a chain failed
KINDS = (WRONG, UNUSABLE, RAISED, NOT_IMPLEMENTED, TIMEOUT, MEMORY, FORBIDDEN, NOT_RUN)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one test case: ``case`` is the case's label ("test 2"; "" for the function as a
    whole), ``kind`` one of ``KINDS``, ``text`` the diagnosis in words. Scores count the distinct cases
    with a problem; nothing is decided from ``text``."""

    case: str
    kind: str
    text: str

    def __str__(self):
        return f"{self.case}: {self.text}" if self.case else self.text


@dataclass
class CheckResult:
    """The outcome of one check: passed, a score in [0, 1], messages (the first one is the diagnosis) and the
    problems they were made from."""

    name: str
    passed: bool
    score: float
    messages: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def __str__(self):
        head = f"{self.name}: {'passed' if self.passed else 'not yet'} (score {self.score:.2f})"
        return "\n".join([head] + [f"  - {m}" for m in self.messages])

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        colour = "#009E73" if self.passed else "#D55E00"
        mark = "✔" if self.passed else "✘"
        items = "".join(f"<li>{html.escape(m)}</li>" for m in self.messages)
        return (f'<div class="nnlab-check" role="status" style="border-left:4px solid {colour};padding:4px 10px">'
                f"<b>{mark} {html.escape(self.name)}</b>: {'passed' if self.passed else 'not yet'} "
                f"(score {self.score:.2f})<ul>{items}</ul></div>")

    def raise_if_failed(self):
        __tracebackhide__ = True  # noqa: F841
        if not self.passed:
            raise AssertionError(self.messages[0] if self.messages else f"{self.name} failed")
        return self


class StudentError(Exception):
    """The student's function raised, hung, or returned something unusable; the message says which and
    ``kind`` (one of ``KINDS``) says what happened."""

    def __init__(self, text, kind=UNUSABLE):
        super().__init__(text)
        self.kind = kind

    def problem(self, case):
        return Problem(case, self.kind, str(self))


@contextmanager
def _time_limit(seconds):
    """SIGALRM-based limit in the main thread (where notebook cells run); no limit elsewhere."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def handler(signum, frame):
        raise TimeoutError(f"your function did not return within {seconds:g} s (an endless loop?)")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextmanager
def _watch_calls(forbidden, used):
    """Record which of the ``forbidden`` functions run (however the student imported them)."""
    if not forbidden:
        yield
        return
    codes = {getattr(f, "__code__", None): name for name, f in forbidden.items() if hasattr(f, "__code__")}
    builtins = {id(f): name for name, f in forbidden.items() if not hasattr(f, "__code__")}

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            used.add(codes[frame.f_code])
        elif event == "c_call" and id(arg) in builtins:
            used.add(builtins[id(arg)])

    old = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(old)


def shortcuts(kind):
    """Functions a "write it yourself" exercise may not call, by exercise kind."""
    from . import nn as reference

    found = {}
    if kind in ("sigmoid", "forward", "backprop"):
        found["nnlab.nn.sigmoid"] = reference.sigmoid
        found["nnlab.nn.MLP.forward"] = reference.MLP.forward
    if kind == "gradient_norms":
        from . import gradflow

        found["nnlab.gradflow.backward"] = gradflow.backward
        found["nnlab.gradflow.gradient_flow"] = gradflow.gradient_flow
    if kind == "backprop":
        found["nnlab.nn.MLP.gradients"] = reference.MLP.gradients
        found["nnlab.nn.MLP.backward"] = reference.MLP.backward
    if os.environ.get("NNLAB_GRADING") == "1" and sys.modules.get("torch") is None:
        return found  # the grading sandbox blocks torch when the notebook did not load it
    try:
        import torch
    except ImportError:
        return found
    found["torch.sigmoid"] = torch.sigmoid
    if kind in ("backprop", "gradient_norms"):
        found["torch.Tensor.backward (autograd)"] = torch.Tensor.backward
        found["torch.autograd.grad"] = torch.autograd.grad
    return found


def call(fn, *args, time_limit=None, forbid=None):
    """Call the student's function on copies of ``args``; returns (result, warnings, mutated arg indices).
    ``forbid`` maps names to functions the exercise asks the student not to use."""
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    used = set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with _time_limit(time_limit or TIME_LIMIT), np.errstate(all="warn"), _watch_calls(forbid, used):
                out = fn(*copies)
        except NotImplementedError:
            raise StudentError("your function raises NotImplementedError: replace the stub with your code",
                               NOT_IMPLEMENTED) from None
        except TimeoutError as exc:
            raise StudentError(str(exc), TIMEOUT) from None
        except MemoryError:
            raise StudentError("your function ran out of memory (MemoryError)", MEMORY) from None
        except Exception as exc:  # the student's bug, reported, never re-raised
            tb = traceback.extract_tb(exc.__traceback__)
            where = f" (line {tb[-1].lineno}: {tb[-1].line})" if tb else ""
            raise StudentError(f"your function raised {type(exc).__name__}: {exc}{where}", RAISED) from None
    if used:
        raise StudentError("this exercise asks you to write it yourself, but your function called "
                           f"{', '.join(sorted(used))}", FORBIDDEN)
    mutated = [i for i, (a, c) in enumerate(zip(args, copies))
               if isinstance(a, np.ndarray) and not np.array_equal(a, c, equal_nan=True)]
    return out, [str(w.message) for w in caught], mutated


# ------------------------------------------------------ cases, outcomes, judges
#
# Every check has three parts, so that a grader can keep the trusted ones to itself:
#   cases(rng)               the inputs (drawn by the trusted side),
#   run(f, cases, forbid)    calls the student's function and records plain outcomes (may run untrusted),
#   judge(cases, outcomes)   compares with the oracle and names the mistakes (trusted side only).
# In a notebook all three run in one process; ``nnlab grade`` runs ``run`` in a sandbox and gets back
# only arrays, numbers and strings (see ``encode``/``decode``).


@dataclass(frozen=True)
class Case:
    """One test input: ``label`` prefixes its messages; ``args`` are passed to the student's function
    (in a chain, ``None`` stands for "what your previous call returned")."""

    label: str
    args: tuple


@dataclass
class Outcome:
    """What one call of the student's function did, in plain data: ``value`` is the return value as
    nested lists of arrays (other objects become ``{"type": name}``); ``error`` a message or None, and
    ``kind`` what happened when there is an error (one of ``KINDS``)."""

    value: object = None
    error: str | None = None
    warnings: list = field(default_factory=list)
    mutated: list = field(default_factory=list)
    record: dict = field(default_factory=dict)
    kind: str | None = None


def plain(obj, depth=0):
    """A return value as plain data: numbers and arrays become float/int arrays, tuples and lists become
    lists (two levels deep), anything else its type name."""
    if obj is None:
        return None
    if isinstance(obj, (tuple, list)) and depth < 2 and len(obj) <= 64:
        return [plain(o, depth + 1) for o in obj]
    try:
        arr = np.asarray(obj)
    except Exception:
        return {"type": type(obj).__name__}
    if arr.dtype.kind in "biufc" and arr.size <= 10**6:
        return np.array(arr, copy=True)
    return {"type": type(obj).__name__}


def run_calls(f, cases, forbid=None):
    """Call ``f`` on each case independently; after a call that timed out, the remaining cases are not run
    (an endless loop costs one time limit, not one per case)."""
    outcomes = []
    for case in cases:
        try:
            out, warns, mutated = call(f, *case.args, forbid=forbid)
            outcomes.append(Outcome(plain(out), None, warns, mutated))
        except StudentError as exc:
            outcomes.append(Outcome(error=str(exc), kind=exc.kind))
            if exc.kind == TIMEOUT:
                break
    return outcomes


def run_chain(f, cases, forbid=None):
    """Call ``f`` step by step, feeding back what it returned where a case has ``None``; stops at an
    error or at a return value that cannot be fed back."""
    outcomes, previous = [], None
    for case in cases:
        carry = sum(a is None for a in case.args)
        args = list(case.args)
        if carry:
            args[:carry] = previous
        try:
            out, warns, mutated = call(f, *args, forbid=forbid)
        except StudentError as exc:
            outcomes.append(Outcome(error=str(exc), kind=exc.kind))
            break
        outcomes.append(Outcome(plain(out), None, warns, mutated))
        nxt = cases[len(outcomes)] if len(outcomes) < len(cases) else None
        need = sum(a is None for a in nxt.args) if nxt else 0
        if need and not (isinstance(out, (tuple, list)) and len(out) == need):
            break
        previous = [np.array(o, dtype=float, copy=True) for o in out] if need else None
    return outcomes


# The wire format between a grading sandbox and the grader: arrays in an .npz (numbers only; loaded with
# allow_pickle=False) plus one JSON skeleton in which {"@": k} stands for array k.

MAX_ITEMS = 100_000  # JSON nodes and arrays a grader accepts from one submission


def encode(tree):
    """Plain data (None, bool, int, float, str, lists, dicts with str keys, numeric arrays) -> dict of arrays."""
    arrays = {}

    def walk(obj):
        if isinstance(obj, np.ndarray):
            arrays[f"a{len(arrays)}"] = obj
            return {"@": len(arrays) - 1}
        if isinstance(obj, Outcome):
            return {"outcome": walk(obj.__dict__)}
        if isinstance(obj, Case):
            return {"case": [obj.label, walk(list(obj.args))]}
        if isinstance(obj, Problem):
            return {"problem": [obj.case, obj.kind, obj.text]}
        if isinstance(obj, dict):
            return {str(k): walk(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [walk(v) for v in obj]
        if isinstance(obj, (np.integer, np.floating, np.bool_)):
            return obj.item()
        return obj

    skeleton = json.dumps(walk(tree))
    return {"skeleton": np.array(skeleton), **arrays}


def decode(files):
    """The inverse of ``encode`` for data from an untrusted process: only numeric arrays, bounded sizes,
    and Outcome fields of the right kinds; anything else raises ValueError."""
    skeleton = files["skeleton"]
    if skeleton.dtype.kind != "U" or skeleton.shape != ():
        raise ValueError("skeleton is not a string")
    count = [0]

    def walk(obj, depth=0):
        count[0] += 1
        if count[0] > MAX_ITEMS or depth > 12:
            raise ValueError("results too large or too deep")
        if isinstance(obj, dict):
            if set(obj) == {"@"}:
                arr = files[f"a{int(obj['@'])}"]
                if arr.dtype.kind not in "biufc":
                    raise ValueError(f"array of dtype {arr.dtype}")
                return arr
            if set(obj) == {"outcome"}:
                fields = walk(obj["outcome"], depth + 1)
                if not isinstance(fields, dict) or not set(fields) <= set(Outcome.__dataclass_fields__):
                    raise ValueError("malformed outcome")
                out = Outcome(**fields)
                if not (out.error is None or isinstance(out.error, str)) or not isinstance(out.record, dict) \
                        or not (out.kind is None or out.kind in KINDS) \
                        or not all(isinstance(w, str) for w in out.warnings) \
                        or not all(isinstance(i, int) for i in out.mutated):
                    raise ValueError("malformed outcome")
                return out
            if set(obj) == {"case"}:
                label, args = obj["case"]
                return Case(str(label), tuple(walk(args, depth + 1)))
            if set(obj) == {"problem"}:
                parts = obj["problem"]
                if not (isinstance(parts, list) and len(parts) == 3 and all(isinstance(p, str) for p in parts)):
                    raise ValueError("malformed problem")
                return Problem(*parts)
            return {str(k): walk(v, depth + 1) for k, v in obj.items()}
        if isinstance(obj, list):
            return [walk(v, depth + 1) for v in obj]
        return obj

    return walk(json.loads(str(skeleton)))


class Spec:
    """A registered check: how to draw cases, run the student's function and judge the outcomes."""

    def __init__(self, name, title, cases, judge, run=run_calls, forbid=None, total=None):
        self.name, self.title = name, title
        self.cases, self.judge, self.run, self.forbid, self.total = cases, judge, run, forbid, total

    def result(self, cases, outcomes):
        """Judge plain outcomes (trusted side) into a CheckResult."""
        problems = self.judge(cases, outcomes)
        return _result(self.title, problems, self.total or len(cases))


CHECKS: dict = {}
SEED = 0  # the notebook checks' inputs; a grader draws its own


def _register(name, title, cases, judge, **kw):
    CHECKS[name] = Spec(name, title, cases, judge, **kw)


def _check(name, f, strict):
    __tracebackhide__ = True  # noqa: F841  (IPython folds this frame: the diagnosis is what matters)
    spec = CHECKS[name]
    if os.environ.get("NNLAB_GRADING") == "1":  # inside ``nnlab grade``: the grader calls the function itself
        return CheckResult(spec.title, False, 0.0, ["not run while grading"])
    if not callable(f):
        problem = Problem("", UNUSABLE, f"check: expected your function, got {type(f).__name__}")
        return _finish(_result(spec.title, [problem], 1), strict)
    cases = spec.cases(np.random.default_rng(SEED))
    forbid = shortcuts(spec.forbid) if spec.forbid else None
    return _finish(spec.result(cases, spec.run(f, cases, forbid)), strict)


def _returned(outcomes, k):
    """The k-th outcome's value, or StudentError with what went wrong."""
    if k >= len(outcomes):
        raise StudentError("not run (an earlier step failed)", NOT_RUN)
    if outcomes[k].error:
        raise StudentError(outcomes[k].error, outcomes[k].kind or RAISED)
    return outcomes[k].value


def _parts(value, n, what):
    if not isinstance(value, list) or len(value) != n:
        got = value["type"] if isinstance(value, dict) else "None" if value is None else \
            "ndarray" if isinstance(value, np.ndarray) else f"a sequence of length {len(value)}"
        raise StudentError(f"return {what}, got {got}")
    return value


def _as_array(name, out, shape):
    """A plain return value (see ``plain``) as a float array of ``shape``, or StudentError saying why not."""
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
    if arr.shape != shape:
        if arr.shape == shape[::-1] and len(shape) == 2:
            raise StudentError(f"{name} has shape {arr.shape}, expected {shape}: transposed? (batch-first: rows "
                               "are examples, W has shape (fan_in, fan_out))")
        raise StudentError(f"{name} has shape {arr.shape}, expected {shape}")
    if arr.dtype.kind in "iub":
        raise StudentError(f"{name} has integer dtype {arr.dtype}: use floats (np.exp, / and 1.0 keep float64)")
    if arr.dtype.kind == "c":
        raise StudentError(f"{name} has complex numbers")
    return arr.astype(float)


def _ratio_hint(mine, ref):
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


def _result(name, problems, total, notes=()):
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
    return CheckResult(name, passed, round(score, 3), msgs, list(problems))


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



# ------------------------------------------------------------------------ sigmoid


def _sigmoid_ref(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_cases(rng):
    return [Case("on small values", (rng.normal(0, 2, (4, 5)),)),
            Case("on a vector", (np.linspace(-6, 6, 13) + rng.uniform(-0.2, 0.2),)),
            Case("on large values", (np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0]),))]


def _sigmoid_judge(cases, outcomes):
    problems, ys = [], []
    for k, case in enumerate(cases):
        z = case.args[0]
        try:
            y = _as_array("the result", _returned(outcomes, k), z.shape)
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            ys.append(None)
            continue
        ys.append(y)
        ref = _sigmoid_ref(z)
        if outcomes[k].mutated:
            problems.append(Problem(case.label, WRONG, "your function changed its input array in place; compute a "
                                                       "new array"))
        if any("overflow" in w for w in outcomes[k].warnings):
            problems.append(Problem(case.label, WRONG, "np.exp overflowed (RuntimeWarning). Use a stable form: "
                                                       "for z < 0 write "
                            "e^z / (1 + e^z), for z >= 0 write 1 / (1 + e^-z)"))
        if not np.all(np.isfinite(y)):
            problems.append(Problem(case.label, WRONG, "the result contains nan or inf"))
        elif np.allclose(y, 1 - ref, rtol=1e-9, atol=1e-12) and not np.allclose(y, ref):
            problems.append(Problem(case.label, WRONG, "you computed 1 / (1 + e^z), which is sigma(-z): check the "
                                                       "sign of z"))
        elif not np.allclose(y, ref, rtol=1e-9, atol=1e-12):
            i = np.unravel_index(np.argmax(np.abs(y - ref)), z.shape)
            problems.append(Problem(case.label, WRONG, f"at z = {z[i]:.4g} you return {y[i]:.6g}, expected "
                                                       f"{ref[i]:.6g}"))
    if ys[0] is not None and ys[1] is not None and np.allclose(ys[0].ravel()[:5], ys[1].ravel()[:5]) \
            and not np.allclose(cases[0].args[0].ravel()[:5], cases[1].args[0][:5]):
        problems.append(Problem("", WRONG, "your function returns the same numbers for different inputs: does it "
                                "use a global variable instead of its argument?"))
    return problems


_register("sigmoid", "sigmoid", _sigmoid_cases, _sigmoid_judge, forbid="sigmoid")


def sigmoid(f, strict=False, points=1):
    """sigma(z) = 1/(1 + e^-z), elementwise, without overflow warnings for |z| up to 1000."""
    __tracebackhide__ = True  # noqa: F841
    return _check("sigmoid", f, strict)


# ---------------------------------------------------------------- 2-layer network


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
    return _sigmoid_ref(A1 @ W2 + b2), A1


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
            A2 = _as_array("A2", _returned(outcomes, k), (X.shape[0], 1))
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
            "sigmoid in the hidden layer instead of ReLU": _sigmoid_ref(_sigmoid_ref(X @ W1 + b1) @ W2 + b2),
            "no output sigmoid (you returned the logits)": np.maximum(X @ W1 + b1, 0) @ W2 + b2,
            "the biases are missing": _sigmoid_ref(np.maximum(X @ W1, 0) @ W2),
            "no ReLU on the hidden layer": _sigmoid_ref((X @ W1 + b1) @ W2 + b2),
        }
        hint = next((k for k, alt in alternatives.items() if np.allclose(A2, alt, rtol=1e-9, atol=1e-12)), None)
        if hint:
            problems.append(Problem(case.label, WRONG, f"your output matches a network with {hint}"))
        else:
            i = int(np.argmax(np.abs(A2 - ref)))
            problems.append(Problem(case.label, WRONG, f"example {i} gives {A2[i, 0]:.6g}, expected {ref[i, 0]:.6g}"))
    return problems


_register("forward", "forward pass", _forward_cases, _forward_judge, forbid="forward")


def forward(f, strict=False, points=1):
    """f(X, W1, b1, W2, b2) -> A2: ReLU hidden layer, sigmoid output, batch-first (X @ W + b)."""
    __tracebackhide__ = True  # noqa: F841
    return _check("forward", f, strict)


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
            out = _parts(_returned(outcomes, k), 4, "the four gradients (dW1, db1, dW2, db2) as a tuple")
            grads = [_as_array(n, o, s) for n, o, s in zip(names, out, [W1.shape, b1.shape, W2.shape, b2.shape])]
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
            ratio = _ratio_hint(g, r)
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


_register("backprop", "backprop", _backprop_cases, _backprop_judge, forbid="backprop")


def backprop(f, strict=False, points=1):
    """f(X, Y, W1, b1, W2, b2) -> (dW1, db1, dW2, db2) for the curriculum's network (ReLU hidden, sigmoid
    output) and the binary cross-entropy summed over the batch (dZ2 = A2 - Y, no 1/N)."""
    __tracebackhide__ = True  # noqa: F841
    return _check("backprop", f, strict)


# ------------------------------------------------------------------ perceptron


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
            out = _parts(_returned(outcomes, k), 2, "the pair (w, b)")
            new_w = _as_array("w", out[0], (3,))
            new_b = _as_array("b", out[1], np.shape(out[1]) if isinstance(out[1], np.ndarray) else ())
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
            problems.append(Problem(case.label, WRONG, f"you used labels in {{0, 1}}; the perceptron rule needs y "
                                                       f"in {{-1, +1}}"))
        else:
            problems.append(Problem(case.label, WRONG, f"got w = {np.round(new_w, 4)}, b = {new_b:.4g}; expected "
                            f"w = {np.round(want_w, 4)}, b = {want_b:.4g}"))
    return problems


_register("perceptron_update", "perceptron update", _perceptron_cases, _perceptron_judge)


def perceptron_update(f, strict=False, points=1):
    """f(w, b, x, y) -> (w, b) after presenting one point with label y in {-1, +1}: on a mistake
    (y (w.x + b) <= 0) w <- w + y x and b <- b + y; otherwise nothing changes."""
    __tracebackhide__ = True  # noqa: F841
    return _check("perceptron_update", f, strict)


# ------------------------------------------------------------------- optimisers


def _torch_steps(make, x0, grads):
    """x after each step of a torch.optim optimiser (and its state) from x0 with the given gradients."""
    import torch

    xt = torch.tensor(np.array(x0, float), requires_grad=True)
    opt = make([xt])
    states = []
    for g in grads:
        xt.grad = torch.tensor(g)
        opt.step()
        states.append((xt.detach().numpy().copy(), {k: v.numpy().copy() if hasattr(v, "numpy") else v
                                                    for k, v in opt.state[xt].items()}))
    return states


def _momentum_cases(rng):
    x0, grads = rng.normal(size=4), [rng.normal(size=4) for _ in range(5)]
    lr, rho = 0.1, 0.9
    return [Case("step 1", (x0, np.zeros(4), grads[0], lr, rho))] + \
        [Case(f"step {k + 1}", (None, None, g, lr, rho)) for k, g in enumerate(grads[1:], start=1)]


def _momentum_judge(cases, outcomes):
    import torch

    x0, _, _, lr, rho = cases[0].args
    grads = [c.args[2] for c in cases]
    ref = _torch_steps(lambda p: torch.optim.SGD(p, lr=lr, momentum=rho), x0, grads)
    x, v = x0, np.zeros_like(x0)
    for k, (case, (want, state)) in enumerate(zip(cases, ref)):
        g = grads[k]
        try:
            out = _parts(_returned(outcomes, k), 2, "the pair (x, v)")
            new_x, new_v = _as_array("x", out[0], x.shape), _as_array("v", out[1], x.shape)
        except StudentError as exc:
            return [exc.problem(case.label)]
        want_v = state["momentum_buffer"]
        if np.allclose(new_x, want, rtol=1e-10, atol=1e-12) and np.allclose(new_v, want_v, rtol=1e-10, atol=1e-12):
            x, v = want, want_v
            continue
        if np.allclose(new_v, rho * v - lr * g):
            return [Problem(case.label, WRONG, "you used the other form, v <- rho v - lr grad, x <- x + v: the "
                                               "same method "
                    "(your x is right), but this exercise keeps v <- rho v + grad, x <- x - lr v (as "
                    "torch.optim.SGD), so v differs by the factor -lr")]
        if np.allclose(new_x, x - lr * g) and np.allclose(new_v, v):
            return [Problem(case.label, WRONG, "your step ignores the velocity: that is plain gradient descent")]
        if np.allclose(new_v, v + g) or np.allclose(new_v, rho * v + (1 - rho) * g):
            return [Problem(case.label, WRONG, "the velocity update should be v <- rho v + grad")]
        return [Problem(case.label, WRONG, f"x = {np.round(new_x, 5)}, torch.optim.SGD gives {np.round(want, 5)}")]
    return []


_register("momentum", "momentum step", _momentum_cases, _momentum_judge, run=run_chain, total=1)


def momentum(f, strict=False, points=1):
    """f(x, v, grad, lr, rho) -> (x, v): v <- rho v + grad, x <- x - lr v (torch.optim.SGD's form)."""
    __tracebackhide__ = True  # noqa: F841
    return _check("momentum", f, strict)


def _rmsprop_cases(rng):
    x0, grads = rng.normal(size=3), [rng.normal(size=3) for _ in range(6)]
    hyper = (0.01, 0.99, 1e-8)
    return [Case("step 1", (x0, np.zeros(3), grads[0]) + hyper)] + \
        [Case(f"step {k + 1}", (None, None, g) + hyper) for k, g in enumerate(grads[1:], start=1)]


def _rmsprop_judge(cases, outcomes):
    import torch

    x0 = cases[0].args[0]
    lr, alpha, eps = cases[0].args[3:]
    grads = [c.args[2] for c in cases]
    ref = _torch_steps(lambda p: torch.optim.RMSprop(p, lr=lr, alpha=alpha, eps=eps, foreach=False), x0, grads)
    x, s = x0, np.zeros_like(x0)
    for k, (case, (want, state)) in enumerate(zip(cases, ref)):
        g = grads[k]
        try:
            out = _parts(_returned(outcomes, k), 2, "the pair (x, s)")
            new_x, new_s = _as_array("x", out[0], x.shape), _as_array("s", out[1], x.shape)
        except StudentError as exc:
            return [exc.problem(case.label)]
        if np.allclose(new_x, want, rtol=1e-9, atol=1e-12) and np.allclose(new_s, state["square_avg"], rtol=1e-9):
            x, s = want, state["square_avg"]
            continue
        s_ok = alpha * s + (1 - alpha) * g * g
        if np.allclose(new_s, alpha * s + (1 - alpha) * g):
            return [Problem(case.label, WRONG, "s should average the squared gradient: s <- alpha s + (1 - alpha) "
                                               "grad^2")]
        if np.allclose(new_x, x - lr * g / np.sqrt(s_ok + eps), rtol=1e-9):
            return [Problem(case.label, WRONG, "eps goes outside the square root, as in torch.optim.RMSprop: "
                    "x <- x - lr grad / (sqrt(s) + eps)")]
        if np.allclose(new_x, x - lr * g * (np.sqrt(s_ok) + eps), rtol=1e-9):
            return [Problem(case.label, WRONG, "divide the gradient by sqrt(s) + eps, do not multiply")]
        if np.allclose(new_x, x + lr * g / (np.sqrt(s_ok) + eps), rtol=1e-9):
            return [Problem(case.label, WRONG, "you moved uphill: x <- x - lr grad / (sqrt(s) + eps)")]
        return [Problem(case.label, WRONG, f"x = {np.round(new_x, 6)}, torch.optim.RMSprop gives {np.round(want, 6)}")]
    return []


_register("rmsprop", "RMSProp step", _rmsprop_cases, _rmsprop_judge, run=run_chain, total=1)


def rmsprop(f, strict=False, points=1):
    """f(x, s, grad, lr, alpha, eps) -> (x, s): s <- alpha s + (1 - alpha) grad^2, x <- x - lr grad / (sqrt(s)
    + eps) (torch.optim.RMSprop without momentum)."""
    __tracebackhide__ = True  # noqa: F841
    return _check("rmsprop", f, strict)


def _adam_cases(rng):
    x0, grads = rng.normal(size=3), [rng.normal(size=3) for _ in range(6)]
    hyper = (0.01, 0.9, 0.999, 1e-8)
    return [Case("step 1", (x0, np.zeros(3), np.zeros(3), grads[0], 1) + hyper)] + \
        [Case(f"step {t}", (None, None, None, g, t) + hyper) for t, g in enumerate(grads[1:], start=2)]


def _adam_judge(cases, outcomes):
    import torch

    x0 = cases[0].args[0]
    lr, b1, b2, eps = cases[0].args[5:]
    grads = [c.args[3] for c in cases]
    ref = _torch_steps(lambda p: torch.optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps, foreach=False), x0, grads)
    x, m, s = x0, np.zeros_like(x0), np.zeros_like(x0)
    for k, (case, (want, state)) in enumerate(zip(cases, ref)):
        g, t = grads[k], k + 1
        try:
            out = _parts(_returned(outcomes, k), 3, "(x, m, v)")
            new_x = _as_array("x", out[0], x.shape)
            _as_array("m", out[1], x.shape), _as_array("v", out[2], x.shape)
        except StudentError as exc:
            return [exc.problem(case.label)]
        if np.allclose(new_x, want, rtol=1e-9, atol=1e-12):
            x, m, s = want, state["exp_avg"], state["exp_avg_sq"]
            continue
        m_ok, s_ok = b1 * m + (1 - b1) * g, b2 * s + (1 - b2) * g * g
        if not np.all(np.isfinite(new_x)):
            return [Problem(case.label, WRONG, "x is not finite: with t starting at 0 the correction 1 - beta^0 "
                                               "is 0 and you "
                    "divide by zero; the first step has t = 1")]
        if np.allclose(new_x, x - lr * m_ok / (np.sqrt(s_ok) + eps), rtol=1e-9):
            return [Problem(case.label, WRONG, "you skipped the bias correction: divide m by (1 - beta1^t) and v by "
                    "(1 - beta2^t); without it the first steps are about 3 times too large")]
        t0 = t - 1
        if t0 > 0 and np.allclose(new_x, x - lr * (m_ok / (1 - b1**t0)) / (np.sqrt(s_ok / (1 - b2**t0)) + eps),
                                  rtol=1e-9):
            return [Problem(case.label, WRONG, "your bias correction uses t - 1: the first step has t = 1")]
        return [Problem(case.label, WRONG, f"x = {np.round(new_x, 6)}, torch.optim.Adam gives {np.round(want, 6)}")]
    return []


_register("adam", "Adam step", _adam_cases, _adam_judge, run=run_chain, total=1)


def adam(f, strict=False, points=1):
    """f(x, m, v, grad, t, lr, beta1, beta2, eps) -> (x, m, v) for Adam's step number t (t = 1 first),
    with bias correction m / (1 - beta1^t), v / (1 - beta2^t) (torch.optim.Adam)."""
    __tracebackhide__ = True  # noqa: F841
    return _check("adam", f, strict)


# ------------------------------------------------------------------------ towers


def _tower_cases(rng):
    x = np.linspace(-1, 2, 61)
    return [Case(f"tower {k + 1}", (x, left, right, w))
            for k, (left, right, w) in enumerate([(0.2, 0.7, 30.0), (-0.5, 1.5, 8.0), (1.0, 1.2, 100.0)])]


def _tower_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        x, left, right, w = case.args
        ref = _sigmoid_ref(w * (x - left)) - _sigmoid_ref(w * (x - right))
        try:
            y = _as_array("the tower", _returned(outcomes, k), x.shape)
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        if np.allclose(y, ref, rtol=1e-9, atol=1e-12):
            continue
        if np.allclose(y, -ref, rtol=1e-9, atol=1e-12):
            problems.append(Problem(case.label, WRONG, "your tower points down: subtract the step at right from "
                                                       "the step at left"))
        elif np.allclose(y, _sigmoid_ref(w * x + w * left) - _sigmoid_ref(w * x + w * right), rtol=1e-9):
            problems.append(Problem(case.label, WRONG, "your steps sit at -left and -right: the bias of a step at "
                                                       "s is -w s"))
        else:
            i = int(np.argmax(np.abs(y - ref)))
            problems.append(Problem(case.label, WRONG, f"at x = {x[i]:.3g} you return {y[i]:.4g}, expected "
                                                       f"{ref[i]:.4g}"))
    return problems


_register("tower", "tower", _tower_cases, _tower_judge)


def tower(f, strict=False, points=1):
    """f(x, left, right, w) -> sigma(w (x - left)) - sigma(w (x - right)): about 1 on [left, right]."""
    __tracebackhide__ = True  # noqa: F841
    return _check("tower", f, strict)


# --------------------------------------------------------------- mini-batch SGD


def _sgd_cases(rng):
    N, d, B, lr = 23, 3, 5, 0.1
    X, Y, w0 = rng.normal(size=(N, d)), rng.normal(size=(N, 1)), rng.normal(size=(d, 1))
    seed = int(rng.integers(1000))
    return [Case("epoch 1", (X, Y, w0, lr, B, seed)), Case("epoch 2", (X, Y, w0, lr, B, seed))]


def _run_sgd(f, cases, forbid=None):
    """Run two epochs with one generator (as a training loop would pass it), recording every grad_fn call."""
    X, Y, w0, lr, B, seed = cases[0].args
    rng = np.random.default_rng(seed)
    outcomes = []
    for case in cases:
        calls = []

        def grad_fn(w, Xb, Yb, calls=calls):
            w, Xb, Yb = np.array(w, float), np.array(Xb, float), np.array(Yb, float)
            calls.append((w, Xb, Yb))
            return Xb.T @ (Xb @ w - Yb)          # least-squares gradient, summed over the batch

        try:
            out, warns, mutated = call(f, X, Y, w0, grad_fn, lr, B, rng, forbid=forbid)
        except StudentError as exc:
            outcomes.append(Outcome(error=str(exc), kind=exc.kind))
            break
        record = {"w": [c[0] for c in calls], "Xb": [c[1] for c in calls], "Yb": [c[2] for c in calls]}
        outcomes.append(Outcome(plain(out), None, warns, mutated, record))
    return outcomes


def _sgd_judge(cases, outcomes):
    """The oracle is the definition itself, checked on the recorded grad_fn calls: the batches cover every
    example once, in an order that changes between epochs, and each step starts where the last one ended."""
    X, Y, w0, lr, B, _ = cases[0].args
    N = X.shape[0]
    rows = {tuple(np.round(x, 12)): i for i, x in enumerate(X)}
    orders = []
    for k, case in enumerate(cases):
        epoch = case.label
        try:
            w = _as_array("w", _returned(outcomes, k), w0.shape)
            rec = outcomes[k].record
            calls = list(zip(rec["w"], rec["Xb"], rec["Yb"]))
            if not calls:
                raise StudentError("grad_fn was never called")
            batches = [[rows[tuple(np.round(x, 12))] for x in np.atleast_2d(Xb)] for _, Xb, _ in calls]
        except KeyError:
            return [Problem(epoch, WRONG, "grad_fn received rows that are not rows of X")]
        except (StudentError, ValueError, TypeError) as exc:
            return [exc.problem(epoch)]
        if outcomes[k].mutated:
            return [Problem(epoch, WRONG, "your function changed X, Y or w in place")]
        order = [i for b in batches for i in b]
        orders.append(order)
        sizes = [len(b) for b in batches]
        if sorted(order) != list(range(N)):
            missing = sorted(set(range(N)) - set(order))
            twice = sorted({i for i in order if order.count(i) > 1})
            if missing and len(missing) == N % B and not twice:
                return [Problem(epoch, WRONG, f"the last {len(missing)} examples were never used: keep the final, "
                                              f"smaller batch")]
            return [Problem(epoch, WRONG, f"every example must be used exactly once per epoch; missing {missing[:5]}, "
                    f"used twice {twice[:5]}")]
        if any(s != B for s in sizes[:-1]) or sizes[-1] > B:
            return [Problem(epoch, WRONG, f"batch sizes were {sizes}; expected {B} each, the last one smaller")]
        if order == list(range(N)):
            return [Problem(epoch, WRONG, "the batches follow the original order: shuffle each epoch with "
                                          "rng.permutation(N)")]
        grads = [Xb.T @ (Xb @ wk - Yb) for wk, Xb, Yb in calls]
        for j in range(1, len(calls)):
            w_prev, w_now = calls[j - 1][0], calls[j][0]
            if np.shape(w_now) != np.shape(w_prev) or not np.allclose(w_now, w_prev - lr * grads[j - 1],
                                                                      rtol=1e-10, atol=1e-12):
                if np.shape(w_now) == np.shape(w_prev) and np.allclose(w_now, w_prev + lr * grads[j - 1], rtol=1e-10):
                    return [Problem(epoch, WRONG, f"step {j}: you moved uphill: use w - lr * gradient")]
                if np.shape(w_now) == np.shape(w_prev) and np.allclose(w_now, w_prev):
                    return [Problem(epoch, WRONG, "w did not change between batches: update after every batch, "
                                                  "not once per "
                            "epoch")]
                return [Problem(epoch, WRONG, f"batch {j + 1} did not start from w - lr * (the previous batch's "
                                              f"gradient)")]
        if not np.allclose(w, calls[-1][0] - lr * grads[-1], rtol=1e-10, atol=1e-12):
            return [Problem(epoch, WRONG, "the returned w is not the result of the last step")]
    if len(orders) == 2 and orders[0] == orders[1]:
        return [Problem("", WRONG, "both epochs used the same order: draw a new permutation from rng every epoch "
                        "(do not create a new generator with a fixed seed inside the function)")]
    return []


_register("sgd_epoch", "SGD epoch", _sgd_cases, _sgd_judge, run=_run_sgd, total=1)


def sgd_epoch(f, strict=False, points=1):
    """f(X, Y, w, grad_fn, lr, batch_size, rng) -> w after one epoch of mini-batch SGD: shuffle the
    examples with ``rng.permutation(N)``, walk the shuffled order in batches of ``batch_size`` (the
    last batch may be smaller), and after each batch set w <- w - lr * grad_fn(w, X_batch, Y_batch).

    The oracle is the definition itself, checked by recording every call to ``grad_fn``: the batches
    must cover every example exactly once, in a random order that changes from epoch to epoch, and
    each step must start where the previous one ended."""
    __tracebackhide__ = True  # noqa: F841
    return _check("sgd_epoch", f, strict)


# ------------------------------------------------------- per-layer gradient norms


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
            norms = _as_array("the norms", _returned(outcomes, k), (L,))
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


_register("gradient_norms", "per-layer gradient norms", _deep_cases, _deep_judge, forbid="gradient_norms")


def gradient_norms(f, strict=False, points=1):
    """f(X, Y, Ws, bs) -> array of ||dL/dW_l|| (Frobenius), l = 1..L from the input, for a network with
    sigmoid hidden layers A_l = sigma(A_{l-1} W_l + b_l), a linear output and L = 1/2 sum (A_L - Y)^2."""
    __tracebackhide__ = True  # noqa: F841
    return _check("gradient_norms", f, strict)
