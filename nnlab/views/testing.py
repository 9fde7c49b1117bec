"""Helpers shared by the view tests and the benchmarks (not needed by students)."""
from __future__ import annotations

import time
from datetime import UTC, datetime

import ipywidgets as widgets
import numpy as np

from .logslider import LogSlider
from .pad import DrawingPad


def strokes(side, rng, count=None):
    """A drawing of 1 to 3 random straight strokes, three cells wide, as pad cells (``side`` x ``side`` booleans)."""
    cells = np.zeros((side, side), dtype=bool)
    rows, cols = np.mgrid[0:side, 0:side] + 0.5
    for _ in range(count or rng.integers(1, 4)):
        (y0, x0), (y1, x1) = rng.uniform(2, side - 2, (2, 2))
        for t in np.linspace(0, 1, 4 * side):
            cells |= (rows - (y0 + t * (y1 - y0))) ** 2 + (cols - (x0 + t * (x1 - x0))) ** 2 <= 1.5 ** 2
    return cells


def other_value(control):
    """A valid value for ``control`` that differs from its current one (30 % in from the far end)."""
    if isinstance(control, DrawingPad):
        from ..digits import hex_from_pad

        return "" if control.value else hex_from_pad(strokes(control.side, np.random.default_rng(0), count=1))
    if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons, widgets.SelectionSlider)):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return next(x for x in values if x != control.value)
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return not control.value
    if isinstance(control, LogSlider):
        grid = control.grid
        return grid[len(grid) // 3] if control.value > grid[len(grid) // 2] else grid[2 * len(grid) // 3]
    if isinstance(control, (widgets.IntSlider, widgets.FloatSlider, widgets.BoundedIntText, widgets.BoundedFloatText)):
        lo, hi = control.min, control.max
        target = lo + 0.3 * (hi - lo) if control.value > (lo + hi) / 2 else hi - 0.3 * (hi - lo)
        step = getattr(control, "step", 1) or 1
        return type(control.value)(round(target / step) * step)
    raise TypeError(f"no rule to pick another value for a {type(control).__name__}")


def valued_controls(explorer):
    """(name, control) for every control that edits a state entry."""
    return [(n, c) for n, c in explorer.controls.items() if hasattr(c, "value") and n in explorer.state]


def is_active(control):
    """Whether a person could operate the control now (enabled and shown)."""
    return not getattr(control, "disabled", False) and control.layout.display != "none"


def stock_pixels(fig):
    """The figure as stock matplotlib draws it: every artist un-animated, drawn in full by a fresh, unmodified
    ``FigureCanvasAgg`` (a plain ``RendererAgg``, which keeps nothing) at the axes positions the figure has
    now. The oracle of every frame. The figure is left as it was: its canvas, and each artist's animated and
    stale flags (what the explorer's renderer reads), are put back."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    artists = fig.findobj()
    flags = [(a, a._animated, a._stale) for a in artists]
    canvas, engine = fig.canvas, fig.get_layout_engine()
    try:
        for artist in artists:
            artist._animated = False
        fig.set_layout_engine("none")  # drawn where the axes are now (the frame's layout), not laid out again
        stock = FigureCanvasAgg(fig)
        stock.draw()
        return np.asarray(stock.buffer_rgba()).copy()
    finally:
        fig.set_canvas(canvas)
        fig.set_layout_engine(engine)
        for artist, animated, stale in flags:
            artist._animated, artist._stale = animated, stale


def actions(explorer):
    """Everything a person can do to ``explorer`` now: (kind, name, control) for every active value control
    and button (kind "value" or "button"), and ("click", axes index, None) for each axes when the view
    takes clicks."""
    found = [("value", n, c) for n, c in valued_controls(explorer) if is_active(c)]
    found += [("button", n, c) for n, c in explorer.controls.items()
              if isinstance(c, widgets.Button) and is_active(c)]
    found += [("upload", n, c) for n, c in explorer.controls.items()
              if isinstance(c, widgets.FileUpload) and is_active(c)]
    if type(explorer).on_click is not _base_on_click():
        found += [("click", i, None) for i, ax in enumerate(explorer.fig.axes) if ax.get_visible()]
    return found


def _base_on_click():
    from .base import Explorer

    return Explorer.on_click


#: an upload's time stamp (ipywidgets sends it as a date)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def photo(rng, image=None):
    """The JPEG bytes of a photo of a handwritten digit as a phone takes one: one of lecture 6's test digits
    (``image``, 8x8 ink 0 to 1, or a random one), dark ink on light paper 24 times enlarged and framed, under
    uneven light, with sensor noise."""
    import io

    from PIL import Image

    from .. import digits

    if image is None:
        tests = digits.pad_parts().X_test
        image = tests[rng.integers(len(tests))]
    big = np.pad(np.kron(np.asarray(image, dtype=float), np.ones((24, 24))), 40)
    yy, xx = np.mgrid[:big.shape[0], :big.shape[1]] / big.shape[0]
    paper = 0.75 + rng.uniform(-0.2, 0.2) * xx + rng.uniform(-0.1, 0.1) * yy
    grey = paper * (1 - 0.8 * big) + rng.normal(0, 0.03, big.shape)
    out = io.BytesIO()
    Image.fromarray((np.clip(grey, 0, 1) * 255).astype(np.uint8)).save(out, "JPEG", quality=85)
    return out.getvalue()


def random_value(control, rng):
    """A value for ``control`` drawn as a person would reach it: either end of its range, or anywhere in it
    (a typed value, a drag), or another option."""
    if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons, widgets.SelectionSlider)):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return values[rng.integers(len(values))]
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return not control.value
    if isinstance(control, DrawingPad):  # a new drawing, or the pad cleared
        from ..digits import hex_from_pad

        return "" if rng.uniform() < 0.2 else hex_from_pad(strokes(control.side, rng))
    if isinstance(control, LogSlider):  # an end, a place a drag stops at, or a typed value (3 digits)
        typed = float(f"{np.exp(rng.uniform(np.log(control.low), np.log(control.high))):.3g}")
        return [control.grid[0], control.grid[-1], control.grid[rng.integers(len(control.grid))],
                min(control.high, max(control.low, typed))][rng.integers(4)]
    if hasattr(control, "min") and hasattr(control, "max"):
        lo, hi = control.min, control.max
        value = [lo, hi, lo + rng.uniform() * (hi - lo)][rng.integers(3)]
        if isinstance(control.value, int) and not isinstance(control.value, bool):
            return int(round(value))
        step = getattr(control, "step", None)
        return float(min(hi, max(lo, round(value / step) * step))) if step else float(value)
    return other_value(control)


def random_use(explorer, rng, steps, acted=None):
    """Operate ``explorer`` ``steps`` times at random (``actions``, ``random_value``), waiting for its background
    work after each; yields a description of each action after it is done. ``acted(what)`` is called as soon
    as the action's own frame is shown, before its background work is waited for."""
    for _ in range(steps):
        options = actions(explorer)
        kind, name, control = options[rng.integers(len(options))]
        if kind == "value":
            value = random_value(control, rng)
            control.value = value
            what = f"{name} = {value!r}"
        elif kind == "upload":
            content = photo(rng)
            control.value = ({"name": "digit.jpg", "type": "image/jpeg", "size": len(content),
                              "content": memoryview(content), "last_modified": NOW},)
            what = f"upload a photo to {name}"
        elif kind == "button":
            control.click()
            what = f"press {name}"
            if getattr(explorer, "playing", False):  # Play: let it run a little, then Pause, as a person would
                time.sleep(rng.uniform(0.05, 0.3))
                explorer.pause()
                _finish_play(explorer)
                what += ", then pause"
        else:
            ax = explorer.fig.axes[name]
            x0, y0, x1, y1 = ax.get_window_extent().extents
            H = explorer.fig.bbox.height
            px, py = rng.uniform(x0 + 2, x1 - 2), H - rng.uniform(y0 + 2, y1 - 2)
            explorer.click(px, py)
            what = f"click axes {name} at ({px:.0f}, {py:.0f})"
        if acted is not None:  # the action's own frame is shown (a benchmark stops its clock here)
            acted(what)
        explorer.settle(timeout=60)
        yield what


def _finish_play(explorer):
    """Wait for Play's task to end. Play runs on the event loop of the thread that pressed it, or on a loop of
    its own in a background thread where none runs (a plain script, a test): wait for that. A loop that this
    thread holds but does not run (a test process that drives a browser holds Playwright's) would never run
    the task: it is cancelled, and Play's own ending (buttons, the paused picture) is done at once."""
    import asyncio
    from concurrent.futures import Future

    task = explorer._task
    if task is None:
        return
    if isinstance(task, Future):
        task.result(timeout=60)
    elif asyncio.isfuture(task) and not task.done():
        task.cancel()
        explorer.playing = False
        explorer._refresh_buttons()
        explorer.update()
