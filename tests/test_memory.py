"""A student's kernel keeps only the heavy libraries its lecture uses, and stays within its memory (issue 32).

PyTorch (~200 MiB), numba (~130 MiB) and scikit-learn (~90 MiB with its datasets) are loaded where a lecture
needs them and nowhere else. Two kinds of run, each in a fresh process:

- every lecture's imports and explorers: each ``import`` of the built notebook, in order, then each explorer
  constructed as the notebook writes it (its first frame drawn, its background work, such as the training
  playground's compilation, waited for), in a plain Python process. DigitPad is imported, not built: it
  trains two PyTorch networks first (8-30 s), in lecture 6, which imports PyTorch anyway;
- whole lectures, top to bottom in a kernel of their own (nbclient, as nbval runs them), where running one is
  cheap: what functions such as the set-up check or the digits loader import shows only there. Lectures 4-6
  (PyTorch training, about a minute) run whole in ``benchmarks/bench_memory.py`` and nbval only.

Each run reports the heavy libraries in ``sys.modules`` and its resident memory (RSS). The libraries must be
exactly the lecture's (so a lecture that uses PyTorch must be seen loading it: the detection is proven on real
cases), and a kernel that needs neither PyTorch nor numba stays at or under 300 MiB.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
HEAVY = ("torch", "numba", "sklearn")
MIB = 2 ** 20
GOAL = 300  # MiB: a kernel that needs neither PyTorch nor numba (issue 32)

#: the heavy libraries each lecture's imports and explorers load, and why
IMPORTS = {
    "00": set(),
    "01": set(),
    "02": set(),
    "03": set(),
    "04": {"torch"},                # import torch: autograd against nnlab's autodiff
    "05": {"torch", "numba"},       # import torch: PyTorch's training loop; the playground compiles its steps
    "06": {"torch", "sklearn"},     # import torch: the CNN; from sklearn.metrics import confusion_matrix
    "07": set(),
    "08": {"numba"},                # the optimiser race, compiled
    "09": set(),
    "10": set(),
}

#: whole lectures run here: the heavy libraries each loads (and why), and its kernel's RSS ceiling in MiB.
#: Measured (benchmarks/bench_memory.py, README "Memory per student"): 00 121, 01 142, 02 129, 03 161, 07 127,
#: 08 257, 09 275, 10 224 MiB.
WHOLE = {
    "00": (set(), GOAL),     # the set-up check imports PyTorch, numba and scikit-learn in a child process
    "01": (set(), GOAL),     # the digits are read from scikit-learn's file, without scikit-learn
    "02": (set(), GOAL),
    "03": (set(), GOAL),
    "07": (set(), GOAL),
    "08": ({"numba"}, 280),  # the race; 246 MiB in issue 32, 257 here
    "09": ({"numba"}, 310),  # overfit.train: compiled training steps
    # mpc.imitate trains with compiled=False, but Trainer.run imports its compiled module (and numba) first
    "10": ({"numba"}, GOAL),
}

#: explorers not built in the imports-and-explorers run, for their cost (see the module's docstring)
EXPENSIVE = {"DigitPad"}

#: run in the fresh process: the notebook's imports, then its explorers, then the report (one JSON line)
CHILD = """
import ast, json, sys
cells, explorers, heavy = (json.loads(arg) for arg in sys.argv[1:])
space = {}
calls = []
for source in cells:
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            exec(compile(ast.Module([node], []), "<notebook>", "exec"), space)
    calls += [ast.get_source_segment(source, node) for node in ast.walk(tree) if isinstance(node, ast.Call)
              and isinstance(node.func, ast.Name) and node.func.id in set(explorers)]
built = [eval(call, space) for call in calls]
assert all(b.image.value[:4] == b"\\x89PNG" for b in built), "an explorer drew no frame"
if "nnlab.views.background" in sys.modules:   # its work in the background (one worker), finished
    sys.modules["nnlab.views.background"].EXECUTOR.submit(lambda: None).result(600)
import psutil
print(json.dumps({"rss": psutil.Process().memory_info().rss, "calls": calls,
                  "loaded": [m for m in heavy if m in sys.modules]}))
"""

#: the last cell of a whole lecture's run: the kernel's memory and heavy libraries
REPORT = f"""
import json as _json, sys as _sys, psutil as _psutil
_info = _psutil.Process().memory_full_info()
print(_json.dumps({{"rss": _info.rss, "pss": getattr(_info, "pss", 0),
                   "loaded": [m for m in {HEAVY!r} if m in _sys.modules]}}))
"""


def notebook(number):
    """The built lecture notebook numbered ``number`` ("00" .. "10")."""
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    return path


def code_cells(path):
    """The code cells' sources of the notebook at ``path`` (IPython's % and ! lines left out)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return ["\n".join(line for line in s.splitlines() if not line.lstrip().startswith(("%", "!"))) for s in sources]


def imports_and_explorers(path):
    """Run the notebook's imports and explorers in a fresh Python; its report (rss, calls, loaded)."""
    from nnlab.views import EXPLORERS

    names = sorted(cls.__name__ for cls in EXPLORERS if cls.__name__ not in EXPENSIVE)
    done = subprocess.run([sys.executable, "-c", CHILD, *map(json.dumps, (code_cells(path), names, HEAVY))],
                          capture_output=True, text=True, cwd=path.parent, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def whole_lecture(path):
    """Run the notebook top to bottom in a fresh kernel, then read the kernel's memory; its report."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    return json.loads(out.strip().splitlines()[-1])


def test_every_lecture_is_listed():
    lectures = {p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    assert lectures == set(IMPORTS) and set(WHOLE) <= lectures


def test_the_child_sees_what_it_runs(tmp_path):
    """The child reports a heavy library the notebook imports, and the explorers it builds: on a notebook of
    two cells, one importing scikit-learn's smallest part, one building an explorer."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sklearn\nimport numpy as np"),
                                         nbformat.v4.new_code_cell("from nnlab import ActivationExplorer\n"
                                                                   "e = ActivationExplorer(w=2.0)\ne")])
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    report = imports_and_explorers(path)
    assert report["loaded"] == ["sklearn"] and report["calls"] == ["ActivationExplorer(w=2.0)"], report


@pytest.mark.slow
@pytest.mark.parametrize("number", sorted(IMPORTS))
def test_imports_and_explorers_load_only_what_the_lecture_uses(number):
    path = notebook(number)
    report = imports_and_explorers(path)
    assert report["calls"] or number == "06", f"{path.name}: no explorer found"
    assert set(report["loaded"]) == IMPORTS[number], (path.name, report)
    if not IMPORTS[number] & {"torch", "numba"}:
        assert report["rss"] <= GOAL * MIB, (path.name, report["rss"] / MIB)


@pytest.mark.slow
@pytest.mark.notebooks
@pytest.mark.parametrize("number", sorted(WHOLE))
def test_a_whole_lecture_keeps_its_kernel_small(number):
    path = notebook(number)
    allowed, ceiling = WHOLE[number]
    report = whole_lecture(path)
    assert set(report["loaded"]) == allowed, (path.name, report)
    assert report["rss"] <= ceiling * MIB, (path.name, f"{report['rss'] / MIB:.0f} MiB > {ceiling} MiB")
