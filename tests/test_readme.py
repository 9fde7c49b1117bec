"""Every command in the README runs here exactly as written, in the folder layout the README implies.

Each fenced block of README.md is preceded by ``<!-- test: NAME -->``; ``RUNNERS[NAME]`` runs that block's
text verbatim (bash blocks with ``bash -c``, Python blocks in a fresh interpreter) and checks what it
did. A block without a marker, a marker without a runner, or a command written inline in the prose
(``bash ...``, ``.venv/bin/...``, ``python -m ...``) that is in no block fails the first test.

Commands the README runs from the repository use ``.venv/``; when the environment lives elsewhere
(``NNLAB_VENV``), ``.venv`` is a symlink to it for the duration of the test. Commands the README runs
from an instructor's folder run in a temporary folder laid out as described: ``subs/`` beside
``gradebook.csv``, ``.venv`` beside them.
"""
import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from nnlab import authoring

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"(?:<!-- test: (?P<name>[\w-]+) -->\s*\n)?[ \t]*```(?P<lang>\w*)\n(?P<body>.*?)\n[ \t]*```", re.S)
EXERCISE = "e02_forward_and_backprop"


def blocks():
    """{name: (language, text)} of the README's fenced blocks, the text dedented as a reader copies it."""
    found, unnamed = {}, []
    for m in BLOCK.finditer(README):
        lines = m["body"].splitlines()
        indent = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
        text = "\n".join(l[indent:] for l in lines)
        if m["name"] is None:
            unnamed.append(text)
        else:
            assert m["name"] not in found, f"two README blocks named {m['name']}"
            found[m["name"]] = (m["lang"], text)
    return found, unnamed


def link_venv(folder):
    """``folder/.venv`` as the README expects it: this test's environment."""
    venv = Path(folder) / ".venv"
    if not venv.exists():
        venv.symlink_to(sys.prefix, target_is_directory=True)
        return venv
    assert (venv / "bin" / "python").exists()
    return None


@pytest.fixture
def repo_venv():
    made = link_venv(ROOT)
    yield ROOT
    if made:
        made.unlink()


def bash(text, cwd, timeout=900, **kw):
    return subprocess.run(["bash", "-c", text], cwd=cwd, capture_output=True, text=True, timeout=timeout, **kw)


def write_notebook(path, solution):
    path.write_text(nbformat.writes(authoring.to_notebook(authoring.exercise_cells(EXERCISE, solution))),
                    encoding="utf-8")


# --------------------------------------------------------------------------- runners


def browser_stub(tmp_path):
    """A BROWSER for commands that open one: no window on a test machine, it notes what it was asked to open
    in ``tmp_path/opened.txt``."""
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {tmp_path / "opened.txt"}\n')
    browser.chmod(0o755)
    return browser


