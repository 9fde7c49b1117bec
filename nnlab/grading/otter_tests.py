"""nnlab's checks as otter-grader test files (``nnlab otter``)."""
from __future__ import annotations

from pathlib import Path

OTTER_TEST = '''"""nnlab check `{check}` as an otter-grader test (exception-based format). Written by `nnlab otter`."""
from otter.test_files import test_case

OK_FORMAT = False

name = "{check}"
points = {points!r}


@test_case(points={points!r}, hidden=False)
def test_{check}({function}):
    from nnlab import check
    check.{check}({function}, strict=True)   # raises AssertionError with the diagnosis on its first line
'''


def export_otter(assignment, folder):
    """One otter-grader test file per question (``folder/<check>.py``), so that ``grader.check("<check>")``
    in a notebook, ``otter generate`` and ``otter run`` use the nnlab checks."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for q in assignment.questions:
        p = folder / f"{q.check}.py"
        p.write_text(OTTER_TEST.format(check=q.check, function=q.function, points=q.points), encoding="utf-8")
        paths.append(p)
    return paths
