"""How an explorer's figure becomes PNG frames, fast: blitting, the layout estimate, PNG encoding.

``Renderer`` knows nothing of settings, controls or models; ``Explorer`` (``base.py``) owns one
and asks it for a frame after every update. Two savings make a frame cheap:

- **Blitting.** The artists listed as *animated* change on every update; everything else (axes,
  ticks, contours, legends) is drawn once into a background that is restored and drawn over,
  until the view says ``invalidate()`` (something outside the animated artists changed).
- **Layout only when needed.** Constrained layout costs as much as the drawing itself, so it runs
  only when something that takes space changed: the number of lines of a title or label, the
  legends, an offset text, or a y tick label wider than the room already reserved.
"""
from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

# zlib level for the PNG frames: 1 is several times faster to encode than the default 6,
# and the frames of these flat-colour plots grow by only a few percent.
PNG_COMPRESSION = 1


class Renderer:
    """Frames of one figure, laid out with the figure's own layout engine (taken over here)."""

    def __init__(self, fig: Figure, animated=()):
        self.fig = fig
        self.animated = tuple(animated)
        for artist in self.animated:
            artist.set_animated(True)
        self._layout_engine = fig.get_layout_engine()
        fig.set_layout_engine("none")
        self._layout_key = None
        self._background = None

    def invalidate(self) -> None:
        """Something outside the animated artists changed: the next frame redraws everything."""
        self._background = None

    def png(self) -> bytes:
        """The figure as it is now, encoded as PNG."""
        canvas = self.fig.canvas
        key = layout_key(self.fig)
        if needs_layout(key, self._layout_key):
            self._layout_engine.execute(self.fig)
            self._layout_key = key
            self._background = None
        if not self.animated:
            canvas.draw()
        elif self._background is None:
            canvas.draw()  # animated artists are skipped here
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            self._draw_animated()
        else:
            canvas.restore_region(self._background)
            self._draw_animated()
        buf = io.BytesIO()
        Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buf, format="png", compress_level=PNG_COMPRESSION)
        return buf.getvalue()

    def png_like(self, other: Renderer) -> bytes:
        """A frame drawn from scratch with ``other``'s axes positions (for tests: an updated figure
        must show exactly what a new one with the same state shows)."""
        for mine, theirs in zip(self.fig.axes, other.fig.axes):
            mine.set_position(theirs.get_position(original=True), which="original")
            mine.set_position(theirs.get_position(original=False), which="active")
        self._layout_key = other._layout_key
        self.invalidate()
        return self.png()

    def _draw_animated(self):
        renderer = self.fig.canvas.get_renderer()
        for artist in sorted(self.animated, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                artist.draw(renderer)


def layout_key(fig):
    """What decides how much room the layout must leave around the axes: how many lines each
    title, label and figure text has (their height, not their wording), the legends' sizes,
    the offset texts, and the width of the widest y tick label of each axes."""
    texts, widths = [], []
    for ax in fig.axes:
        if not ax.get_visible():
            texts.append(None)
            continue
        texts += [_lines(ax.get_title()), _lines(ax.get_xlabel()), ax.get_ylabel()]
        # the width of the y tick labels decides the left margin; x tick labels only change
        # their own width, not the height the layout reserves for them
        lo, hi = sorted(ax.get_ylim())
        locs = [t for t in ax.yaxis.get_majorticklocs() if lo <= t <= hi]
        formatter = ax.yaxis.get_major_formatter()
        widths.append(max((_label_width(t) for t in formatter.format_ticks(locs)), default=0))
        texts.append(formatter.get_offset())
        texts.append(ax.xaxis.get_major_formatter().get_offset())
    texts += [_lines(t.get_text()) for t in fig.texts]
    texts += [len(legend.get_texts()) for legend in fig.legends]
    return tuple(texts), tuple(widths)


# Advance widths (in em) of DejaVu Sans, matplotlib's default font, for the characters of tick
# labels; anything else counts as the widest glyph, so the estimate errs on the safe side.
_ADVANCE = {**dict.fromkeys("0123456789", 0.636), ".": 0.318, ",": 0.318, "-": 0.361, "e": 0.615, " ": 0.318,
            "%": 0.95}


def _label_width(text):
    return sum(_ADVANCE.get(ch, 0.84) for ch in text)


def _lines(text):
    return text.count("\n") + 1 if text else 0


def needs_layout(key, laid_out):
    """Lay out again when a text changed or a tick label grew wider than the layout allows for
    (narrower labels fit in the room already reserved, so they need no new layout)."""
    if laid_out is None or key[0] != laid_out[0] or len(key[1]) != len(laid_out[1]):
        return True
    return any(now > then for now, then in zip(key[1], laid_out[1]))
