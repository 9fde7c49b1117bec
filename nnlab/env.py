"""Check that this Python environment can run the course.

PyTorch, numba and scikit-learn are checked in a child process (``python -m nnlab.env``), which imports each,
reads its version and compiles the optimiser race into numba's on-disk cache, then exits: the student's kernel
would otherwise keep ~400 MiB of libraries that the first lecture never uses (issue 32). The lectures that
need one import it themselves, and the race then loads from the cache at once.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

#: (import name, distribution, minimum version, why): the minimums are pyproject.toml's lower bounds (the oldest
#: versions the test suite passed with, README "One tested set of versions"; tests/test_env.py compares them)
REQUIRED = [
    ("numpy", "numpy", "1.25", "arrays for every model"),
    ("numba", "numba", "0.58", "the optimiser race, compiled"),
    ("matplotlib", "matplotlib", "3.11", "the figures"),
    ("ipywidgets", "ipywidgets", "8.1.5", "sliders and buttons"),
    ("jupyterlab_widgets", "jupyterlab_widgets", "3.0", "shows widgets in JupyterLab"),
    ("anywidget", "anywidget", "0.9", "the log sliders"),
    ("ipyevents", "ipyevents", "2.0.2", "clicks on figures (the optimiser race's start point)"),
    ("scipy", "scipy", "1.9.2", "the sigmoid (special.expit)"),
    ("sklearn", "scikit-learn", "1.1.3", "the bundled 8x8 digits"),
    ("tqdm", "tqdm", "4.62.1", "progress bars"),
    ("torch", "torch", "2.13", "the PyTorch lectures and the reference checks"),
]
PYTHON = "3.11"  # pyproject.toml's requires-python
#: checked in the child process, not imported into the caller's (see the module's docstring)
HEAVY = ("numba", "sklearn", "torch")
#: seconds the child may take: importing PyTorch from a cold disk and compiling the race the first time
HEAVY_TIMEOUT = 600


def _version_tuple(text):
    parts = []
    for piece in text.split("+")[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


@dataclass
class Item:
    name: str
    version: str
    ok: bool
    note: str


@dataclass(repr=False)
class Report:
    items: list

    def __repr__(self):
        return str(self)

    @property
    def ok(self):
        return all(i.ok for i in self.items)

    def __str__(self):
        # columns as wide as their longest entry, always separated by two spaces: a long name or
        # version never runs into its neighbour ("okpython")
        table = [("", "package", "version", "note")]
        table += [("ok" if i.ok else "!!", i.name, i.version, i.note) for i in self.items]
        widths = [max(len(row[k]) for row in table) for k in range(3)]
        rows = ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[3]]).rstrip() for row in table]
        rows.append("Everything is ready." if self.ok else "Something is missing: see the lines marked !!")
        return "\n".join(rows)

    def _repr_html_(self):
        # ✓ and ✗ (U+2713, U+2717) are in DejaVu Sans and most text fonts; emoji need an emoji font
        body = "".join(
            f"<tr><td>{'✓ ok' if i.ok else '✗ not ok'}</td><td>{i.name}</td><td>{i.version}</td><td>{i.note}</td></tr>"
            for i in self.items)
        verdict = "Everything is ready." if self.ok else "Something is missing: see the rows marked ✗."
        return (f"<table><tr><th></th><th>package</th><th>version</th><th>what for</th></tr>{body}</table>"
                f"<p><b>{verdict}</b></p>")


def check_environment(include_torch=True) -> Report:
    """Versions of Python and of every package the course needs, each marked ok or not.

    The packages of ``HEAVY`` and the compiled race are checked in a child process (``heavy_items``)."""
    items = [Item("python", platform.python_version(),
                  _version_tuple(platform.python_version()) >= _version_tuple(PYTHON), f"{PYTHON} or newer")]
    wanted = [row for row in REQUIRED if include_torch or row[0] != "torch"]
    heavy = {item.name: item for item in heavy_items([row[0] for row in wanted if row[0] in HEAVY])}
    for row in wanted:
        items.append(heavy.pop(row[0]) if row[0] in HEAVY else _import_item(*row))
    items.append(_agg_works())
    items.extend(heavy.values())  # the compiled race
    return Report(items)


def _import_item(name, distribution, minimum, why) -> Item:
    """Import ``name`` here and compare its distribution's version with ``minimum``."""
    try:
        module = importlib.import_module(name)
        try:  # the installed distribution's version: a module's __version__ can lag (ipyevents 2.0.2 says 2.0.1)
            version = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            version = getattr(module, "__version__", "?")
        ok = _version_tuple(version) >= _version_tuple(minimum)
        note = why if ok else f"needs {minimum} or newer ({why})"
    except Exception as exc:  # a broken install must be reported, not crash the check
        version, ok, note = "missing", False, f"{why}: {type(exc).__name__}: {exc}"
    return Item(name, version, ok, note)


