"""The untrusted side of ``nnlab grade``: run one submitted notebook, call its functions, write plain arrays.

    python -m nnlab.sandbox WORKDIR

``WORKDIR/plan.npz`` (written by the grader, read and deleted here before any student code runs) says
which notebook to run, which functions to call on which inputs, the limits, and what to hide. This
process then, when it runs in its own namespaces: hides the grading folders behind empty mounts, makes
every other mount read-only but its own folder and gives up all capabilities (``lock_down``); drops
root to an unprivileged user (when asked); sets its resource limits; executes the
notebook's code cells in order (magics and shell escapes are skipped; a cell that raises or runs too
long is recorded and the next cell runs), calls each graded function through ``nnlab.check`` and
writes ``WORKDIR/result.npz``: numbers and strings only. Nothing here is trusted by the grader: it
judges the arrays itself, so a submission that patches numpy, ``nnlab.check`` or this module gains
nothing but its own wrong answers.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import traceback

import numpy as np

from . import check

class _NoShell:
    """``get_ipython()`` for graded notebooks: magics (%matplotlib, %timeit) and !shell lines do nothing."""

    def _skip(self, *args, **kwargs):
        return None

    run_line_magic = run_cell_magic = system = getoutput = _skip


_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source, target, fstype, flags, data=None):
    enc = lambda v: v.encode() if isinstance(v, str) else v  # noqa: E731
    if _libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}: {os.strerror(ctypes.get_errno())}")


MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 0x4000, 1 << 18


def lock_down(workdir, hide, uid=None):
    """In a private mount namespace: cover ``hide`` with empty tmpfs and make every mount read-only except
    ``workdir``; then become ``uid`` or, staying root, give up all capabilities, so that nothing can be
    remounted or changed back."""
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    for p in hide:
        _mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=16k")
    _mount(workdir, workdir, None, MS_BIND)
    os.chdir(workdir)  # onto the bind mount (the old cwd is the covered, soon read-only, directory)
    with open("/proc/self/mountinfo") as fh:
        points = [line.split()[4].encode().decode("unicode_escape") for line in fh]
    for point in points:
        if point != workdir:
            try:
                _mount("none", point, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
            except OSError:
                pass  # e.g. covered by a later mount; the covering one is in the list too
    PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    if uid is not None:
        become(uid)  # leaving uid 0 clears every capability
    else:
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
        data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable (x2): all empty
        if _libc.capset(header, data) != 0:
            raise OSError(ctypes.get_errno(), "capset")
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def become(uid):
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _limit(limits):
    for name, value in limits.items():
        res = getattr(resource, f"RLIMIT_{name.upper()}")
        resource.setrlimit(res, (value, value) if name != "cpu" else (value, value + 2))


def _transform(source):
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # plain Python: drop magic and shell lines
        return "\n".join("pass" if l.lstrip().startswith(("%", "!")) else l for l in source.splitlines())
    return TransformerManager().transform_cell(source)


def _first_line(exc):
    tb = traceback.extract_tb(exc.__traceback__)
    where = next((f" (line {t.lineno})" for t in reversed(tb) if t.filename.startswith("<cell")), "")
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}{where}"[:300]


def run_notebook(cells, cell_time, namespace):
    """Execute code cells; returns one record per failed cell: {"cell": k, "error": first line, "kind": ...}."""
    failures = []

    def alarm(signum, frame):
        raise TimeoutError(f"cell ran longer than {cell_time:g} s")

    signal.signal(signal.SIGALRM, alarm)
    for k, source in enumerate(cells, start=1):
        try:
            code = compile(_transform(source), f"<cell {k}>", "exec")
        except SyntaxError as exc:
            failures.append({"cell": k, "error": f"SyntaxError: {exc.msg} (line {exc.lineno})", "kind": "error"})
            continue
        try:
            signal.setitimer(signal.ITIMER_REAL, cell_time)
            exec(code, namespace)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included: a cell cannot end the run
            kind = "timeout" if isinstance(exc, TimeoutError) else "memory" if isinstance(exc, MemoryError) \
                else "error"
            failures.append({"cell": k, "error": _first_line(exc), "kind": kind})
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return failures


def main(workdir):
    os.chdir(workdir)
    plan = check.decode(np.load("plan.npz", allow_pickle=False))
    os.unlink("plan.npz")
    if plan.get("lockdown"):
        lock_down(os.getcwd(), plan.get("hide", []), plan.get("uid"))
    elif plan.get("uid") is not None:
        become(plan["uid"])
    _limit(plan["limits"])
    check.TIME_LIMIT = plan["call_time"]
    os.environ["NNLAB_GRADING"] = "1"
    for name in ("HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR", "TMPDIR"):
        os.environ[name] = os.getcwd()

    with open(plan["notebook"], encoding="utf-8") as fh:
        nb = json.load(fh)
    os.unlink(plan["notebook"])
    cells = [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
             for c in nb["cells"] if c.get("cell_type") == "code"]

    shell = _NoShell()
    namespace = {"__name__": "__main__", "get_ipython": lambda: shell}
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = open(os.devnull, "w")  # printed output is not graded
    try:
        failures = run_notebook(cells, plan["cell_time"], namespace)
        questions = {}
        if "torch" not in sys.modules:  # the shortcut watch needs torch loaded; unloaded, it may not be imported
            sys.modules["torch"] = None
        for q in plan["questions"]:
            spec = check.CHECKS[q["check"]]
            f = namespace.get(q["function"])
            if not callable(f):
                questions[q["check"]] = {"missing": True}
                continue
            try:
                forbid = check.shortcuts(spec.forbid) if spec.forbid else None
                outcomes = spec.run(f, plan["cases"][q["check"]], forbid)
            except BaseException as exc:
                questions[q["check"]] = {"error": _first_line(exc)}
                continue
            questions[q["check"]] = {"outcomes": outcomes}
    finally:
        sys.stdout, sys.stderr = real_out, real_err
    report = {"failures": failures, "questions": questions}
    np.savez("result.npz", **check.encode(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
