"""``nnlab env`` (and the first lecture's set-up check) says "Everything is ready." only once an explorer has been
built, drawn and moved here; when the views cannot be imported or no frame comes out, it says so and what failed.
Its minimum versions are pyproject.toml's lower bounds."""
import re
import sys
import tomllib
from pathlib import Path

import pytest

from nnlab import env
from nnlab.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


class BrokenRenderer:
    """Stands for a matplotlib whose drawing fails: every use raises."""

    def __init__(self, fig):
        pass

    def __getattr__(self, name):
        raise RuntimeError("injected: this matplotlib cannot draw")


class FrozenRenderer:
    """Stands for a matplotlib that draws once and never again: every frame is the first."""

    def __init__(self, fig):
        from nnlab.views.plain import PlainRenderer

        self.first = PlainRenderer(fig).png()

    def png(self, *args, **kwargs):
        return self.first

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def run_env(capsys):
    code = main(["env"])
    return code, capsys.readouterr().out


def explorer_line(out):
    """The report's line on the explorers ("" when it has none)."""
    return next((line for line in out.splitlines() if "explorer frames" in line), "")


def test_env_is_ready_here(capsys):
    code, out = run_env(capsys)
    assert code == 0 and out.rstrip().endswith("Everything is ready."), out
    assert explorer_line(out).startswith("ok ") and "an explorer draws and answers a control" in out


@pytest.mark.parametrize("renderer, said", [(BrokenRenderer, "RuntimeError: injected: this matplotlib cannot draw"),
                                            (FrozenRenderer, "no new frame")])
def test_env_is_not_ready_when_no_explorer_draws(monkeypatch, capsys, renderer, said):
    from nnlab.views import base

    monkeypatch.setattr(base, "make_renderer", renderer)
    code, out = run_env(capsys)
    assert code == 1 and "Everything is ready." not in out, out
    assert "Something is missing: see the lines marked !!" in out
    line = explorer_line(out)
    assert line.startswith("!! ") and said in line, line
    assert not env.check_environment().ok


def test_env_is_not_ready_when_the_views_do_not_import(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "nnlab.views", None)  # import nnlab.views raises ImportError
    code, out = run_env(capsys)
    assert code == 1 and "Everything is ready." not in out, out
    line = explorer_line(out)
    assert line.startswith("!! ") and "Error: import of nnlab.views halted" in line, line


def test_a_version_is_the_installed_distributions(monkeypatch):
    """ipyevents 2.0.2 says __version__ = "2.0.1": the check reads the distribution's version, not the module's."""
    import ipyevents

    monkeypatch.setattr(ipyevents, "__version__", "0.0.1", raising=False)
    item = next(i for i in env.check_environment(include_torch=False).items if i.name == "ipyevents")
    assert item.ok and item.version != "0.0.1", item


def test_the_minimums_are_pyprojects_lower_bounds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds = {}
    for req in project["dependencies"]:
        name, low = re.match(r"\s*([A-Za-z0-9._-]+)[^;]*?>=\s*([^,;\s]+)", req).groups()
        bounds[name.lower()] = low
    checked = {distribution.lower(): minimum for _, distribution, minimum, _ in env.REQUIRED}
    assert {name: checked[name] for name in checked if name in bounds} == \
        {name: bounds[name] for name in checked if name in bounds}
    assert set(bounds) - set(checked) <= {"jupyterlab", "jupytext"}  # not imported by a notebook's kernel
    assert project["requires-python"] == f">={env.PYTHON}"
