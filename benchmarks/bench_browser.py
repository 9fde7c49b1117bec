"""Explorer latency as a student sees it: from a key press on a control to the new image, in JupyterLab.

Run:  python benchmarks/bench_browser.py [--quick] [--notebook NAME ...]

Opens each lecture notebook in JupyterLab in Debian's chromium (Playwright), runs it, and for
every explorer presses arrow keys on each enabled slider (one step each way) and dropdown
(next option), and draws strokes with the mouse on each drawing pad (lecture 6's DigitPad: the
stroke goes to the kernel when the button is released). The time of each action is taken in the
page: from the keydown (or the pointerup that ends a stroke) to the
moment the figure's ``src`` changes (a MutationObserver), so it covers the comm to the kernel,
the model, the drawing, the PNG and the way back. Prints the median and the 90th percentile
per explorer; target: median <= 100 ms.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from jupyter_page import open_and_run, serve  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

# in the page: remember when the last key went down, and how long each image change took after it
WATCH_JS = """img => {
  window.nnlabLatency = [];
  if (!window.nnlabKeyTime) {
    document.addEventListener('keydown', () => { window.nnlabKeyTime = performance.now(); }, true);
    document.addEventListener('pointerup', () => { window.nnlabKeyTime = performance.now(); }, true);
  }
  new MutationObserver(() => {
    if (window.nnlabKeyTime !== null) {
      window.nnlabLatency.push(performance.now() - window.nnlabKeyTime);
      window.nnlabKeyTime = null;
    }
  }).observe(img, {attributes: true, attributeFilter: ['src']});
}"""


def _act(page, control, key, timeout=20_000):
    """Press ``key`` on a focused control; the latency of the image change it caused, or None."""
    count = page.evaluate("() => window.nnlabLatency.length")
    page.evaluate("() => { window.nnlabKeyTime = null; }")
    control.focus()
    page.keyboard.press(key)
    try:
        page.wait_for_function(f"() => window.nnlabLatency.length > {count}", timeout=timeout)
    except Exception:  # noqa: BLE001 - at an end of its range a key changes nothing
        return None
    return page.evaluate("() => window.nnlabLatency[window.nnlabLatency.length - 1]")


def _stroke(page, pad, k, timeout=20_000):
    """Draw the k-th short stroke on a pad with the mouse; the latency from its end to the new image, or None."""
    count = page.evaluate("() => window.nnlabLatency.length")
    box = pad.locator("canvas").first.bounding_box()
    x0, y0 = 0.2 + 0.15 * (k % 4), 0.15 + 0.1 * (k % 5)
    page.mouse.move(box["x"] + box["width"] * x0, box["y"] + box["height"] * y0)
    page.mouse.down()
    for step in range(1, 8):
        page.mouse.move(box["x"] + box["width"] * (x0 + 0.03 * step), box["y"] + box["height"] * (y0 + 0.07 * step))
    page.mouse.up()
    try:
        page.wait_for_function(f"() => window.nnlabLatency.length > {count}", timeout=timeout)
    except Exception:  # noqa: BLE001 - a stroke over cells already inked changes nothing
        return None
    return page.evaluate("() => window.nnlabLatency[window.nnlabLatency.length - 1]")


def measure_notebook(page, server, name, presses):
    open_and_run(page, server, name)
    panel = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
    explorers = page.locator(f"[id='{panel}'] .nnlab-explorer")
    results = []
    for e in range(explorers.count()):
        explorer = explorers.nth(e)
        explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        explorer.locator("img.nnlab-figure").first.evaluate(WATCH_JS)
        times = []
        for handle in explorer.locator(".nnlab-ctl [role=slider]").all():
            if handle.evaluate("e => !!e.closest('[disabled], .mod-disabled') || e.hasAttribute('disabled')"):
                continue
            for i in range(presses):
                t = _act(page, handle, "ArrowRight" if i % 2 == 0 else "ArrowLeft")
                if t is None and i == 0:  # at the top of its range: go the other way
                    t = _act(page, handle, "ArrowLeft")
                if t is not None:
                    times.append(t)
        for select in explorer.locator(".nnlab-ctl select").all():
            if select.is_disabled():
                continue
            for i in range(presses):
                t = _act(page, select, "ArrowDown" if i % 2 == 0 else "ArrowUp")
                if t is not None:
                    times.append(t)
        for pad in explorer.locator(".nnlab-pad").all():
            for k in range(2 * presses):
                t = _stroke(page, pad, k)
                if t is not None:
                    times.append(t)
        title = explorer.locator("img.nnlab-figure").first.get_attribute("alt") or ""
        results.append((f"{name.split('_')[0]} explorer {e}", times, title))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two presses per control (a smoke run)")
    parser.add_argument("--notebook", action="append", help="only these notebooks (file names)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    names = args.notebook or sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    presses = 2 if args.quick else 4
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        server = serve(ROOT / "notebooks", Path(tmp), "jupyterlab")
        info = next(server)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
                for name in names:
                    rows += measure_notebook(page, info, name, presses)
                browser.close()
        finally:
            server.close()
    print(f"{'explorer':<20}{'actions':>8}{'median (ms)':>13}{'p90 (ms)':>10}   what it showed (its alt text)")
    for label, times, title in rows:
        if not times:
            print(f"{label:<20}{0:>8}")
            continue
        p90 = sorted(times)[int(0.9 * (len(times) - 1))]
        print(f"{label:<20}{len(times):>8}{statistics.median(times):13.0f}{p90:10.0f}   {title[:60]}")
    print("target: median <= 100 ms for every explorer")


if __name__ == "__main__":
    main()
