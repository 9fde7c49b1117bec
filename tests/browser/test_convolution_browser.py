"""Lecture 10's Convolution explorer in a real JupyterLab: Play steps the window across the input and the output
fills in, cell by cell, while the kernel stays free; Pause stops it where it is."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from jupyter_page import RUN_CELL_JS, RUN_STATE_JS, explorer_in_new_notebook, wait

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

NAME = "convolution_browser.ipynb"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DONE = re.compile(r"(\d+) of (\d+) cells computed")


def _button(explorer, label):
    return explorer.locator("button").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))


def _done(caption):
    """The cells computed, as the caption says ("No cell computed yet": 0)."""
    found = DONE.search(caption.inner_text())
    return int(found.group(1)) if found else 0


def test_play_steps_the_window_and_the_output_fills_in(page, lab):
    explorer = explorer_in_new_notebook(page, lab, NAME, ["from nnlab.views import Convolution\n",
                                       "c = Convolution(input='small', kernel='2 × 2 difference')\n"
                                       "c.seconds_per_cell = 0.15\nc"])
    img, caption = explorer.locator("img.nnlab-figure").first, explorer.locator(".nnlab-caption")
    wait(lambda: "No cell computed yet" in caption.inner_text(), 30, "the first picture")

    _button(explorer, "Play").click()
    seen, sources, end = [], set(), time.monotonic() + 30
    while time.monotonic() < end and (len(seen) < 4 or seen[-1] < 6):   # the caption as Play goes on
        n = _done(caption)
        if not seen or n != seen[-1]:
            seen.append(n)
        sources.add(img.get_attribute("src"))
        time.sleep(0.03)
    assert seen[-1] >= 6 and seen == sorted(seen), f"cells computed as Play went on: {seen}"
    assert len(sources) >= 4, "the figure did not change as Play stepped"
    assert _button(explorer, "Pause").is_enabled() and not _button(explorer, "Play").is_enabled()

    # another cell runs while it plays, and sees the window where the figure shows it
    page.evaluate(RUN_CELL_JS, "print('alive', c.playing, c.state['position'] > 0)")
    wait(lambda: "alive True True" in json.dumps(page.evaluate(RUN_STATE_JS)["outputs"][-1]), 20,
         "a cell to run while playing")

    _button(explorer, "Pause").click()
    wait(lambda: _button(explorer, "Play").is_enabled(), 10, "Play to be enabled again after Pause")
    stopped = _done(caption)
    time.sleep(1.0)
    assert _done(caption) == stopped and 6 <= stopped < 25, f"Pause did not stop at {stopped}"
    ARTIFACTS.mkdir(exist_ok=True)
    explorer.screenshot(path=str(ARTIFACTS / "convolution-paused.png"))
    _button(explorer, "All cells").click()
    wait(lambda: _done(caption) == 25, 20, "every cell after All cells")
