"""nnlab as a user installs it: a wheel built from this tree, installed into a new virtual environment, its
commands run from a folder outside the checkout.

The new environment gets the dependencies without a network: a ``.pth`` file names this environment's
site-packages (a plain path entry, so the editable install of the checkout that lives there, itself a
``.pth`` hook, is not run). The wheel is installed with ``pip --python NEW install --no-deps --no-index``. Each
command runs from a temporary folder with the new environment's ``bin/`` first on ``PATH`` and no
``PYTHONPATH``; the first test checks that ``nnlab`` is the installed copy and the checkout is not importable.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from nnlab import authoring
from test_course import check_course, leaks

ROOT = Path(__file__).resolve().parent.parent
EXERCISE = "e02_forward_and_backprop"
pytestmark = [pytest.mark.timeout(300), pytest.mark.packaging]


def _run(cmd, **kw):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, **kw)
    assert done.returncode == 0, f"{cmd}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    for req in map(Requirement, tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]):
        try:
            have = version(req.name)
        except PackageNotFoundError:
            have = None
        assert have and req.specifier.contains(have), \
            f"the wheel is built without a network (no build isolation): this environment needs {req}, has {have}"
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # a copy, so the build leaves no build/ or egg-info in the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "nnlab", src / "nnlab", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", str(tmp / "dist"), str(src)])
    (wheel,) = (tmp / "dist").glob("nnlab-*.whl")

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "nnlab_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
          str(wheel)])

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv))
    work = tmp / "work"
    work.mkdir()

    def nnlab(*args, cwd=work, ok=True):
        done = subprocess.run(["nnlab", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240)
        if ok:
            assert done.returncode == 0, f"nnlab {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done

    return SimpleNamespace(wheel=wheel, venv=venv, python=python, site=site, work=work, env=env, nnlab=nnlab)


def test_nnlab_is_the_installed_wheel_outside_the_checkout(installed):
    names = zipfile.ZipFile(installed.wheel).namelist()
    for name in authoring.sources():
        assert f"nnlab/authoring/lectures/{name}.py" in names
    for name in authoring.exercises():
        assert f"nnlab/authoring/exercises/{name}.py" in names
    assert not any(n.startswith(("notebooks/", "tests/")) for n in names)

    code = ("import json, shutil, sys, nnlab, jupytext, numpy; from nnlab import authoring; "
            "print(json.dumps([nnlab.__file__, sys.path, str(authoring.CHECKOUT), authoring.sources(), "
            "authoring.exercises(), shutil.which('nnlab')]))")
    done = subprocess.run(["python", "-c", code], cwd=installed.work, env=installed.env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    where, path, checkout, sources, exercises, command = json.loads(done.stdout)
    assert Path(where).is_relative_to(installed.site), where
    assert str(ROOT) not in path and str(ROOT / "nnlab") not in path and checkout == "None", path
    assert (sources, exercises) == (authoring.sources(), authoring.exercises())
    assert command == str(installed.venv / "bin" / "nnlab")


def test_course_from_the_wheel(installed):
    done = installed.nnlab("course", "course")
    assert f"wrote {len(authoring.sources())} lectures" in done.stdout and "jupyter lab course" in done.stdout
    check_course(installed.work / "course")  # the committed lectures and student versions; no solutions

    again = installed.nnlab("course", "course", ok=False)
    assert again.returncode == 2 and "DEST: expected a new or empty folder" in again.stderr
    assert "--force" in again.stderr
    installed.nnlab("course", "course", "--force")
    check_course(installed.work / "course")


def test_build_and_assign_from_the_wheel(installed):
    done = installed.nnlab("build", "--no-execute", "00_start_here", ok=False)
    assert done.returncode == 2 and "--out: nnlab is installed" in done.stderr and "nnlab course DEST" in done.stderr
    installed.nnlab("build", "--no-execute", "--out", "built", "00_start_here")
    built = json.loads((installed.work / "built" / "00_start_here.ipynb").read_text())
    assert ["".join(c["source"]) for c in built["cells"]] == [s for _, s in authoring.lecture_cells("00_start_here")]

    handout = installed.work / "handout"  # an instructor's folder: assign writes here
    handout.mkdir()
    done = installed.nnlab("assign", EXERCISE, cwd=handout)
    text = (handout / f"{EXERCISE}.ipynb").read_text()
    assert text == (ROOT / "notebooks" / "exercises" / f"{EXERCISE}.ipynb").read_text()
    assert not leaks(text, EXERCISE)
    installed.nnlab("assign", "--out", "all", cwd=handout)
    assert sorted(p.stem for p in (handout / "all").iterdir()) == authoring.exercises()


def test_grade_from_the_wheel(installed):
    """The pre-flight grades the packaged solution in the sandbox; the sandbox imports the installed nnlab (a
    cell of alice's notebook asserts it, so a wrong copy would give her an error)."""
    folder = installed.work / "grading"
    (folder / "subs").mkdir(parents=True)
    mine = f"import nnlab\nassert nnlab.__file__.startswith({str(installed.site)!r}), nnlab.__file__"
    cells = [("code", mine)] + authoring.exercise_cells(EXERCISE, solution=True)
    (folder / "subs" / "alice.ipynb").write_text(nbformat.writes(authoring.to_notebook(cells)))
    shutil.copy(ROOT / "notebooks" / "exercises" / f"{EXERCISE}.ipynb", folder / "subs" / "bob.ipynb")
    done = installed.nnlab("grade", "subs", "--assignment", EXERCISE, "--out", "gradebook.csv", cwd=folder)
    assert "pre-flight" in done.stderr and "3/3" in done.stderr
    rows = {r["student"]: r for r in csv.DictReader((folder / "gradebook.csv").open())}
    assert (rows["alice"]["total"], rows["alice"]["max"], rows["alice"]["status"]) == ("3.0", "3.0", "ok"), rows
    assert (rows["bob"]["total"], rows["bob"]["status"]) == ("0.0", "ok"), rows
