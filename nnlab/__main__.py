"""Command line: ``nnlab build [NAME ...]`` rebuilds lecture notebooks, ``nnlab assign [NAME ...]`` writes
student versions of exercises, ``nnlab env`` checks the set-up."""
from __future__ import annotations

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="nnlab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build (and execute) notebooks/NAME.ipynb from notebooks/src/NAME.py")
    b.add_argument("names", nargs="*", help="notebook names without extension (default: all)")
    b.add_argument("--no-execute", action="store_true", help="write the notebooks without running them")
    a = sub.add_parser("assign", help="write the student version of notebooks/exercises/src/NAME.py")
    a.add_argument("names", nargs="*", help="exercise names (default: all)")
    sub.add_parser("env", help="check the packages the course needs")
    args = parser.parse_args(argv)

    if args.command in ("build", "assign"):
        from . import authoring

        known = authoring.sources() if args.command == "build" else authoring.exercises()
        names = args.names or known
        unknown = sorted(set(names) - set(known))
        if unknown:
            parser.error(f"names: no source for {unknown} (looked in notebooks/src or notebooks/exercises/src); "
                         f"known: {known}")
        for name in names:
            out = authoring.build(name, execute=not args.no_execute) if args.command == "build" \
                else authoring.assign(name)
            print("wrote", out)
        return 0
    if args.command == "env":
        from .env import check_environment

        report = check_environment()
        print(report)
        return 0 if report.ok else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
