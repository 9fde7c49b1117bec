"""The package as users install it: light import, binder agrees with pyproject, notebooks match sources."""
import json
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


def test_the_tested_versions_pin_every_dependency_and_are_used_everywhere():
    """binder/constraints.txt pins (==) every dependency of pyproject.toml, test extra included, within its
    bounds; the set-up (start.sh and .ci/run) and Binder install with it."""
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = (ROOT / "binder" / "constraints.txt").read_text().splitlines()
    assert re.fullmatch(r"# python 3\.\d+", lines[1]), "the second line names the Python the pins were tested on"
    pins = {}
    for line in lines:
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name).replace("_", "-")] = version
    for req in project["dependencies"] + project["optional-dependencies"]["test"]:
        r = Requirement(req)
        name = r.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not pinned in binder/constraints.txt"
        assert r.specifier.contains(pins[name], prereleases=True), (req, pins[name])
    assert '-c "$CONSTRAINTS"' in (ROOT / ".ci" / "setup.sh").read_text()
    assert "bash .ci/setup.sh" in (ROOT / "start.sh").read_text() and \
        "bash .ci/setup.sh --test" in (ROOT / ".ci" / "run").read_text()
    assert "-c constraints.txt" in (ROOT / "binder" / "requirements.txt").read_text().splitlines()


def test_the_refresh_of_the_tested_versions_runs_the_whole_suite_before_it_writes():
    """``.ci/refresh-constraints.sh`` cannot run inside the suite (it runs the suite); here: it parses, stops at
    the first failure, runs .ci/run unpinned in a new venv, and writes the pins after it."""
    script = ROOT / ".ci" / "refresh-constraints.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    text = script.read_text()
    assert "set -euo pipefail" in text
    run, write = text.index('NNLAB_VENV="$VENV" NNLAB_UNPINNED=1 bash .ci/run'), text.index("> binder/constraints.txt")
    assert run < write and "# python " in text
