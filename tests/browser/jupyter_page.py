"""Driving a notebook in JupyterLab or Notebook 7 from Playwright: open it, run it, read its state."""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request


class ServerError(RuntimeError):
    """The Jupyter server could not be started."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(notebooks, root, app):
    """``python -m APP`` (jupyterlab or notebook) serving a scratch copy of ``notebooks`` in ``root``;
    a generator that yields {url, token, root, app} while the server runs (raises ServerError)."""
    shutil.copytree(notebooks, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port, token = free_port(), secrets.token_hex(16)
    settings = root / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / "config"), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(root / "settings"), JUPYTER_PLATFORM_DIRS="1")
    cmd = [sys.executable, "-m", app, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={root / 'notebooks'}",
           "--expose-app-in-browser", "--ServerApp.open_browser=False"]
    if app == "jupyterlab":
        cmd.append(f"--LabApp.workspaces_dir={root / 'workspaces'}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"{app} exited with {proc.returncode}:\n{(root / 'server.log').read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        raise ServerError(f"{app} did not answer within 90 s")
    try:
        yield {"url": url, "token": token, "root": root / "notebooks", "app": app}
    finally:
        stop(proc)
        log.close()


def stop(proc):
    """Stop a server this test started, by its process: SIGTERM, then SIGKILL after 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()



RUN_STATE_JS = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  if (!nb || !nb.content || !nb.sessionContext.session) return null;
  const kernel = nb.sessionContext.session.kernel;
  const cells = nb.content.widgets.filter(c => c.model.type === 'code');
  return {
    status: kernel ? kernel.status : 'none',
    pending: cells.filter(c => c.model.executionCount === null || c.model.executionState === 'running'
                          || (c.promptNode && c.promptNode.textContent.includes('*'))).length,
    outputs: cells.map(c => c.model.outputs.toJSON()),
  };
}"""



CELLS_JS = """() => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  return {types: nb.widgets.map(c => c.model.type), active: nb.activeCellIndex,
          sources: nb.widgets.map(c => c.model.sharedModel.getSource().length)};
}"""


# runs ``code`` in a new cell at the end of the current notebook
RUN_CELL_JS = """(code) => {
  const app = window.jupyterapp, nb = app.shell.currentWidget.content;
  nb.activeCellIndex = nb.widgets.length - 1;
  return app.commands.execute('notebook:insert-cell-below').then(() => {
    nb.activeCell.model.sharedModel.setSource(code);
    return app.commands.execute('notebook:run-cell');
  });
}"""


def write_notebook(root, name, cells):
    """A notebook ``name`` in ``root`` whose code cells are ``cells`` (sources), on the python3 kernel."""
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": c}
                    for c in cells],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    (root / name).write_text(json.dumps(nb))


def explorer_in_new_notebook(page, server, name, cells):
    """Write notebook ``name`` of ``cells`` into the server's folder, run it, and return its first explorer
    (scrolled into view); the notebook must run without an error."""
    write_notebook(server["root"], name, cells)
    state = open_and_run(page, server, name)
    assert not bad_outputs(state), bad_outputs(state)
    panel = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
    explorer = page.locator(f"[id='{panel}'] .nnlab-explorer").first
    explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
    return explorer


def wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def open_and_run(page, server, name):
    """Open notebook ``name`` in ``server`` (the lab or notebook7 fixture), run all cells, wait."""
    if server.get("app", "jupyterlab") == "jupyterlab":
        # a workspace of its own per notebook, so no earlier notebook is restored beside it
        workspace = "t" + name.replace("/", "-").replace(".", "-")
        page.goto(f"{server['url']}/lab/workspaces/{workspace}/tree/{name}?reset&token={server['token']}")
    else:
        page.goto(f"{server['url']}/notebooks/{name}?token={server['token']}")
    return run_all(page, name)


def run_all(page, name, timeout=240):
    """Run all cells of the notebook open in ``page`` once its kernel is idle; wait until they ran. The page must
    have been opened with the server's ``--expose-app-in-browser`` (``window.jupyterapp``)."""
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext", timeout=90_000)
    wait(lambda: (page.evaluate(RUN_STATE_JS) or {}).get("status") == "idle", 90, "the kernel to start")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    time.sleep(1.0)
    return wait(lambda: (lambda s: s if s and s["status"] == "idle" and s["pending"] == 0 else None)(
        page.evaluate(RUN_STATE_JS)), timeout, f"{name} to finish running")


def bad_outputs(state):
    bad = []
    for i, outputs in enumerate(state["outputs"]):
        for o in outputs:
            if o["output_type"] == "error":
                bad.append(f"code cell {i}: {o['ename']}: {o['evalue']}")
            elif o["output_type"] == "stream" and o["name"] == "stderr":
                bad.append(f"code cell {i} wrote to stderr: {''.join(o['text'])[:300]}")
    return bad



_ROLE = re.compile(r"""^\s*-\s*'?(?P<role>img|slider|button|combobox|checkbox|textbox|spinbutton|radio|switch)\b"""
                   r"""(?P<name>\s+"(?:[^"\\]|\\.)*")?""")


def unnamed(page, panel_id):
    """Images without a text alternative and controls without an accessible name in the outputs of the
    notebook panel ``panel_id``, from the browser's own accessibility tree (Playwright's aria snapshot)."""
    found = []
    outputs = page.locator(f"[id='{panel_id}'] .jp-OutputArea-output")
    for i in range(outputs.count()):
        out = outputs.nth(i)
        out.evaluate("e => e.scrollIntoView({block: 'start'})")  # off-screen cells are not rendered
        for line in out.aria_snapshot().splitlines():
            m = _ROLE.match(line)
            if m and len((m.group("name") or "").strip(' "')) == 0:
                found.append(f"output {i}: {line.strip()}")
    return found
