"""DigitPad in a real JupyterLab: a digit drawn with the mouse and one drawn from the keyboard reach the kernel
(one message per stroke), and both networks' probabilities change; a keyboard user's keys stay on the pad."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from jupyter_page import RUN_CELL_JS, RUN_STATE_JS, bad_outputs, open_and_run, wait, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _kernel_says(page, code):
    """What ``print(code)`` prints in the notebook's kernel."""
    marker = f"@{time.monotonic_ns()}"
    page.evaluate(RUN_CELL_JS, f"print({marker!r}, {code})")
    wait(lambda: marker in json.dumps(page.evaluate(RUN_STATE_JS)["outputs"][-1]), 20, f"the kernel to print {code}")
    text = "".join(o.get("text", "") for o in page.evaluate(RUN_STATE_JS)["outputs"][-1])
    return text.split(marker, 1)[1].strip()


def test_a_digit_drawn_by_mouse_and_by_keyboard_is_classified_by_both_networks(page, lab):
    write_notebook(lab["root"], "digitpad.ipynb", ["from nnlab.views import DigitPad\npad = DigitPad()\npad"])
    state = open_and_run(page, lab, "digitpad.ipynb")
    assert not bad_outputs(state), bad_outputs(state)
    panel = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
    explorer = page.locator(f"[id='{panel}'] .nnlab-explorer").first
    caption = explorer.locator(".nnlab-caption")
    wait(lambda: "pad is blank" in caption.inner_text(), 60, "the blank pad's description")
    canvas = explorer.locator("canvas.nnlab-pad-canvas")
    explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
    box = canvas.bounding_box()

    # a 1 with the mouse: one stroke down the middle
    x = box["x"] + box["width"] * 0.5
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for k in range(1, 21):
        page.mouse.move(x, box["y"] + box["height"] * (0.15 + 0.035 * k))
    page.mouse.up()
    wait(lambda: "MLP says" in caption.inner_text(), 90, "both networks' answers after the stroke (the first "
                                                         "time, after training them)")
    said = caption.inner_text()
    assert re.search(r"MLP says \d \(\d\.\d\d\), CNN says \d \(\d\.\d\d\)", said), said
    assert _kernel_says(page, "len(pad.state['drawing']), pad.result.probs is not None") == "256 True"
    answers = "[(int(p.argmax()), round(float(p.max()), 3)) for p in pad.result.probs.values()]"
    for_the_stroke = _kernel_says(page, answers)
    ARTIFACTS.mkdir(exist_ok=True)
    explorer.screenshot(path=str(ARTIFACTS / "digitpad-mouse.png"))

    # cleared, then a 7 from the keyboard: the arrow keys move the cursor, Space held inks along the way
    explorer.locator("button").filter(has_text=re.compile(r"^\s*Clear\s*$")).click()
    wait(lambda: "pad is blank" in caption.inner_text(), 20, "the cleared pad")
    canvas.focus()
    for _ in range(12):                 # from the centre (16, 16) to (4, 8)
        page.keyboard.press("ArrowUp")
    for _ in range(8):
        page.keyboard.press("ArrowLeft")
    page.keyboard.down(" ")
    for _ in range(16):                 # the top bar
        page.keyboard.press("ArrowRight")
    for _ in range(12):                 # the diagonal down to the left
        page.keyboard.press("ArrowDown")
        if _ % 2:
            page.keyboard.press("ArrowLeft")
    for _ in range(10):
        page.keyboard.press("ArrowDown")
    page.keyboard.up(" ")
    wait(lambda: "MLP says" in caption.inner_text(), 30, "the answers for the keyboard's drawing")
    inked = int(explorer.locator(".nnlab-pad").get_attribute("data-inked"))
    assert inked > 40, inked
    assert _kernel_says(page, "sum(bin(int(c, 16)).count('1') for c in pad.state['drawing'])") == str(inked)
    assert _kernel_says(page, answers) != for_the_stroke       # both networks' bars moved on
    # the notebook kept its cell mode: no key went to JupyterLab's shortcuts (no new cells, none deleted)
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets.length") >= 2
    explorer.screenshot(path=str(ARTIFACTS / "digitpad-keyboard.png"))
    assert not page.console_errors, page.console_errors
