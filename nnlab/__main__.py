"""Command line: ``nnlab build [NAME ...]`` rebuilds notebooks; ``nnlab env`` checks the set-up."""
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

    if args.command == "build":
        from . import authoring

        names = args.names or authoring.sources()
        unknown = sorted(set(names) - set(authoring.sources()))
        if unknown:
            parser.error(f"names: no source notebooks/src/<name>.py for {unknown}; known: {authoring.sources()}")
        for name in names:
            print("built", authoring.build(name, execute=not args.no_execute))
        return 0
    if args.command == "assign":
        from . import authoring

        names = args.names or authoring.exercises()
        unknown = sorted(set(names) - set(authoring.exercises()))
        if unknown:
            parser.error(f"names: no exercise source for {unknown}; known: {authoring.exercises()}")
        for name in names:
            print("wrote", authoring.assign(name))
        return 0
    if args.command == "env":
        from .env import check_environment

        report = check_environment()
        print(report)
        return 0 if report.ok else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
