#!/usr/bin/env bash
# Set up (first run only) and open the course in JupyterLab. NNLAB_VENV (default .venv) is where the
# environment lives; see .ci/setup.sh.
set -euo pipefail
cd "$(dirname "$0")"
bash .ci/setup.sh
exec "${NNLAB_VENV:-.venv}/bin/python" -m jupyterlab notebooks/00_start_here.ipynb "$@"
