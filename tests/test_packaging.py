"""The package as users install it: light import, binder agrees with pyproject, notebooks match sources."""
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from nnlab import authoring

ROOT = Path(__file__).resolve().parent.parent


def _name(req):
    return re.split(r"[<>=!~;\[ ]", req.strip(), maxsplit=1)[0].lower()


def test_import_nnlab_does_not_import_torch_matplotlib_or_widgets():
    code = ("import sys, nnlab, nnlab.nn, nnlab.data, nnlab.neuron; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'ipywidgets', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_binder_requirements_agree_with_pyproject():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [l.strip() for l in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    reqs = [l for l in lines if l and not l.startswith(("#", "-"))]
    assert {d.strip() for d in deps} == set(reqs)  # same packages with the same version bounds
    assert any("whl/cpu" in l for l in lines), "binder must take the CPU build of torch"
    assert (ROOT / "binder" / "runtime.txt").read_text().startswith("python-3.")
    post = (ROOT / "binder" / "postBuild").read_text()
    assert "set -e" in post and "pip install" in post
    # the same JupyterLab settings as start.sh (no news prompt), by the same function
    assert "from nnlab.env import write_lab_settings; write_lab_settings()" in post


def test_every_notebook_has_a_source_and_a_kernelspec():
    built = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert built == authoring.sources()
    for name in built:
        nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", authoring.sources())
def test_committed_notebook_matches_its_source(name):
    """Rebuild with `python -m nnlab build NAME` when this fails."""
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    built = authoring.to_notebook(authoring.lecture_cells(name))
    assert [(c["id"], c["cell_type"], "".join(c["source"])) for c in nb["cells"]] == \
        [(c.id, c.cell_type, c.source) for c in built.cells]
    assert nb["metadata"]["kernelspec"] == built.metadata["kernelspec"]
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            assert c["outputs"] is not None and c["execution_count"], "notebook was saved without running it"
            assert not any(o["output_type"] == "error" for o in c["outputs"])


def test_percent_format_is_read_and_written_by_jupytext():
    text = "# %% [markdown]\n# # Title\n# text\n#\n# more\n\n# %%\nx = 1\n\n# %%\nprint(x)\n"
    cells = authoring.parse_percent(text)
    assert cells == [("markdown", "# Title\ntext\n\nmore"), ("code", "x = 1"), ("code", "print(x)")]
    assert authoring.write_percent(cells) == text


@pytest.mark.parametrize("source", [*map(authoring.lecture_source, authoring.sources()),
                                    *map(authoring.exercise_source, authoring.exercises())],
                         ids=lambda s: s.name)
def test_every_source_round_trips_through_jupytext_unchanged(source):
    """Opened as a notebook in JupyterLab (jupytext's extension) and saved, a source stays byte for byte the
    same: no header, no cell metadata, the same blank lines. Written from its cells alone, it has the same
    cells."""
    import jupytext

    text = source.read_text(encoding="utf-8")
    assert jupytext.writes(jupytext.reads(text, fmt="py:percent"), fmt="py:percent") == text
    cells = authoring.parse_percent(text)
    assert authoring.parse_percent(authoring.write_percent(cells)) == cells


def test_the_sources_are_package_data():
    from importlib.resources import files

    assert authoring.LECTURES == files("nnlab") / "authoring" / "lectures"
    assert authoring.sources() and authoring.exercises()
    assert not (ROOT / "notebooks" / "src").exists() and not (ROOT / "notebooks" / "exercises" / "src").exists()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert {"lectures/*.py", "exercises/*.py"} <= set(data["nnlab.authoring"])


def test_command_line_names_unknown_sources(capsys):
    from nnlab.__main__ import main

    with pytest.raises(SystemExit):
        main(["assign", "no_such_exercise"])
    assert "no_such_exercise" in capsys.readouterr().err


def constraint_files():
    """{Python "X.Y": its file of tested versions}: binder/constraints.txt and binder/constraints-X.Y.txt."""
    found = {}
    for path in sorted((ROOT / "binder").glob("constraints*.txt")):
        lines = path.read_text().splitlines()
        assert re.fullmatch(r"# python 3\.\d+", lines[1]), f"{path.name}: the second line names the Python"
        python = lines[1].removeprefix("# python ")
        assert python not in found, f"two files of tested versions for Python {python}"
        assert path.name in ("constraints.txt", f"constraints-{python}.txt"), path.name
        found[python] = path
    return found


def test_the_tested_versions_pin_every_dependency_and_are_used_everywhere():
    """Each file of tested versions (binder/constraints.txt for Binder's Python, binder/constraints-X.Y.txt for
    each other supported one) pins (==) every dependency of pyproject.toml, test extra included, within its
    bounds; the set-up (start.sh and .ci/run) and Binder install with them."""
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    files = constraint_files()
    binder = (ROOT / "binder" / "runtime.txt").read_text().strip().removeprefix("python-")
    assert files[binder].name == "constraints.txt", "Binder's Python has binder/constraints.txt"
    supported = SpecifierSet(project["requires-python"])
    assert all(supported.contains(f"{python}.0") for python in files), (sorted(files), supported)
    for python, path in files.items():
        pins = {}
        for line in path.read_text().splitlines():
            if line and not line.startswith("#"):
                name, version = line.split("==")
                pins[_name(name).replace("_", "-")] = version
        for req in project["dependencies"] + project["optional-dependencies"]["test"]:
            r = Requirement(req)
            name = r.name.lower().replace("_", "-")
            assert name in pins, f"{name} is not pinned in {path.name}"
            assert r.specifier.contains(pins[name], prereleases=True), (path.name, req, pins[name])
        assert "+" not in pins["torch"], "torch pinned without a local label: the CPU and the PyPI build both match"
    assert '-c "$CONSTRAINTS"' in (ROOT / ".ci" / "setup.sh").read_text()
    assert "bash .ci/setup.sh" in (ROOT / "start.sh").read_text() and \
        "bash .ci/setup.sh --test" in (ROOT / ".ci" / "run").read_text()
    assert "-c constraints.txt" in (ROOT / "binder" / "requirements.txt").read_text().splitlines()


def test_the_refresh_of_the_tested_versions_runs_the_tests_before_it_writes():
    """``.ci/refresh-constraints.sh`` cannot run inside the suite (it runs the suite); here: it parses, stops at
    the first failure, and for Binder's Python runs .ci/run unpinned in a new venv and writes the pins after it,
    for each other Python the matrix's newest set."""
    script = ROOT / ".ci" / "refresh-constraints.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    text = script.read_text()
    assert "set -euo pipefail" in text and "# python " in text
    run = text.index('NNLAB_VENV="$VENV" NNLAB_UNPINNED=1 bash .ci/run')
    assert run < text.index('write "$VENV" binder/constraints.txt')
    matrix, write = text.index('bash .ci/matrix "$VERSION" newest'), text.index('"binder/constraints-$VERSION.txt"')
    assert matrix < write


def fake_venv(tmp_path, python=None):
    """A virtual environment whose python is this test's interpreter, except that pip only notes what it is asked
    (pip.log), ``nnlab env`` only says it is ready, and, given ``python``, the set-up's question of the version
    gets that answer; ``import torch`` fails until pip has been asked for it when ``FAKE_NO_TORCH`` is set."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    log = tmp_path / "pip.log"
    stub = venv / "bin" / "python"
    stub.write_text(f"""#!/bin/bash
if [[ "$1 $2" == "-m pip" ]]; then echo "$*" >> {log}; touch {tmp_path}/torch; exit 0; fi
if [[ "$1 $2 $3" == "-m nnlab env" ]]; then echo "Everything is ready."; exit 0; fi
if [[ -n "${{FAKE_NO_TORCH:-}}" && "$*" == "-c import torch" && ! -e {tmp_path}/torch ]]; then exit 1; fi
if [[ -n "{python or ''}" && "$1" == "-c" && "$2" == *"version_info[:2]"* ]]; then echo "{python}"; exit 0; fi
exec {sys.executable} "$@"
""")
    stub.chmod(0o755)
    return venv, log


@pytest.mark.parametrize("python", [*constraint_files(), "3.99"])
def test_the_set_up_installs_the_tested_versions_of_its_python(tmp_path, python):
    venv, log = fake_venv(tmp_path, python)
    env = dict(os.environ, NNLAB_VENV=str(venv), PYTHON=sys.executable)
    env.pop("NNLAB_UNPINNED", None)
    done = subprocess.run(["bash", ".ci/setup.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    install = next(line for line in log.read_text().splitlines() if " -e " in line)
    files = constraint_files()
    if python in files:
        assert f"-c {files[python]}" in install and "WARNING" not in done.stdout, (install, done.stdout)
    else:
        assert " -c " not in install, install
        tested = ", ".join(sorted(files, key=lambda v: tuple(map(int, v.split(".")))))
        assert f"the tested versions are for Python {tested} and this is {python}: installing the newest allowed " \
               "releases" in done.stdout, done.stdout


def test_torch_is_the_cpu_build_or_the_set_up_says_it_is_not(tmp_path):
    """.ci/torch.sh takes PyTorch's CPU index as an extra index when it answers; when it does not, it says that
    PyPI's torch (on Linux the CUDA build) comes instead; either way it says which build was installed."""
    venv, log = fake_venv(tmp_path)
    index = tmp_path / "cpu-index"
    (index / "torch").mkdir(parents=True)
    for url, reachable in ((index.as_uri(), True), ("http://127.0.0.1:9/whl/cpu", False)):
        log.unlink(missing_ok=True)
        env = dict(os.environ, NNLAB_TORCH_INDEX=url, NNLAB_TORCH_INDEX_TIMEOUT="2")
        done = subprocess.run(["bash", ".ci/torch.sh", str(venv / "bin" / "python"), "-c", "pins.txt"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        (install,) = log.read_text().splitlines()
        assert install.startswith("-m pip install --quiet -c pins.txt torch==2.13.0"), install
        if reachable:
            assert install.endswith(f"--extra-index-url {url}"), install
            assert f"installing PyTorch's CPU build first (from {url})" in done.stdout, done.stdout
        else:
            assert "index" not in install, install
            assert (f"PyTorch's CPU index ({url}) is unreachable: installing PyPI's torch, which on Linux is the CUDA "
                    "build, several GB") in done.stdout, done.stdout
        import torch

        build = "the CPU build" if torch.version.cuda is None else f"the CUDA {torch.version.cuda} build"
        assert f"== installed PyTorch {torch.__version__}: {build}" in done.stdout, done.stdout


def test_the_set_up_asks_for_torch_only_where_it_is_missing(tmp_path):
    venv, log = fake_venv(tmp_path)
    env = dict(os.environ, NNLAB_VENV=str(venv), PYTHON=sys.executable, NNLAB_TORCH_INDEX="http://127.0.0.1:9/x",
               FAKE_NO_TORCH="1")
    done = subprocess.run(["bash", ".ci/setup.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    asked = log.read_text().splitlines()
    assert "torch==2.13.0" in asked[0] and " -e " in asked[1] and len(asked) == 2, asked
    assert "is unreachable: installing PyPI's torch" in done.stdout
    again = subprocess.run(["bash", ".ci/setup.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "torch" not in again.stdout and "nothing to install" in again.stdout, again.stdout
    assert log.read_text().splitlines() == asked, "a second set-up asked pip for something"


def test_the_matrix_refuses_what_it_cannot_run(tmp_path):
    """``.ci/matrix`` (the version matrix; README, "One tested set of versions") parses, refuses an unknown set,
    and says it did not run on a Python this machine lacks (exit 3, which .ci/run skips outside CI)."""
    matrix = ROOT / ".ci" / "matrix"
    assert subprocess.run(["bash", "-n", str(matrix)]).returncode == 0
    env = dict(os.environ, NNLAB_MATRIX_DIR=str(tmp_path))
    wrong = subprocess.run(["bash", str(matrix), "3.12", "latest"], env=env, capture_output=True, text=True)
    assert wrong.returncode == 2 and "newest, oldest or pinned" in wrong.stderr
    missing = subprocess.run(["bash", str(matrix), "3.99", "newest"], env=env, capture_output=True, text=True)
    assert missing.returncode == 3 and "python 3.99  newest  not run: no Python 3.99 here" in missing.stdout
    assert not list(tmp_path.iterdir())
