#!/usr/bin/env bash
# Shared set-up for start.sh and .ci/run: a virtual environment with the CPU build of PyTorch (where it can be
# had: .ci/torch.sh says which build it installed), nnlab (editable) and, with --test, its test extra and
# Debian's chromium and (from npm) configurable-http-proxy.
#   NNLAB_VENV        where the environment lives (default: .venv in the repository)
#   PYTHON            interpreter to build it from (default: python3, 3.11 or newer)
#   NNLAB_TORCH_INDEX the PyTorch wheel index to take the CPU build from (default: PyTorch's,
#                     https://download.pytorch.org/whl/cpu; PyPI's torch when it does not answer)
#   NNLAB_UNPINNED=1  ignore the tested versions (binder/constraints*.txt) and take the newest releases
#                     pyproject.toml allows; .ci/refresh-constraints.sh and .ci/matrix use it
#   NNLAB_CONSTRAINTS a constraints file to install with instead of the tested versions (.ci/matrix's lower
#                     bounds)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${NNLAB_VENV:-$REPO/.venv}"
PYTHON="${PYTHON:-python3}"
WITH_TESTS=0
[[ "${1:-}" == "--test" ]] && WITH_TESTS=1

"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "nnlab needs Python 3.11 or newer, found " + sys.version)'
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1
if [[ ! -x "$PY" ]]; then
  echo "== creating $VENV"
  "$PYTHON" -m venv "$VENV"
  "$PY" -m pip install --quiet --upgrade pip  # once: later runs need no network when nothing changed
fi

# The tested versions: one file per supported Python, binder/constraints.txt (the Python Binder runs) and
# binder/constraints-3.X.txt, each naming its Python on its second line ("# python 3.12"). On a Python with no
# file the newest allowed releases are taken instead, with a warning.
PIN=()
HAVE="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
CONSTRAINTS=""
TESTED=()
for FILE in "$REPO"/binder/constraints*.txt; do
  FOR="$(sed -n 's/^# python //p' "$FILE")"
  TESTED+=("$FOR")
  if [[ "$FOR" == "$HAVE" ]]; then CONSTRAINTS="$FILE"; fi
done
if [[ "${NNLAB_UNPINNED:-}" == 1 ]]; then
  CONSTRAINTS=""
  echo "== NNLAB_UNPINNED=1: the newest releases pyproject.toml allows, not the tested versions"
elif [[ -n "${NNLAB_CONSTRAINTS:-}" ]]; then
  CONSTRAINTS="$NNLAB_CONSTRAINTS"
  echo "== NNLAB_CONSTRAINTS: the versions in $CONSTRAINTS, not the tested ones"
elif [[ -z "$CONSTRAINTS" ]]; then
  echo "== WARNING: the tested versions are for Python $(printf '%s\n' "${TESTED[@]}" | sort -V | paste -sd, | sed 's/,/, /g')" \
    "and this is $HAVE: installing the newest allowed releases"
fi
if [[ -n "$CONSTRAINTS" ]]; then PIN=(-c "$CONSTRAINTS"); fi

if ! "$PY" -c 'import torch' 2>/dev/null; then
  bash "$REPO/.ci/torch.sh" "$PY" ${PIN[@]+"${PIN[@]}"}
fi

# nnlab (editable) and its dependencies: installed again only when what decides them changed (pyproject.toml,
# the pins in use, unpinned or not, the test extra), which a stamp in the environment records
STAMP="$VENV/.nnlab-installed"
WANT="$(cat "$REPO/pyproject.toml" ${CONSTRAINTS:+"$CONSTRAINTS"} | sha256sum | cut -d' ' -f1) ${NNLAB_UNPINNED:-0} $REPO"
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
# configurable-http-proxy, the hub's proxy (deploy/hub.py; tests/browser/test_hub_browser.py, benchmarks/bench_hub.py):
# from npm into the environment's own prefix, $VENV/node, never globally; nothing to do when that version is there
CHP_VERSION=5.2.0  # the newest that runs on node 20 (5.3 needs node 22, through commander 15)
CHP_PACKAGE="$VENV/node/node_modules/configurable-http-proxy/package.json"
if [[ $WITH_TESTS == 1 ]] && ! grep -q "\"version\": \"$CHP_VERSION\"" "$CHP_PACKAGE" 2>/dev/null; then
  if command -v npm >/dev/null; then
    echo "== installing configurable-http-proxy $CHP_VERSION with npm into $VENV/node"
    npm install --prefix "$VENV/node" --no-fund --no-audit --loglevel=error "configurable-http-proxy@$CHP_VERSION"
  else
    echo "== WARNING: no npm here, so no configurable-http-proxy: the hub's browser test cannot run" \
      "(with CI=true it fails); install node 20 and npm"
  fi
fi
"$PY" -m nnlab env
