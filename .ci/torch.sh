#!/usr/bin/env bash
# PyTorch into a virtual environment, the CPU build where it can be had (.ci/setup.sh and .ci/matrix call it):
#   bash .ci/torch.sh VENV_PYTHON [pip options, e.g. -c constraints.txt]
# PyPI's torch wheel for Linux is the CUDA build (several GB, of no use to the course); PyTorch's own CPU index
# has the CPU build. That index (NNLAB_TORCH_INDEX, default https://download.pytorch.org/whl/cpu) is asked
# first, with a short timeout (NNLAB_TORCH_INDEX_TIMEOUT seconds, default 5), and added to PyPI as an extra
# index: pip then prefers its CPU wheel (2.13.0+cpu sorts above 2.13.0), and takes torch's own dependencies
# from PyPI. When the index does not answer, PyPI's torch is installed, and this says so first. Either way the
# build that was installed is said afterwards (torch.version.cuda: None for a CPU build).
set -euo pipefail
PY="$1"
shift
TORCH="torch==2.13.0"
INDEX="${NNLAB_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"

if "$PY" - "$INDEX" "${NNLAB_TORCH_INDEX_TIMEOUT:-5}" <<'EOF'
import os, sys, urllib.parse, urllib.request
index, timeout = sys.argv[1].rstrip("/"), float(sys.argv[2])
url = urllib.parse.urlparse(index)
try:
    if url.scheme in ("", "file"):  # a wheel index on this machine: a folder with a torch/ folder in it
        sys.exit(0 if os.path.isdir(os.path.join(urllib.request.url2pathname(url.path), "torch")) else 1)
    urllib.request.urlopen(index + "/torch/", timeout=timeout).close()
except Exception:
    sys.exit(1)
EOF
then
  echo "== installing PyTorch's CPU build first (from $INDEX), so no dependency pulls in a CUDA build"
  "$PY" -m pip install --quiet "$@" "$TORCH" --extra-index-url "$INDEX"
else
  echo "== PyTorch's CPU index ($INDEX) is unreachable: installing PyPI's torch, which on Linux is the CUDA build, several GB"
  "$PY" -m pip install --quiet "$@" "$TORCH"
fi
"$PY" -W ignore - <<'EOF'  # (torch warns when numpy is not installed yet)
import torch

cuda = torch.version.cuda
print(f"== installed PyTorch {torch.__version__}: " + (
    "the CPU build" if cuda is None else
    f"the CUDA {cuda} build (it runs on the CPU too, but takes several GB; set NNLAB_TORCH_INDEX to a CPU wheel "
    "index and make a new environment to have the CPU build)"))
EOF
