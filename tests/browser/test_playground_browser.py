"""TrainingPlayground in a real JupyterLab: Play produces frames while the kernel stays responsive,
a slider changed while playing takes effect, and Pause stops the frames within half a second."""
from __future__ import annotations

import json
import re
import time

from pathlib import Path

import pytest
from jupyter_page import (RUN_CELL_JS, RUN_STATE_JS, bad_outputs, explorer_in_new_notebook, open_and_run, wait,
                         write_notebook)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

NAME = "playground_browser.ipynb"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _button(explorer, label):
    return explorer.locator("button").filter(has_text=re.compile(rf"^\s*{label}\s*$"))


def _sources(img, seconds):
    """The distinct src values the figure shows over ``seconds`` (polled every 20 ms)."""
    seen, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        src = img.get_attribute("src")
        if not seen or seen[-1] != src:
            seen.append(src)
        time.sleep(0.02)
    return seen


def test_play_shows_frames_a_slider_works_while_playing_and_pause_stops_them(page, lab):
    explorer = explorer_in_new_notebook(page, lab, NAME, ["from nnlab.views import TrainingPlayground\n",
                                       "p = TrainingPlayground(n=400, layers=2, units1=8, units2=8)\np"])
    img = explorer.locator("img").first
    caption = explorer.locator(".nnlab-caption")
    wait(lambda: "Epoch 0 " in caption.inner_text(), 30, "the first picture")
    ARTIFACTS.mkdir(exist_ok=True)
    explorer.screenshot(path=str(ARTIFACTS / "playground-start.png"))

    before = img.get_attribute("src")
    _button(explorer, "play").click()
    frames = _sources(img, 1.0)
    for _ in range(20):                     # at least five new frames (a slow machine gets more time)
        if len([s for s in frames if s != before]) >= 5:
            break
        frames += _sources(img, 1.0)
    assert len([s for s in frames if s != before]) >= 5, f"only {len(frames) - 1} new frames while playing"
    assert _button(explorer, "pause").is_enabled() and not _button(explorer, "play").is_enabled()

    # another cell runs while the playground plays (Play yields to the kernel between frames)
    page.evaluate(RUN_CELL_JS, "print('alive', p.playing, p.frames > 0, type(p._task).__name__)")
    wait(lambda: "alive True True" in json.dumps(page.evaluate(RUN_STATE_JS)["outputs"][-1]), 20,
         "a cell to run while playing")
    assert "alive True True Task" in json.dumps(page.evaluate(RUN_STATE_JS)["outputs"][-1])  # the kernel's loop

    # a slider while playing: type a learning rate into its readout (in the Training tab); the next
    # frames use it
    tabs = explorer.locator("[role=tab]")        # the settings' tabs work from the keyboard
    tabs.first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    wait(lambda: tabs.filter(has_text="Training").get_attribute("aria-selected") == "true", 5,
         "the Training tab to open from the keyboard")
    readout = explorer.locator(".widget-slider").filter(has_text="learning rate").locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("0.1")
    page.keyboard.press("Enter")
    wait(lambda: "learning rate 0.1:" in caption.inner_text(), 20, "the new learning rate in the description")
    epoch = int(re.search(r"Epoch (\d+)", caption.inner_text()).group(1))
    wait(lambda: int(re.search(r"Epoch (\d+)", caption.inner_text()).group(1)) > epoch + 2, 20,
         "training to go on at the new rate (no reset)")
    explorer.screenshot(path=str(ARTIFACTS / "playground-playing.png"))

    _button(explorer, "pause").click()
    time.sleep(0.5)                         # the frame in flight and the paused picture arrive within 0.5 s
    after = _sources(img, 2.0)
    assert len(after) == 1, f"{len(after) - 1} new frames more than 0.5 s after Pause"
    wait(lambda: _button(explorer, "play").is_enabled(), 5, "Play to be enabled again")
    assert not _button(explorer, "pause").is_enabled()
    assert "learning rate 0.1:" in caption.inner_text()
    explorer.screenshot(path=str(ARTIFACTS / "playground-paused.png"))

    # a click on the decision region adds a training point of the chosen class there (ipyevents)
    box = img.bounding_box()
    img.click(position={"x": box["width"] * 0.57, "y": box["height"] * 0.35})
    wait(lambda: "Epoch 0 " in caption.inner_text(), 20, "the run to start again with the new point")
    page.evaluate(RUN_CELL_JS, "print('points', len(p.state['points']), p.state['points'][0][2], len(p.trainer.X))")
    wait(lambda: "points 1 1 201" in json.dumps(page.evaluate(RUN_STATE_JS)["outputs"][-1]), 20,
         "the clicked point in the state and the training set")
    assert not page.console_errors, page.console_errors


def _kernel_says(page, code, expected, what, seconds=20):
    """Ask the kernel (a cell that prints ``code``) until it says ``expected``: a value typed into a widget reaches
    the kernel as a comm message that ipywidgets may hold back until the kernel has answered the last one, so
    the first question can arrive before it."""
    deadline, printed = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        marker = f"q{time.monotonic_ns()}"
        page.evaluate(RUN_CELL_JS, f"print({marker!r}, '@', {code})")
        wait(lambda: marker in json.dumps(page.evaluate(RUN_STATE_JS)["outputs"][-1]), seconds, what)
        printed = page.evaluate(RUN_STATE_JS)["outputs"][-1]
        if f"@ {expected}" in json.dumps(printed):
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}; the kernel printed {printed}")


def test_a_learning_rate_is_what_the_student_typed(page, lab):
    """The log slider keeps the default (0.03, not the 0.0316228 of ipywidgets' grid) once it is shown, a
    typed value exactly, and a drag or an arrow key stops at round values; what the playground exports is
    the run it trains."""
    write_notebook(lab["root"], "learning_rate.ipynb", [
        "from nnlab.views import TrainingPlayground\np = TrainingPlayground(n=200)\np"])
    state = open_and_run(page, lab, "learning_rate.ipynb")
    assert not bad_outputs(state), bad_outputs(state)
    panel = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
    explorer = page.locator(f"[id='{panel}'] .nnlab-explorer").first
    wait(lambda: "Epoch 0 " in explorer.locator(".nnlab-caption").inner_text(), 30, "the first picture")
    explorer.locator("[role=tab]").filter(has_text="Training").click()
    row = explorer.locator(".nnlab-log").filter(has_text="learning rate")
    readout = row.locator(".widget-readout")
    wait(lambda: readout.is_visible(), 10, "the learning rate's slider")
    time.sleep(0.5)                                  # anything the shown slider would send back has arrived
    _kernel_says(page, "p.state['lr'], p.state['momentum'], 'lr=0.03,' in p.to_pytorch()", "0.03 0.9 True",
                 "the default learning rate, unchanged by showing the slider")
    # each key goes to the element it is meant for (the locator focuses it first): a cell that has just run may
    # take the focus back a moment later
    for typed in ("0.05", "0.03", "0.0123"):
        readout.fill(typed)
        readout.press("Enter")
        _kernel_says(page, "p.state['lr']", typed, f"the typed learning rate {typed}")
    row.locator("input[type=range]").press("ArrowRight")   # 0.0123 sits nearest 0.013 on the grid; one step on
    _kernel_says(page, "p.state['lr'], p.state['lr'] in p.controls['lr'].grid", "0.014 True",
                 "a round learning rate from the arrow key")
    assert not page.console_errors, page.console_errors
