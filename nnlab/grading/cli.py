"""The ``nnlab grade`` command."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from .assignment import find_submissions, load_assignment
from .protections import protections
from .reports import write_gradebook, write_gradescope
from .run import GRADER_ERROR, Limits, grade, preflight

EXIT_GRADER_ERROR = 3

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
