"""A log-scale slider that keeps the value a student typed: the control of every ``Setting(log=True)``.

ipywidgets' ``FloatLogSlider`` snaps every value to its grid of steps, in the browser: a default
learning rate of 0.03 came back as 0.0316228 as soon as the widget was shown, and a typed 0.03
became 3.16e-2, so the explorer trained at another rate than the one printed beside it.

``LogSlider`` separates the two ways of choosing a value:

- **dragging** (or the arrow keys) moves along ``grid``: round values (two significant digits)
  spaced evenly in log10, the setting's ``step`` apart, from ``low`` to ``high``;
- **typing** into the readout sets exactly what was typed (kept within [low, high]), and a value
  set from Python (the default, ``state``) is shown as it is: the handle sits at the nearest
  grid point, the readout shows the value itself.

The front end is a native range input (keyboard and screen readers work as for any slider) and a
text input, written as an anywidget ES module (no build step); it carries the CSS classes of an
ipywidgets slider row so that it lines up with the other controls.
"""
from __future__ import annotations

import math

import anywidget
import traitlets

ESM = r"""
function format(v, spec) {
  // the d3-format specs the settings use (".2e", ".1e", ".3f", ".3g"); a readout that would read
  // back as another number shows the value itself (up to 6 significant digits) instead
  const m = /^\.(\d+)([efg])$/.exec(spec || "");
  let text;
  if (!m) text = String(+v.toPrecision(4));
  else if (m[2] === "f") text = v.toFixed(+m[1]);
  else if (m[2] === "e") text = v.toExponential(+m[1]);
  else text = v.toPrecision(Math.max(1, +m[1]));
  return Math.abs(parseFloat(text) - v) <= 1e-9 * Math.abs(v) ? text : String(+v.toPrecision(6));
}

function nearest(grid, v) {
  let best = 0, gap = Infinity;
  grid.forEach((g, i) => {
    const d = Math.abs(Math.log(g) - Math.log(v));
    if (d < gap) { gap = d; best = i; }
  });
  return best;
}

function render({ model, el }) {
  el.classList.add("widget-inline-hbox", "widget-slider", "widget-hslider", "nnlab-logslider");
  const label = document.createElement("label");
  label.className = "widget-label nnlab-logslider-label";
  const range = document.createElement("input");
  range.type = "range";
  range.min = "0";
  range.step = "1";
  const readout = document.createElement("input");
  readout.type = "text";
  readout.className = "widget-readout nnlab-readout";
  readout.spellcheck = false;
  el.append(label, range, readout);

  const show = () => {
    const grid = model.get("grid"), value = model.get("value"), spec = model.get("readout_format");
    label.textContent = model.get("description");
    range.max = String(grid.length - 1);
    range.value = String(nearest(grid, value));
    range.setAttribute("aria-label", model.get("description"));
    range.setAttribute("aria-valuetext", format(value, spec));
    readout.setAttribute("aria-label", model.get("description") + ", typed value");
    if (document.activeElement !== readout) readout.value = format(value, spec);
    range.disabled = readout.disabled = model.get("disabled");
    el.dataset.low = String(model.get("low"));
    el.dataset.high = String(model.get("high"));
  };
  const send = (value) => {
    model.set("value", value);
    model.save_changes();
  };
  const dragged = () => model.get("grid")[+range.value];
  range.addEventListener("input", () => {
    readout.value = format(dragged(), model.get("readout_format"));
    if (model.get("continuous_update")) send(dragged());
  });
  range.addEventListener("change", () => send(dragged()));
  const typed = () => {
    const value = parseFloat(readout.value);
    if (Number.isFinite(value) && value > 0) send(Math.min(model.get("high"), Math.max(model.get("low"), value)));
    readout.value = format(model.get("value"), model.get("readout_format"));
    show();
  };
  readout.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); typed(); }
  });
  readout.addEventListener("blur", typed);
  model.on("change", show);
  show();
  return () => model.off("change", show);
}

export default { render };
"""

CSS = """
.nnlab-logslider { display: flex; align-items: center; gap: 6px; }
.nnlab-logslider .nnlab-logslider-label { width: auto; max-width: none; flex: 0 0 auto; }
.nnlab-logslider input[type=range] { flex: 1 1 auto; min-width: 60px; margin: 0; }
.nnlab-logslider .nnlab-readout { width: 6.5em; flex: 0 0 auto; font: inherit; color: inherit;
  background: var(--jp-layout-color1, #fff); border: 1px solid var(--jp-border-color1, #bdbdbd);
  padding: 1px 4px; }
"""


def log_grid(low: float, high: float, step: float) -> tuple[float, ...]:
    """Round values (two significant digits, three where ``step`` is finer than 0.04 in log10) spaced
    ``step`` apart in log10, from ``low`` to ``high``: the points a dragged log slider stops at."""
    digits = 2 if step >= 0.04 else 3
    first, last = math.ceil(math.log10(low) / step - 1e-9), math.floor(math.log10(high) / step + 1e-9)
    values = []
    for k in range(first, last + 1):
        value = float(f"{10 ** (k * step):.{digits}g}")
        if low <= value <= high and (not values or value > values[-1]):
            values.append(value)
    return tuple(values)


class LogSlider(anywidget.AnyWidget):
    """A log-scale slider whose value is exactly what was typed or set; dragging moves along ``grid``."""

    _esm = ESM
    _css = CSS
    value = traitlets.Float(1.0).tag(sync=True)
    low = traitlets.Float(1e-3).tag(sync=True)
    high = traitlets.Float(1.0).tag(sync=True)
    #: The values a drag or an arrow key stops at, increasing.
    grid = traitlets.List(traitlets.Float()).tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    #: Send values while the handle is dragged (False: on release only).
    continuous_update = traitlets.Bool(True).tag(sync=True)
    #: The readout's format: "" or one of the d3-format specs ".Nf", ".Ne", ".Ng".
    readout_format = traitlets.Unicode("").tag(sync=True)
