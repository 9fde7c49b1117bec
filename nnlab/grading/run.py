"""Grading runs: each submission in a fresh sandbox process (``nnlab.grading.sandbox``), polled with limits,
its plain results judged here with the checks' oracles; a known-good pre-flight first (``preflight``)."""
from __future__ import annotations

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

from ..checks import harness, wire
from ..checks.registry import CHECKS
from . import capabilities
from .assignment import load_assignment
from .protections import UID_BASE, count_processes, hideable, protections

STATUSES = ("ok", "error", "timeout", "memory", "missing function", "grader error")
GRADER_ERROR = "grader error"  # the sandbox failed before the student's code ran: never the student's fault
MAX_NOTEBOOK_BYTES = 50 * 2**20

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
        self.cases = {q.check: CHECKS[q.check].cases(np.random.default_rng([seed, key, i]))
                      for i, q in enumerate(assignment.questions)}
        self.proc = self.workdir = self.cgroup = self.channel = self.copied = None
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
            self.copied = capabilities.copied(_code_cells(nb), self.assignment.absent)
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
            limits["nproc"] = count_processes(uid if uid is not None else os.getuid()) + self.limits.processes
        plan = {"notebook": "submission.ipynb", "cell_time": self.limits.cell, "call_time": self.limits.call,
                "limits": limits, "uid": uid, "hide": self.hide if prot.prefix else [], "lockdown": bool(prot.prefix),
                "questions": [{"check": q.check, "function": q.function} for q in self.assignment.questions],
                "absent": list(self.assignment.absent),
                "cases": self.cases}
        np.savez(Path(self.workdir, "plan.npz"), **wire.encode(plan))
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
        package_root = str(Path(__file__).resolve().parent.parent.parent)
        env["PYTHONPATH"] = package_root + os.pathsep + env.get("PYTHONPATH", "")
        self.channel, ready = os.pipe()
        os.set_blocking(self.channel, False)
        try:
            with open(Path(self.workdir, "output.txt"), "wb") as log:
                self.proc = subprocess.Popen(
                    prot.prefix + [sys.executable, "-m", "nnlab.grading.sandbox", self.workdir, str(ready)],
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
        if not self.said.startswith(b"ready"):  # the sandbox never got as far as running student code
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
                report = wire.decode(files)
            self._judge(report)
        except Exception as exc:  # written after student code ran (which the pre-flight shows works when honest)
            return self._end("error", f"the grader could not read the results the notebook's process wrote: "
                                      f"{type(exc).__name__}: {str(exc)[:200]}")

    def _judge(self, report):
        failures = report["failures"]
        questions = report["questions"]
        if not isinstance(failures, list) or not all(isinstance(f, harness.Problem) for f in failures):
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
            if not isinstance(outcomes, list) or not all(isinstance(o, harness.Outcome) for o in outcomes):
                raise ValueError(f"outcomes of {q.check}")
            result = CHECKS[q.check].result(self.cases[q.check], outcomes)
            if self.copied and CHECKS[q.check].forbid:
                result = CHECKS[q.check].refused(
                    f"your notebook holds a copy of nnlab's {self.copied} (its source, renamed or moved): this "
                    "exercise asks you to write it yourself")
            self.row.scores[q.check] = round(result.score * q.points, 4)
            self.row.feedback[q.check] = result.messages
            failures += [harness.Problem(q.function, p.kind, p.text) for p in result.problems
                         if p.kind in (harness.TIMEOUT, harness.MEMORY)]
        self._end(*status_of(failures, missing))


def _code_cells(nb):
    cells = [c.get("source", "") for c in nb["cells"] if isinstance(c, dict) and c.get("cell_type") == "code"]
    return ["".join(c) if isinstance(c, list) else c if isinstance(c, str) else "" for c in cells]


def status_of(failures, missing):
    """(status, message) of a run from its problems' kinds: a timeout first, then running out of memory, then
    a graded function that is missing, then any cell that raised."""
    first = {}
    for f in failures:
        first.setdefault(f.kind, f)
    for kind, status in ((harness.TIMEOUT, "timeout"), (harness.MEMORY, "memory")):
        if kind in first:
            return status, str(first[kind])[:300]
    if missing:
        return "missing function", ", ".join(missing)[:300]
    if failures:
        return "error", str(failures[0])[:300]
    return "ok", ""


def grade(submissions, assignment, jobs=2, limits=None, seed=2026, hide=(), progress=None):
    """Grade every (student, path) in ``submissions``; returns rows in the same order. ``hide``: folders and
    files the sandboxes must not see (the submissions, the gradebook, other output)."""
    limits = limits or Limits()
    hide = hideable([*hide, *capabilities.hidden_paths(assignment.absent)])
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


PREFLIGHT_EXERCISE = "e02_forward_and_backprop"  # known-good notebook for assignments that are not built in


def preflight(assignment, limits=None, seed=2026, hide=()):
    """Grade a known-good built-in notebook (the solution of ``assignment`` when it is a built-in exercise,
    else of ``PREFLIGHT_EXERCISE``) through the same sandbox, limits and hidden paths. Returns (row, full
    marks): a sandbox that works gives status ``ok`` and full marks."""
    import nbformat

    from .. import authoring

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
