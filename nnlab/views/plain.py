"""Frames by matplotlib's public path only: every frame is the whole figure drawn by a stock
``FigureCanvasAgg`` and laid out by the figure's own layout engine, as ``savefig`` would. Slower than
``render.Renderer`` (which redraws only what changed), and right on any matplotlib: the explorers use it when
the fast path is not available (``fastpath``)."""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .png import encode_png


class PlainRenderer:
    """The same interface as ``render.Renderer``: ``png()``, ``png_like(other)``, ``invalidate()``."""

    def __init__(self, fig: Figure):
        self.fig = fig
        FigureCanvasAgg(fig)
        self.n_full = self.n_partial = 0  # every frame is drawn whole

    def invalidate(self) -> None:
        """Nothing is kept between frames: nothing to forget."""

    def png(self) -> bytes:
        self.fig.canvas.draw()
        self.n_full += 1
        return encode_png(np.asarray(self.fig.canvas.buffer_rgba()))

    def png_like(self, other) -> bytes:
        """A frame with ``other``'s axes positions, not laid out anew (for tests)."""
        engine = self.fig.get_layout_engine()
        self.fig.set_layout_engine("none")
        try:
            for mine, theirs in zip(self.fig.axes, other.fig.axes):
                mine.set_position(theirs.get_position(original=True), which="original")
                mine.set_position(theirs.get_position(original=False), which="active")
            return self.png()
        finally:
            self.fig.set_layout_engine(engine)