def stop_group(proc):
    """Stop a command started in a session of its own, and everything it started: SIGTERM, then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=30)
            break
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue


def run_start(text, tmp_path):
    """``bash start.sh`` sets up and serves JupyterLab with the first lecture; stopped once it answers."""
    env = dict(os.environ, BROWSER=str(browser_stub(tmp_path)))
    log = tmp_path / "start.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["bash", "-c", text], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        url = None
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(1)
            m = re.search(r"(http://(?:localhost|127\.0\.0\.1):\d+/lab[^\s]*token=\w+)", log.read_text())
            url = m and m.group(1)
        assert url, log.read_text()[-3000:]
        assert "Everything is ready." in log.read_text()
        with urllib.request.urlopen(url, timeout=30) as page:
            assert page.status == 200 and "JupyterLab" in page.read().decode()
        for _ in range(30):  # the browser is asked to open the first lecture (through a redirect file)
            opened = (tmp_path / "opened.txt").read_text().strip() if (tmp_path / "opened.txt").exists() else ""
            if opened:
                break
            time.sleep(1)
        target = Path(opened.removeprefix("file://")).read_text() if opened.startswith("file://") else opened
        assert re.search(r"/lab/tree/(notebooks/)?00_start_here\.ipynb\?token=", target), target
    finally:
        stop_group(proc)


def run_ci(text, tmp_path):
    """``bash .ci/run`` is what CI runs on every submission (this suite is its output); here: it sets up with
    the test extra and then runs exactly the README's test command (and the view layer once more by the
    public path, as the README says)."""
    assert text == "bash .ci/run"
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    assert "bash .ci/setup.sh --test" in script
    test_command = blocks()[0]["test-command"][1]
    assert test_command.replace(".venv/bin/python", '"${NNLAB_VENV:-.venv}/bin/python"') + ' "$@"' in script
    assert any(line.startswith("NNLAB_RENDERER=plain ") for line in script)


def run_test_command(text, tmp_path):
    """The test command is a line of ``.ci/run`` (``run_ci``); here it runs on this one file."""
    done = bash(text + " tests/test_readme.py -k block_markers -p no:cacheprovider -q", ROOT)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


def run_tiers(text, tmp_path):
    """Each line selects what the README says (collected, not run: the whole suite runs in .ci/run): the plain
    pytest none of the four tiers and the rest of the suite, ``-m notebooks`` only notebook cells, the
    exercises' runs and the lectures' memory runs, a named file with ``-k`` only its matching tests, in this
    process. Collected without pytest-xdist's workers (``-n 0``: which tests a line picks does not depend on
    them; two workers collect everything twice)."""
    plain, notebooks, named = text.splitlines()
    picked = {}
    for line in (plain, notebooks, named):
        done = bash(line + " --collect-only -q -n 0 -p no:cacheprovider", ROOT)
        assert done.returncode == 0, done.stdout + done.stderr
        picked[line] = [t for t in done.stdout.splitlines() if "::" in t]
    everything = bash(plain + " --all --collect-only -q -n 0 -p no:cacheprovider", ROOT).stdout
    every = [t for t in everything.splitlines() if "::" in t]
    tiered = set(every) - set(picked[plain])
    assert {"tests/test_readme.py::test_block_markers_every_readme_command_has_a_test",
            "tests/test_grading.py::test_fork_bomb_is_contained"} <= tiered
    assert any(t.startswith("tests/test_nn.py::") for t in picked[plain])
    assert "tests/test_lint.py::test_ruff_finds_nothing" in picked[plain]
    assert picked[notebooks] and all(t.startswith(("notebooks/", "tests/test_exercises.py", "tests/test_memory.py"))
                                     for t in picked[notebooks])
    assert picked[named] and all(t.startswith("tests/test_views.py::") and "tower" in t.lower() for t in picked[named])


def run_matrix(text, tmp_path):
    """A cell of the version matrix builds an environment of another Python (PyTorch and every dependency from the
    network: minutes) and runs tests in it, so it does not run inside the suite: ``.ci/run`` runs this very line
    after the suite (its environment kept between runs), for each Python of NNLAB_MATRIX_PYTHONS (3.12 unless
    set); the matrix's refusals are tested in tests/test_packaging.py."""
    (line,) = text.splitlines()
    assert line.startswith("bash .ci/matrix 3.12 pinned ")
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    assert "for VERSION in ${NNLAB_MATRIX_PYTHONS-3.12}; do" in script
    assert "    NNLAB_MATRIX_KEEP=1 " + line.replace(" 3.12 ", ' "$VERSION" ') + " || STATUS=$?" in script
    assert subprocess.run(["bash", "-n", str(ROOT / ".ci" / "matrix")]).returncode == 0


def run_assign(text, tmp_path):
    out = authoring.EXERCISE_NOTEBOOKS / f"{EXERCISE}.ipynb"
    before = out.read_bytes()
    try:
        done = bash(text, ROOT)
        assert done.returncode == 0, done.stderr
        assert f"wrote {out}" in done.stdout
        assert out.read_bytes() == before, "the committed student version is not what `nnlab assign` writes"
    finally:
        out.write_bytes(before)


