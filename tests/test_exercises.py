"""Exercise notebooks: the solution version passes every check; the student version fails each one cleanly."""
import json

import nbformat
import pytest
from nbclient import NotebookClient

from nnlab import authoring

pytestmark = pytest.mark.notebooks


def _run(cells):
    nb = authoring.to_notebook(cells)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(authoring.EXERCISE_NOTEBOOKS)}}).execute()
    return nb


def _check_reports(nb):
    reports = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", out.get("evalue")
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), out["text"]
            html = out.get("data", {}).get("text/html", "")
            if "nnlab-check" in html:
                reports.append(out["data"]["text/plain"])
    return reports


@pytest.mark.parametrize("name", authoring.exercises())
def test_solution_version_passes_every_check(name):
    reports = _check_reports(_run(authoring.exercise_cells(name, solution=True)))
    assert reports and all(": passed" in r for r in reports), reports


@pytest.mark.parametrize("name", authoring.exercises())
def test_student_version_fails_every_check_cleanly(name):
    nb = nbformat.reads((authoring.EXERCISE_NOTEBOOKS / f"{name}.ipynb").read_text(), as_version=4)
    assert [(c.cell_type, c.source) for c in nb.cells] == authoring.exercise_cells(name, solution=False), \
        "rebuild with `python -m nnlab assign`"
    assert "BEGIN SOLUTION" not in json.dumps(nb) and "np.exp(-np.abs(z))" not in json.dumps(nb)
    reports = _check_reports(_run([(c.cell_type, c.source) for c in nb.cells]))
    assert reports and all(": not yet (score 0.00)" in r and "NotImplementedError" in r for r in reports), reports


def test_strip_solutions_keeps_indentation_and_rejects_broken_markers():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\nf(1)"
    assert authoring.strip_solutions(src) == ('def f(x):\n    raise NotImplementedError("write your solution here")'
                                              '\n\nf(1)')
    with pytest.raises(ValueError, match="without"):
        authoring.strip_solutions("### BEGIN SOLUTION\nx = 1")
