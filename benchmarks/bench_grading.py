"""Grading throughput: backprop-exercise submissions per minute with ``nnlab grade --jobs 2``, and the
ratio against ``otter run`` on the same submissions (otter-grader's test files from ``nnlab otter``).

Run:  python benchmarks/bench_grading.py [N]      (N submissions, default 30; otter on 6 of them)
Target (issue 7): at least 30 submissions per minute with --jobs 2 on this 2-core machine.
The submissions are a realistic mix: right answers, stubs, a 1/N mistake, a wrong sign, a crash. Before
any rate is printed, the gradebook is checked against what each submission deserves (a throughput of
failed runs is no throughput), and so are otter's scores.
"""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from nnlab import authoring

EXERCISE = "e02_forward_and_backprop"
TARGET_PER_MIN = 30
MISTAKES = [
    [],
    ["_r = my_backprop\ndef my_backprop(*a):\n    return tuple(g / a[0].shape[0] for g in _r(*a))"],
    ["_r = my_backprop\ndef my_backprop(*a):\n    return tuple(-g for g in _r(*a))"],
    ["raise ValueError('oops')"],
]


# what each kind of submission deserves: (sigmoid, forward, backprop) points and the status (a stub's
# "mistake" cell wraps the stub, which still raises NotImplementedError; a crash cell makes any run "error")
DESERVED = {"right": ((1.0, 1.0, 1.0), "ok"), "1/N": ((1.0, 1.0, 0.0), "ok"), "sign": ((1.0, 1.0, 0.0), "ok"),
            "crash": ((1.0, 1.0, 1.0), "error"), "stub": ((0.0, 0.0, 0.0), "ok"),
            "stub + crash": ((0.0, 0.0, 0.0), "error")}


def make_submissions(folder, n):
    """Write n submissions; returns {student: kind}."""
    kinds = {}
    for i in range(n):
        solution = i % 5 != 4
        cells = authoring.exercise_cells(EXERCISE, solution) + [("code", c) for c in MISTAKES[i % len(MISTAKES)]]
        student = f"student{i:03d}"
        (folder / f"{student}.ipynb").write_text(nbformat.writes(authoring.to_notebook(cells)))
        mistake = ["right", "1/N", "sign", "crash"][i % len(MISTAKES)]
        kinds[student] = mistake if solution else "stub + crash" if mistake == "crash" else "stub"
    return kinds


def check_gradebook(path, kinds):
    """Every submission got exactly what it deserves, or the benchmark stops."""
    rows = {r["student"]: r for r in csv.DictReader(open(path))}
    assert set(rows) == set(kinds), "the gradebook does not list every submission"
    for student, kind in kinds.items():
        points, status = DESERVED[kind]
        got = tuple(float(rows[student][q]) for q in ("sigmoid", "forward", "backprop"))
        assert (got, rows[student]["status"]) == (points, status), (student, kind, rows[student])


def main(n=30, n_otter=6):
    work = Path(tempfile.mkdtemp(prefix="nnlab-bench-"))
    subs = work / "subs"
    subs.mkdir()
    kinds = make_submissions(subs, n)
    rates = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nnlab", "grade", str(subs), "--assignment", EXERCISE,
                        "--out", str(work / f"grades{jobs}.csv"), "--jobs", str(jobs)], check=True,
                       capture_output=True)
        dt = time.perf_counter() - t0
        check_gradebook(work / f"grades{jobs}.csv", kinds)
        rates[jobs] = 60 * n / dt
        print(f"nnlab grade --jobs {jobs}: {n} submissions in {dt:.1f} s = {rates[jobs]:.0f} per minute "
              f"(every grade checked; the run includes the sandbox's pre-flight)")
    print(f"target {TARGET_PER_MIN}/min with --jobs 2: {'met' if rates[2] >= TARGET_PER_MIN else 'NOT met'} "
          f"(ratio {rates[2] / TARGET_PER_MIN:.1f})")

    if shutil.which("otter") is None and subprocess.run([sys.executable, "-m", "otter", "--version"],
                                                        capture_output=True).returncode != 0:
        print("otter-grader not installed: no comparison")
        return
    subprocess.run([sys.executable, "-m", "nnlab", "otter", EXERCISE, str(work / "tests")], check=True,
                   capture_output=True)
    subprocess.run([sys.executable, "-m", "otter", "generate", "-t", "tests"], cwd=work, check=True,
                   capture_output=True)
    t0 = time.perf_counter()
    for i in range(n_otter):
        out = work / f"otter{i}"
        out.mkdir()
        subprocess.run([sys.executable, "-m", "otter", "run", "-a", "autograder.zip",
                        str(subs / f"student{i:03d}.ipynb"), "-o", str(out)], cwd=work, check=True,
                       capture_output=True)
        scores = {t["name"]: t["score"] for t in json.loads((out / "results.json").read_text())["tests"]
                  if "score" in t}
        points, _ = DESERVED[kinds[f"student{i:03d}"]]
        assert tuple(scores[q] for q in ("sigmoid", "forward", "backprop")) == points, (i, scores)
    dt = (time.perf_counter() - t0) / n_otter
    print(f"otter run (one submission per call, as documented): {dt:.1f} s each = {60 / dt:.0f} per minute")
    print(f"nnlab grade --jobs 1 / otter run: {rates[1] * dt / 60:.1f}x; --jobs 2 / otter run: "
          f"{rates[2] * dt / 60:.1f}x")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
