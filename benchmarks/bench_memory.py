"""Memory of a student's kernel per lecture, and which heavy libraries each lecture loads and why.

Run:  python benchmarks/bench_memory.py [NAME ...]      (names as in notebooks/, default every lecture)

Each lecture runs top to bottom in a fresh kernel (nbclient, as nbval does). A first cell, added before the
lecture's own, records who imports PyTorch, numba or scikit-learn (the first import of each, through a
``sys.meta_path`` finder that only looks); a last cell, in the same kernel, reads the kernel's memory: RSS
(resident pages, shared libraries counted in full) and PSS (shared pages divided among the processes that
map them: what one more student costs on a server where the libraries' pages are shared). Prints a table:
RSS and PSS in MiB, the heavy libraries loaded, and for each the first course or notebook line that
imported it. Goal (issue 32): a lecture that needs neither PyTorch nor numba stays at or under 300 MiB RSS.
"""
from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "numba", "sklearn")
CELL = re.compile(r"/ipykernel_\d+/")   # where IPython keeps a cell's code: /tmp/ipykernel_PID/HASH.py

#: the first cell: a finder that records the stack of each search for a heavy library not yet imported, and finds
#: nothing; the last search before the library is in sys.modules is the import (``importlib.util.find_spec``
#: searches without importing)
TRACE = f"""
import sys as _sys, traceback as _tb
class _Watch:
    first = {{}}
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in {HEAVY!r} and top not in _sys.modules:
            self.first[top] = [(f.filename, f.lineno, f.line) for f in _tb.extract_stack()[:-1]]
        return None
_sys.meta_path.insert(0, _Watch())
"""

#: the last cell: memory and the heavy libraries, as one JSON line
REPORT = f"""
import json as _json, psutil as _psutil
_info = _psutil.Process().memory_full_info()
print(_json.dumps({{"rss": _info.rss, "pss": getattr(_info, "pss", None),
                   "loaded": [m for m in {HEAVY!r} if m in _sys.modules],
                   "first": [w for w in _sys.meta_path if type(w).__name__ == "_Watch"][0].first}}))
"""


def culprit(stack):
    """The frame that names who wanted the library: the last nnlab frame, else the last notebook cell's."""
    ours = [f for f in stack
            if "/nnlab/" in f[0] and "/site-packages/" not in f[0] or CELL.search(f[0])]
    if not ours:
        return "?"
    name, line, text = ours[-1]
    where = name.split("/nnlab/", 1)[-1] if "/nnlab/" in name else "cell"
    cell = next((f for f in stack if CELL.search(f[0])), None)
    via = f" (cell: {cell[2]})" if cell is not None and cell is not ours[-1] else ""
    return f"{where}:{line} {text}{via}"


def measure(path, timeout=900):
    """Run the notebook at ``path`` in a fresh kernel; its memory, heavy libraries and who imported them."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [nbformat.v4.new_code_cell(TRACE), *nb.cells, nbformat.v4.new_code_cell(REPORT)]
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                   allow_errors=True).execute()
    seconds = time.perf_counter() - t0
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    result = json.loads(text.strip().splitlines()[-1])
    errors = [o["ename"] for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    return {**result, "seconds": seconds, "errors": errors}


def main(names):
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if names:
        paths = [p for p in paths if any(p.name.startswith(n) for n in names)]
    print(f"{'lecture':<40} {'RSS MiB':>8} {'PSS MiB':>8} {'s':>5}  heavy libraries (first importer)")
    for path in paths:
        r = measure(path)
        mib = 2 ** 20
        pss = f"{r['pss'] / mib:8.0f}" if r["pss"] else "       ?"
        heavy = "; ".join(f"{m}: {culprit(r['first'][m])}" for m in r["loaded"]) or "-"
        print(f"{path.stem:<40} {r['rss'] / mib:8.0f} {pss} {r['seconds']:5.0f}  {heavy}"
              + (f"  ERRORS {r['errors']}" if r["errors"] else ""), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
