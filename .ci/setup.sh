#!/usr/bin/env bash
# Shared set-up for start.sh and .ci/run: a virtual environment with the CPU build of
# PyTorch, nnlab (editable) and, with --test, its test extra and Debian's chromium.
#   NNLAB_VENV        where the environment lives (default: .venv in the repository)
#   PYTHON            interpreter to build it from (default: python3, 3.10 or newer)
#   NNLAB_TORCH_INDEX a PyTorch wheel index to take the CPU build from, for machines where
#                     PyPI's default torch wheel is the large CUDA build
#   NNLAB_UNPINNED=1  ignore binder/constraints.txt (the tested versions) and take the newest releases
#                     pyproject.toml allows; .ci/refresh-constraints.sh uses it
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${NNLAB_VENV:-$REPO/.venv}"
PYTHON="${PYTHON:-python3}"
WITH_TESTS=0
[[ "${1:-}" == "--test" ]] && WITH_TESTS=1

"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "nnlab needs Python 3.10 or newer, found " + sys.version)'
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1
if [[ ! -x "$PY" ]]; then
  echo "== creating $VENV"
  "$PYTHON" -m venv "$VENV"
  "$PY" -m pip install --quiet --upgrade pip  # once: later runs need no network when nothing changed
fi

# The tested versions (binder/constraints.txt) apply to the Python they were tested with; on another
# Python some pins may have no wheels, so the newest allowed releases are taken instead, with a warning.
PIN=()
CONSTRAINTS="$REPO/binder/constraints.txt"
TESTED="$(sed -n 's/^# python //p' "$CONSTRAINTS")"
HAVE="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [[ "${NNLAB_UNPINNED:-}" == 1 ]]; then
  echo "== NNLAB_UNPINNED=1: the newest releases pyproject.toml allows, not the tested versions"
elif [[ "$HAVE" == "$TESTED" ]]; then
  PIN=(-c "$CONSTRAINTS")
else
  echo "== WARNING: the tested versions are for Python $TESTED and this is $HAVE: installing the newest allowed releases"
fi

if ! "$PY" -c 'import torch' 2>/dev/null; then
  echo "== installing PyTorch (CPU build) first, so no dependency pulls in a CUDA build"
  if [[ -n "${NNLAB_TORCH_INDEX:-}" ]]; then
    "$PY" -m pip install --quiet ${PIN[@]+"${PIN[@]}"} torch==2.13.0 --index-url "$NNLAB_TORCH_INDEX"
  else
    "$PY" -m pip install --quiet ${PIN[@]+"${PIN[@]}"} torch==2.13.0
  fi
fi

# nnlab (editable) and its dependencies: installed again only when what decides them changed (pyproject.toml,
# the pins, unpinned or not, the test extra), which a stamp in the environment records
STAMP="$VENV/.nnlab-installed"
WANT="$(cat "$REPO/pyproject.toml" "$CONSTRAINTS" | sha256sum | cut -d' ' -f1) ${NNLAB_UNPINNED:-0} $REPO"
HAVE_STAMP="$(cat "$STAMP" 2>/dev/null || true)"
if [[ -n "$HAVE_STAMP" && "${HAVE_STAMP% *}" == "$WANT" && ( $WITH_TESTS == 0 || "${HAVE_STAMP##* }" == 1 ) ]] \
    && "$PY" -c 'import nnlab' 2>/dev/null; then
  echo "== nnlab is installed, and pyproject.toml and the pins have not changed: nothing to install"
else
  echo "== installing nnlab"
  if [[ $WITH_TESTS == 1 ]]; then
    "$PY" -m pip install --quiet ${PIN[@]+"${PIN[@]}"} -e "$REPO[test]"
  else
    "$PY" -m pip install --quiet ${PIN[@]+"${PIN[@]}"} -e "$REPO"
  fi
  TESTS_DONE=$WITH_TESTS
  [[ -n "$HAVE_STAMP" && "${HAVE_STAMP% *}" == "$WANT" && "${HAVE_STAMP##* }" == 1 ]] && TESTS_DONE=1
  echo "$WANT $TESTS_DONE" > "$STAMP"
fi

if [[ $WITH_TESTS == 1 && ! -x /usr/bin/chromium ]]; then
  echo "== installing Debian's chromium for the browser tests"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium
fi
"$PY" -m nnlab env