def heavy_items(names) -> list:
    """The items of the packages ``names`` (a part of ``HEAVY``), then the compiled race and training steps,
    checked in a child process of this Python: each package imported there, as in a lecture, without staying in
    this one.
    A child that fails (a crash while importing, a time-out) marks every one of them not ok, saying why."""
    rows = {row[0]: row for row in REQUIRED}
    root = str(Path(__file__).resolve().parent.parent)  # this nnlab, installed or not
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run([sys.executable, "-m", "nnlab.env", *names], capture_output=True, text=True,
                              env=env, timeout=HEAVY_TIMEOUT, check=False)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            tail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
            raise RuntimeError(f"the check's child process failed ({tail})")
        return [Item(**item) for item in json.loads(lines[-1])]
    except Exception as exc:  # noqa: BLE001 (reported, as the in-process checks are)
        why = f"{type(exc).__name__}: {exc}"
        return [Item(name, "?", False, f"{rows[name][3]}: {why}") for name in names] + [
            Item("compiled race", "numba", False, why), Item("compiled training", "numba", False, why)]


def _race_compiles() -> Item:
    """Compile (or load from the cache) the optimiser race once, so that lecture 8 starts at once."""
    try:
        import time

        from . import _race_kernel, optim, surfaces

        t0 = time.perf_counter()
        bowl = surfaces.quadratic(10.0)
        ok = _race_kernel.run(list(optim.race_optimizers().values()), bowl, bowl.start, 10, 0.0, 0) is not None
        return Item("compiled race", "numba" if ok else "NumPy", ok,
                    f"ready in {time.perf_counter() - t0:.1f} s" if ok else "numba missing: races run in NumPy")
    except Exception as exc:
        return Item("compiled race", "numba", False, f"{type(exc).__name__}: {exc}")


def _training_compiles() -> Item:
    """Compile (or load from the cache) the training steps once, so that lecture 5's first run does not wait; on a
    hub or Binder, the image's set-up check leaves them in numba's cache for every student (compiled in a student's
    kernel instead, they cost about 175 MiB there and tens of seconds)."""
    try:
        import time

        from . import training

        t0 = time.perf_counter()
        from ._optim_kernel import numba
        training.warm_up()
        ok = numba is not None
        return Item("compiled training", "numba" if ok else "NumPy", ok,
                    f"ready in {time.perf_counter() - t0:.1f} s" if ok else "numba missing: training runs in NumPy")
    except Exception as exc:
        return Item("compiled training", "numba", False, f"{type(exc).__name__}: {exc}")


def _agg_works() -> Item:
    """An explorer built and drawn, a control moved: the views import, and frames come out as PNG (with the
    fast renderer, or matplotlib's public path where the fast one cannot be trusted: ``views.fastpath``)."""
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the report says it instead
            from .views import ActivationExplorer, fastpath

            explorer = ActivationExplorer()
            first = explorer.image.value
            explorer.controls["w"].value = 3.0
        ok = first[:4] == b"\x89PNG" and explorer.image.value != first and not explorer.errors
        why = fastpath.why_plain()
        note = "an explorer draws and answers a control" + (
            f"; every frame drawn in full (slower), because {why}" if why else ", with the fast renderer")
        return Item("explorer frames", "Agg", ok, note if ok else f"no new frame: {explorer.errors}")
    except Exception as exc:
        return Item("explorer frames", "Agg", False, f"{type(exc).__name__}: {exc}")


#: JupyterLab settings for the course (``start.sh`` writes them with ``write_lab_settings``): no
#: "Would you like to get notified about official Jupyter news?" prompt over the first lecture.
LAB_SETTINGS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}


def write_lab_settings(app_dir=None):
    """Write ``LAB_SETTINGS`` as JupyterLab's settings overrides for this environment and return the file.

    The file is ``APP_DIR/settings/overrides.d/nnlab.json`` (JupyterLab merges every file in
    ``overrides.d`` before the user's own ``overrides.json``, which stays untouched); ``APP_DIR`` is
    JupyterLab's application directory (``sys.prefix/share/jupyter/lab``, or ``$JUPYTERLAB_DIR``).
    A student can still change the setting in JupyterLab's settings editor."""
    import json
    from pathlib import Path

    if app_dir is None:
        from jupyterlab.commands import get_app_dir

        app_dir = get_app_dir()
    path = Path(app_dir) / "settings" / "overrides.d" / "nnlab.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(LAB_SETTINGS, indent=2) + "\n", encoding="utf-8")
    return path


def widget_echo():
    """A slider and a label the kernel rewrites: if moving the slider changes the text, widgets work."""
    import ipywidgets as widgets

    s = widgets.IntSlider(value=0, min=0, max=10, description="move me")
    label = widgets.HTML("The kernel has not heard from the slider yet.")
    label.add_class("nnlab-echo")

    def echo(change):
        label.value = f"The kernel received <b>{change['new']}</b>: widgets work."

    s.observe(echo, names="value")
    from .views.frontend import shelled

    box = widgets.VBox([s, label])
    shelled(box, "a slider to move: the text below it says whether the kernel heard it")
    return box


if __name__ == "__main__":  # the child of ``heavy_items``: python -m nnlab.env NAME ...; one JSON line out
    _rows = {row[0]: row for row in REQUIRED}
    _items = [_import_item(*_rows[name]) for name in sys.argv[1:]] + [_race_compiles(), _training_compiles()]
    print(json.dumps([asdict(item) for item in _items]))
