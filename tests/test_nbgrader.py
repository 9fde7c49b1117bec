"""nbgrader 0.9 grades with an nnlab check: a real course folder, nbgrader's own commands, two students.

The source notebook has an nbgrader solution cell (``my_sigmoid``) and a read-only autograded test cell
worth 2 points that calls ``check.sigmoid(my_sigmoid, strict=True)``. ``generate_assignment`` strips
the solution, alice submits a stable sigmoid, bob submits ``1 / (1 + np.exp(z))``; ``autograde`` must
give alice 2/2 and bob 0/2 in nbgrader's gradebook, and ``generate_feedback`` must show bob the nnlab
diagnosis (sigma(-z), check the sign) as the AssertionError. Then ``nnlab grade`` grades the same
``submitted/`` folder with the release notebook as the assignment and must agree.
"""
import csv
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.packaging

pytest.importorskip("nbgrader")

ASSIGNMENT = "ps1"
POINTS = 2
GOOD = ("def my_sigmoid(z):\n"
        "    e = np.exp(-np.abs(z))\n"
        "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n")
WRONG = ("def my_sigmoid(z):\n"
         "    return 1 / (1 + np.exp(z))\n")
DIAGNOSIS = ("on small values, on a vector, on large values: you computed 1 / (1 + e^z), "
             "which is sigma(-z): check the sign of z")
TEST_SOURCE = f"from nnlab import check\ncheck.sigmoid(my_sigmoid, strict=True, points={POINTS})"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def nbgrader_meta(grade_id, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "solution": solution, "locked": locked, "schema_version": 3, "grade_id": grade_id}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook():
    C = nbformat.v4
    nb = C.new_notebook(metadata={"kernelspec": {"display_name": "Python 3", "language": "python",
                                                 "name": "python3"},
                                  "language_info": {"name": "python"}})
    nb.cells = [
        C.new_markdown_cell("Write a sigmoid that does not overflow for |z| up to 1000.",
                            metadata=nbgrader_meta("intro", locked=True)),
        C.new_code_cell("import numpy as np\n\n"
                        "def my_sigmoid(z):\n"
                        "    ### BEGIN SOLUTION\n"
                        "    e = np.exp(-np.abs(z))\n"
                        "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n"
                        "    ### END SOLUTION",
                        metadata=nbgrader_meta("sigmoid_solution", solution=True)),
        C.new_code_cell(TEST_SOURCE, metadata=nbgrader_meta("test_sigmoid", grade=True, locked=True,
                                                            points=POINTS)),
    ]
    return nb


def nbgrader(course, *args, timeout=120):
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                         timeout=timeout)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}"
    return run


def solution_cell(nb):
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    return cell


def test_nbgrader_autogrades_and_gives_feedback_with_an_nnlab_check(tmp_path, monkeypatch):
    # nbgrader's Gradebook runs the `alembic` command found on PATH: without an activated venv it is not there
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.course_id = 'nnlab'\n")
    nbformat.write(source_notebook(), course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")

    # the student version: solution stripped, the check cell kept (read-only, with its points)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    stub = solution_cell(release).source
    assert "raise NotImplementedError" in stub and "np.abs" not in stub and "def my_sigmoid(z):" in stub
    (test_cell,) = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert test_cell.source == TEST_SOURCE
    assert test_cell.metadata["nbgrader"]["locked"] and test_cell.metadata["nbgrader"]["points"] == POINTS

    # two submissions written from the release version
    for student, body in (("alice", GOOD), ("bob", WRONG)):
        nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
        solution_cell(nb).source = "import numpy as np\n\n" + body
        d = course / "submitted" / student / ASSIGNMENT
        d.mkdir(parents=True)
        nbformat.write(nb, d / f"{ASSIGNMENT}.ipynb")
        (d / "timestamp.txt").write_text("2026-01-15 12:00:00.000000 UTC")

    nbgrader(course, "autograde", ASSIGNMENT, "--create")  # --create: add the students to the gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: (gb.find_submission(ASSIGNMENT, s).score, gb.find_submission(ASSIGNMENT, s).max_score)
                  for s in ("alice", "bob")}
        cell = {s: gb.find_grade("test_sigmoid", ASSIGNMENT, ASSIGNMENT, s).auto_score for s in ("alice", "bob")}
    assert scores == {"alice": (POINTS, POINTS), "bob": (0, POINTS)}
    assert cell == {"alice": POINTS, "bob": 0}

    # the autograded notebooks: alice's check cell shows the passed check, bob's raised the diagnosis
    def graded_cell(student):
        nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
        (c,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_sigmoid"]
        return c

    (err,) = [o for o in graded_cell("bob").outputs if o.output_type == "error"]
    assert err.ename == "AssertionError" and err.evalue.splitlines()[0] == DIAGNOSIS
    assert ANSI.sub("", err.traceback[-1]) == f"AssertionError: {DIAGNOSIS}"
    good_out = graded_cell("alice").outputs
    assert not [o for o in good_out if o.output_type == "error"]
    assert "sigmoid: passed" in json.dumps([o.get("data", {}).get("text/plain", "") for o in good_out])

    # the feedback bob gets shows the nnlab diagnosis and his 0 points
    nbgrader(course, "generate_feedback", ASSIGNMENT)

    def feedback_text(student):
        page = (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
        return html.unescape(re.sub(r"<[^>]+>", "", page))

    text = feedback_text("bob")
    assert "AssertionError" in text and DIAGNOSIS in text, text[-3000:]
    assert re.search(rf"Score:\s*0(\.0)?\s*/\s*{POINTS}(\.0)?\b", text), "bob's feedback should show 0 / 2"
    good_text = feedback_text("alice")
    assert "AssertionError" not in good_text and "sigmoid: passed" in good_text
    assert re.search(rf"Score:\s*{POINTS}(\.0)?\s*/\s*{POINTS}(\.0)?\b", good_text)

    # nnlab's own grader reads nbgrader's submitted/ folder, graded with the release notebook's checks.
    # --out lies in a sibling folder of the course, not in the course folder that holds submitted/.
    out = tmp_path / "nnlab_out" / "gradebook.csv"
    run = subprocess.run([sys.executable, "-m", "nnlab", "grade", str(course / "submitted"), "--assignment",
                          str(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), "--out", str(out),
                          "--gradescope", str(tmp_path / "nnlab_out" / "results"), "--jobs", "2"],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    rows = {r["student"]: r for r in csv.DictReader(out.open())}
    assert sorted(rows) == ["alice", "bob"]
    assert (rows["alice"]["sigmoid"], rows["alice"]["total"], rows["alice"]["max"], rows["alice"]["status"]) == \
        (str(float(POINTS)), str(float(POINTS)), str(float(POINTS)), "ok")
    assert (float(rows["bob"]["total"]), rows["bob"]["max"], rows["bob"]["status"]) == (0.0, str(float(POINTS)), "ok")
    (test,) = json.loads((tmp_path / "nnlab_out" / "results" / "bob" / "results.json").read_text())["tests"]
    assert test["score"] == 0 and DIAGNOSIS in test["output"]
