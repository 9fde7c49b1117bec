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


_HEAVY = {}


@pytest.fixture
def heavy_once(monkeypatch):
    """The child process's items (PyTorch, numba, scikit-learn, the compiled race) computed once for the tests
    about the other lines: each child imports PyTorch again (~3 s)."""
    real = env.heavy_items

    def once(names):
        key = tuple(names)
        if key not in _HEAVY:
            _HEAVY[key] = real(names)
        return _HEAVY[key]

    monkeypatch.setattr(env, "heavy_items", once)


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
def test_env_is_not_ready_when_no_explorer_draws(monkeypatch, capsys, renderer, said, heavy_once):
    from nnlab.views import base

    monkeypatch.setattr(base, "make_renderer", renderer)
    code, out = run_env(capsys)
    assert code == 1 and "Everything is ready." not in out, out
    assert "Something is missing: see the lines marked !!" in out
    line = explorer_line(out)
    assert line.startswith("!! ") and said in line, line
    assert not env.check_environment().ok


def test_env_is_not_ready_when_the_views_do_not_import(monkeypatch, capsys, heavy_once):
    monkeypatch.setitem(sys.modules, "nnlab.views", None)  # import nnlab.views raises ImportError
    code, out = run_env(capsys)
    assert code == 1 and "Everything is ready." not in out, out
    line = explorer_line(out)
    assert line.startswith("!! ") and "Error: import of nnlab.views halted" in line, line


def test_the_heavy_packages_are_checked_in_a_child_process(monkeypatch):
    """PyTorch, numba and scikit-learn are imported by the check's child process, not by the caller (the kernel
    of lecture 00 keeps none of them: tests/test_memory.py); a child that fails marks each of them not ok."""
    items = env.heavy_items(["numba", "torch"])
    names = ["numba", "torch", "compiled race", "compiled training"]
    assert [i.name for i in items] == names and all(i.ok for i in items), items
    monkeypatch.setattr(env.sys, "executable", "/bin/false")
    items = env.heavy_items(["numba", "torch"])
    assert [i.name for i in items] == names, items
    assert not any(i.ok for i in items) and "child process failed" in items[0].note, items


def test_a_version_is_the_installed_distributions(monkeypatch, heavy_once):
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
    # the server's side (JupyterLab, Jupytext, nbgitpuller's pull, Voilà): not imported by a notebook's kernel
    assert set(bounds) - set(checked) <= {"jupyterlab", "jupytext", "nbgitpuller", "voila"}
    assert project["requires-python"] == f">={env.PYTHON}"
