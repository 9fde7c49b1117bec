"""Command line: ``nnlab course DEST`` writes the course (lectures and exercises) into a folder of your own,
``nnlab build [NAME ...]`` rebuilds lecture notebooks, ``nnlab assign [NAME ...]`` writes student versions of
exercises, ``nnlab env`` checks the set-up, ``nnlab grade SUBMISSIONS --assignment NAME`` grades submitted
notebooks into a CSV gradebook, ``nnlab hub-link URL`` prints the nbgitpuller link that brings the course to
students on a JupyterHub."""
from __future__ import annotations

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="nnlab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("course", help="write the lectures and the exercises (student versions) into DEST",
                       description="Write the course into a folder of your own: the lecture notebooks (not yet "
                                   "run) and the student versions of the exercises in DEST/exercises/. No "
                                   "solutions are written.")
    c.add_argument("dest", metavar="DEST", help="folder to write into (created; must be new or empty)")
    c.add_argument("--force", action="store_true", help="write into DEST even if it is not empty (files with "
                                                        "the course's names are replaced)")
    b = sub.add_parser("build", help="build (and execute) NAME.ipynb from the lecture source NAME "
                                     "(nnlab/authoring/lectures/NAME.py)")
    b.add_argument("names", nargs="*", help="notebook names without extension (default: all)")
    b.add_argument("--no-execute", action="store_true", help="write the notebooks without running them")
    b.add_argument("--out", metavar="DIR", help="folder to write into (default: notebooks/ of the checkout nnlab "
                                                "runs from; required when nnlab is installed)")
    a = sub.add_parser("assign", help="write the student version NAME.ipynb of the exercise source NAME "
                                      "(nnlab/authoring/exercises/NAME.py)")
    a.add_argument("names", nargs="*", help="exercise names (default: all)")
    a.add_argument("--out", metavar="DIR", help="folder to write into (default: notebooks/exercises/ of the "
                                                "checkout nnlab runs from, when run inside it; anywhere else, "
                                                "the current folder)")
    sub.add_parser("env", help="check the packages the course needs")
    g = sub.add_parser("grade", help="grade submitted notebooks in sandboxes; write a CSV gradebook",
                       description="Grade a folder of submitted notebooks (or nbgrader's submitted/<student>/"
                                   "<assignment>/ layout). Each runs in a fresh sandboxed process; its functions "
                                   "are called on grading inputs and judged here.")
    g.add_argument("submissions", help="folder of .ipynb files, nbgrader's submitted/ folder, or one notebook")
    g.add_argument("--assignment", required=True,
                   help="exercise name (e.g. e02_forward_and_backprop) or its source .py/.ipynb")
    g.add_argument("--out", default="gradebook.csv", help="CSV gradebook to write (default: gradebook.csv)")
    g.add_argument("--gradescope", metavar="DIR", help="also write DIR/<student>/results.json (Gradescope format)")
    g.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    g.add_argument("--time-limit", type=float, default=120, help="wall-clock seconds per submission (default 120)")
    g.add_argument("--cpu-limit", type=float, default=60, help="CPU seconds per submission (default 60)")
    g.add_argument("--memory-limit", type=float, default=2048, help="MiB of memory per submission (default 2048)")
    g.add_argument("--seed", type=int, default=2026, help="seed of the grading inputs (default 2026)")
    o = sub.add_parser("otter", help="write an exercise's checks as otter-grader test files")
    o.add_argument("assignment", help="exercise name or its source .py/.ipynb")
    o.add_argument("folder", help="folder for the test files (e.g. tests/)")
    h = sub.add_parser("hub-link", help="print the nbgitpuller link that brings the course to students on a hub",
                       description="Print the link that pulls the course (a git repository) into each student's "
                                   "home on a JupyterHub with nbgitpuller and opens a notebook in JupyterLab. "
                                   "Students who open it log in, get their server, and receive the course; opened "
                                   "again later, it merges new commits without overwriting their changes.")
    h.add_argument("url", metavar="URL", help="the hub's public address, e.g. https://hub.example.edu")
    h.add_argument("--repo", default=None, help="the course's git repository: a URL, or a path on the hub's "
                                                "machine (default: https://github.com/nnlab/nnlab)")
    h.add_argument("--branch", default="main", help="the branch to pull (default main)")
    h.add_argument("--notebook", default=None, help="the notebook to open, a path inside the repository "
                                                    "(default notebooks/00_start_here.ipynb)")
    h.add_argument("--targetpath", default=None, help="the folder in each student's home to pull into "
                                                      "(default: the last part of the repository's URL)")
    for name, run in RUN.items():
        sub.choices[name].set_defaults(run=run)
    args = parser.parse_args(argv)
    return args.run(args, sub.choices[args.command])  # errors show this command's usage line


def _notebooks(args, here):
    """``build`` (lectures, executed) and ``assign`` (exercises' student versions): one notebook per name."""
    from . import authoring

    build = args.command == "build"
    known = authoring.sources() if build else authoring.exercises()
    names = args.names or known
    unknown = sorted(set(names) - set(known))
    if unknown:
        where = authoring.LECTURES if build else authoring.EXERCISES
        here.error(f"names: expected names of sources in {where}: {known}; got {unknown}")
    if build and args.out is None and authoring.NOTEBOOKS is None:
        here.error("--out: nnlab is installed (not run from a source checkout), so there is no notebooks/ "
                   "folder to rebuild; expected a folder to write the notebooks into (--out DIR), got none. "
                   "To get the whole course, lectures and exercises, run: nnlab course DEST")
    for name in names:
        out = authoring.build(name, execute=not args.no_execute, out=args.out) if build \
            else authoring.assign(name, out=args.out)
        print("wrote", out)
    return 0


def _course(args, here):
    from . import authoring

    try:
        written = authoring.course(args.dest, force=args.force)
    except ValueError as exc:
        here.error(str(exc))
    print(f"wrote {len(authoring.sources())} lectures and {len(authoring.exercises())} exercises (student "
          f"versions) into {args.dest} ({len(written)} notebooks); open them with: jupyter lab {args.dest}")
    return 0


def _otter(args, here):
    from . import grading

    try:
        for p in grading.export_otter(grading.load_assignment(args.assignment), args.folder):
            print("wrote", p)
    except ValueError as exc:
        here.error(str(exc))
    return 0


def _grade(args, here):
    from . import grading

    try:
        return grading.main(args)
    except ValueError as exc:
        here.error(str(exc))


def _hub_link(args, here):
    from . import hub

    try:
        print(hub.pull_link(args.url, repo=args.repo or hub.REPOSITORY, branch=args.branch,
                            notebook=args.notebook or hub.FIRST_NOTEBOOK, targetpath=args.targetpath))
    except ValueError as exc:
        name, _, message = str(exc).partition(": ")
        here.error(f"{'URL' if name == 'hub' else '--' + name}: {message}")
    return 0


def _env(args, here):
    from .env import check_environment

    report = check_environment()
    print(report)
    return 0 if report.ok else 1


#: What each command runs: a function of the parsed arguments and the command's own parser (for its errors).
RUN = {"build": _notebooks, "assign": _notebooks, "course": _course, "otter": _otter, "grade": _grade,
       "env": _env, "hub-link": _hub_link}

if __name__ == "__main__":
    sys.exit(main())
