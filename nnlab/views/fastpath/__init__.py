"""The explorers' fast renderer, the one place where nnlab uses matplotlib's private names, and the one switch
between it and matplotlib's public path.

The fast renderer (``render.Renderer`` on ``canvas.Canvas``; ``layout`` says when to lay a figure out again)
redraws only what changed and keeps text rasterisations; it relies on matplotlib's private names (``PRIVATE``,
``INSTANCE``, ``OPTIONAL``; no other module of nnlab uses any, and each one used here is listed:
tests/test_architecture.py). Nothing here is imported before the check below passes, and no matplotlib class
is changed for the process: ``canvas.kept_layouts`` swaps a method in only while a fast frame is drawn.

Before the first explorer draws, this module checks, once, that the fast path can be trusted here: the names
exist, and a small figure changed and drawn by it shows stock matplotlib's pixels. Otherwise every explorer
draws with ``plain.PlainRenderer`` (a full draw by a stock ``FigureCanvasAgg``: slower, right on any
matplotlib), and says why once, as a warning.
``NNLAB_RENDERER=plain`` forces the public path (the test suite runs its view layer once that way).
"""
from __future__ import annotations

import importlib
import os
import warnings

# (module, attribute path) of every private matplotlib name the fast path calls: methods and class attributes
# here; the attributes instances carry (``_stale``, ``_autotitlepos``, ...) are checked on a drawn figure. (The
# hook ``_get_font_height_metrics`` that ``canvas`` offers matplotlib's text layout is only asked for: a
# matplotlib that does not ask simply measures, and the test figure's pixels say whether all is right.)
PRIVATE = [
    ("matplotlib.ft2font", "RenderMode"), ("matplotlib.ft2font", "FT2Font._render_glyph"),
    ("matplotlib.ft2font", "FT2Font._set_transform"),
    ("matplotlib.backends.backend_agg", "RendererAgg._draw_text_glyphs_and_boxes"),
    ("matplotlib.text", "Text._get_layout"), ("matplotlib.font_manager", "FontManager._find_fonts_by_props"),
    ("matplotlib.axis", "Axis._update_ticks"), ("matplotlib.axis", "Axis._get_ticklabel_bboxes"),
    ("matplotlib.axes", "Axes._set_position"),
]
INSTANCE = {"axes": ("_autotitlepos", "_twinned_axes", "_left_title", "_right_title", "_frameon", "_stale",
                     "_animated"),
            "figure": ("_align_label_groups", "_suptitle", "_supxlabel", "_supylabel", "_stale"),
            "axis": ("_major_tick_kw", "_minor_tick_kw"), "legend": ("_ncols",),
            "text": ("_fontproperties", "_horizontalalignment", "_verticalalignment", "_multialignment",
                     "_linespacing")}
#: private names asked for with a fallback (``getattr(x, name, default)``, a hook matplotlib may or may not call)
OPTIONAL = ("_outside_loc", "_get_font_height_metrics")

_checked = []  # [reason the fast path is not used, or None], once per process


def why_plain():
    """None when the fast renderer is used, else why not (checked once)."""
    if not _checked:
        _checked.append(_check())
        if _checked[0] and os.environ.get("NNLAB_RENDERER") != "plain":
            warnings.warn(f"nnlab: the explorers draw every frame in full (slower), because {_checked[0]}",
                          RuntimeWarning, stacklevel=3)
    return _checked[0]


def make_renderer(fig):
    """The renderer for an explorer's figure: the fast one where it can be trusted, else the plain one."""
    if why_plain() is None:
        from .render import Renderer

        return Renderer(fig)
    from ..plain import PlainRenderer

    return PlainRenderer(fig)


def _check():
    if os.environ.get("NNLAB_RENDERER") == "plain":
        return "NNLAB_RENDERER=plain"
    missing = []
    for module, path in PRIVATE:
        try:
            value = importlib.import_module(module)
            for name in path.split("."):
                value = getattr(value, name)
        except (ImportError, AttributeError):
            missing.append(f"{module}.{path}")
    if missing:
        return f"this matplotlib lacks {', '.join(missing)}"
    try:
        return _smoke()
    except Exception as exc:  # the fast path failed on a small figure: ours, said loudly, never the student's
        return f"the fast renderer failed on a test figure ({type(exc).__name__}: {exc})"


def _smoke():
    """Draw a small figure with the fast renderer, change it, draw again: the frames must be stock
    matplotlib's (``testing.stock_pixels``)."""
    import io

    import numpy as np
    from matplotlib.figure import Figure
    from PIL import Image

    from .canvas import Canvas
    from .render import Renderer
    from ..testing import stock_pixels

    fig = Figure(figsize=(3, 2), dpi=60, layout="constrained")
    Canvas(fig)
    ax = fig.add_subplot()
    (line,) = ax.plot([0, 1, 2], [0, 1, 0], label="a line")
    ax.set(title="title", xlabel="x")
    ax.legend()
    renderer = Renderer(fig)
    frames = [renderer.png()]
    line.set_ydata([1, 0, 1])
    ax.set_title("another title")
    frames.append(renderer.png())
    absent = [f"{kind}.{name}" for kind, obj in (("axes", ax), ("figure", fig), ("axis", ax.xaxis),
                                                   ("legend", ax.get_legend()), ("text", ax.title))
              for name in INSTANCE[kind] if not hasattr(obj, name)]
    if absent:
        return f"this matplotlib's artists lack {', '.join(absent)}"
    mine = np.asarray(Image.open(io.BytesIO(frames[-1])).convert("RGBA"))
    if not np.array_equal(mine, stock_pixels(fig)):
        return "the fast renderer's frame of a test figure differs from matplotlib's"
    return None
