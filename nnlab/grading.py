"""Batch grading: ``nnlab grade SUBMISSIONS --assignment NAME``.

The trust split. For each submission the grader (this process) draws the grading inputs, starts a
fresh sandbox process (``nnlab.sandbox``) with limits, and gets back only arrays, numbers and strings.
It then validates those and scores them with the checks' judges, which never run in the student's
process. Expected values and scoring code stay here; a submission that patches numpy, the checks, or
``assert``, or writes a results file of its own, changes nothing but its own answers.

The sandbox, as far as the machine allows (``protections()`` says what is in force here):
- its own PID, mount and network namespaces (``unshare``): no network, and every process it starts
  dies with it;
- the submissions folder and the output folders hidden behind empty read-only mounts;
- as root: an unprivileged user id per job slot and a pids cgroup (at most 64 processes);
  otherwise RLIMIT_NPROC;
- limits on CPU seconds, address space, file size and open files; a wall-clock limit enforced here.
"""
from __future__ import annotations

import ast
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import check

STATUSES = ("ok", "error", "timeout", "memory", "missing function", "grader error")
GRADER_ERROR = "grader error"  # the sandbox failed before the student's code ran: never the student's fault
MAX_NOTEBOOK_BYTES = 50 * 2**20


@dataclass
class Question:
    check: str       # name in nnlab.check.CHECKS
    function: str    # the student's function, looked up by name after the notebook ran
    points: float = 1.0


@dataclass
class Assignment:
    name: str
    questions: list


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
                    and node.func.attr in check.CHECKS and node.args and isinstance(node.args[0], ast.Name)):
                points = next((k.value.value for k in node.keywords if k.arg == "points"
                               and isinstance(k.value, ast.Constant)), 1)
                questions.setdefault(node.func.attr, Question(node.func.attr, node.args[0].id, float(points)))
    if not questions:
        raise ValueError(f"assignment: {name} has no check.NAME(function) calls to grade")
    return Assignment(name, list(questions.values()))


def load_assignment(name_or_path):
    """An nnlab exercise name (``e02_forward_and_backprop``), or the path of an exercise source (.py in
    percent format) or of a notebook (.ipynb) that calls the checks."""
    from . import authoring

    path = Path(name_or_path)
    if name_or_path in authoring.exercises():
        path = authoring.EXERCISE_SRC / f"{name_or_path}.py"
    if not path.is_file():
        raise ValueError(f"assignment: expected an exercise name {authoring.exercises()} or a .py/.ipynb "
                              f"file, got {name_or_path!r}")
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [_source(c) for c in nb["cells"] if c.get("cell_type") == "code"]
    else:
        cells = [s.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")
                 for k, s in authoring.parse_percent(path.read_text(encoding="utf-8")) if k == "code"]
    return assignment_from_cells(path.stem, cells)


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


# ------------------------------------------------------------------ protections


@dataclass
class Protections:
    prefix: list = field(default_factory=list)   # unshare command, or nothing
    drop_uid: bool = False
    cgroup_root: str | None = None
    notes: list = field(default_factory=list)

    def describe(self):
        return "; ".join(self.notes)


_PROTECTIONS = None
UID_BASE = 61000


def _probe(cmd, preexec=None):
    try:
        return subprocess.run(cmd, capture_output=True, timeout=60, preexec_fn=preexec).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def protections():
    """What this machine lets the sandbox use (probed once)."""
    global _PROTECTIONS
    if _PROTECTIONS is not None:
        return _PROTECTIONS
    p = Protections()
    root = os.geteuid() == 0
    ns = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child"]
    if not root:
        ns[1:1] = ["--user", "--map-root-user"]
    if shutil.which("unshare") and _probe(ns + ["true"]):
        p.prefix = ns
        p.notes.append("own PID, mount and network namespaces (no network; grading folders hidden; everything "
                       "read-only but its own folder; no capabilities)")
    else:
        p.notes.append("no namespaces (unshare unavailable): network not blocked, folders not hidden")
    if root:
        from .sandbox import become

        if _probe([sys.executable, "-c", "import nnlab.sandbox"], preexec=lambda: become(UID_BASE)):
            p.drop_uid = True
            p.notes.append(f"runs as unprivileged user ids {UID_BASE}+")
        else:
            p.notes.append("stays uid 0 (this Python is not readable by other users)"
                           + (", without capabilities" if p.prefix else ""))
        p.cgroup_root = _pids_cgroup()
        if p.cgroup_root:
            p.notes.append("pids cgroup (at most 64 processes)")
        if not p.cgroup_root and not p.drop_uid:
            p.notes.append("WARNING: no process limit applies to root here; a fork bomb is not contained")
    else:
        p.notes.append("RLIMIT_NPROC")
    _PROTECTIONS = p
    return p


