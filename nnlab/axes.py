"""Axes that stay put: the limits every plot of nnlab (the explorers' and the playground's) rounds its ends to,
and ticks whose labels stay inside the axes."""
from __future__ import annotations

import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator


def round_up(value: float, log: bool = False) -> float:
    """``value`` (> 0) rounded up to 1, 2 or 5 times a power of ten, or to a power of ten if
    ``log``: an axis limit that stays put while a setting moves the data a little, so the
    student's eye keeps its scale and the axis need not be drawn again."""
    exponent = np.floor(np.log10(value))
    if log:
        return float(10.0 ** np.ceil(np.log10(value) - 1e-9))
    mantissa = value / 10.0 ** exponent
    return float(next(m for m in (1, 2, 5, 10) if mantissa <= m * (1 + 1e-9)) * 10.0 ** exponent)


class InnerTicks(MaxNLocator):
    """``MaxNLocator``'s ticks but those nearer than ``margin`` (a fraction of the axis) to its
    ends: their labels stay inside the axes, so a new range whose end labels are wider ("-1.0"
    after "0.0") does not move the panels (and make the whole figure be drawn again)."""

    def __init__(self, margin=0.1, **kwargs):
        super().__init__(**kwargs)
        self.margin = margin

    def tick_values(self, vmin, vmax):
        ticks = super().tick_values(vmin, vmax)
        lo, hi = sorted((vmin, vmax))
        pad = (self.margin - 1e-9) * (hi - lo)   # a tick at the margin itself (-0.8 of -1..1) stays
        return ticks[(ticks >= lo + pad) & (ticks <= hi - pad)]


FIGURE_SPACE = "\u2007"   # as wide as a digit, and blank
MINUS = "\u2212"          # matplotlib's minus sign, as wide as "+"


def fixed_width(form: str, width: int) -> FuncFormatter:
    """Tick labels ``format(value, form)``, padded on the left with figure spaces to ``width`` characters (and
    no offset text): every label takes the room of the widest, so a new range ("1e-300" after "1e-05", "100"
    after "8") does not move the panels (and make the whole figure be drawn again). Minus signs are matplotlib's
    own (U+2212), as wide as a plus: "1e+05" and "1e-05" take the same room. For right-aligned labels: the y
    axis on the left."""
    return FuncFormatter(lambda value, _: format(value, form).replace("-", MINUS).rjust(width, FIGURE_SPACE))
