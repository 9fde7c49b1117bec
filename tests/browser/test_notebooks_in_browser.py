"""Every notebook, opened in JupyterLab in chromium: run all cells, work every explorer control.

Generic on purpose: a new notebook under notebooks/ (or notebooks/exercises/) is covered
by existing, and a new explorer by using the Explorer base class, whose root carries the
CSS class ``nnlab-explorer``, its figure ``nnlab-figure`` and each control ``nnlab-ctl``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from jupyter_page import RUN_STATE_JS, bad_outputs, open_and_run, unnamed, wait

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOKS = sorted(str(p.relative_to(ROOT / "notebooks")) for p in (ROOT / "notebooks").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

# Console messages that come from an offline machine, not from nnlab or the course (the news
# fetch is also switched off in the lab fixture; no other console error is tolerated).
BENIGN_CONSOLE = ("Failed to fetch news",)

DISABLED_JS = """e => e.hasAttribute('disabled') || !!e.querySelector('[disabled], .mod-disabled')
                 || e.classList.contains('mod-disabled')"""


def _slider_target(control):
    cls = control.get_attribute("class") or ""
    if "nnlab-log" in cls:  # a LogSlider (its range in data attributes): 30 % in from the far end, in log10
        lo, hi = (math.log10(float(control.get_attribute(a))) for a in ("data-low", "data-high"))
        now = math.log10(float(control.locator(".widget-readout").input_value()))
        return f"{10 ** (lo + 0.3 * (hi - lo) if now > (lo + hi) / 2 else hi - 0.3 * (hi - lo)):.3g}"
    handle = control.locator(".noUi-handle").first
    lo, hi, now = (float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax", "aria-valuenow"))
    target = lo + 0.3 * (hi - lo) if now > (lo + hi) / 2 else hi - 0.3 * (hi - lo)
    shown = control.locator(".widget-readout").first.inner_text().strip()
    if "." not in shown and "e" not in shown.lower():  # an integer slider shows no decimal point
        return str(round(target))
    return f"{target:.4g}" if not float(target).is_integer() else str(int(target))


def _change(page, control):
    """Change one control the way a person would; return a description of what was done."""
    cls = control.get_attribute("class") or ""
    if control.locator(".widget-readout").count():
        value = _slider_target(control)
        readout = control.locator(".widget-readout").first
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
        page.keyboard.press("Enter")
        return f"typed {value} into the slider readout"
    if control.locator("select").count():
        select = control.locator("select").first
        if select.is_disabled():   # disabled by the change before, whose new frame came first
            return None
        current = select.input_value()
        options = [o for o in select.locator("option").evaluate_all("os => os.map(o => o.value)") if o != current]
        select.select_option(options[0])
        return f"selected {options[0]}"
    if control.locator("input[type=checkbox]").count():
        control.locator("input[type=checkbox]").first.click()
        return "toggled the checkbox"
    if "widget-play" in cls:
        control.locator("button").first.click()
        return "pressed play"
    if "nnlab-pad" in cls:                 # a stroke with the mouse, corner to corner
        box = control.locator("canvas").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.2)
        page.mouse.down()
        for k in range(1, 11):
            page.mouse.move(box["x"] + box["width"] * (0.3 + 0.04 * k), box["y"] + box["height"] * (0.2 + 0.06 * k))
        page.mouse.up()
        return "drew a stroke on the pad"
    if "widget-toggle-buttons" in cls:
        control.locator("button:not(.mod-active)").first.click()
        return "clicked another toggle button"
    if "widget-upload" in cls:             # the file chooser a click opens, given a photo of a digit
        import numpy as np

        from nnlab.views.testing import photo

        path = ARTIFACTS / "upload-digit.jpg"
        path.write_bytes(photo(np.random.default_rng(0)))
        with page.expect_file_chooser() as chooser:
            control.click()
        chooser.value.set_files(str(path))
        return "uploaded a photo"
    if "widget-text" in cls:               # a text box (the convolution's kernel entries): its example, typed
        box = control.locator("input").first
        example = box.get_attribute("placeholder")
        assert example, f"a text box without an example to type (its placeholder), classes {cls!r}"
        box.fill(example)
        box.press("Enter")
        return f"typed {example!r}"
    if control.evaluate("e => e.tagName") == "BUTTON":
        control.click()
        return "clicked the button"
    raise AssertionError(f"no rule to operate a control with classes {cls!r}")


def _wait_for_new_image(page, image, before, shot, failure):
    try:
        page.wait_for_function("([img, before]) => img.getAttribute('src') !== before",
                               arg=[image.element_handle(), before], timeout=15_000)
    except Exception as exc:
        page.screenshot(path=f"{shot}-fail.png")
        raise AssertionError(failure) from exc


# Every shown control's label sits beside what it labels, on its line: its vertical centre inside the vertical
# span of the control's own part (buttons, slider, box); a label above its buttons was out of line.
LABELS_OUT_OF_LINE_JS = """controls => controls.flatMap(c => {
  const label = c.querySelector(':scope > .widget-label');
  const parts = [...c.children].filter(k => k !== label && k.getBoundingClientRect().height > 0);
  if (!label || !label.textContent.trim() || !parts.length || !label.getBoundingClientRect().height) return [];
  const l = label.getBoundingClientRect(), mid = (l.top + l.bottom) / 2;
  const top = Math.min(...parts.map(k => k.getBoundingClientRect().top));
  const bottom = Math.max(...parts.map(k => k.getBoundingClientRect().bottom));
  const right = Math.min(...parts.map(k => k.getBoundingClientRect().left));
  return mid >= top && mid <= bottom && l.right <= right + 1 ? [] : [label.textContent.trim()];
})"""


# where explorers take clicks, as fractions of the image: left of centre (the race's contour plot),
# then the centre (the playground's decision region); a click elsewhere is ignored
CLICK_AT = ((0.2, 0.55), (0.5, 0.45))


def _click_figure(page, explorer, image, where, shot):
    """Click the figure where the explorer takes clicks; the image must change, and a readout or the
    figure's description (its alt text) must say what the click did."""
    said = lambda: (explorer.locator(".nnlab-ctl .widget-readout").all_inner_texts(),  # noqa: E731
                    image.get_attribute("alt"))
    before_said = said()
    box = image.bounding_box()
    for k, (fx, fy) in enumerate(CLICK_AT):
        before_src = image.get_attribute("src")
        image.click(position={"x": fx * box["width"], "y": fy * box["height"]})
        try:
            page.wait_for_function("([img, before]) => img.getAttribute('src') !== before",
                                   arg=[image.element_handle(), before_src], timeout=8_000)
            break
        except Exception:
            if k == len(CLICK_AT) - 1:
                page.screenshot(path=f"{shot}-fail.png")
                raise AssertionError(f"{where}: clicked the figure, but the image did not change") from None
    wait(lambda: said() != before_said, 10, f"{where}: a readout or the description to show the clicked point")
    return "clicked the figure"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_explorers_respond(page, lab, name):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / (name.replace("/", "__").removesuffix(".ipynb"))
    state = open_and_run(page, lab, name)
    assert not bad_outputs(state), bad_outputs(state)
    assert not page.locator(".jp-OutputArea-output:has-text('Error displaying widget')").count()

    panel = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
    explorers = page.locator(f"[id='{panel}'] .nnlab-explorer")
    done = []
    for e in range(explorers.count()):
        explorer = explorers.nth(e)
        # JupyterLab skips rendering far-off cells (content-visibility: auto), which Playwright
        # sees as invisible; a plain DOM scroll brings the explorer into view first.
        explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        image = explorer.locator("img.nnlab-figure").first
        controls = explorer.locator(".nnlab-ctl")
        assert controls.count() > 0, f"explorer {e} has no controls"
        misplaced = controls.evaluate_all(LABELS_OUT_OF_LINE_JS)
        assert not misplaced, f"explorer {e}: labels not in line with their control: {misplaced}"
        for c in range(controls.count()):
            control = controls.nth(c)
            if control.evaluate(DISABLED_JS) or not control.is_visible():
                done.append(f"skipped a disabled or hidden control ({control.get_attribute('class')})")
                continue
            before = image.get_attribute("src")
            action = _change(page, control)
            if action is None:
                done.append(f"skipped a control the change before disabled ({control.get_attribute('class')})")
                continue
            _wait_for_new_image(page, image, before, shot,
                                f"explorer {e}, control {c}: {action}, but the image did not change")
            if action == "pressed play":  # pause again so later changes are not masked by playback
                control.locator("button").nth(1).click()
                page.wait_for_timeout(800)
            done.append(action)
        if "nnlab-clickable" in (image.get_attribute("class") or ""):
            done.append(_click_figure(page, explorer, image, f"explorer {e}", shot))
        explorer.screenshot(path=f"{shot}-explorer{e}.png")
    page.screenshot(path=f"{shot}.png", full_page=False)

    state = page.evaluate(RUN_STATE_JS)
    assert not bad_outputs(state), bad_outputs(state)
    dialogs = page.locator(".jp-Dialog").all_inner_texts()
    assert not dialogs, f"a dialog appeared (did the kernel die?): {dialogs}"
    nameless = unnamed(page, panel)
    assert not nameless, "images without a text alternative or controls without a name:\n" + "\n".join(nameless)
    failed = page.locator(f"[id='{panel}'] .nnlab-error").all_inner_texts()
    assert not failed, f"explorers reported errors: {failed}"
    errors = [m for m in page.console_errors if not any(b in m for b in BENIGN_CONSOLE)]
    assert not errors, "browser console errors:\n" + "\n".join(errors)
    (ARTIFACTS / (shot.name + ".json")).write_text(json.dumps({"explorers": explorers.count(), "actions": done}))