def _pids_cgroup():
    """A writable cgroup folder with the pids controller (cgroup v1 or v2), or None."""
    v1, v2 = Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")
    if (v1 / "cgroup.procs").exists() and os.access(v1, os.W_OK):
        return str(v1)
    try:
        if "pids" in (v2 / "cgroup.subtree_control").read_text().split() and os.access(v2, os.W_OK):
            return str(v2)
    except OSError:
        pass
    return None


def _count_processes(uid):
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                n += os.stat(f"/proc/{d}").st_uid == uid
            except OSError:
                pass
    return n


# ------------------------------------------------------------------------ runs


@dataclass
class Limits:
    wall: float = 120.0        # seconds for the whole submission
    cpu: int = 60              # CPU seconds
    cell: float = 30.0         # seconds per notebook cell
    call: float = 5.0          # seconds per call of a graded function
    memory: int = 2 * 2**30    # bytes of address space
    fsize: int = 64 * 2**20    # bytes per written file
    processes: int = 64


@dataclass
class Row:
    student: str
    path: str
    status: str = "ok"
    message: str = ""
    scores: dict = field(default_factory=dict)     # question -> points earned
    feedback: dict = field(default_factory=dict)   # question -> messages
    seconds: float = 0.0


class _Run:
    """One submission in its sandbox: start, poll, finish."""

    def __init__(self, student, path, assignment, limits, seed, slot, hide):
        self.row = Row(student, str(path))
        self.assignment, self.limits, self.slot, self.hide = assignment, limits, slot, hide
        # each student gets their own inputs (copying another's outputs cannot help), the same on every re-run
        key = zlib.crc32(student.encode())
        self.cases = {q.check: check.CHECKS[q.check].cases(np.random.default_rng([seed, key, i]))
                      for i, q in enumerate(assignment.questions)}
        self.proc = self.workdir = self.cgroup = self.channel = None
        self.said = b""  # what the sandbox said on its ready channel: b"ready", or why it could not start
        self.done = False
        self.timed_out = False
        self.cpu = 0.0

    def start(self):
        self.t0 = time.monotonic()
        try:
            data = Path(self.row.path).read_bytes()
            if len(data) > MAX_NOTEBOOK_BYTES:
                raise ValueError(f"larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
            nb = json.loads(data)
            if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
                raise ValueError("no list of cells")
        except (ValueError, OSError) as exc:
            self._end("error", f"not a readable notebook: {str(exc).splitlines()[0][:200]}")
            return
        prot = protections()
        uid = UID_BASE + self.slot if prot.drop_uid else None
        self.workdir = tempfile.mkdtemp(prefix="nnlab-grade-")
        Path(self.workdir, "submission.ipynb").write_bytes(data)
        limits = {"cpu": self.limits.cpu, "as": self.limits.memory, "fsize": self.limits.fsize,
                  "nofile": 256, "core": 0}
        if os.geteuid() != 0 or uid is not None:
            limits["nproc"] = _count_processes(uid if uid is not None else os.getuid()) + self.limits.processes
        plan = {"notebook": "submission.ipynb", "cell_time": self.limits.cell, "call_time": self.limits.call,
                "limits": limits, "uid": uid, "hide": self.hide if prot.prefix else [], "lockdown": bool(prot.prefix),
                "questions": [{"check": q.check, "function": q.function} for q in self.assignment.questions],
                "cases": self.cases}
        np.savez(Path(self.workdir, "plan.npz"), **check.encode(plan))
        if uid is not None:
            for p in (self.workdir, *Path(self.workdir).iterdir()):
                os.chown(p, uid, uid)
        if prot.cgroup_root:
            self.cgroup = Path(prot.cgroup_root, f"nnlab-{os.getpid()}-{self.slot}")
            self.cgroup.mkdir(exist_ok=True)
            (self.cgroup / "pids.max").write_text(str(self.limits.processes))
        procs = str(self.cgroup / "cgroup.procs") if self.cgroup else None

        def enter():
            if procs:
                with open(procs, "w") as fh:
                    fh.write("0")

        env = {k: v for k, v in os.environ.items() if not k.startswith(("NNLAB_", "JPY_", "JUPYTER_"))}
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg",
                   PYTHONFAULTHANDLER="1", PYTHONDONTWRITEBYTECODE="1")
        package_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = package_root + os.pathsep + env.get("PYTHONPATH", "")
        self.channel, ready = os.pipe()
        os.set_blocking(self.channel, False)
        try:
            with open(Path(self.workdir, "output.txt"), "wb") as log:
                self.proc = subprocess.Popen(
                    prot.prefix + [sys.executable, "-m", "nnlab.sandbox", self.workdir, str(ready)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.workdir,
                    start_new_session=True, preexec_fn=enter, pass_fds=(ready,))
        except (OSError, subprocess.SubprocessError) as exc:
            self._end(GRADER_ERROR, f"the sandbox could not start: {type(exc).__name__}: {exc}")
        finally:
            os.close(ready)

    def _listen(self):
        try:
            while chunk := os.read(self.channel, 4096):
                self.said = (self.said + chunk)[:4096]
        except BlockingIOError:
            pass

    def poll(self):
        if self.done:
            return True
        self._listen()
        pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
        if pid == 0:
            if time.monotonic() - self.t0 > self.limits.wall:
                self.timed_out = True
                self._kill()
                pid, status, usage = os.wait4(self.proc.pid, 0)
            else:
                return False
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.cpu = usage.ru_utime + usage.ru_stime
        self._kill()
        self._listen()
        self._finish()
        return True

    def _kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.cgroup:
            for _ in range(100):
                pids = (self.cgroup / "cgroup.procs").read_text().split()
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.01)

    def _end(self, status, message=""):
        self.row.status, self.row.message = status, message
        for q in self.assignment.questions:
            self.row.scores.setdefault(q.check, 0.0)
        self.row.seconds = round(time.monotonic() - getattr(self, "t0", time.monotonic()), 2)
        self.done = True
        if self.channel is not None:
            os.close(self.channel)
            self.channel = None
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if self.cgroup:
            try:
                self.cgroup.rmdir()
            except OSError:
                pass

    def _crash_line(self):
        try:
            text = Path(self.workdir, "output.txt").read_bytes()[:20000].decode("utf-8", "replace")
        except OSError:
            return ""
        lines = [l for l in text.splitlines() if l.strip()]
        fatal = next((l for l in lines if l.startswith("Fatal Python error")), None)
        return fatal or (lines[-1][:200] if lines else "")

    def _finish(self):
        rc = self.proc.returncode
        if self.said != b"ready":  # the sandbox never got as far as running student code
            why = self.said.decode("utf-8", "replace").removeprefix("setup failed: ") or \
                f"it ended (exit code {rc}) before it was ready: {self._crash_line()}"
            return self._end(GRADER_ERROR, f"the sandbox failed before the notebook ran: {why}"[:300])
        if self.timed_out or self.cpu >= self.limits.cpu:
            what = f"{self.limits.wall:g} s wall-clock" if self.timed_out else f"{self.limits.cpu} s of CPU"
            return self._end("timeout", f"stopped after {what} (an endless loop?)")
        result = Path(self.workdir, "result.npz")
        if not result.is_file():
            if rc is not None and rc < 0:
                name = signal.Signals(-rc).name
                if -rc == signal.SIGXFSZ:
                    return self._end("error", f"wrote a file larger than {self.limits.fsize >> 20} MB")
                if -rc == signal.SIGKILL:
                    return self._end("memory", "the process was killed (out of memory?)")
                return self._end("error", f"the notebook crashed Python ({name}): {self._crash_line()}")
            return self._end("error", f"the notebook ended the process (exit code {rc}) before it could be graded: "
                                      f"{self._crash_line()}")
        try:
            if result.stat().st_size > 4 * self.limits.fsize:
                raise ValueError("result file too large")
            with np.load(result, allow_pickle=False) as files:
                if sum(i.file_size for i in files.zip.infolist()) > 4 * self.limits.fsize:
                    raise ValueError("results too large once unpacked")
                report = check.decode(files)
            self._judge(report)
        except Exception as exc:  # written after student code ran (which the pre-flight shows works when honest)
            return self._end("error", f"the grader could not read the results the notebook's process wrote: "
                                      f"{type(exc).__name__}: {str(exc)[:200]}")

    def _judge(self, report):
        failures = report["failures"]
        questions = report["questions"]
        if not isinstance(failures, list) or not all(isinstance(f, check.Problem) for f in failures):
            raise ValueError("failures")
        missing = []
        for q in self.assignment.questions:
            got = questions.get(q.check, {"missing": True})
            if got.get("missing"):
                missing.append(q.function)
                self.row.scores[q.check] = 0.0
                self.row.feedback[q.check] = [f"no function named {q.function} was defined"]
                continue
            if "error" in got:
                self.row.scores[q.check] = 0.0
                self.row.feedback[q.check] = [f"grading stopped: {got['error']}"]
                continue
            outcomes = got["outcomes"]
            if not isinstance(outcomes, list) or not all(isinstance(o, check.Outcome) for o in outcomes):
                raise ValueError(f"outcomes of {q.check}")
            result = check.CHECKS[q.check].result(self.cases[q.check], outcomes)
            self.row.scores[q.check] = round(result.score * q.points, 4)
            self.row.feedback[q.check] = result.messages
            failures += [check.Problem(q.function, p.kind, p.text) for p in result.problems
                         if p.kind in (check.TIMEOUT, check.MEMORY)]
        self._end(*status_of(failures, missing))


