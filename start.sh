#!/usr/bin/env bash
# Set up (first run only) and open the course in JupyterLab. NNLAB_VENV (default .venv) is where the
# environment lives; see .ci/setup.sh.
set -euo pipefail
cd "$(dirname "$0")"
bash .ci/setup.sh
# no news prompt from JupyterLab over the first lecture (settings overrides: nnlab.env.write_lab_settings)
"${NNLAB_VENV:-.venv}/bin/python" -c 'from nnlab.env import write_lab_settings; write_lab_settings()'
AS_ROOT=()
[[ $(id -u) -eq 0 ]] && AS_ROOT=(--allow-root)  # a container or a fresh VM often runs as root
exec "${NNLAB_VENV:-.venv}/bin/python" -m jupyterlab ${AS_ROOT[@]+"${AS_ROOT[@]}"} notebooks/00_start_here.ipynb "$@"
