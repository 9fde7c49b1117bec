"""Grading output: the CSV gradebook and Gradescope's results.json."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

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
            w.writerow([r.student, *[r.scores.get(c, 0.0) for c in cols], total, maximum, r.status,
                        gradebook_message(r, assignment), r.seconds])
    os.replace(tmp, path)
    return path


def gradebook_message(row, assignment):
    """The run's own message (why a cell failed, a time-out, ...), then, for every question short of full marks,
    the first line of its diagnosis: what a TA reads in the gradebook without opening results.json."""
    parts = [row.message] if row.message else []
    for q in assignment.questions:
        feedback = row.feedback.get(q.check) or []
        if row.scores.get(q.check, 0.0) < q.points and feedback:
            parts.append(f"{q.check}: {feedback[0]}")
    return " | ".join(parts)


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
