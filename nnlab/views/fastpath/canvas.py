"""The Agg canvas of the explorers: a renderer that keeps what it rasterised for each text.

Most texts of a frame (tick labels of axes that did not move, titles, legends) are drawn where
they were drawn before. ``TextCachingRendererAgg`` keeps the glyph bitmaps FreeType made for each
text at its position and stamps them again, in the text's colour, instead of laying the text out
and rasterising it anew; it also tells matplotlib's text layout the font heights it looked up once
per font, and keeps matplotlib's layout of each text (the size of its box and where its lines sit
around its anchor, which do not depend on where the text is), asked for once or twice per text
and frame. A text drawn anew (new words, or a new place) renders through a cache of single
glyphs: the same glyph at the same fraction of a pixel is the same bitmap, so a number that
changes in a fixed line renders only its new digits. The pixels are matplotlib's own
(``tests/test_views.py`` compares every explorer with a twin drawn by plain ``RendererAgg``).
"""
from __future__ import annotations

import math
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import fontManager, get_font
from matplotlib.ft2font import RenderMode
from matplotlib.text import Text

# texts whose glyph bitmaps a renderer keeps (the least recently drawn are dropped first), text
# layouts it keeps, and single glyphs it keeps
TEXT_CACHE_SIZE = 4096
GLYPH_CACHE_SIZE = 8192


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
        self._layouts = {}  # text layouts (``_kept_layout``); None: matplotlib lays out every text anew
        self._glyphs = {}   # single glyph bitmaps (``_draw_text_glyphs_and_boxes``); None: rendered anew

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

    def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
        """Matplotlib's own loop over the glyphs of a text (``RendererAgg``), with each glyph's
        bitmap kept: FreeType renders a glyph at a position given in 1/64 pixel, and the same glyph
        at the same fraction of a pixel is the same bitmap, moved by whole pixels. So a text that
        changes only some characters (a number in a title, a line of settings) renders only the
        new ones. Rules (mathtext fractions) are drawn as matplotlib draws them."""
        if self._glyphs is None or boxes:
            return super()._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, boxes)
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        flags, antialiased = get_hinting_flag(), bool(gc.get_antialiased())
        common = (flags, antialiased, self.dpi, mpl.rcParams["text.hinting_factor"])
        height = int(self.height)
        for font, size, index, slant, extend, dx, dy in glyphs:  # dy is upwards
            X = round(0x40 * (x + dx * cos - dy * sin))
            Y = round(0x40 * (self.height - y + dx * sin + dy * cos))  # FreeType's y is upwards
            key = (font.fname, font.face_index, size, index, angle, slant, extend, X & 63, Y & 63, common)
            kept = self._glyphs.pop(key, None)
            if kept is None:
                font.set_size(size, self.dpi)
                font._set_transform((0x10000 * np.array([[cos, -sin], [sin, cos]])
                                     @ [[extend, extend * slant], [0, 1]]).round().astype(int), [X, Y])
                bitmap = font._render_glyph(index, flags, RenderMode.NORMAL if antialiased else RenderMode.MONO)
                buffer = np.array(bitmap.buffer)
                if not antialiased:
                    buffer *= 0xff
                kept = (buffer, bitmap.left - (X >> 6), bitmap.top - (Y >> 6))
                if len(self._glyphs) >= GLYPH_CACHE_SIZE:
                    del self._glyphs[next(iter(self._glyphs))]
            self._glyphs[key] = kept  # the most recently used last
            buffer, left, top = kept
            # draw_text_image's y is downwards, at the bitmap's bottom side
            self._renderer.draw_text_image(buffer, left + (X >> 6), height - (top + (Y >> 6)) + buffer.shape[0], 0,
                                           gc)


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


_text_layout = Text._get_layout


def _kept_layout(text, renderer):
    """``Text._get_layout`` for the renderers that keep layouts (a no-op for any other renderer:
    the explorers' figures only). A layout is relative to the text's anchor and depends only on the
    text's string, font, angle, alignment and line spacing and on the renderer's resolution, which
    make its key; wrapped and TeX texts are laid out anew."""
    layouts = getattr(renderer, "_layouts", None)
    if layouts is None or text.get_wrap() or text.get_usetex():
        return _text_layout(text, renderer)
    shaping = (text.get_fontfeatures(), text.get_language()) if hasattr(text, "get_fontfeatures") else None
    key = (text.get_text(), _font_key(text._fontproperties), text.get_rotation(), text.get_rotation_mode(),
           text._horizontalalignment, text._verticalalignment, text._multialignment, text._linespacing,
           text.get_parse_math(), text.get_figure(root=True).dpi, renderer.dpi, get_hinting_flag(), shaping)
    layout = layouts.pop(key, None)
    if layout is None:
        layout = _text_layout(text, renderer)
        if len(layouts) >= TEXT_CACHE_SIZE:
            del layouts[next(iter(layouts))]
    layouts[key] = layout  # the most recently used last
    return layout


@contextmanager
def kept_layouts():
    """Within a frame of an explorer: matplotlib's text layout through ``_kept_layout``. Never for the whole
    process: a student's own figures, drawn outside the explorers' frames, are laid out by matplotlib alone
    (and ``_kept_layout`` passes any other renderer on to it meanwhile)."""
    if Text._get_layout is _kept_layout:  # a frame inside a frame
        yield
        return
    Text._get_layout = _kept_layout
    try:
        yield
    finally:
        Text._get_layout = _text_layout


def _font_key(prop):
    return (tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(), prop.get_stretch(),
            prop.get_size_in_points(), prop.get_file(), prop.get_math_fontfamily())
