"""The untrusted side of ``nnlab grade``: run one submitted notebook, call its functions, write plain arrays.

    python -m nnlab.grading.sandbox WORKDIR READY_FD

``WORKDIR/plan.npz`` (written by the grader, read and deleted here before any student code runs) says
which notebook to run, which functions to call on which inputs, the limits, and what to hide. This
process then, when it runs in its own namespaces: hides the grading folders and files behind empty
mounts, makes every other mount read-only but its own folder and gives up all capabilities
(``lock_down``); drops root to an unprivileged user (when asked); sets its resource limits; binds the
tools it reports with (``bind_tools``). Then it writes "ready" to the pipe ``READY_FD`` and closes it, or
"setup failed: ..." if any of that failed: the grader charges a run that never said "ready" to itself,
never to the student. Only then does student code run: the notebook's code cells in order (magics and
shell escapes are skipped; a cell that raises or runs too long is recorded as a ``Problem`` and the
next cell runs). It then calls each graded function through its check's run function and writes
``WORKDIR/result.npz``: numbers and strings only. Nothing here is trusted by the grader: it judges the
arrays itself, so a submission that patches numpy, ``nnlab.check`` or this module gains nothing but its
own wrong answers, and the patches are undone before the results are encoded.
"""
from __future__ import annotations

import builtins
import ctypes
import json
import os
import resource
import signal
import sys
import tempfile
import traceback
import types

import numpy as np

from ..checks import harness, registry, wire
from . import capabilities

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
    """In a private mount namespace: cover the folders in ``hide`` with empty tmpfs and its files with
    /dev/null, give the process an empty /dev/shm of its own, and make every mount read-only except
    ``workdir`` and that /dev/shm; then become ``uid`` or, staying root, give
    up all capabilities, so that nothing can be remounted or changed back. ``hide`` must not nest (the
    grader passes only the outermost of nested paths)."""
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    for p in hide:
        if os.path.isdir(p):
            _mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=16k")
        else:
            _mount("/dev/null", p, None, MS_BIND)
    _mount(workdir, workdir, None, MS_BIND)
    os.chdir(workdir)  # onto the bind mount (the old cwd is the covered, soon read-only, directory)
    writable = {workdir}
    if os.path.isdir("/dev/shm"):  # a private, empty shared-memory folder: DataLoader(num_workers=2) needs one
        _mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=256m")
        writable.add("/dev/shm")
    with open("/proc/self/mountinfo") as fh:
        points = [line.split()[4].encode().decode("unicode_escape") for line in fh]
    for point in points:
        if point not in writable:
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
    """Execute code cells; returns a ``Problem`` per failed cell (case "cell k", the first line of the
    error, and the kind: ``harness.RAISED``, ``harness.TIMEOUT`` or ``harness.MEMORY``)."""
    failures = []

    def alarm(signum, frame):
        raise TimeoutError(f"cell ran longer than {cell_time:g} s")

    signal.signal(signal.SIGALRM, alarm)
    for k, source in enumerate(cells, start=1):
        try:
            code = compile(_transform(source), f"<cell {k}>", "exec")
        except SyntaxError as exc:
            failures.append(harness.Problem(f"cell {k}", harness.RAISED, f"SyntaxError: {exc.msg} (line {exc.lineno})"))
            continue
        try:
            signal.setitimer(signal.ITIMER_REAL, cell_time)
            exec(code, namespace)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included: a cell cannot end the run
            kind = harness.TIMEOUT if isinstance(exc, TimeoutError) else \
                harness.MEMORY if isinstance(exc, MemoryError) else harness.RAISED
            failures.append(harness.Problem(f"cell {k}", kind, _first_line(exc)))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return failures


# The modules whose attributes the sandbox's own machinery uses (calling the graded functions, encoding and
# writing the results). A notebook may replace their attributes (``np.savez = ...``, ``check.encode = ...``,
# ``builtins.isinstance = ...``); the ``restore`` of ``bind_tools`` puts back what was there before.
HARNESS_MODULES = ("builtins", "nnlab.grading.sandbox", "nnlab.checks.harness", "nnlab.checks.registry",
                   "nnlab.checks.wire", "nnlab.check", "nnlab.checks", "nnlab.grading", "nnlab", "numpy",
                   "numpy.lib.format", "json", "json.encoder", "json.decoder", "zipfile", "io", "os", "posixpath",
                   "signal", "threading", "traceback", "warnings", "contextlib", "dataclasses")


# Packages the checks' run functions build their objects from (a DataLoader, an optimiser, a model): loaded by
# the set-up when a graded question needs them, and restored with the harness's modules, classes included, so
# that a notebook's patch of ``SGD.step`` or ``DataLoader.__init__`` does not reach the graded calls.
LIBRARIES = {"torch": ("torch", "torch.nn", "torch.optim", "torch.utils.data", "torch.autograd", "torch._tensor",
                       "torch.functional", "torch.nn.functional", "torch.random")}


