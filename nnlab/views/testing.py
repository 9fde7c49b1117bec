"""Helpers shared by the view tests and the benchmarks (not needed by students)."""
from __future__ import annotations

import ipywidgets as widgets
import numpy as np


def other_value(control):
    """A valid value for ``control`` that differs from its current one (30 % in from the far end)."""
    if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons, widgets.SelectionSlider)):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return next(x for x in values if x != control.value)
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return not control.value
    if isinstance(control, widgets.FloatLogSlider):
        lo, hi = control.min, control.max
        exp = np.log(control.value) / np.log(control.base)
        return float(control.base ** (lo + 0.3 * (hi - lo) if exp > (lo + hi) / 2 else hi - 0.3 * (hi - lo)))
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
