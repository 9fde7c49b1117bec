"""The Agg canvas of the explorers: a renderer that keeps what it rasterised for each text.

Most texts of a frame (tick labels of axes that did not move, titles, legends) are drawn where
they were drawn before. ``TextCachingRendererAgg`` keeps the glyph bitmaps FreeType made for each
text at its position and stamps them again, in the text's colour, instead of laying the text out
and rasterising it anew; it also tells matplotlib's text layout the font heights it looked up once
per font. The pixels are matplotlib's own (``tests/test_views.py`` compares every explorer with a
twin drawn by plain ``RendererAgg``).
"""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import fontManager, get_font

# texts whose glyph bitmaps a renderer keeps (the least recently drawn are dropped first)
TEXT_CACHE_SIZE = 4096


class Canvas(FigureCanvasAgg):
    """The Agg canvas, with a renderer that keeps the glyph bitmaps of the texts it drew."""

    def get_renderer(self):
        renderer = super().get_renderer()
        if type(renderer) is RendererAgg:  # a new size or resolution: a new renderer
            renderer = self.renderer = TextCachingRendererAgg(renderer.width, renderer.height, renderer.dpi)
        return renderer


class TextCachingRendererAgg(RendererAgg):
    """``RendererAgg`` that draws a text it drew before at the same place from the glyph bitmaps
    it kept: every pixel as matplotlib draws it, without its layout and rasterising.

    A text is known by its string, font, angle, position (exact), antialiasing and hinting; the
    glyph bitmaps do not depend on its colour or alpha, which the graphics context gives when
    they are stamped. Texts with rules (mathtext fractions) and TeX are always drawn anew."""

    def __init__(self, width, height, dpi):
        super().__init__(width, height, dpi)
        self._texts = {}
        self._heights = {}

    def _get_font_height_metrics(self, prop):
        """A font's ascent, descent and line gap at this resolution, which matplotlib's text
        layout asks a renderer for (and otherwise looks up in the font's tables for every text,
        every time): looked up once per font."""
        key = _font_key(prop)
        if key not in self._heights:
            font = get_font(fontManager._find_fonts_by_props(prop))
            self._heights[key] = None, None, None  # no table: matplotlib measures the text
            for table, gap, ascent, descent in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                                                ("hhea", "lineGap", "ascent", "descent")):
                metrics = font.get_sfnt_table(table)
                if metrics is not None:
                    scale = prop.get_size_in_points() * self.dpi / 72 / font.get_sfnt_table("head")["unitsPerEm"]
                    self._heights[key] = (metrics[ascent] * scale, -metrics[descent] * scale,
                                          metrics[gap] * scale)
                    break
        return self._heights[key]

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath == "TeX":
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        shaping = (mtext.get_fontfeatures(), mtext.get_language()) if mtext is not None and hasattr(
            mtext, "get_fontfeatures") else None
        key = (s, _font_key(prop), angle, bool(ismath), x, y, bool(gc.get_antialiased()), get_hinting_flag(),
               shaping)
        stamps = self._texts.pop(key, None)
        if stamps is None:
            recorder = self._renderer = _GlyphRecorder(self._renderer)
            try:
                super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            finally:
                self._renderer = recorder.inner
            if recorder.stamps is None:
                return
            stamps = recorder.stamps
            if len(self._texts) >= TEXT_CACHE_SIZE:
                del self._texts[next(iter(self._texts))]
        else:
            for image, ix, iy, a in stamps:
                self._renderer.draw_text_image(image, ix, iy, a, gc)
        self._texts[key] = stamps  # the most recently drawn last


class _GlyphRecorder:
    """Stands in for the Agg core while one text is drawn: passes every call on and keeps the
    glyph bitmaps stamped (``stamps``), or None if the text drew something else too."""

    def __init__(self, inner):
        self.inner, self.stamps = inner, []

    def draw_text_image(self, image, x, y, angle, gc):
        self.inner.draw_text_image(image, x, y, angle, gc)
        if self.stamps is not None and isinstance(image, np.ndarray):
            self.stamps.append((image.copy(), x, y, angle))
        else:  # an older matplotlib passes its font object: nothing to keep
            self.stamps = None

    def __getattr__(self, name):
        self.stamps = None
        return getattr(self.inner, name)


def _font_key(prop):
    return (tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(), prop.get_stretch(),
            prop.get_size_in_points(), prop.get_file(), prop.get_math_fontfamily())
