"""Driving a notebook in JupyterLab or Notebook 7 from Playwright: open it, run it, read its state."""
from __future__ import annotations

import re
import time

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
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext", timeout=60_000)
    wait(lambda: (page.evaluate(RUN_STATE_JS) or {}).get("status") == "idle", 60, "the kernel to start")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    time.sleep(1.0)
    state = wait(lambda: (lambda s: s if s and s["status"] == "idle" and s["pending"] == 0 else None)(
        page.evaluate(RUN_STATE_JS)), 240, f"{name} to finish running")
    return state


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
