"""nnlab grade: real sandboxed runs of good, stub and hostile submissions of the forward/backprop exercise.

Each hostile notebook is the student version (stubs, so it has earned nothing) plus one attack; each must
end with the right status and a total of 0. The oracle for "earned" is the solution version (full marks).
"""
import csv
import json
import tempfile
import os
import subprocess
import sys
import textwrap

import nbformat
import pytest

from nnlab import authoring, grading
from nnlab.grading.protections import hideable

EXERCISE = "e02_forward_and_backprop"
ASSIGNMENT = grading.load_assignment(EXERCISE)
FAST = grading.Limits(wall=30, cpu=20, cell=6, call=1, memory=2**30)


def notebook(path, solution=False, extra=(), before=()):
    cells = list(before) + authoring.exercise_cells(EXERCISE, solution) + [("code", textwrap.dedent(c)) for c in extra]
    path.write_text(nbformat.writes(authoring.to_notebook(cells)), encoding="utf-8")
    return path


def grade_one(tmp_path, name="student", **kw):
    subs = tmp_path / "submitted"
    subs.mkdir(exist_ok=True)
    notebook(subs / f"{name}.ipynb", **kw)
    (row,) = grading.grade([(name, subs / f"{name}.ipynb")], ASSIGNMENT, jobs=1, limits=FAST, hide=[subs])
    return row


def total(row):
    return sum(row.scores.values())


def test_the_assignment_is_read_from_the_exercise_source():
    assert [(q.check, q.function, q.points) for q in ASSIGNMENT.questions] == [
        ("sigmoid", "my_sigmoid", 1.0), ("forward", "my_forward", 1.0), ("backprop", "my_backprop", 1.0)]
    a = grading.assignment_from_cells("x", ["check.backprop(f, points=3)\ncheck.sigmoid(g)", "check.nothing(h)"])
    assert [(q.check, q.function, q.points) for q in a.questions] == [("backprop", "f", 3.0), ("sigmoid", "g", 1.0)]
    with pytest.raises(ValueError, match="assignment: .* no check"):
        grading.assignment_from_cells("x", ["print(1)"])
    with pytest.raises(ValueError, match="assignment: expected an exercise name"):
        grading.load_assignment("no_such_exercise")


def test_submissions_in_a_folder_and_in_nbgrader_layout(tmp_path):
    for student in ("ana", "bo"):
        d = tmp_path / "course" / "submitted" / student / "ps1"
        d.mkdir(parents=True)
        (d / "ps1.ipynb").write_text("{}")
    (tmp_path / "course" / "submitted" / "bo" / "ps1" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "course" / "submitted" / "bo" / "ps1" / ".ipynb_checkpoints" / "ps1-checkpoint.ipynb").write_text("{}")
    assert [s for s, _ in grading.find_submissions(tmp_path / "course")] == ["ana", "bo"]
    assert [s for s, _ in grading.find_submissions(tmp_path / "course" / "submitted")] == ["ana", "bo"]
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "carl.ipynb").write_text("{}")
    assert grading.find_submissions(flat) == [("carl", flat / "carl.ipynb")]
    with pytest.raises(ValueError, match="submissions: expected a folder"):
        grading.find_submissions(tmp_path / "missing")


def test_solution_earns_everything_and_stub_nothing(tmp_path):
    good = grade_one(tmp_path, "good", solution=True)
    assert (good.status, total(good)) == ("ok", 3.0), good
    stub = grade_one(tmp_path, "stub")
    assert total(stub) == 0 and "NotImplementedError" in stub.feedback["backprop"][0]


def test_a_partly_wrong_backprop_gets_partial_feedback_not_full_marks(tmp_path):
    row = grade_one(tmp_path, solution=True, extra=["""
        _right = my_backprop
        def my_backprop(*a):
            dW1, db1, dW2, db2 = _right(*a)
            return dW1 / a[0].shape[0], db1, dW2, db2
    """])
    assert row.status == "ok" and row.scores["backprop"] == 0 and row.scores["forward"] == 1
    assert "1/N" in " ".join(row.feedback["backprop"])


