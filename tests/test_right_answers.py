"""Correct student solutions, in the idioms students bring, pass every exercise check in notebook mode.

``tests/right_answers.py`` holds the corpus: for each check, at least seven genuinely different right
solutions (a notebook cell each). Each is executed as a notebook would execute its cell, and the check must
pass it with full score, whatever seed the notebook checks draw their inputs from.
"""
import pathlib
import sys

import pytest

from nnlab.checks import registry

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from right_answers import EXERCISE, FUNCTION, RIGHT  # noqa: E402

PAIRS = [(check, idiom, source) for check in sorted(RIGHT) for idiom, source in RIGHT[check]]
SEEDS = (0, 1, 2)


def student_function(check, source):
    """Run the cell as a notebook does (a fresh namespace named __main__) and take the exercise's function."""
    ns = {"__name__": "__main__"}
    exec(compile(source, f"<{EXERCISE[check]}: {FUNCTION[check]}>", "exec"), ns)
    return ns[FUNCTION[check]]


def assert_passes(check, idiom, source):
    result = registry.run_check(check, student_function(check, source))
    messages = "\n  ".join(result.messages)
    assert result.passed and result.score == 1, \
        f"{check} refused the correct idiom {idiom!r} (score {result.score}):\n  {messages}"


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])
@pytest.mark.parametrize("check, idiom, source", PAIRS, ids=[f"{c}-{i}" for c, i, _ in PAIRS])
def test_right_answer_passes(check, idiom, source, seed, monkeypatch):
    monkeypatch.setattr(registry, "SEED", seed)
    assert_passes(check, idiom, source)


def test_every_check_has_its_corpus():
    checks = set(registry.CHECKS)
    assert set(RIGHT) == set(FUNCTION) == set(EXERCISE), (set(RIGHT) ^ set(FUNCTION)) | (set(RIGHT) ^ set(EXERCISE))
    assert checks <= set(RIGHT), f"checks without right answers: {sorted(checks - set(RIGHT))}"
    counts = {check: len(RIGHT[check]) for check in sorted(RIGHT)}
    assert all(n >= 7 for n in counts.values()), counts
    assert sum(counts.values()) >= 214, counts


def test_each_source_defines_its_function_and_only_one():
    for check, idiom, source in PAIRS:
        ns = {"__name__": "__main__"}
        exec(source, ns)
        assert callable(ns.get(FUNCTION[check])), (check, idiom)
        defined = [n for n, v in ns.items() if callable(v) and getattr(v, "__module__", None) == "__main__"
                   and not isinstance(v, type) and not n.isupper()]
        assert defined == [FUNCTION[check]], (check, idiom, defined)


@pytest.mark.slow
def test_right_answers_earn_full_marks_under_nnlab_grade(tmp_path):
    """The corpus graded as notebooks: for each exercise, the k-th idiom of every question in one notebook
    (the exercise's solution cells with those functions swapped in), through the sandbox; full marks each."""
    import nbformat

    from nnlab import authoring, grading

    limits = grading.Limits(wall=120, cpu=90, cell=30, call=5, memory=2**32)
    subs = tmp_path / "subs"
    subs.mkdir()
    by_exercise = {}
    for check in RIGHT:
        by_exercise.setdefault(EXERCISE[check], []).append(check)
    graded = 0
    for exercise, checks in sorted(by_exercise.items()):
        assignment = grading.load_assignment(exercise)
        solution = authoring.exercise_cells(exercise, solution=True)
        paths = []
        for k in range(max(len(RIGHT[c]) for c in checks)):
            cells = list(solution)
            for check in checks:
                idiom, source = RIGHT[check][k % len(RIGHT[check])]
                at = next(i for i, (kind, s) in enumerate(cells) if kind == "code" and f"def {FUNCTION[check]}(" in s)
                cells.insert(at + 1, ("code", source))  # the idiom's definition replaces the solution's
            path = subs / f"{exercise}-{k}.ipynb"
            path.write_text(nbformat.writes(authoring.to_notebook(cells)), encoding="utf-8")
            paths.append((f"{exercise}-{k}", path))
        for row in grading.grade(paths, assignment, jobs=2, limits=limits, hide=[subs]):
            assert row.status == "ok", (row.student, row.message)
            for q in assignment.questions:
                assert row.scores[q.check] == q.points, (row.student, q.check, row.feedback[q.check])
            graded += 1
    assert graded >= 50
