"""Work an explorer does after its frame (``Explorer.later``) in a real JupyterLab: a deep, wide
GradientFlowExplorer with training shows its flow at once, says the curves follow, the kernel runs
other cells meanwhile, and the frames with the training curves arrive from the background."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jupyter_page import RUN_CELL_JS, RUN_STATE_JS, explorer_in_new_notebook, wait

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

NAME = "background_browser.ipynb"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_training_curves_arrive_after_the_flow(page, lab):
    explorer = explorer_in_new_notebook(page, lab, NAME, ["from nnlab.views import GradientFlowExplorer\n",
                                       "g = GradientFlowExplorer(depth=100, width=192, activation='tanh', "
                                       "train=True)\ng"])
    img = explorer.locator("img").first
    caption = explorer.locator(".nnlab-caption")
    wait(lambda: "100 layers" in caption.inner_text(), 60, "the flow")
    # the kernel answers while the two networks train in the background thread
    page.evaluate(RUN_CELL_JS, "print('alive', g.pending is not None)")
    wait(lambda: "alive True" in json.dumps(page.evaluate(RUN_STATE_JS)["outputs"][-1]), 30,
         "a cell to run while training")
    first = img.get_attribute("src")
    # this network's curve first, then the reference's: the last frame says no more is coming
    wait(lambda: "training: loss" in (text := caption.inner_text()) and "background" not in text, 120,
         "both training curves")
    assert img.get_attribute("src") != first
    wait(lambda: "training: loss" in (img.get_attribute("alt") or ""), 10, "the alt text to follow")
    ARTIFACTS.mkdir(exist_ok=True)
    explorer.screenshot(path=str(ARTIFACTS / "gradflow-trained.png"))