HOSTILE = {
    "infinite loop in a cell": (["while True:\n    pass"], "timeout"),
    "infinite loop that ignores the alarm": (["import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                              "while True:\n    pass"], "timeout"),
    "infinite loop in the graded function": (["def my_sigmoid(z):\n    while True:\n        pass"], "timeout"),
    "memory bomb": (["blocks = []\nwhile True:\n    blocks.append(bytearray(10**8))"], "memory"),
    "os._exit": (["import os\nos._exit(0)"], "error"),
    "sys.exit": (["import sys\nsys.exit(1)"], "error"),
    "segfault": (["import ctypes\nctypes.string_at(0)"], "error"),
    "no functions at all": (["del my_sigmoid, my_forward, my_backprop"], "missing function"),
}


@pytest.mark.slow
@pytest.mark.parametrize("attack", HOSTILE)
def test_hostile_submission_gets_its_status_and_no_score(tmp_path, attack):
    extra, status = HOSTILE[attack]
    row = grade_one(tmp_path, extra=extra)
    assert row.status == status, (row.status, row.message)
    assert total(row) == 0 and row.message


@pytest.mark.slow
def test_fork_bomb_is_contained(tmp_path, monkeypatch):
    prot = grading.protections()
    if os.geteuid() == 0 and not prot.cgroup_root and not prot.drop_uid:
        pytest.skip("no process limit applies to root on this machine: not safe to run")
    made, mkdtemp = [], tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **k: made.append(mkdtemp(*a, **k)) or made[-1])
    row = grade_one(tmp_path, extra=["import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
                                     "        pass"])
    assert row.status == "timeout" and total(row) == 0
    assert made    # this run's sandbox folder: its processes (and only its: other tests may grade meanwhile)
    left = [pid for d in made for pid in subprocess.run(["pgrep", "-f", f"nnlab.grading.sandbox {d}"],
                                                        capture_output=True, text=True).stdout.split()]
    assert not left, "sandbox processes survived the run"


def test_cheating_in_the_sandbox_gains_nothing(tmp_path):
    """Wrong answers plus every patch we can think of: numpy's comparisons, the checks' judges and
    results, the result writer. The judging happens in the grader's process, so the score stays 0."""
    row = grade_one(tmp_path, extra=["""
        import numpy as np
        from nnlab import check
        def my_sigmoid(z):
            return np.zeros_like(z)
        np.allclose = np.array_equal = lambda *a, **k: True
        for spec in check.CHECKS.values():
            spec.judge = lambda cases, outcomes: []
        check.CheckResult.passed = True
        from nnlab.checks import registry
        registry._result = lambda *a, **k: check.CheckResult("x", True, 1.0, [])
    """])
    assert total(row) == 0 and row.status == "ok"
    assert "expected" in " ".join(row.feedback["sigmoid"])
    forged = grade_one(tmp_path, "forger", extra=["""
        import numpy as np, json
        _savez = np.savez
        def savez(path, **arrays):
            _savez(path, skeleton=np.array(json.dumps({"score": 3, "questions": "all passed"})))
        np.savez = savez
    """])
    assert forged.status == "ok" and total(forged) == 0, "the sandbox wrote its results with the real np.savez"
    assert "NotImplementedError" in forged.feedback["backprop"][0]
    racer = grade_one(tmp_path, "racer", extra=["""
        import threading, numpy as np
        def forge():
            while True:
                with open("result.npz", "wb") as fh:
                    fh.write(b"PK not a zip")
        threading.Thread(target=forge, daemon=True).start()
    """])
    assert total(racer) == 0 and racer.status in ("ok", "error")


def test_patching_the_sandbox_tools_changes_only_the_students_answers(tmp_path):
    """The sandbox reports with tools bound before student code ran: replacing nnlab.check's functions, numpy's
    writer, json and builtins in a cell leaves a correct submission its full marks, and a stub its zero."""
    patches = """
        import builtins, json, types, numpy as np
        from nnlab import check
        from nnlab.checks import harness, registry, wire
        from nnlab.grading import sandbox
        for module in (check, harness, registry, wire):
            for name in [n for n in vars(module) if callable(getattr(module, n)) and not n.startswith("__")]:
                setattr(module, name, types.SimpleNamespace())
        registry.CHECKS.clear()
        np.savez = types.SimpleNamespace()
        json.dumps = lambda *a, **k: "{}"
        builtins.isinstance = lambda *a: False
        sandbox.bind_tools = None
    """
    good = grade_one(tmp_path, "good", solution=True, extra=[patches])
    assert (good.status, total(good), good.message) == ("ok", 3.0, ""), good
    stub = grade_one(tmp_path, "stub", extra=[patches])
    assert total(stub) == 0 and "NotImplementedError" in stub.feedback["sigmoid"][0]


def test_printing_megabytes_is_harmless(tmp_path):
    row = grade_one(tmp_path, solution=True, extra=["print('x' * 50_000_000)\nimport os\nos.write(1, b'y' * 10**7)"])
    assert (row.status, total(row)) == ("ok", 3.0) and len(row.message) < 1000


def test_grading_files_cannot_be_read_or_changed(tmp_path):
    prot = grading.protections()
    if not prot.prefix:
        pytest.skip("no namespaces here: folders are not hidden")
    subs = tmp_path / "submitted"
    subs.mkdir()
    other = notebook(subs / "other.ipynb", solution=True)
    before = other.read_bytes()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.txt").write_text("original")
    row = grade_one(tmp_path, "thief", extra=[f"""
        import shutil
        stolen = open({str(other)!r}).read()       # another student's notebook: hidden
    """, f"""
        open({str(other)!r}, "w").write("{{}}")   # overwrite it
    """, f"""
        open({str(outside / 'keep.txt')!r}, "w").write("changed")   # anywhere else: read-only
    """])
    assert row.status == "error" and total(row) == 0
    assert other.read_bytes() == before and (outside / "keep.txt").read_text() == "original"
    assert "FileNotFoundError" in row.message or "Read-only" in row.message


def test_a_file_that_is_not_a_notebook(tmp_path):
    bad = tmp_path / "broken.ipynb"
    bad.write_text('{"cells": [')
    (row,) = grading.grade([("broken", bad)], ASSIGNMENT, jobs=1, limits=FAST)
    assert row.status == "error" and "not a readable notebook" in row.message and total(row) == 0


@pytest.mark.slow
def test_command_line_writes_gradebook_and_gradescope_results_and_reruns_the_same(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    notebook(subs / "good.ipynb", solution=True)
    notebook(subs / "stub.ipynb")
    (subs / "junk.ipynb").write_text("not json")
    out = tmp_path / "out" / "grades.csv"
    cmd = [sys.executable, "-m", "nnlab", "grade", str(subs), "--assignment", EXERCISE, "--out", str(out),
           "--gradescope", str(tmp_path / "gs"), "--jobs", "2"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    rows = list(csv.DictReader(out.open()))
    assert [(r["student"], r["total"], r["status"]) for r in rows] == [
        ("good", "3.0", "ok"), ("junk", "0.0", "error"), ("stub", "0.0", "ok")]
    assert list(rows[0])[:7] == ["student", "sigmoid", "forward", "backprop", "total", "max", "status"]
    results = json.loads((tmp_path / "gs" / "stub" / "results.json").read_text())
    assert results["score"] == 0 and len(results["tests"]) == 3
    assert set(results["tests"][0]) == {"name", "score", "max_score", "status", "output", "visibility"}
    assert "NotImplementedError" in results["tests"][2]["output"]
    subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
    again = list(csv.DictReader(out.open()))
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in again] == \
        [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    bad = subprocess.run([sys.executable, "-m", "nnlab", "grade", str(subs), "--assignment", "nope"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "assignment: expected an exercise name" in bad.stderr


@pytest.mark.packaging
def test_checks_exported_for_otter_grader_work_in_grader_check(tmp_path, monkeypatch):
    otter = pytest.importorskip("otter")
    import numpy as np

    monkeypatch.chdir(tmp_path)
    paths = grading.export_otter(ASSIGNMENT, tmp_path / "tests")
    assert [p.name for p in paths] == ["sigmoid.py", "forward.py", "backprop.py"]
    assert "OK_FORMAT = False" in paths[0].read_text()
    grader = otter.Notebook(tests_dir=str(tmp_path / "tests"))

    def good(z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    assert grader.check("sigmoid", global_env={"my_sigmoid": good}).grade == 1
    wrong = grader.check("sigmoid", global_env={"my_sigmoid": lambda z: 1 / (1 + np.exp(z))})
    assert wrong.grade == 0 and "sigma(-z)" in repr(wrong)
    # otter generate and otter run with these files: the README's otter commands in tests/test_readme.py


def test_no_network_in_the_sandbox(tmp_path):
    import socket

    if not grading.protections().prefix:
        pytest.skip("no network namespace here")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    row = grade_one(tmp_path, extra=[f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)"])
    with pytest.raises(socket.timeout):
        server.accept()  # nothing arrived
    server.close()
    assert row.status == "error" and "Error" in row.message and total(row) == 0


@pytest.mark.packaging
def test_nnlab_checks_in_an_otter_assign_master_notebook(tmp_path, monkeypatch):
    """otter assign keeps an nnlab check as the question's test and gives students grader.check(...)."""
    otter = pytest.importorskip("otter")
    import numpy as np

    C = nbformat.v4
    master = C.new_notebook(metadata={"kernelspec": {"display_name": "Python 3", "language": "python",
                                                     "name": "python3"}})
    master.cells = [
        C.new_raw_cell("# ASSIGNMENT CONFIG\ntests:\n  ok_format: false\nexport_cell: false\ngenerate: false\n"
                       "init_cell: false\ncheck_all_cell: false\nrun_tests: false"),
        C.new_code_cell("import numpy as np\nfrom nnlab import check"),
        C.new_raw_cell("# BEGIN QUESTION\nname: sigmoid\npoints: 1"),
        C.new_markdown_cell("Write a stable sigmoid."),
        C.new_raw_cell("# BEGIN SOLUTION"),
        C.new_code_cell("def my_sigmoid(z):\n    # BEGIN SOLUTION\n    e = np.exp(-np.abs(z))\n"
                        "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n    # END SOLUTION"),
        C.new_raw_cell("# END SOLUTION"),
        C.new_raw_cell("# BEGIN TESTS"),
        C.new_code_cell("def test_sigmoid(my_sigmoid):\n    from nnlab import check\n"
                        "    check.sigmoid(my_sigmoid, strict=True)"),
        C.new_raw_cell("# END TESTS"),
        C.new_raw_cell("# END QUESTION"),
    ]
    (tmp_path / "master.ipynb").write_text(nbformat.writes(master))
    subprocess.run([sys.executable, "-m", "otter", "assign", "master.ipynb", "dist"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=300)
    student = json.dumps(json.loads((tmp_path / "dist" / "student" / "master.ipynb").read_text())["cells"])
    assert 'grader.check(\\"sigmoid\\")' in student and "np.abs" not in student
    tests = json.loads((tmp_path / "dist" / "autograder" / "master.ipynb").read_text())["metadata"]["otter"]["tests"]
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "sigmoid.py").write_text(tests["sigmoid"])
    monkeypatch.chdir(tmp_path)
    grader = otter.Notebook(tests_dir="tests")
    assert grader.check("sigmoid", global_env={"my_sigmoid": lambda z: 0.5 * (1 + np.tanh(0.5 * z))}).grade == 1
    wrong = grader.check("sigmoid", global_env={"my_sigmoid": lambda z: 1 / (1 + np.exp(z))})
    assert wrong.grade == 0 and "sigma(-z)" in repr(wrong)


def test_only_the_outermost_of_nested_equal_or_overlapping_paths_is_hidden(tmp_path):
    course = tmp_path / "course"
    (course / "subs" / "deeper").mkdir(parents=True)
    (course / "results").mkdir()
    (course / "gradebook.csv").write_text("old grades")
    other = tmp_path / "other"
    other.mkdir()
    (other / "grades.csv").write_text("old grades")
    c = str(course)
    assert hideable([course / "subs", course, course / "gradebook.csv", course / "results"]) == [c]
    assert hideable([course / "subs", course / "subs", course / "subs" / "deeper"]) == [c + "/subs"]
    assert hideable([course / "subs" / "..", course / "subs"]) == [c]
    assert hideable([course / "subs", other / "grades.csv", other / "missing.csv"]) == \
        [c + "/subs", str(other / "grades.csv")]
    import sys as _sys
    assert hideable([_sys.prefix, tempfile.gettempdir(), "/"]) == []


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["subs inside the output folder", "output inside the submissions folder",
                                    "the same folder", "apart"])
def test_grading_works_in_every_arrangement_of_folders(tmp_path, layout):
    course = tmp_path / "course"
    subs = {"subs inside the output folder": course / "subs", "output inside the submissions folder": course,
            "the same folder": course, "apart": tmp_path / "subs"}[layout]
    out = {"output inside the submissions folder": course / "out" / "grades.csv"}.get(layout, course / "grades.csv")
    subs.mkdir(parents=True)
    notebook(subs / "good.ipynb", solution=True)
    cmd = [sys.executable, "-m", "nnlab", "grade", str(subs), "--assignment", EXERCISE, "--out", str(out),
           "--gradescope", str(course / "gs"), "--jobs", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open()))
    assert [(r["student"], r["total"], r["status"]) for r in rows] == [("good", "3.0", "ok")], done.stderr


SABOTAGE = """
import sys
from nnlab import grading
from nnlab.__main__ import main
{patch}
sys.exit(main(sys.argv[1:]))
"""


def test_a_sandbox_that_cannot_start_stops_the_run_before_any_grading(tmp_path):
    if not grading.protections().prefix:
        pytest.skip("no namespaces here: nothing is mounted")
    subs = tmp_path / "subs"
    subs.mkdir()
    notebook(subs / "good.ipynb", solution=True)
    out = tmp_path / "gradebook.csv"
    patch = "grading.run.hideable = lambda paths: ['/nonexistent/hide/me']"
    done = subprocess.run([sys.executable, "-c", SABOTAGE.format(patch=patch), "grade", str(subs), "--assignment",
                           EXERCISE, "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == grading.EXIT_GRADER_ERROR, done.stderr
    assert "pre-flight" in done.stderr and "not of any student" in done.stderr and "/nonexistent/hide/me" in done.stderr
    assert not out.exists()


@pytest.mark.slow
def test_a_sandbox_failure_after_the_preflight_is_a_grader_error_never_the_students(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    notebook(subs / "good.ipynb", solution=True)
    out = tmp_path / "gradebook.csv"
    patch = ("_preflight = grading.preflight\n"
             "def preflight(*a, **k):\n"
             "    result = _preflight(*a, **k)\n"
             "    sys.executable = '/nonexistent/python'\n"
             "    return result\n"
             "grading.cli.preflight = preflight")
    done = subprocess.run([sys.executable, "-c", SABOTAGE.format(patch=patch), "grade", str(subs), "--assignment",
                           EXERCISE, "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == grading.EXIT_GRADER_ERROR, done.stderr
    (row,) = csv.DictReader(out.open())
    assert row["status"] == "grader error" and "/nonexistent/python" in row["message"], row
    assert "must be graded again" in done.stderr


def test_setup_failures_in_the_sandbox_are_the_graders(tmp_path, monkeypatch):
    """A sandbox that dies before it says "ready" (here: a hidden path that cannot be mounted) is a grader
    error, whatever it printed."""
    if not grading.protections().prefix:
        pytest.skip("no namespaces here: nothing is mounted")
    subs = tmp_path / "subs"
    subs.mkdir()
    notebook(subs / "s.ipynb", solution=True)
    monkeypatch.setattr(grading.run, "hideable", lambda paths: ["/nonexistent/hide/me"])
    (row,) = grading.grade([("s", subs / "s.ipynb")], ASSIGNMENT, jobs=1, limits=FAST, hide=[subs])
    assert row.status == "grader error" and "mount /nonexistent/hide/me" in row.message and total(row) == 0


def test_statuses_and_scores_come_from_kinds_never_from_wording():
    """Reword every message (the student-code failures in the outcomes and the judges' problems): the same
    functions get the same scores, and runs get the same statuses."""
    import numpy as np

    from nnlab import check

    candidates = [lambda *a: None, lambda *a: 1 / 0, lambda *a: a[0], lambda *a: (a[0], a[0]),
                  lambda *a: (_ for _ in ()).throw(NotImplementedError())]
    for name, spec in check.CHECKS.items():
        cases = spec.cases(np.random.default_rng(3))
        for f in candidates:
            outcomes = spec.run(f, cases)
            plain = spec.result(cases, outcomes)
            reworded = [check.Outcome(o.value, o.error and "zzz", o.warnings, o.mutated, o.record, o.kind)
                        for o in outcomes]
            judge = spec.judge
            spec_reworded = check.Spec(name, spec.title, spec.cases, lambda c, o: [
                check.Problem(p.case, p.kind, f"reworded {i}") for i, p in enumerate(judge(c, o))], total=spec.total)
            again = spec_reworded.result(cases, reworded)
            assert (again.score, again.passed) == (plain.score, plain.passed), (name, plain, again)
            assert [p.kind for p in again.problems] == [p.kind for p in plain.problems]
    P = check.Problem
    for failures, missing, status in [
            ([P("cell 2", check.RAISED, "a"), P("my_f", check.TIMEOUT, "b")], [], "timeout"),
            ([P("cell 1", check.MEMORY, "did not return within 1 s")], ["f"], "memory"),
            ([P("cell 1", check.RAISED, "out of memory")], ["f"], "missing function"),
            ([P("cell 1", check.RAISED, "did not return within")], [], "error"),
            ([], [], "ok")]:
        assert grading.status_of(failures, missing)[0] == status


def test_the_gradebook_says_why_a_question_lost_points():
    """A TA grading at midnight reads the diagnosis in gradebook.csv's message column, not only in results.json."""
    import csv

    from nnlab.grading.assignment import Assignment, Question
    from nnlab.grading.reports import write_gradebook
    from nnlab.grading.run import Row

    assignment = Assignment("e", [Question("sigmoid", "my_sigmoid"), Question("backprop", "my_backprop", 3.0)])
    rows = [Row("ann", "ann.ipynb", scores={"sigmoid": 1.0, "backprop": 3.0},
                feedback={"sigmoid": ["all tests agree with the oracle"], "backprop": ["all tests agree"]}),
            Row("ben", "ben.ipynb", status="error", message="cell 4: NameError: name 'x' is not defined (line 2)",
                scores={"sigmoid": 0.5, "backprop": 0.0},
                feedback={"sigmoid": ["on large values: overflow in exp: use the stable form", "more"],
                          "backprop": ["test 1: dW1 is 1/N of the right one", "other"]})]
    import tempfile
    from pathlib import Path

    path = write_gradebook(rows, assignment, Path(tempfile.mkdtemp()) / "gradebook.csv")
    got = {r["student"]: r["message"] for r in csv.DictReader(path.open())}
    assert got["ann"] == ""
    assert got["ben"] == ("cell 4: NameError: name 'x' is not defined (line 2) | sigmoid: on large values: overflow "
                          "in exp: use the stable form | backprop: test 1: dW1 is 1/N of the right one")
