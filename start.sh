#!/usr/bin/env bash
# Set up (first run only) and open the course in JupyterLab.
set -euo pipefail
cd "$(dirname "$0")"
bash .ci/setup.sh
exec .venv/bin/python -m jupyterlab notebooks/00_start_here.ipynb "$@"