def run_grade(text, tmp_path):
    """From a folder that holds ``subs/``: a correct submission gets full marks, a stub zero, exit 0."""
    link_venv(tmp_path)
    (tmp_path / "subs").mkdir()
    write_notebook(tmp_path / "subs" / "alice.ipynb", solution=True)
    write_notebook(tmp_path / "subs" / "bob.ipynb", solution=False)
    done = bash(text, tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "gradebook.csv").open())}
    assert (rows["alice"]["total"], rows["alice"]["max"], rows["alice"]["status"]) == ("3.0", "3.0", "ok")
    assert (rows["bob"]["total"], rows["bob"]["status"]) == ("0.0", "ok")
    results = json.loads((tmp_path / "results" / "bob" / "results.json").read_text())
    assert results["score"] == 0 and "NotImplementedError" in results["tests"][0]["output"]
    assert "pre-flight" in done.stderr


def run_otter(text, tmp_path):
    """``nnlab otter`` + ``otter generate`` + ``otter run`` grade a correct submission with full marks."""
    link_venv(tmp_path)
    write_notebook(tmp_path / "sub.ipynb", solution=True)
    done = bash(text, tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    scores = {t["name"]: t["score"] for t in json.loads((tmp_path / "results.json").read_text())["tests"]
              if "score" in t}
    assert scores == {"sigmoid": 1.0, "forward": 1.0, "backprop": 1.0}


def run_otter_notebook(text, tmp_path):
    """In a notebook beside otter's tests (IPython runs the cells): after the solution's cells,
    ``grader.check`` passes; after a backprop with the wrong sign, it fails with the nnlab diagnosis."""
    link_venv(tmp_path)
    assert bash(f".venv/bin/python -m nnlab otter {EXERCISE} tests/", tmp_path).returncode == 0
    cells = [src for kind, src in authoring.exercise_cells(EXERCISE, solution=True) if kind == "code"]
    (tmp_path / "cells.json").write_text(json.dumps(cells))
    program = (
        "import json, sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "for source in json.load(open('cells.json')):\n"
        "    shell.run_cell(source)\n"
        "right = shell.run_cell(sys.argv[1]).result\n"
        "shell.run_cell('_r = my_backprop\\ndef my_backprop(*a):\\n    return tuple(-g for g in _r(*a))')\n"
        "wrong = shell.run_cell(sys.argv[1]).result\n"
        "print('GRADES', right.grade, wrong.grade)\n"
        "print(repr(wrong))\n")
    done = subprocess.run([sys.executable, "-c", program, text], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "GRADES 1.0 0.0" in done.stdout, done.stdout[-3000:]
    assert "wrong sign" in done.stdout.split("GRADES", 1)[1]


def run_using(text, tmp_path):
    """The "Using nnlab" snippet runs as a script and prints the accuracy and the gradient check's table."""
    done = subprocess.run([sys.executable, "-c", text], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    accuracy, table = done.stdout.split(maxsplit=1)
    assert 0.9 < float(accuracy) <= 1.0, done.stdout  # the circle is learnt
    errors = re.findall(r"^\s*[Wb]\d\s+(\S+)", table, re.M)
    assert len(errors) == 4 and all(float(e) < 1e-7 for e in errors), table  # backprop agrees with differences


def run_training(text, tmp_path):
    """The training snippet learns xor, and the config it prints, passed back, reruns the same run."""
    done = subprocess.run([sys.executable, "-c", text], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    status, accuracy, config = done.stdout.strip().splitlines()
    assert status.startswith("epoch 20, iteration ") and float(accuracy.split()[-1]) > 0.9, done.stdout
    again = ("from nnlab import training\nfrom nnlab.training import TrainingConfig\n"
             f"run = ({config}).build()\nrun.fit(20)\nprint(run.status())")
    rerun = subprocess.run([sys.executable, "-c", again], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0 and rerun.stdout.strip() == status, rerun.stdout + rerun.stderr[-3000:]


def run_build(text, tmp_path):
    """Rebuilds and executes the notebook (restored afterwards, so the checkout stays as committed)."""
    name = text.split()[-1]
    out = ROOT / "notebooks" / f"{name}.ipynb"
    before = out.read_bytes()
    try:
        done = bash(text, ROOT)
        assert done.returncode == 0, done.stderr[-3000:]
        nb = json.loads(out.read_text())
        cells = authoring.lecture_cells(name)
        assert [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]] == cells
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(c["execution_count"] for c in code) and not any(
            o["output_type"] == "error" for c in code for o in c["outputs"])
    finally:
        out.write_bytes(before)


def run_course(text, tmp_path):
    """From any folder: the lectures and the exercises' student versions (no solutions) in the folder named."""
    from test_course import check_course

    link_venv(tmp_path)
    done = bash(text, tmp_path)
    assert done.returncode == 0, done.stderr
    check_course(tmp_path / text.split()[-1])


def run_voila(text, tmp_path):
    """The lecturer's Voilà command serves the lecture as an app; stopped (its process group) once it answers
    with the lecture's page."""
    log = tmp_path / "voila.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["bash", "-c", text], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env=dict(os.environ, BROWSER=str(browser_stub(tmp_path))), start_new_session=True)
    try:
        deadline, url = time.monotonic() + 120, None
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            m = re.search(r"(http://(?:localhost|127\.0\.0\.1):\d+/)", log.read_text())
            url = m and m.group(1)
        assert url, log.read_text()[-3000:]
        with urllib.request.urlopen(url, timeout=120) as page:
            html = page.read().decode()
        assert page.status == 200 and "02_forward_pass" in html, html[:500]
    finally:
        stop_group(proc)


def run_env(text, tmp_path):
    done = bash(text, ROOT)
    assert done.returncode == 0 and "Everything is ready." in done.stdout, done.stdout + done.stderr


RUNNERS = {"start": run_start, "ci": run_ci, "test-command": run_test_command, "tiers": run_tiers, "assign": run_assign,
           "matrix": run_matrix,
           "grade": run_grade, "otter": run_otter, "otter-notebook": run_otter_notebook, "using": run_using,
           "training": run_training,
           "build": run_build, "env": run_env, "course": run_course, "voila": run_voila}
INLINE_COMMAND = re.compile(r"`((?:bash |\.venv/bin/|python -m )[^`]*)`")


def test_block_markers_every_readme_command_has_a_test():
    named, unnamed = blocks()
    assert not unnamed, f"README blocks without a <!-- test: NAME --> marker: {unnamed}"
    assert set(named) == set(RUNNERS), (sorted(named), sorted(RUNNERS))
    lines = {line.strip() for _, text in named.values() for line in text.splitlines()}
    prose = BLOCK.sub("", README)
    untested = [c for c in INLINE_COMMAND.findall(prose) if c.strip() not in lines]
    assert not untested, f"commands in the README's prose that no block (and so no test) runs: {untested}"


@pytest.mark.parametrize("name", sorted(RUNNERS))
def test_readme_block_runs_as_written(name, tmp_path, repo_venv):
    lang, text = blocks()[0][name]
    RUNNERS[name](text, tmp_path)


def test_a_second_set_up_installs_nothing_and_needs_no_network():
    """The README promises that later runs skip what is installed: the set-up `start.sh` runs, a second time in
    a row, neither reinstalls nnlab nor asks pip for anything (it would need the network)."""
    env = dict(os.environ, PIP_INDEX_URL="http://127.0.0.1:9/nowhere", PIP_NO_INDEX="1")
    first = subprocess.run(["bash", ".ci/setup.sh"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    again = subprocess.run(["bash", ".ci/setup.sh"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert "nothing to install" in again.stdout and "== installing" not in again.stdout, again.stdout
    assert "Everything is ready." in again.stdout
