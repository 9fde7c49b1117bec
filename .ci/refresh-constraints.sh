#!/usr/bin/env bash
# Refresh the tested versions that start.sh, .ci/run and Binder install: one file per supported Python, each
# written only from a brand-new venv WITHOUT the pins (the newest releases pyproject.toml allows) in which the
# tests passed.
#   binder/constraints.txt      Binder's Python (binder/runtime.txt, 3.11): every test (.ci/run) passed in it
#   binder/constraints-X.Y.txt  each other supported Python: the model, view and notebook layers passed in it
#                               (bash .ci/matrix X.Y newest)
# Commit the files between terms, never in mid-semester.
#   bash .ci/refresh-constraints.sh [PYTHON_VERSION ...]   (default: every supported Python)
set -euo pipefail
cd "$(dirname "$0")/.."
BINDER="$(sed -n 's/^python-//p' binder/runtime.txt)"
VERSIONS=("$@")
[[ ${#VERSIONS[@]} -gt 0 ]] || VERSIONS=("$BINDER" 3.12 3.13)

# pins: what VENV holds, torch without its local label (+cpu: PyPI has the same release without it)
write() {
  local venv="$1" file="$2" what="$3"
  {
    echo "# The versions $what passed with (written by .ci/refresh-constraints.sh on $(date -u +%F))."
    echo "# python $("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    "$venv/bin/python" -m pip freeze --exclude-editable | sed -E 's/^(torch==[0-9.]+)\+[a-z0-9]+$/\1/'
  } > "$file"
  echo "wrote $file ($(grep -vc '^#' "$file") pins)"
}

for VERSION in "${VERSIONS[@]}"; do
  if [[ "$VERSION" == "$BINDER" ]]; then
    VENV="$(mktemp -d)/venv"
    PYTHON="$(bash .ci/find-python "$VERSION")" NNLAB_MATRIX_PYTHONS="" \
      NNLAB_VENV="$VENV" NNLAB_UNPINNED=1 bash .ci/run
    write "$VENV" binder/constraints.txt "the whole test suite"
  else
    DIR="$(mktemp -d)"
    NNLAB_MATRIX_DIR="$DIR" bash .ci/matrix "$VERSION" newest
    write "$DIR/nnlab-matrix-$VERSION-newest" "binder/constraints-$VERSION.txt" \
      "the model, view and notebook layers (.ci/matrix $VERSION newest)"
  fi
done
