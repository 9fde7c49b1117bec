"""``nnlab course``, ``nnlab build --out`` and ``nnlab assign --out``, run in the checkout (``test_wheel.py``
runs them from an installed wheel): the course a student gets is the committed notebooks without outputs and
the committed student versions, with no solution in them; a non-empty folder is refused without --force."""
import json
from pathlib import Path

import pytest

from nnlab import authoring
from nnlab.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


def solution_lines(name):
    """The lines of the exercise's solutions that occur nowhere else in its source (stripped, non-blank)."""
    inside, outside, solving = set(), set(), False
    for line in authoring.exercise_source(name).read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if s in (authoring.BEGIN, authoring.END):
            solving = s == authoring.BEGIN
        elif s:
            (inside if solving else outside).add(s)
    return inside - outside


def leaks(notebook_text, name):
    """What a notebook shows of the exercise's solutions: solution lines and markers."""
    shown = {line.strip() for c in json.loads(notebook_text)["cells"] for line in "".join(c["source"]).splitlines()}
    return sorted(shown & solution_lines(name)) + [m for m in ("BEGIN SOLUTION", "END SOLUTION") if m in notebook_text]


def check_course(dest):
    """``dest`` holds the course as a student gets it, and nothing else."""
    dest = Path(dest)
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()) == sorted(
        [f"{n}.ipynb" for n in authoring.sources()] + [f"exercises/{n}.ipynb" for n in authoring.exercises()])
    for name in authoring.sources():  # the committed lecture, not run
        mine, committed = (json.loads(p.read_text()) for p in (dest / f"{name}.ipynb",
                                                                ROOT / "notebooks" / f"{name}.ipynb"))
        assert [(c["id"], c["cell_type"], "".join(c["source"])) for c in mine["cells"]] == \
            [(c["id"], c["cell_type"], "".join(c["source"])) for c in committed["cells"]]
        assert mine["metadata"]["kernelspec"] == committed["metadata"]["kernelspec"]
        assert not any(c.get("outputs") for c in mine["cells"])
    for name in authoring.exercises():  # the committed student version, byte for byte
        text = (dest / "exercises" / f"{name}.ipynb").read_text()
        assert text == (ROOT / "notebooks" / "exercises" / f"{name}.ipynb").read_text()
        assert solution_lines(name), f"{name}: the test would pass vacuously"
        assert not leaks(text, name), f"{name} shows its solution: {leaks(text, name)}"


def test_course_writes_the_lectures_and_the_student_exercises(tmp_path, capsys):
    assert main(["course", str(tmp_path / "my course")]) == 0
    check_course(tmp_path / "my course")
    assert "jupyter lab" in capsys.readouterr().out


def test_course_refuses_a_folder_that_is_not_empty_without_force(tmp_path, capsys):
    dest = tmp_path / "course"
    dest.mkdir()
    (dest / "notes.md").write_text("mine")
    with pytest.raises(SystemExit):
        main(["course", str(dest)])
    err = capsys.readouterr().err
    assert "DEST: expected a new or empty folder" in err and "notes.md" in err and "--force" in err
    assert [p.name for p in dest.iterdir()] == ["notes.md"]
    assert main(["course", str(dest), "--force"]) == 0
    assert (dest / "notes.md").read_text() == "mine" and (dest / "exercises" / "e01_perceptron.ipynb").exists()
    (dest / "notes.md").unlink()
    check_course(dest)
    with pytest.raises(SystemExit):
        main(["course", str(dest / "00_start_here.ipynb")])
    assert "DEST: expected a folder for the course" in capsys.readouterr().err


def test_build_and_assign_write_into_out(tmp_path):
    assert main(["build", "--no-execute", "--out", str(tmp_path / "built"), "00_start_here"]) == 0
    built = json.loads((tmp_path / "built" / "00_start_here.ipynb").read_text())
    assert ["".join(c["source"]) for c in built["cells"]] == [s for _, s in authoring.lecture_cells("00_start_here")]
    assert main(["assign", "--out", str(tmp_path / "handout"), "e01_perceptron"]) == 0
    assert (tmp_path / "handout" / "e01_perceptron.ipynb").read_bytes() == \
        (ROOT / "notebooks" / "exercises" / "e01_perceptron.ipynb").read_bytes()


def test_installed_build_needs_out_and_assign_writes_here(tmp_path, monkeypatch, capsys):
    """Without a checkout (as from a wheel: tested for real in test_wheel.py)."""
    monkeypatch.setattr(authoring, "NOTEBOOKS", None)
    monkeypatch.setattr(authoring, "EXERCISE_NOTEBOOKS", None)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(["build", "--no-execute", "00_start_here"])
    assert "--out: nnlab is installed" in capsys.readouterr().err and not list(tmp_path.iterdir())
    assert main(["assign", "e01_perceptron"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["e01_perceptron.ipynb"]


def test_assign_from_a_folder_outside_the_clone_writes_there_not_into_the_clone(tmp_path):
    """An instructor in a course folder beside the clone runs the clone's nnlab: the notebook lands in the course
    folder, and the clone's own student version is left alone."""
    import subprocess
    import sys

    from nnlab import authoring

    committed = authoring.EXERCISE_NOTEBOOKS / "e03_towers.ipynb"
    before = committed.stat().st_mtime_ns
    done = subprocess.run([sys.executable, "-m", "nnlab", "assign", "e03_towers"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "e03_towers.ipynb").is_file(), done.stdout
    assert committed.stat().st_mtime_ns == before
