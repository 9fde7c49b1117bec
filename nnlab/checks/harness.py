"""Calling a student's function safely and recording what it did, in plain data.

Every check has three parts, so that a grader can keep the trusted ones to itself:
  cases(rng)                           the inputs (drawn by the trusted side),
  run(f, cases, forbid, time_limit)    calls the student's function and records plain ``Outcome``s (may run
                                       untrusted, in the grading sandbox),
  judge(cases, outcomes)               compares with the oracle and returns ``Problem``s (trusted side only).
In a notebook all three run in one process; ``nnlab grade`` runs ``run`` in a sandbox and gets back only
arrays, numbers and strings (``nnlab.checks.wire``). This module is the part that may run untrusted.
"""
from __future__ import annotations

import signal
import sys
import threading
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

DEFAULT_TIME_LIMIT = 10.0  # seconds per call of the student's function in a notebook (the grader sets its own)

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


class Unavailable(RuntimeError):
    """Raised where a shortcut was taken away (``nnlab grade`` runs "write it yourself" questions without them:
    ``nnlab.grading.capabilities``); a call that meets it is charged as ``FORBIDDEN``."""


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


# What each "write it yourself" exercise (a check's ``forbid``) rules out, by dotted name (module:attribute path).
SHORTCUTS = {
    "sigmoid": ("nnlab.nn:sigmoid", "nnlab.function_rules:sigmoid", "nnlab.function_rules:activation",
                "nnlab.nn:MLP.forward", "nnlab.nn:_forward_layers", "torch:sigmoid"),
    "forward": ("nnlab.nn:sigmoid", "nnlab.function_rules:sigmoid", "nnlab.function_rules:activation",
                "nnlab.function_rules:dense", "nnlab.nn:MLP.forward", "nnlab.nn:_forward_layers", "torch:sigmoid"),
    "backprop": ("nnlab.nn:sigmoid", "nnlab.function_rules:sigmoid", "nnlab.function_rules:activation",
                 "nnlab.function_rules:dense", "nnlab.function_rules:delta", "nnlab.function_rules:loss_delta",
                 "nnlab.function_rules:weight_grad", "nnlab.nn:MLP.forward",
                 "nnlab.nn:_forward_layers", "nnlab.nn:_backprop",
                 "nnlab.nn:MLP.gradients", "nnlab.nn:MLP.backward", "nnlab.autodiff:adjoints",
                 "nnlab.autodiff:_sweep_back", "nnlab.autodiff:gradient", "torch:sigmoid", "torch:Tensor.backward",
                 "torch:autograd.grad"),
    "gradient_norms": ("nnlab.gradflow:backward", "nnlab.gradflow:gradient_flow", "nnlab.nn:_backprop",
                       "nnlab.function_rules:delta", "nnlab.function_rules:weight_grad",
                       "nnlab.autodiff:adjoints", "nnlab.autodiff:_sweep_back", "nnlab.autodiff:gradient",
                       "torch:sigmoid", "torch:Tensor.backward", "torch:autograd.grad"),
    "autodiff": ("nnlab.autodiff:adjoints", "nnlab.autodiff:gradient", "torch:sigmoid", "torch:Tensor.backward",
                 "torch:autograd.grad"),
    "cnn_parameters": ("nnlab.digits:cnn_parameters", "nnlab.digits:mlp_parameters"),
    "confusion": ("nnlab.digits:confusion", "nnlab.playground:confusion_matrix", "sklearn.metrics:confusion_matrix"),
    "gradient_check": ("nnlab.gradcheck:numerical_gradient", "nnlab.gradcheck:relative_error", "torch:sigmoid",
                       "torch:autograd.gradcheck"),
    "ridge": ("nnlab.generalization:ridge", "nnlab.generalization:_ridge", "nnlab.generalization:_shrink",
              "nnlab.generalization:path", "nnlab.generalization:fit_poly_ridge", "sklearn.linear_model:Ridge.fit",
              "sklearn.linear_model:RidgeCV.fit", "sklearn.linear_model:ridge_regression",
              "sklearn.linear_model._ridge:_ridge_regression", "sklearn.kernel_ridge:KernelRidge.fit"),
    "standardise_folds": ("nnlab.generalization:kfold", "nnlab.generalization:fit_poly_ridge",
                          "nnlab.generalization:grid_search", "nnlab.generalization:poly_ridge_search",
                          "sklearn.model_selection:KFold.split", "sklearn.model_selection:KFold._iter_test_indices",
                          "sklearn.model_selection:cross_val_score", "sklearn.model_selection:cross_validate",
                          "sklearn.model_selection:cross_val_predict", "sklearn.preprocessing:StandardScaler.fit",
                          "sklearn.preprocessing:StandardScaler.partial_fit",
                          "sklearn.preprocessing:StandardScaler.transform", "sklearn.preprocessing:scale"),
    "penalised_gradient": ("torch:Tensor.backward", "torch:autograd.backward", "torch:autograd.grad",
                           "nnlab.autodiff:adjoints", "nnlab.autodiff:gradient"),
    # lecture 10: "module:*" rules out every function and method the module defines (the lecture's own models)
    "output_size": ("nnlab.conv:*", "torch:nn.functional.conv1d", "torch:nn.functional.conv2d",
                    "torch:nn.functional.conv3d"),
    "conv2d": ("nnlab.conv:*", "torch:nn.functional.conv2d", "torch:nn.functional.unfold",
               "scipy.signal:correlate2d", "scipy.signal:convolve2d", "scipy.signal:correlate", "scipy.signal:convolve",
               "scipy.signal:fftconvolve", "scipy.signal:oaconvolve", "scipy.ndimage:correlate",
               "scipy.ndimage:convolve"),
    "project_to_so3": ("nnlab.rotations:*", "scipy.linalg:orthogonal_procrustes",
                       "scipy.spatial.transform:Rotation.from_matrix",
                       "scipy.spatial.transform:Rotation.align_vectors"),
}


