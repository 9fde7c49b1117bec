"""The README's Binder badge, taken the way repo2docker takes it: a brand-new environment that installs exactly
``binder/requirements.txt``, then ``binder/postBuild`` run from the repository's root, then JupyterLab opened at
the badge's ``urlpath`` and the first lecture run in chromium.

repo2docker builds from the repository's files: here, a copy of the files git tracks (as they are in the
working tree). PyTorch's CPU index is named in the requirements; a machine that cannot reach it (no internet
but the package registries) installs without that line, as ``.ci/torch.sh`` does, and the test says so.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from jupyter_page import bad_outputs, free_port, run_all, stop, wait

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.packaging, pytest.mark.slow, pytest.mark.timeout(1500)]


def badge_urlpath():
    """The ``urlpath`` of the README's Binder badge (``lab/tree/notebooks/00_start_here.ipynb``)."""
    m = re.search(r"\(https://mybinder\.org/v2/gh/[^)]*\?urlpath=([^)&]+)\)", (ROOT / "README.md").read_text())
    assert m, "the README has no Binder badge with a urlpath"
    return urllib.request.unquote(m.group(1))


def index_answers(url, timeout=5.0):
    try:
        urllib.request.urlopen(url.rstrip("/") + "/torch/", timeout=timeout).close()
        return True
    except Exception:
        return False


def copy_tracked(dest):
    """The files git tracks, as they are in the working tree (what repo2docker builds from)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def run(cmd, log, **kwargs):
    with open(log, "a") as out:
        out.write(f"\n$ {' '.join(map(str, cmd))}\n")
        out.flush()
        start = time.monotonic()
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, **kwargs)
        out.write(f"(exit {done.returncode} after {time.monotonic() - start:.0f} s)\n")
    assert done.returncode == 0, f"{cmd[:4]} failed:\n{log.read_text()[-4000:]}"


def test_binder_builds_and_opens_the_first_lecture_at_the_badges_urlpath(tmp_path, page):
    repo, env, log = tmp_path / "repo", tmp_path / "env", tmp_path / "build.log"
    copy_tracked(repo)
    requirements = repo / "binder" / "requirements.txt"
    lines = requirements.read_text().splitlines()
    index = next(line.split()[1] for line in lines if line.startswith("--extra-index-url"))
    if not index_answers(index):   # as a machine without that index: PyPI's torch (the cap on this disk keeps 2.13)
        requirements.write_text("\n".join(line for line in lines if not line.startswith("--extra-index-url")) + "\n")
        print(f"{index} does not answer: installing without it")

    python = getattr(sys, "_base_executable", sys.executable)   # a new environment, not one inside ours
    run([python, "-m", "venv", env], log)
    path = f"{env / 'bin'}{os.pathsep}{os.environ['PATH']}"
    build_env = dict(os.environ, PATH=path, VIRTUAL_ENV=str(env), PIP_DISABLE_PIP_VERSION_CHECK="1",
                     JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
                     JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_PLATFORM_DIRS="1")
    build_env.pop("PYTHONPATH", None)
    run([env / "bin" / "python", "-m", "pip", "install", "--quiet", "-r", requirements], log, cwd=repo, env=build_env)
    run(["bash", "binder/postBuild"], log, cwd=repo, env=build_env)
    assert "Everything is ready." in log.read_text(), log.read_text()[-3000:]
    nnlab_at = subprocess.run([env / "bin" / "python", "-c", "import nnlab; print(nnlab.__file__)"],
                              capture_output=True, text=True, env=build_env, cwd=tmp_path).stdout.strip()
    assert nnlab_at == str(repo / "nnlab" / "__init__.py"), nnlab_at

    port, token = free_port(), secrets.token_hex(16)
    cmd = [env / "bin" / "python", "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={repo}", "--ServerApp.open_browser=False",
           "--expose-app-in-browser"]   # window.jupyterapp, to read the notebook's state (as jupyter_page does)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    server_log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(cmd, stdout=server_log, stderr=subprocess.STDOUT, env=build_env, cwd=repo)
    url = f"http://127.0.0.1:{port}"
    try:
        def answers():
            assert server.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).close()
                return True
            except OSError:
                return False
        wait(answers, 90, "JupyterLab from the Binder environment to answer")
        page.goto(f"{url}/{badge_urlpath()}?token={token}")
        state = run_all(page, "the first lecture", timeout=300)
        assert not bad_outputs(state), bad_outputs(state)
        path = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path")
        assert path == badge_urlpath().removeprefix("lab/tree/"), path
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "binder-00_start_here.png"))
        printed = "".join("".join(o.get("text") or o.get("data", {}).get("text/plain", ""))
                          for outs in state["outputs"] for o in outs)
        assert "Everything is ready." in printed, printed[-2000:]
    finally:
        stop(server)
        server_log.close()
