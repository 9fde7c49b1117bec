"""When an explorer's figure must be laid out again: ``layout_key`` says what decides the room
constrained layout leaves around the axes, estimated without drawing; ``needs_layout`` compares it
with the key of the last layout (``render.Renderer`` runs the layout engine only when it says so).
"""
from __future__ import annotations


def layout_key(fig):
    """What decides how much room the layout must leave around the axes: how many lines each
    title, label and figure text has (their height, not their wording), the legends' rows, the
    offset texts, the width of the widest y tick label of each axes and of its first and last x
    tick labels."""
    texts, widths = [], []
    for ax in fig.axes:
        if not ax.get_visible():
            texts.append(None)
            continue
        texts += [_lines(ax.get_title()), _lines(ax.get_xlabel()), ax.get_ylabel()]
        # the width of the y tick labels decides the left margin; of the x tick labels only the
        # first and the last, which reach out past the ends of the axes (the others change only
        # their own width, not the height reserved for them; a label that still reaches out of
        # its cell is caught after drawing: ``Renderer._spills``)
        labels = _tick_labels(ax.yaxis, ax.get_ylim())
        widths.append(max(map(_label_width, labels), default=0))
        labels = _tick_labels(ax.xaxis, ax.get_xlim())
        widths += [_label_width(labels[0]) if labels else 0, _label_width(labels[-1]) if labels else 0]
        texts.append(ax.yaxis.get_major_formatter().get_offset())
        texts.append(ax.xaxis.get_major_formatter().get_offset())
    texts += [_lines(t.get_text()) for t in fig.texts]
    texts += [_legend_rows(legend) for legend in fig.legends]
    return tuple(texts), tuple(widths)


def _tick_labels(axis, limits):
    lo, hi = sorted(limits)
    return axis.get_major_formatter().format_ticks([t for t in axis.get_majorticklocs() if lo <= t <= hi])


def _legend_rows(legend):
    """A legend's rows; beside the axes (not above or below them) its texts too: they set its width."""
    texts = [t.get_text() for t in legend.get_texts()]
    rows = -(-len(texts) // max(1, legend._ncols))
    return (rows,) if getattr(legend, "_outside_loc", None) in ("lower", "upper") else (rows, tuple(texts))


# Advance widths (in em) of DejaVu Sans, matplotlib's default font, for the characters of tick
# labels; anything else counts as the widest glyph, so the estimate errs on the safe side.
_ADVANCE = {**dict.fromkeys("0123456789", 0.636), ".": 0.318, ",": 0.318, "-": 0.361, "e": 0.615, " ": 0.318,
            "%": 0.95, "\u2007": 0.636, "+": 0.838, "\u2212": 0.838}


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
