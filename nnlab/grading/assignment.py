"""What to grade: an assignment's questions (which check grades which function, for how many points), read
from the ``check.NAME(function, points=P)`` calls of an exercise source or notebook, and the submissions (a
folder of notebooks, or nbgrader's ``submitted/<student>/<assignment>/`` layout)."""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from ..checks.registry import CHECKS

@dataclass
class Question:
    check: str       # name in nnlab.CHECKS
    function: str    # the student's function, looked up by name after the notebook ran
    points: float = 1.0


@dataclass
class Assignment:
    name: str
    questions: list

    @property
    def absent(self):
        """The kinds of shortcut its "write it yourself" questions rule out (the checks' ``forbid``): the
        submission's graded run lacks them (``nnlab.grading.capabilities``)."""
        return tuple(sorted({CHECKS[q.check].forbid for q in self.questions if CHECKS[q.check].forbid}))


def assignment_from_cells(name, code_cells):
    """The graded questions of an exercise: every ``check.NAME(function[, points=P])`` call in its code."""
    questions = {}
    for source in code_cells:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "check"
                    and node.func.attr in CHECKS and node.args and isinstance(node.args[0], ast.Name)):
                points = next((k.value.value for k in node.keywords if k.arg == "points"
                               and isinstance(k.value, ast.Constant)), 1)
                questions.setdefault(node.func.attr, Question(node.func.attr, node.args[0].id, float(points)))
    if not questions:
        raise ValueError(f"assignment: {name} has no check.NAME(function) calls to grade")
    return Assignment(name, list(questions.values()))


def load_assignment(name_or_path):
    """An nnlab exercise name (``e02_forward_and_backprop``), or the path of an exercise source (.py in
    percent format) or of a notebook (.ipynb) that calls the checks."""
    from .. import authoring

    path = Path(name_or_path)
    if name_or_path in authoring.exercises():
        path = authoring.exercise_source(name_or_path)  # package data: a Traversable, read with read_text
    elif not path.is_file():
        raise ValueError(f"assignment: expected an exercise name {authoring.exercises()} or a .py/.ipynb "
                              f"file, got {name_or_path!r}")
    name = Path(path.name)  # the name and suffix of a path or of a packaged source alike
    if name.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [_source(c) for c in nb["cells"] if c.get("cell_type") == "code"]
    else:
        cells = [s.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")
                 for k, s in authoring.parse_percent(path.read_text(encoding="utf-8")) if k == "code"]
    return assignment_from_cells(name.stem, cells)


def _source(cell):
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


def find_submissions(root):
    """[(student, path)] for a folder of .ipynb files, nbgrader's ``submitted/<student>/<assignment>/``
    layout, or a single notebook. Students are named by folder (nbgrader) or by file name."""
    root = Path(root)
    if root.is_file():
        return [(root.stem, root)]
    if not root.is_dir():
        raise ValueError(f"submissions: expected a folder of .ipynb files or one notebook, got {str(root)!r}")
    found = []
    for p in sorted(root.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in p.parts:
            continue
        rel = p.relative_to(root).parts
        if "submitted" in rel[:-3] or (root.name == "submitted" and len(rel) == 3):
            i = len(rel) - 3
            found.append((rel[i], p))  # submitted/<student>/<assignment>/<notebook>
        else:
            found.append(("/".join(rel)[: -len(".ipynb")], p))
    names = [s for s, _ in found]
    dupes = {s for s in names if names.count(s) > 1}
    return [(f"{s}/{p.stem}" if s in dupes else s, p) for s, p in found]
