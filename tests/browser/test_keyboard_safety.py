"""Keys typed on an explorer's controls work the controls and never the notebook, in JupyterLab and in Notebook 7
(where a lecture is opened, run, and a slider moved by its arrow keys changes the explorer's image).

JupyterLab and Notebook 7 treat letter keys typed while a cell is selected in command mode as
notebook commands: ``r`` makes the cell raw, ``m`` markdown, ``d d`` deletes it, ``a``/``b`` add a
cell, ``x`` cuts it, ``z`` undoes, and arrows move to another cell. Focus on a slider, dropdown,
checkbox or button inside an explorer used to count as "a cell selected", so a keyboard user
destroyed the explorer while using it. Each kind of control is focused here, the keys are
typed, and the notebook must be unchanged (same cells, same types, same sources, same active
cell), while arrows still move a slider and change a dropdown. The test ends by removing the
protection and showing that the same keys then do reach the notebook, so it cannot pass vacuously.
"""
from __future__ import annotations

import pytest
from jupyter_page import CELLS_JS, open_and_run, wait

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

COMMAND_KEYS = ["r", "m", "y", "d", "d", "a", "b", "x", "c", "v", "z", "Shift+M"]

# one selector per kind of control, each inside an explorer
KINDS = {
    "slider": ".nnlab-explorer .nnlab-ctl [role=slider]",
    "dropdown": ".nnlab-explorer .nnlab-ctl select",
    "checkbox": ".nnlab-explorer .nnlab-ctl input[type=checkbox]",
    "toggle button": ".nnlab-explorer .nnlab-ctl.widget-toggle-buttons button",
    "button": ".nnlab-explorer button.nnlab-ctl:not([disabled])",
    "play button": ".nnlab-explorer .widget-play button",
}
# the perceptron stepper has sliders, a dropdown, a checkbox, buttons and a Play widget; the tower
# explorer has toggle buttons
NOTEBOOKS = {"01_linear_classifiers_and_perceptron.ipynb": ["slider", "dropdown", "checkbox", "button", "play button"],
             "03_universal_approximation.ipynb": ["toggle button", "slider", "dropdown"]}


def _focus(page, panel, kind):
    control = page.locator(f"[id='{panel}'] {KINDS[kind]}").first
    control.evaluate("e => e.closest('.nnlab-explorer').scrollIntoView({block: 'start'})")
    page.wait_for_timeout(200)
    control.focus()
    assert control.evaluate("e => e === document.activeElement"), f"could not focus the {kind}"
    return control


def _idle(page):
    """Wait for the kernel to finish what the keys started (a slider step re-renders the figure)."""
    wait(lambda: page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status")
         == "idle", 30, "the kernel to be idle")


def _check_keys_stay_in_explorers(page, server, name):
    open_and_run(page, server, name)
    panel = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
    explorers = page.locator(f"[id='{panel}'] .nnlab-explorer")
    assert explorers.count() > 0
    for e in range(explorers.count()):
        assert explorers.nth(e).get_attribute("data-lm-suppress-shortcuts") is not None, f"explorer {e}"

    for kind in NOTEBOOKS[name]:
        control = _focus(page, panel, kind)
        before = page.evaluate(CELLS_JS)
        for key in COMMAND_KEYS:
            page.keyboard.press(key)
        page.wait_for_timeout(300)
        after = page.evaluate(CELLS_JS)
        assert after == before, f"{name}, {kind}: keys {COMMAND_KEYS} changed the notebook: {before} -> {after}"
        assert page.locator(f"[id='{panel}'] .nnlab-explorer").count() == explorers.count()
        _idle(page)

        if kind == "slider":  # arrows still move the slider, and only the slider; the explorer draws the new value
            image = control.locator("xpath=ancestor::*[contains(@class, 'nnlab-explorer')][1]") \
                .locator("img.nnlab-figure").first
            value, shown = control.get_attribute("aria-valuenow"), image.get_attribute("src")
            control.focus()
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowUp")
            wait(lambda: control.get_attribute("aria-valuenow") != value, 10, "the slider to move on an arrow key")
            wait(lambda: image.get_attribute("src") != shown, 15, "the explorer's image to change with the slider")
        if kind == "dropdown":
            value = control.input_value()
            control.focus()
            page.keyboard.press("ArrowDown")
            wait(lambda: control.input_value() != value, 10, "the dropdown to change on ArrowDown")
        if kind in ("slider", "dropdown"):
            page.wait_for_timeout(300)
            _idle(page)
            after = page.evaluate(CELLS_JS)
            assert after == before, f"{name}, {kind}: an arrow key moved the notebook: {before} -> {after}"

    # without the protection the same keys reach the notebook (the oracle above is live)
    control = _focus(page, panel, "slider")
    control.evaluate("""e => { const root = e.closest('.nnlab-explorer');
        for (const x of [root, ...root.querySelectorAll('[data-lm-suppress-shortcuts]')])
            x.removeAttribute('data-lm-suppress-shortcuts'); }""")
    before = page.evaluate(CELLS_JS)
    control.focus()
    page.keyboard.press("m")
    wait(lambda: page.evaluate(CELLS_JS)["types"] != before["types"], 10,
         "'m' to turn the cell into markdown once the protection is removed")


def test_keys_on_controls_stay_in_the_explorer_in_jupyterlab(page, lab):
    for name in NOTEBOOKS:
        _check_keys_stay_in_explorers(page, lab, name)


def test_keys_on_controls_stay_in_the_explorer_in_notebook7(page, notebook7):
    for name in NOTEBOOKS:
        _check_keys_stay_in_explorers(page, notebook7, name)


def test_a_whole_reverse_sweep_by_keyboard_and_by_button(page, lab):
    """Lecture 4's AutodiffTrace: Enter on the focused Step button walks the forward pass and the whole
    reverse sweep to the curriculum's gradient; clicks on Step do the same after Reset."""
    open_and_run(page, lab, "04_backprop_and_autodiff.ipynb")
    panel = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
    explorer = page.locator(f"[id='{panel}'] .nnlab-explorer").filter(has_text="Run to the end").first
    explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
    caption = explorer.locator(".nnlab-caption")
    step = explorer.locator("button.nnlab-ctl", has_text="Step")
    step.focus()  # selects the explorer's cell: the notebook must not change from here on
    before = page.evaluate(CELLS_JS)
    for _ in range(7 + 8):
        step.focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(150)
    wait(lambda: "Gradient: ∂y/∂x1 = 5.5, ∂y/∂x2 = 1.716" in caption.inner_text(), 20, "the end of the sweep")
    assert page.evaluate(CELLS_JS) == before
    explorer.locator("button.nnlab-ctl", has_text="Reset").click()
    wait(lambda: "nothing computed yet" in caption.inner_text(), 20, "the reset")
    for _ in range(7 + 8):
        step.click()
        page.wait_for_timeout(150)
    wait(lambda: "Gradient: ∂y/∂x1 = 5.5" in caption.inner_text(), 20, "the end of the sweep by clicks")
    assert explorer.locator("img.nnlab-figure").get_attribute("alt").endswith("∂y/∂x2 = 1.716.")