def status_of(failures, missing):
    """(status, message) of a run from its problems' kinds: a timeout first, then running out of memory, then
    a graded function that is missing, then any cell that raised."""
    first = {}
    for f in failures:
        first.setdefault(f.kind, f)
    for kind, status in ((check.TIMEOUT, "timeout"), (check.MEMORY, "memory")):
        if kind in first:
            return status, str(first[kind])[:300]
    if missing:
        return "missing function", ", ".join(missing)[:300]
    if failures:
        return "error", str(failures[0])[:300]
    return "ok", ""


def _needed():
    """The folders a sandbox must see: its Python (as this process names it, symlinks and all, and resolved),
    everything on its import path, nnlab and the temporary folder."""
    places = [sys.prefix, sys.exec_prefix, sys.base_prefix, os.path.dirname(sys.executable),
              Path(__file__).resolve().parent.parent, tempfile.gettempdir(), *sys.path[1:],
              *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {q for p in places if p for q in (Path(os.path.abspath(p)), Path(p).resolve())}


def _hideable(paths):
    """The folders and files a sandbox covers: those of ``paths`` that exist, never one that holds what the
    sandbox needs (``_needed``), and only the outermost of nested or equal ones (a folder inside a covered
    folder is hidden already, and could not be found to be covered again)."""
    needed = _needed()
    found = set()
    for h in paths:
        h = Path(h).resolve()
        if h.exists() and h != Path("/") and not any(n == h or h in n.parents for n in needed):
            found.add(h)
    return sorted(str(h) for h in found if not any(other in h.parents for other in found))


def grade(submissions, assignment, jobs=2, limits=None, seed=2026, hide=(), progress=None):
    """Grade every (student, path) in ``submissions``; returns rows in the same order. ``hide``: folders and
    files the sandboxes must not see (the submissions, the gradebook, other output)."""
    limits = limits or Limits()
    hide = _hideable(hide)
    pending = [(s, p) for s, p in submissions]
    running, rows = {}, {}
    free = list(range(max(1, jobs)))
    while pending or running:
        while pending and free:
            student, path = pending.pop(0)
            run = _Run(student, path, assignment, limits, seed, free.pop(0), hide)
            run.start()
            running[student] = run
        for student, run in list(running.items()):
            if run.poll():
                rows[student] = run.row
                free.append(run.slot)
                del running[student]
                if progress:
                    progress(run.row)
        time.sleep(0.02)
    return [rows[s] for s, _ in submissions]


# ---------------------------------------------------------------------- output


def write_gradebook(rows, assignment, path):
    """CSV: one row per student, a column per question (points earned), total, max, status, message."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    cols = [q.check for q in assignment.questions]
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["student", *cols, "total", "max", "status", "message", "seconds"])
        maximum = sum(q.points for q in assignment.questions)
        for r in rows:
            total = round(sum(r.scores.get(c, 0.0) for c in cols), 4)
            w.writerow([r.student, *[r.scores.get(c, 0.0) for c in cols], total, maximum, r.status, r.message,
                        r.seconds])
    os.replace(tmp, path)
    return path


def gradescope_results(row, assignment):
    """A Gradescope autograder results.json for one submission."""
    tests = []
    for q in assignment.questions:
        score = row.scores.get(q.check, 0.0)
        tests.append({"name": f"{q.check} ({q.function})", "score": score, "max_score": q.points,
                      "status": "passed" if score >= q.points else "failed",
                      "output": "\n".join(row.feedback.get(q.check, [row.message])), "visibility": "visible"})
    output = f"status: {row.status}" + (f" ({row.message})" if row.message else "")
    return {"score": round(sum(t["score"] for t in tests), 4), "output": output, "tests": tests}


def write_gradescope(rows, assignment, folder):
    folder = Path(folder)
    for r in rows:
        d = folder / r.student
        d.mkdir(parents=True, exist_ok=True)
        (d / "results.json").write_text(json.dumps(gradescope_results(r, assignment), indent=1), encoding="utf-8")
    return folder


PREFLIGHT_EXERCISE = "e02_forward_and_backprop"  # known-good notebook for assignments that are not built in
EXIT_GRADER_ERROR = 3


def preflight(assignment, limits=None, seed=2026, hide=()):
    """Grade a known-good built-in notebook (the solution of ``assignment`` when it is a built-in exercise,
    else of ``PREFLIGHT_EXERCISE``) through the same sandbox, limits and hidden paths. Returns (row, full
    marks): a sandbox that works gives status ``ok`` and full marks."""
    import nbformat

    from . import authoring

    name = PREFLIGHT_EXERCISE
    if assignment.name in authoring.exercises() and load_assignment(assignment.name) == assignment:
        name = assignment.name
    known = load_assignment(name)
    with tempfile.TemporaryDirectory(prefix="nnlab-preflight-") as folder:
        path = Path(folder, f"{name}.ipynb")
        path.write_text(nbformat.writes(authoring.to_notebook(authoring.exercise_cells(name, solution=True))),
                        encoding="utf-8")
        (row,) = grade([(f"pre-flight ({name} solution)", path)], known, jobs=1, limits=limits, seed=seed,
                       hide=hide)
    return row, sum(q.points for q in known.questions)


def main(args):
    """The ``nnlab grade`` command (arguments parsed in ``nnlab.__main__``). Exits 0 when every submission was
    graded, ``EXIT_GRADER_ERROR`` when the pre-flight failed (no gradebook is written) or when the sandbox
    failed for some submissions (the gradebook marks them ``grader error``: grade them again)."""
    assignment = load_assignment(args.assignment)
    subs = find_submissions(args.submissions)
    if not subs:
        raise ValueError(f"submissions: no .ipynb files found in {args.submissions!r}")
    out = Path(args.out)
    hide = [args.submissions if Path(args.submissions).is_dir() else str(Path(args.submissions).parent),
            str(out.resolve().parent), str(out)] + ([args.gradescope] if args.gradescope else [])
    limits = Limits(wall=args.time_limit, cpu=int(args.cpu_limit), memory=int(args.memory_limit * 2**20))
    maximum = sum(q.points for q in assignment.questions)
    print(f"grading {len(subs)} submission(s) of {assignment.name} with {args.jobs} job(s); sandbox: "
          f"{protections().describe()}", file=sys.stderr)
    t0 = time.monotonic()
    row, full = preflight(assignment, limits, args.seed, hide)
    earned = sum(row.scores.values())
    if row.status != "ok" or earned < full:
        print(f"nnlab grade: STOPPED, nothing graded, no gradebook written. The pre-flight graded a known-good "
              f"notebook through the sandbox and it did not earn full marks ({row.status}, {earned:g}/{full:g}): "
              f"{row.message or row.feedback}\nThis is a failure of the grader on this machine, not of any "
              f"student. Check the limits (--time-limit, --cpu-limit, --memory-limit) and the folders given.",
              file=sys.stderr)
        return EXIT_GRADER_ERROR
    print(f"  pre-flight: {row.student} earned {earned:g}/{full:g} in {row.seconds:.1f} s", file=sys.stderr)

    def progress(row):
        total = sum(row.scores.values())
        print(f"  {row.student}: {row.status} {total:g}/{maximum:g}" + (f" ({row.message})" if row.message else ""),
              file=sys.stderr)

    rows = grade(subs, assignment, jobs=args.jobs, limits=limits, seed=args.seed, hide=hide, progress=progress)
    write_gradebook(rows, assignment, out)
    if args.gradescope:
        write_gradescope(rows, assignment, args.gradescope)
    dt = time.monotonic() - t0
    print(f"wrote {out} ({len(rows)} rows, {dt:.1f} s, {60 * len(rows) / max(dt, 1e-9):.0f} submissions/min)",
          file=sys.stderr)
    failed = [r for r in rows if r.status == GRADER_ERROR]
    if failed:
        print(f"nnlab grade: the sandbox failed for {len(failed)} submission(s) before their code ran; they are "
              f"marked '{GRADER_ERROR}' in {out} and must be graded again (this is not the students' doing):",
              file=sys.stderr)
        for r in failed:
            print(f"  {r.student}: {r.message}", file=sys.stderr)
        return EXIT_GRADER_ERROR
    return 0


# ---------------------------------------------------------------- otter-grader

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
