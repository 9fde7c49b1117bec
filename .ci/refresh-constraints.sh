#!/usr/bin/env bash
# Refresh binder/constraints.txt, the one set of versions that start.sh, .ci/run and Binder install:
# build a brand-new venv WITHOUT the pins (newest releases allowed by pyproject.toml), run every test in
# it, and only if the whole suite passes write what that venv holds as the new pins. Commit the file
# between terms, never in mid-semester.
#   bash .ci/refresh-constraints.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="$(mktemp -d)/venv"
NNLAB_VENV="$VENV" NNLAB_UNPINNED=1 bash .ci/run
{
  echo "# The versions the whole test suite passed with (written by .ci/refresh-constraints.sh on $(date -u +%F))."
  echo "# python $("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  "$VENV/bin/python" -m pip freeze --exclude-editable | sed -E 's/^(torch==[0-9.]+)\+cpu$/\1/'
} > binder/constraints.txt
echo "wrote binder/constraints.txt ($(grep -vc '^#' binder/constraints.txt) pins)"
