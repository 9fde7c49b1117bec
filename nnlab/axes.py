"""Axis limits that stay put: what every plot of nnlab (the explorers' and the playground's) rounds its ends to."""
from __future__ import annotations

import numpy as np


def round_up(value: float, log: bool = False) -> float:
    """``value`` (> 0) rounded up to 1, 2 or 5 times a power of ten, or to a power of ten if
    ``log``: an axis limit that stays put while a setting moves the data a little, so the
    student's eye keeps its scale and the axis need not be drawn again."""
    exponent = np.floor(np.log10(value))
    if log:
        return float(10.0 ** np.ceil(np.log10(value) - 1e-9))
    mantissa = value / 10.0 ** exponent
    return float(next(m for m in (1, 2, 5, 10) if mantissa <= m * (1 + 1e-9)) * 10.0 ** exponent)
