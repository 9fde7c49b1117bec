"""No points without the work, on every check: non-answers score 0, and the answer is not in reach.

- Non-answers: constants (0, 1), the first input echoed back, every input echoed back, and the right answers
  of another set of inputs replayed in order (the reference solution's answers for another seed, or a
  classmate's copied table) score 0 on every check.
- While the student's function runs, nothing it can reach (its arguments and everything they refer to:
  attributes, closures, defaults; the frames of nnlab's harness above it on the stack) holds an expected
  value: the right answer is computed only after the call, where the judge runs.
"""
import gc
import pathlib
import sys
import types

import numpy as np
import pytest

from nnlab.checks import registry

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from right_answers import RIGHT  # noqa: E402
from test_right_answers import student_function  # noqa: E402

CHECKS = sorted(registry.CHECKS)


def right(check):
    return student_function(check, RIGHT[check][0][1])


def replaying(check, seed):
    """A function that returns, call by call, what the right solution returned on the inputs of ``seed``."""
    answers, solve = [], right(check)

    def record(*args):
        answers.append(solve(*args))
        return answers[-1]

    registry.SEED = seed
    assert registry.run_check(check, record).passed
    calls = iter(answers)
    return lambda *args: next(calls, answers[-1])


NON_ANSWERS = {
    "zero": lambda check: lambda *args: 0.0,
    "one": lambda check: lambda *args: 1.0,
    "first input echoed": lambda check: lambda *args: args[0],
    "inputs echoed": lambda check: lambda *args: args,
    "another seed's right answers": lambda check: replaying(check, 11),
    "a classmate's copied answers": lambda check: replaying(check, 12),
}


@pytest.mark.parametrize("name", NON_ANSWERS)
@pytest.mark.parametrize("check", CHECKS)
def test_a_non_answer_earns_nothing(check, name, monkeypatch):
    monkeypatch.setattr(registry, "SEED", registry.SEED)
    f = NON_ANSWERS[name](check)
    registry.SEED = 0
    result = registry.run_check(check, f)
    assert result.score == 0, (check, name, result.messages)


# ------------------------------------------------------------------ the answer stays outside
def numbers(obj, found, seen, depth=0):
    """Every float reachable from ``obj``: arrays, tensors, containers, instances' attributes, functions'
    closures and defaults (not their module's globals: a module is public, and holds no case), frames' locals."""
    if id(obj) in seen or depth > 10 or len(seen) > 50_000:
        return
    seen.add(id(obj))
    if isinstance(obj, (str, bytes, bool, int, type, types.ModuleType)) or obj is None:
        return
    if isinstance(obj, (float, np.floating)):
        found.add(float(obj))
        return
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "f" and obj.size <= 100_000:
            found.update(obj.ravel().tolist())
        elif obj.dtype == object:
            for item in obj.ravel()[:1000]:
                numbers(item, found, seen, depth + 1)
        return
    if hasattr(obj, "detach") and hasattr(obj, "numpy"):  # a torch tensor: its values, and its .grad
        found.update(np.asarray(obj.detach().double().numpy()).ravel().tolist())
    if isinstance(obj, types.FrameType):
        numbers(dict(obj.f_locals), found, seen, depth + 1)
        return
    if isinstance(obj, (types.FunctionType, types.MethodType)):
        func = getattr(obj, "__func__", obj)
        parts = [getattr(obj, "__self__", None), func.__defaults__, func.__kwdefaults__, func.__dict__,
                 *[c.cell_contents for c in (func.__closure__ or ()) if _filled(c)]]
        for part in parts:
            numbers(part, found, seen, depth + 1)
        return
    for ref in gc.get_referents(obj):
        if not isinstance(ref, dict) or "__builtins__" not in ref:  # a module's globals
            numbers(ref, found, seen, depth + 1)


