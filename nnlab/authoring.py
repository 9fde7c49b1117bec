"""Build the course notebooks from plain-text sources.

A source is a Python file in "percent" format (``notebooks/src/NAME.py``):

    # %% [markdown]
    # # A heading
    # Some prose.

    # %%
    print("a code cell")

``python -m nnlab build`` turns each source into ``notebooks/NAME.ipynb`` (with a
kernelspec, so JupyterLab opens it without a kernel dialog), executes it so the saved
notebook shows its outputs (and a static image of every explorer), and writes it.
``tests/test_notebooks_in_sync.py`` checks that committed notebooks match their sources.
"""
from __future__ import annotations

import re
from pathlib import Path

CELL_MARK = re.compile(r"^# %%(?P<md> \[markdown\])?\s*$")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "notebooks" / "src"
OUT = ROOT / "notebooks"


def parse_percent(text: str):
    """Split percent-format text into a list of (cell_type, source)."""
    cells, kind, lines = [], None, []

    def flush():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(l[2:] if l.startswith("# ") else l.lstrip("#") for l in body.splitlines())
        cells.append((kind, body))

    for line in text.splitlines():
        m = CELL_MARK.match(line)
        if m:
            flush()
            kind, lines = ("markdown" if m.group("md") else "code"), []
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def to_notebook(cells):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        nb.cells.append(nbformat.v4.new_markdown_cell(source) if kind == "markdown"
                        else nbformat.v4.new_code_cell(source))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    return nb


def build(name: str, execute: bool = True, timeout: int = 300) -> Path:
    """Build ``notebooks/<name>.ipynb`` from ``notebooks/src/<name>.py``."""
    import nbformat

    src = SRC / f"{name}.py"
    out = OUT / f"{name}.ipynb"
    nb = to_notebook(parse_percent(src.read_text(encoding="utf-8")))
    if execute:
        from nbclient import NotebookClient

        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(OUT)}}).execute()
        nb.metadata.pop("widgets", None)  # live widget state is not useful in a saved file
    out.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return out


def sources():
    return sorted(p.stem for p in SRC.glob("*.py"))


# ------------------------------------------------------------------ exercises

EXERCISE_SRC = OUT / "exercises" / "src"
EXERCISE_OUT = OUT / "exercises"
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
    cells = parse_percent((EXERCISE_SRC / f"{name}.py").read_text(encoding="utf-8"))
    if solution:
        return [(k, "\n".join(l for l in s.splitlines() if l.strip() not in (BEGIN, END))) for k, s in cells]
    return [(k, strip_solutions(s) if k == "code" else s) for k, s in cells]


def assign(name: str) -> Path:
    """Write the student version notebooks/exercises/<name>.ipynb (stubs, no outputs)."""
    import nbformat

    out = EXERCISE_OUT / f"{name}.ipynb"
    out.write_text(nbformat.writes(to_notebook(exercise_cells(name, solution=False))) + "\n", encoding="utf-8")
    return out


def exercises():
    return sorted(p.stem for p in EXERCISE_SRC.glob("*.py"))
