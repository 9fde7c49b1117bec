"""The course's sources, and the notebooks built from them.

The sources ship inside the package (package data, found with ``importlib.resources``), so the commands
work from an installed wheel as well as from a checkout:

- ``nnlab/authoring/lectures/NAME.py``: the lectures;
- ``nnlab/authoring/exercises/NAME.py``: the exercises, solutions between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``.

Each is a Python file in jupytext's "percent" format, read and written with jupytext (so JupyterLab's
jupytext extension opens it as a notebook: right-click, Open With, Jupytext Notebook):

    # %% [markdown]
    # # A heading
    # Some prose.

    # %%
    print("a code cell")

``nnlab build`` turns a lecture into ``NAME.ipynb`` (with a kernelspec, so JupyterLab opens it without a
kernel dialog, and cell ids ``cell-000``, ...), executes it so the saved notebook shows its outputs (and a
static image of every explorer), and writes it into the checkout's ``notebooks/`` (or ``--out``).
``nnlab assign`` writes an exercise's student version (stubs). ``nnlab course DEST`` writes both for a
student or an instructor who installed nnlab. ``tests/test_packaging.py`` checks that committed notebooks
match their sources.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
SOURCES = files(__name__)
LECTURES = SOURCES / "lectures"
EXERCISES = SOURCES / "exercises"


def _checkout():
    """The source checkout nnlab runs from (the folder holding ``pyproject.toml`` and ``notebooks/``), or
    None when nnlab is installed (from a wheel, into site-packages)."""
    root = Path(__file__).resolve().parent.parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir() else None


CHECKOUT = _checkout()
NOTEBOOKS = CHECKOUT / "notebooks" if CHECKOUT else None  # the built lectures, in a checkout
EXERCISE_NOTEBOOKS = NOTEBOOKS / "exercises" if NOTEBOOKS else None  # the student versions, in a checkout
FORMAT = "py:percent"


def _names(folder):
    return sorted(p.name[: -len(".py")] for p in folder.iterdir() if p.name.endswith(".py") and p.is_file())


def sources():
    """The lectures' names (``00_start_here``, ...)."""
    return _names(LECTURES)


def exercises():
    """The exercises' names (``e01_perceptron``, ...)."""
    return _names(EXERCISES)


def lecture_source(name: str):
    """The source of a lecture (an ``importlib.resources`` Traversable: ``.read_text()``, ``str()``)."""
    return LECTURES / f"{name}.py"


def exercise_source(name: str):
    """The source of an exercise, with its solutions."""
    return EXERCISES / f"{name}.py"


def parse_percent(text: str):
    """The cells of percent-format text as a list of (cell_type, source), read by jupytext."""
    import jupytext

    return [(c.cell_type, c.source) for c in jupytext.reads(text, fmt=FORMAT).cells]


def write_percent(cells) -> str:
    """Percent-format text of a list of (cell_type, source), written by jupytext (``parse_percent``'s
    inverse), without a header or cell metadata: as the sources are written."""
    import jupytext

    nb = to_notebook(cells)
    nb.metadata = {"jupytext": {"notebook_metadata_filter": "-all", "cell_metadata_filter": "-all"}}
    return jupytext.writes(nb, fmt=FORMAT)


def lecture_cells(name: str):
    return parse_percent(lecture_source(name).read_text(encoding="utf-8"))


def to_notebook(cells):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    new = {"markdown": nbformat.v4.new_markdown_cell, "raw": nbformat.v4.new_raw_cell}
    for kind, source in cells:
        nb.cells.append(new.get(kind, nbformat.v4.new_code_cell)(source))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    return nb


def _write(nb, path: Path) -> Path:
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path


def _folder(out, default, command):
    if out is not None:
        return Path(out)
    if default is None:
        raise ValueError(f"out: nnlab is installed (not run from a source checkout), so there is no notebooks/ "
                         f"folder for `nnlab {command}` to write into; expected a folder (--out DIR), got none. "
                         f"`nnlab course DEST` writes the whole course into DEST")
    return default


def build(name: str, execute: bool = True, timeout: int = 300, out=None) -> Path:
    """Build ``NAME.ipynb`` from the lecture source ``NAME`` into ``out`` (default: the checkout's
    ``notebooks/``; installed from a wheel there is none and ``out`` is required)."""
    folder = _folder(out, NOTEBOOKS, "build")
    nb = to_notebook(lecture_cells(name))
    if execute:
        from nbclient import NotebookClient

        folder.mkdir(parents=True, exist_ok=True)
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
        nb.metadata.pop("widgets", None)  # live widget state is not useful in a saved file
    return _write(nb, folder / f"{name}.ipynb")


# ------------------------------------------------------------------ exercises

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "raise NotImplementedError(\"write your solution here\")"


def strip_solutions(source: str) -> str:
    """The student version of a code cell: each solution region becomes a stub at its indentation."""
    out, skipping = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if skipping:
                raise ValueError(f"source: nested '{BEGIN}'")
            skipping = True
            out.append(line[: len(line) - len(line.lstrip())] + STUB)
        elif stripped == END:
            if not skipping:
                raise ValueError(f"source: '{END}' without '{BEGIN}'")
            skipping = False
        elif not skipping:
            out.append(line)
    if skipping:
        raise ValueError(f"source: '{BEGIN}' without '{END}'")
    return "\n".join(out)


def exercise_cells(name: str, solution: bool):
    cells = parse_percent(exercise_source(name).read_text(encoding="utf-8"))
    if solution:
        return [(k, "\n".join(l for l in s.splitlines() if l.strip() not in (BEGIN, END))) for k, s in cells]
    return [(k, strip_solutions(s) if k == "code" else s) for k, s in cells]


def assign(name: str, out=None) -> Path:
    """Write the student version ``NAME.ipynb`` (stubs, no outputs) into ``out`` (default: the checkout's
    ``notebooks/exercises/`` when run from inside the checkout; anywhere else, or installed from a wheel, the
    current folder: an instructor's course folder beside a clone gets the notebook, not the clone)."""
    folder = Path(out) if out is not None else EXERCISE_NOTEBOOKS if _inside_checkout() else Path.cwd()
    return _write(to_notebook(exercise_cells(name, solution=False)), folder / f"{name}.ipynb")


def _inside_checkout():
    cwd = Path.cwd().resolve()
    return CHECKOUT is not None and (cwd == CHECKOUT or CHECKOUT in cwd.parents)


# ------------------------------------------------------------------ the course, for a student

def course(dest, force: bool = False):
    """Write the course into the folder ``dest``: the lectures as ``dest/NAME.ipynb`` (not executed: run
    them in JupyterLab) and the student versions of the exercises as ``dest/exercises/NAME.ipynb``, the
    layout of the repository's ``notebooks/``. No solutions and no sources are written. ``dest`` must be
    new or empty unless ``force`` (then files with the course's names are replaced, nothing else is
    touched). Returns the paths written."""
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise ValueError(f"DEST: expected a folder for the course, got {str(dest)!r}, which is a file")
    if dest.is_dir() and not force:
        held = sorted(p.name for p in dest.iterdir())
        if held:
            shown = ", ".join(held[:5]) + (", ..." if len(held) > 5 else "")
            raise ValueError(f"DEST: expected a new or empty folder, got {str(dest)!r}, which holds "
                             f"{len(held)} item(s) ({shown}); pass --force to write the course into it anyway "
                             f"(files with the course's names are replaced, nothing else is touched)")
    written = [_write(to_notebook(lecture_cells(name)), dest / f"{name}.ipynb") for name in sources()]
    written += [assign(name, dest / "exercises") for name in exercises()]
    return written
