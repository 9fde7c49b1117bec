#!/usr/bin/env bash
# Set up (first run only) and open the course in JupyterLab. NNLAB_VENV (default .venv) is where the
# environment lives; see .ci/setup.sh.
set -euo pipefail
cd "$(dirname "$0")"
bash .ci/setup.sh
AS_ROOT=()
[[ $(id -u) -eq 0 ]] && AS_ROOT=(--allow-root)  # a container or a fresh VM often runs as root
exec "${NNLAB_VENV:-.venv}/bin/python" -m jupyterlab ${AS_ROOT[@]+"${AS_ROOT[@]}"} notebooks/00_start_here.ipynb "$@"
