"""A lecture as the lecturer presents it: Voilà serves it as an app (prose, figures and controls, no code), and
its explorers answer in chromium.

The page is opened with every request that leaves this machine refused (Voilà's icon font comes from a CDN,
and a lecture hall's network is not to be trusted): the explorers must work without it.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from jupyter_page import free_port, stop, wait
from test_notebooks_in_browser import _change, _wait_for_new_image

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
LECTURE = "02_forward_pass.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


@pytest.fixture
def voila(tmp_path):
    """``voila LECTURE`` on 127.0.0.1 over a scratch copy of notebooks/, stopped (by its process id) after the
    test."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port = free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_PLATFORM_DIRS="1")
    log = open(tmp_path / "voila.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "voila", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
                             "--show_tracebacks=True", str(tmp_path / "notebooks" / LECTURE)],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path / "notebooks")
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"voila exited with {proc.returncode}:\n{(tmp_path / 'voila.log').read_text()}"
            try:
                urllib.request.urlopen(url + "static/", timeout=2)
                break
            except urllib.error.HTTPError:  # the server answers (a 404 is an answer; the lecture runs on a visit)
                break
            except OSError:
                assert time.monotonic() < deadline, "voila did not answer within 60 s"
                time.sleep(0.3)
        yield url
    finally:
        stop(proc)
        log.close()


def test_a_lecture_served_by_voila_shows_no_code_and_its_explorers_respond_offline(page, voila):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "voila-02_forward_pass"
    outside = []

    def local_only(route):
        host = route.request.url.split("/")[2].split(":")[0]
        if host in ("127.0.0.1", "localhost"):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    page.route("**/*", local_only)
    page.goto(voila + f"?nonce={secrets.token_hex(4)}", timeout=120_000)
    explorers = page.locator(".nnlab-explorer")
    wait(lambda: explorers.count() > 0 and explorers.first.locator("img.nnlab-figure").count(), 120,
         "the lecture's first explorer to appear")
    shown = page.locator(".jp-CodeCell .jp-InputArea, .jp-CodeMirrorEditor, .cm-editor, .jp-InputPrompt")
    assert shown.count() == 0, f"code is shown: {shown.first.inner_text()[:200]}"
    assert page.locator("h1, h2").count() > 0, "the lecture's prose is missing"
    assert not page.locator(":text('Error displaying widget')").count()

    explorer = explorers.first
    explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
    image = explorer.locator("img.nnlab-figure").first
    controls = explorer.locator(".nnlab-ctl")
    moved = 0
    for c in range(controls.count()):
        control = controls.nth(c)
        if not control.is_visible() or not control.locator(".widget-readout, select").count():
            continue
        before = image.get_attribute("src")
        action = _change(page, control)
        _wait_for_new_image(page, image, before, shot, f"Voilà: control {c}: {action}, but the image did not change")
        moved += 1
        if moved == 2:
            break
    assert moved == 2, "the explorer had fewer than two sliders or dropdowns to move"
    explorer.screenshot(path=f"{shot}-explorer.png")
    assert not page.locator(".nnlab-error").all_inner_texts()
    ours = [m for m in page.console_errors if "net::ERR_FAILED" not in m and "Failed to load resource" not in m]
    assert not ours, "browser console errors:\n" + "\n".join(ours)
    assert all("127.0.0.1" not in u for u in outside)