def bind_tools(libraries=()):
    """What the sandbox needs to report back, bound before any student code runs: returns ``restore`` (puts
    back the attributes of ``HARNESS_MODULES``, of the modules of ``libraries`` (``LIBRARIES``' names) and of the
    classes of the checks' modules and of those libraries; submodules imported since stay), each check's (run,
    forbid) and the functions that encode and write the results. Everything ``restore`` uses is held in its
    closure, so patching a module cannot reach it."""
    modules = sys.modules
    prefixes = tuple(p for lib in libraries for p in LIBRARIES[lib])
    library = [name for name in modules if name in prefixes or name.startswith(tuple(p + "." for p in prefixes))]
    watched = [name for name in (*HARNESS_MODULES, *library) if name in modules and modules[name] is not None]
    snapshot = [(name, modules[name], dict(vars(modules[name]))) for name in watched]
    checks = [m for name, m in modules.items() if name.startswith("nnlab.checks") and m is not None]
    classes = [(c, dict(vars(c))) for m in (*checks, *(modules[n] for n in library if modules[n] is not None))
               for c in list(vars(m).values()) if isinstance(c, type) and c.__module__ == m.__name__]
    builtin_names = frozenset(vars(builtins))
    clear, update, set_attr, del_attr = dict.clear, dict.update, type.__setattr__, type.__delattr__
    module_type, is_instance, fixed = types.ModuleType, isinstance, frozenset(("__dict__", "__weakref__"))

    def restore():
        for name, module, attributes in snapshot:
            modules[name] = module
            now = module.__dict__
            submodules = {k: v for k, v in now.items()
                          if k not in attributes and k not in builtin_names and is_instance(v, module_type)}
            clear(now)
            update(now, attributes)
            update(now, submodules)
        for cls, attributes in classes:
            now = cls.__dict__
            for key in [k for k in now if k not in attributes]:
                del_attr(cls, key)
            for key, value in attributes.items():
                if key not in fixed and now.get(key) is not value:
                    set_attr(cls, key, value)

    runs = {name: (spec.run, spec.forbid) for name, spec in registry.CHECKS.items()}
    return restore, runs, harness.shortcuts, wire.encode, np.savez


def _set_up(workdir):
    """Everything before the first student line runs; a failure here is the grader's, never the student's."""
    os.chdir(workdir)
    plan = wire.decode(np.load("plan.npz", allow_pickle=False))
    os.unlink("plan.npz")
    plan["libraries"] = _take_away_and_load(plan)
    if plan.get("lockdown"):
        lock_down(os.getcwd(), plan.get("hide", []), plan.get("uid"))
    elif plan.get("uid") is not None:
        become(plan["uid"])
    _limit(plan["limits"])
    registry.MODE.grading = True  # the notebook's own check calls only say so: the graded calls come below
    for name in ("HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR", "TMPDIR"):
        os.environ[name] = os.getcwd()
    tempfile.tempdir = None  # read TMPDIR again (an import may have settled on /tmp, read-only here)
    with open(plan["notebook"], encoding="utf-8") as fh:
        nb = json.load(fh)
    os.unlink(plan["notebook"])
    cells = [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
             for c in nb["cells"] if c.get("cell_type") == "code"]
    _transform("")  # import IPython's transformer now, not under the student's limits and patches
    return plan, cells


def _take_away_and_load(plan):
    """Before the lock-down: the shortcuts of the graded "write it yourself" questions taken away
    (``capabilities``), and the libraries the other questions' checks build their objects from loaded."""
    capabilities.take_away(plan.get("absent", []))
    libraries = sorted({lib for q in plan["questions"] for lib in registry.CHECKS[q["check"]].libraries})
    for lib in libraries:
        __import__(lib)
    return libraries


def main(workdir, ready_fd):
    """Set up, tell the grader "ready" on ``ready_fd`` (or why not), run the student's notebook, report."""
    try:
        plan, cells = _set_up(workdir)
        restore, runs, shortcuts, encode, savez = bind_tools(plan["libraries"])
    except BaseException as exc:  # the grader's own failure: say so on the channel the student never sees
        os.write(ready_fd, f"setup failed: {type(exc).__name__}: {exc}".encode()[:2000])
        raise
    os.write(ready_fd, b"ready")
    os.close(ready_fd)  # from here on, whatever goes wrong happened while student code was in charge

    shell = _NoShell()
    namespace = {"__name__": "__main__", "get_ipython": lambda: shell}
    sys.stdout = sys.stderr = open(os.devnull, "w")  # printed output is not graded
    failures = run_notebook(cells, plan["cell_time"], namespace)
    restore()
    questions = {}
    if "torch" not in sys.modules:  # the shortcut watch needs torch loaded; unloaded, it may not be imported
        sys.modules["torch"] = None
    for q in plan["questions"]:
        run, forbid = runs[q["check"]]
        f = namespace.get(q["function"])
        if not callable(f):
            questions[q["check"]] = {"missing": True}
            continue
        try:
            forbidden = shortcuts(forbid) if forbid else None
            questions[q["check"]] = {"outcomes": run(f, plan["cases"][q["check"]], forbidden, plan["call_time"])}
        except BaseException as exc:  # SystemExit or KeyboardInterrupt from the student's function
            restore()
            questions[q["check"]] = {"error": _first_line(exc)}
        restore()
    savez("result.npz", **encode({"failures": failures, "questions": questions}))
    os._exit(0)  # no atexit handlers or threads of the notebook's run after the results are written


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