def _filled(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def expected_values(check, args, answer):
    """The right answer (the first right solution's, computed after the call) as a set of floats, minus what
    the inputs hold anyway (an answer equal to an input is no secret)."""
    values = set()
    numbers(answer, values, set())
    given = set()
    numbers(args, given, set())
    return {v for v in values - given if abs(v) > 1e-9 and v != round(v)}  # distinctive numbers only


#: Checks whose answers are whole numbers (counts, epochs): a scan for values cannot tell them from the integers
#: everywhere in a process, so for them the order of events is checked instead: no oracle runs before the last
#: call of the student's function has returned (``test_whole_number_answers_are_computed_after_the_calls``).
WHOLE_NUMBERS = {"cnn_parameters": ("nnlab.checks.digits", "_torch_count"),
                 "confusion": ("sklearn.metrics", "confusion_matrix"),
                 "early_stopping": ("nnlab.checks.digits", "_stop_right"),
                 "output_size": ("nnlab.checks.convolution", "_windows")}


@pytest.mark.parametrize("check", sorted(WHOLE_NUMBERS))
def test_whole_number_answers_are_computed_after_the_calls(check, monkeypatch):
    import importlib

    module_name, oracle_name = WHOLE_NUMBERS[check]
    module = importlib.import_module(module_name)
    oracle, events = getattr(module, oracle_name), []

    def watched(*args, **kwargs):
        events.append("oracle")
        return oracle(*args, **kwargs)

    monkeypatch.setattr(module, oracle_name, watched)
    solve = right(check)

    def spy(*args):
        events.append("student")
        return solve(*args)

    assert registry.run_check(check, spy).passed
    assert "oracle" in events and events.count("student") == len(registry.CHECKS[check].cases(
        np.random.default_rng(0))), events
    assert events.index("oracle") > max(i for i, e in enumerate(events) if e == "student"), events


@pytest.mark.parametrize("check", [c for c in CHECKS if c not in WHOLE_NUMBERS])
def test_no_expected_value_is_reachable_during_the_call(check):
    solve = right(check)
    calls = []  # (args, what the call could reach, what it returned)

    def spy(*args):
        frame, frames = sys._getframe(1), []
        while frame is not None:
            if frame.f_globals.get("__name__", "").startswith("nnlab."):
                frames.append(frame)
            frame = frame.f_back
        reached = set()
        numbers((args, frames), reached, set())
        out = solve(*args)
        calls.append((args, reached, out))
        return out

    result = registry.run_check(check, spy)
    assert result.passed, result.messages
    own, checked = set(), 0
    numbers([args for args, _, _ in calls], own, set())  # every call's inputs are handed over in the end
    for k, (args, reached, out) in enumerate(calls):
        secrets = expected_values(check, args, _fresh_answer(check, args, k)) - own
        leaked = secrets & reached
        assert not leaked, f"{check}, call {k + 1}: {len(leaked)} expected values were within the student's reach"
        checked += len(secrets)
        numbers(out, own, set())  # the student's own answers, fed back in a chain, are no secret
    assert checked or check == "make_loader", check  # a loader's answer is an order: nothing to hide


def _fresh_answer(check, args, k):
    """The right answer for call ``k`` (on ``args``): the right solution's, on copies; for checks whose inputs
    are objects (torch's, or a function and a gradient), what the judge computes from the plain case data."""
    if check in ("make_loader", "train_epoch", "evaluate", "gradient_check"):
        return _judge_side(check, k)
    return right(check)(*[np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args])


def _judge_side(check, k):
    from nnlab.checks import autodiff, loops

    cases = registry.CHECKS[check].cases(np.random.default_rng(0))
    if check == "gradient_check":
        a, c, Q, scale, x, g1, g2 = cases[k // 2].args
        exact = autodiff._exact_gradient(a, c, Q, scale, x)
        return [exact, autodiff._relative(g1, exact), autodiff._relative(g2, exact), g1 - exact, g2 - exact]
    if check == "train_epoch":
        steps, final, epoch, _ = loops._replay(cases[k])
        return [steps, final, epoch]
    if check == "evaluate":
        return list(loops._eval_reference(cases[k])[:2])
    return []