def shortcuts(exercise, torch=True):
    """Functions a "write it yourself" exercise may not call (``SHORTCUTS``), by name; with ``torch=False`` only
    nnlab's. A module that cannot be loaded (the grading sandbox keeps torch out when the notebook did not load
    it, and takes shortcuts away) contributes nothing. ``module:*`` names every function of the module (its
    classes' methods included)."""
    import importlib
    import inspect

    found = {}
    for name in SHORTCUTS.get(exercise, ()):
        module, _, path = name.partition(":")
        if module == "torch" and not torch:
            continue
        if path == "*":
            found.update(_module_functions(module))
            continue
        try:
            value = importlib.import_module(module)
            for attr in path.split("."):
                value = getattr(value, attr)
        except (ImportError, AttributeError, Unavailable):
            continue
        value = inspect.unwrap(value) if callable(value) else value  # a decorator's wrapper code is shared
        found[f"{module}.{path}" + (" (autograd)" if path == "Tensor.backward" else "")] = value
    return found


def _module_functions(name):
    """Every function written in the module ``name`` (its file's code: not generated code), its classes' methods
    included, by dotted name; nothing when it cannot be loaded."""
    import importlib
    import types

    try:
        module = importlib.import_module(name)
    except (ImportError, Unavailable):
        return {}
    found = {}
    for value in list(vars(module).values()):
        members = list(vars(value).values()) if isinstance(value, type) else [value]
        for member in members:
            member = getattr(member, "__func__", getattr(member, "fget", member))
            if isinstance(member, types.FunctionType) and member.__code__.co_filename == module.__file__:
                found[f"{name}.{member.__qualname__}"] = member
    return found


def call(fn, *args, time_limit, forbid=None):
    """Call the student's function on copies of ``args`` with a limit of ``time_limit`` seconds; returns
    (result, warnings, mutated arg indices). ``forbid`` maps names to functions the exercise asks the student
    not to use."""
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    used = set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with _time_limit(time_limit), np.errstate(all="warn"), _watch_calls(forbid, used):
                out = fn(*copies)
        except NotImplementedError:
            raise StudentError("your function raises NotImplementedError: replace the stub with your code",
                               NOT_IMPLEMENTED) from None
        except Unavailable as exc:
            raise StudentError(f"this exercise asks you to write it yourself, but your function used {exc}",
                               FORBIDDEN) from None
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


def run_calls(f, cases, forbid=None, time_limit=DEFAULT_TIME_LIMIT):
    """Call ``f`` on each case independently; after a call that timed out, the remaining cases are not run
    (an endless loop costs one time limit, not one per case)."""
    outcomes = []
    for case in cases:
        try:
            out, warns, mutated = call(f, *case.args, time_limit=time_limit, forbid=forbid)
            outcomes.append(Outcome(plain(out), None, warns, mutated))
        except StudentError as exc:
            outcomes.append(Outcome(error=str(exc), kind=exc.kind))
            if exc.kind == TIMEOUT:
                break
    return outcomes


def run_chain(f, cases, forbid=None, time_limit=DEFAULT_TIME_LIMIT):
    """Call ``f`` step by step, feeding back what it returned where a case has ``None``; stops at an
    error or at a return value that cannot be fed back."""
    outcomes, previous = [], None
    for case in cases:
        carry = sum(a is None for a in case.args)
        args = list(case.args)
        if carry:
            args[:carry] = previous
        try:
            out, warns, mutated = call(f, *args, time_limit=time_limit, forbid=forbid)
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
