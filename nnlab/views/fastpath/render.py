"""How an explorer's figure becomes PNG frames, fast: partial redraws, the layout estimate, PNG.

``Renderer`` knows nothing of settings, controls or models; ``Explorer`` (``base.py``) owns one
and asks it for a frame after every update. Three savings make a frame cheap, and none needs the
view's help (a view may say ``invalidate()`` for a change matplotlib does not record):

- **Only what changed is drawn again.** After a full draw the static picture is kept. For the
  next frame the renderer asks matplotlib what the view changed (every artist's ``stale`` flag,
  each axes' limits, position and children) and draws again only the axes (or figure-level
  artists) that changed, each inside its own cell of the layout, over the kept picture.
- **Artists that keep changing are blitted.** An artist that changed while its axes' limits did
  not (a curve, points, a marker) is taken out of the static picture from then on, together with
  everything drawn above it (so the drawing order, and every pixel, stays that of a full draw),
  and drawn over the kept picture on every frame: a new curve costs the curve, not the axes.
- **Ticks worked out once a frame.** Matplotlib works out an axis's ticks and measures their
  labels four times for each draw of it; within a frame nothing moves them, so it is done once.
- **Titles placed without measuring.** Matplotlib measures every tick label of an axes to keep
  its title clear of them; with the ticks below the axes and no offset text it ends up where it
  started (y = 1), so the renderer puts it there itself.
- **Texts rasterised once.** Most texts of a frame (tick labels of axes that did not move,
  titles, legends) are drawn where they were drawn before; the canvas's renderer keeps the glyph
  bitmaps FreeType made for each text at its position and stamps them again, in the text's
  colour, instead of laying out and rasterising it anew (``canvas.py``).
- **PNG written directly**: the RGBA rows, unfiltered, through zlib at level 1 (faster than
  Pillow's encoder, which filters every row; the frames are about as large).
- **Layout only when needed.** Constrained layout costs as much as the drawing itself, so it runs
  only when something that takes space changed: the number of lines of a title or label, the
  rows of a legend, an offset text, or a tick label wider than the room already reserved. The
  layouts it made are kept by what decided them, and one is put back when that comes again.
"""
from __future__ import annotations

import math
from operator import attrgetter

import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.spines import Spine

from .canvas import Canvas, kept_layouts
from .layout import layout_key, needs_layout
from ..png import encode_png

# pixels added around each cell that is drawn again (antialiased edges reach a little outside)
PAD = 2
# a layout that moves no axes by more than this (a fraction of the figure: 0.01 px) leaves them where they were
SAME_PLACE = 1e-5
# layouts a renderer keeps, by what decided them (``layout_key``)
LAYOUTS_KEPT = 64


class Renderer:
    """Frames of one figure, laid out with the figure's own layout engine (taken over here)."""

    def __init__(self, fig: Figure):
        if not isinstance(fig.canvas, Canvas):
            Canvas(fig)
        self.fig = fig
        self._layout_engine = fig.get_layout_engine()
        fig.set_layout_engine("none")
        self._layout_key = None
        self._layouts = {}       # layout key -> (axes, their positions, figure texts placed, cells)
        self._grids = None       # the layout engine's cells, from its last run
        self._background = None  # the static picture (H x W x 4 array), None: draw everything
        self._blank = None       # the figure's own background, to clear a cell with
        self._regions = []       # [(top-level artists drawn together, pixel box)]
        self._seen = {}          # top-level artist -> what it looked like at the last frame
        self._blitted = {}       # axes -> its artists drawn on every frame (the end of its draw order)
        self._limits = {}        # axes -> its data limits at the last frame
        self._children = {}      # axes -> its artists at the last frame
        self._spilled = set()    # axes whose tick labels reach outside their cell (laid out anew)
        self._moved = set()      # axes whose limits or artists changed in this frame
        self._title_auto = {}    # axes -> whether matplotlib places its title (as the view left it)
        self.n_full = self.n_partial = 0  # how many frames were drawn whole / in part (benchmarks)

    def invalidate(self) -> None:
        """Something changed that the renderer cannot see: the next frame redraws everything."""
        self._background = None

    def png(self) -> bytes:
        """The figure as it is now, encoded as PNG."""
        with kept_layouts():
            key = layout_key(self.fig)
            if needs_layout(key, self._layout_key):
                self._lay_out(key)  # axes it moved are drawn anew (``_changed``), the others kept
                self._layout_key = key
            self._place_titles()
            self._frame()
        return encode_png(self._pixels())

    def png_like(self, other: Renderer) -> bytes:
        """A frame drawn from scratch with ``other``'s axes positions (for tests: an updated figure
        must show exactly what a new one with the same state shows)."""
        for mine, theirs in zip(self.fig.axes, other.fig.axes):
            mine.set_position(theirs.get_position(original=True), which="original")
            mine.set_position(theirs.get_position(original=False), which="active")
        self._layout_key = layout_key(self.fig)  # laid out as ``other`` is: no layout of its own
        self._grids = None
        self.invalidate()
        return self.png()

    def _lay_out(self, key):
        """Run the layout engine, or put back the layout it made for the same key before (a
        dropdown's options, a slider's ends: the same texts take the same room again)."""
        fig = self.fig
        axes = tuple(fig.axes)
        texts = [t for t in (fig._suptitle, fig._supxlabel, fig._supylabel) if t is not None]
        before = [ax.get_position(original=True) for ax in axes]
        kept = self._layouts.pop(key, None)
        if kept is not None and kept[0] == axes and [t for t, _ in kept[2]] == texts:
            _, positions, placed, self._grids = kept
            for text, xy in placed:
                text.set_position(xy)
        else:
            self._grids = self._layout_engine.execute(fig)
            positions = [ax.get_position(original=True) for ax in axes]
            kept = (axes, positions, [(t, t.get_position()) for t in texts], self._grids)
            if len(self._layouts) >= LAYOUTS_KEPT:
                del self._layouts[next(iter(self._layouts))]
        if all(np.allclose(a.bounds, b.bounds, rtol=0, atol=SAME_PLACE) for a, b in zip(positions, before)):
            positions = before  # the solver's rounding (new labels inside the axes): nothing moves
        for ax, position in zip(axes, positions):
            ax._set_position(position, which="both")
        self._layouts[key] = kept  # the most recently used last

    # ----------------------------------------------------------------- frames
    def _place_titles(self):
        """Titles at y = 1 where matplotlib's own placement would put them there (ticks and x
        label below the axes, no twins or insets, no offset text above the y axis)."""
        for ax in self.fig.axes:
            own = self._title_auto.setdefault(ax, ax._autotitlepos)
            if own is not None and not own:
                continue  # placed by the view
            fixed = (ax.xaxis.get_ticks_position() in ("bottom", "default")
                     and ax.xaxis.get_label_position() == "bottom"
                     and not ax.child_axes and len(ax._twinned_axes.get_siblings(ax)) == 1
                     and len(self.fig._align_label_groups["title"].get_siblings(ax)) == 1
                     and not ax.yaxis.get_major_formatter().get_offset())
            ax._autotitlepos = own if not fixed else False
            if fixed:
                for title in (ax.title, ax._left_title, ax._right_title):
                    if title.get_position()[1] != 1.0:
                        title.set_y(1.0)

    def _pixels(self):
        return np.asarray(self.fig.canvas.buffer_rgba())

    def _frame(self):
        axes = [axis for ax in self.fig.axes for axis in (ax.xaxis, ax.yaxis)]
        for axis in axes:
            _ticks_once(axis)
        try:
            self._frame_drawn()
        finally:
            for axis in axes:
                del axis._update_ticks, axis._get_ticklabel_bboxes

    def _frame_drawn(self):
        items = self._items()
        changed = self._changed(items)
        if self._background is not None and changed is not None:
            self._redraw(changed)
            if any(self._spills(ax) for ax in self._moved):
                self._draw_all(items)  # a tick label drew outside its cell: over a neighbour's
        else:
            self._draw_all(items)
        self._draw_blitted()
        self._remember(items)

    def _items(self):
        """The top-level artists (axes, figure texts and legends) in the figure's drawing order."""
        fig = self.fig
        return sorted((a for a in fig.get_children() if a is not fig.patch and not a.get_animated()),
                      key=attrgetter("zorder"))

    def _changed(self, items):
        """The regions to draw again, or None if only a full draw will do."""
        self._moved = set()
        if self._background is None or any(isinstance(a, Axes) for a in set(items) ^ set(self._seen)):
            return None
        changed, moved = set(), []
        renderer = self.fig.canvas.get_renderer()
        for gone in set(self._seen) - set(items):  # a figure legend or text replaced: its region
            region = self._region_of(gone)
            if region is not None:
                self._regions[region][0].remove(gone)
                changed.add(region)
        for item in items:
            if item not in self._seen:
                if not item.get_visible():
                    continue
                region = self._fit(item, renderer)
                if region is None:
                    return None
                changed.add(region)
            elif _signature(item) != self._seen[item] or item in self._spilled:
                if not self._moved_in_cell(item, renderer):
                    return None  # moved out of its cell, shown or hidden, an axis set up anew, or spilled
                moved.append(item)
            elif isinstance(item, Axes) and self._axes_changed(item) or not isinstance(item, Axes) and _stale(item):
                region = self._fit(item, renderer) if not isinstance(item, Axes) else self._region_of(item)
                if region is None:
                    return None
                changed.add(region)
        for item in moved:  # measured last: the measure costs more than all the checks above
            if not _inside(_pixel_box(item.get_tightbbox(renderer), self._blank.shape),
                           self._regions[self._region_of(item)][1]):
                return None
            self._axes_changed(item)
            self._moved.add(item)
            changed.add(self._region_of(item))
        return [self._regions[i] for i in sorted(changed)]

    def _moved_in_cell(self, item, renderer):
        """Whether ``item`` may be an axes that the view moved or resized (nothing else changed in
        its set-up) inside its cell, which alone is then drawn again (if its decorations, measured
        by ``_changed``, stay inside it too). A layout that moved the cells moves every axes: no."""
        if not isinstance(item, Axes) or item in self._spilled or self._region_of(item) is None:
            return False
        now, then = _signature(item), self._seen[item]
        if now[0] != then[0] or now[2:] != then[2:] or not now[0]:
            return False
        region = self._regions[self._region_of(item)][1]
        return (_inside(_pixel_box(item.get_window_extent(), self._blank.shape, pad=0), region)
                and _inside(self._cell(item, renderer), region))

    def _fit(self, item, renderer):
        """The index of the region that a figure-level artist (new, or changed) draws in: its old
        one grown to its new extent, or a new one; None if that would overlap another region."""
        index = self._region_of(item)
        box = _pixel_box(item.get_window_extent(renderer), self._blank.shape)
        if index is not None:
            old = self._regions[index][1]
            box = (min(box[0], old[0]), max(box[1], old[1]), min(box[2], old[2]), max(box[3], old[3]))
        for i, (group, other) in enumerate(self._regions):
            if i != index and _overlap(box, other):
                if group or index is not None:
                    return None
                index = i  # the emptied region of the artist this one replaced
                box = (min(box[0], other[0]), max(box[1], other[1]), min(box[2], other[2]), max(box[3], other[3]))
        if index is None:
            self._regions.append(([item], box))
            return len(self._regions) - 1
        group = self._regions[index][0]
        if item not in group:
            group.append(item)
            group.sort(key=lambda a: a.get_zorder())
        self._regions[index] = (group, box)
        return index

    def _axes_changed(self, ax):
        """Whether ``ax``'s static picture changed. Artists that changed while the axis did not
        join the blitted end of the drawing order (not below the axis, not in a shared cell)."""
        order = self._draw_order(ax)
        before = self._blitted.get(ax, [])
        stale = [a for a in order if _stale(a)]
        moved = _limits(ax) != self._limits.get(ax) or ax.patch._stale  # new limits, or a new face
        if _limits(ax) != self._limits.get(ax):
            self._moved.add(ax)  # new tick labels, which may not fit its cell
        region = self._region_of(ax)
        children = tuple(map(id, ax.get_children())) != self._children.get(ax)
        if region is None or len(self._regions[region][0]) > 1:
            return bool(stale) or moved or children
        axis_end = max((i + 1 for i, a in enumerate(order) if isinstance(a, Axis)), default=0)
        starts = [order.index(a) for a in stale if not isinstance(a, (Axis, Spine))]
        starts = [i for i in starts if i >= axis_end]
        if before and before[0] in order:
            starts.append(order.index(before[0]))
        self._set_blitted(ax, order[min(starts):] if starts else [])
        blitted = self._blitted[ax]
        return moved or children or blitted != before or any(a not in blitted for a in stale)

    def _set_blitted(self, ax, artists):
        for artist in self._blitted.get(ax, []):
            if artist not in artists:
                artist.set_animated(False)
        for artist in artists:
            artist.set_animated(True)
        self._blitted[ax] = list(artists)

    def _draw_order(self, ax):
        """``ax``'s artists in the order ``Axes.draw`` draws them (its patch first, not listed),
        the blitted ones included."""
        blitted = self._blitted.get(ax, ())
        skip = [ax.patch]
        if not (ax.axison and ax._frameon):
            skip += list(ax.spines.values())
        if not ax.axison:
            skip += [ax.xaxis, ax.yaxis]
        return sorted((a for a in ax.get_children()
                       if not any(a is b for b in skip) and (not a.get_animated() or a in blitted)),
                      key=attrgetter("zorder"))

    def _spills(self, ax):
        """Whether a tick label of ``ax`` (as last drawn) reaches outside its cell: the layout
        leaves room for the labels it saw, not for a label that later sits at an end."""
        index = self._region_of(ax)
        if index is None or not ax.get_visible() or not ax.axison:
            return False
        r0, r1, c0, c1 = self._regions[index][1]
        H = self._blank.shape[0]
        renderer = self.fig.canvas.get_renderer()
        for axis in (ax.xaxis, ax.yaxis):
            for label in (label for tick in axis._update_ticks() for label in (tick.label1, tick.label2)):
                if label.get_visible() and label.get_text():
                    x0, y0, x1, y1 = label.get_window_extent(renderer).extents
                    if x0 < c0 or x1 > c1 or H - y1 < r0 or H - y0 > r1:
                        return True
        return False

    def _region_of(self, item):
        """The index of the region ``item`` is drawn in, or None."""
        return next((i for i, r in enumerate(self._regions) if item in r[0]), None)

    def _redraw(self, regions):
        pixels = self._pixels()
        pixels[...] = self._background
        if not regions:
            return  # only the blitted artists changed
        self.n_partial += 1
        renderer = self.fig.canvas.get_renderer()
        for items, (r0, r1, c0, c1) in regions:
            pixels[r0:r1, c0:c1] = self._blank[r0:r1, c0:c1]
            for item in sorted(items, key=lambda a: a.get_zorder()):
                item.draw(renderer)
        self._background = pixels.copy()

    def _draw_all(self, items):
        self.n_full += 1
        canvas = self.fig.canvas
        renderer = canvas.get_renderer()
        renderer.clear()
        self.fig.patch.draw(renderer)
        self._blank = self._pixels().copy()
        for ax in self.fig.axes:  # the blitted artists stay the end of their axes' drawing order
            blitted = self._blitted.get(ax)
            if blitted:
                order = self._draw_order(ax)
                self._set_blitted(ax, order[order.index(blitted[0]):] if blitted[0] in order else [])
        canvas.draw()  # the blitted artists (animated, for matplotlib) are skipped here
        self._background = self._pixels().copy()
        self._regions = self._cells(items, renderer)
        self._spilled = {ax for ax in self.fig.axes if self._spills(ax)}
        if self._spilled:  # lay out again next time, with room for those labels
            self._layouts.pop(self._layout_key, None)
            self._layout_key = None

    def _draw_blitted(self):
        renderer = self.fig.canvas.get_renderer()
        for ax in self.fig.axes:
            for artist in self._blitted.get(ax, ()):
                artist.draw(renderer)

    def _remember(self, items):
        self._seen = {item: _signature(item) for item in items}
        self._limits = {ax: _limits(ax) for ax in self.fig.axes}
        self._children = {ax: tuple(map(id, ax.get_children())) for ax in self.fig.axes}
        for item in items:
            _unstale(item)
        self.fig._stale = False

    # ------------------------------------------------------------------ cells
    def _cells(self, items, renderer):
        """Top-level artists grouped by the pixel box they draw in: each axes in its cell of the
        layout (room for its ticks, labels and title), anything else in its own extent; artists
        whose boxes overlap are drawn together."""
        boxes = [([item], self._cell(item, renderer)) for item in items if item.get_visible()]
        i = 0
        while i < len(boxes):
            j = next((j for j in range(i + 1, len(boxes)) if _overlap(boxes[i][1], boxes[j][1])), None)
            if j is None:
                i += 1
                continue
            (group, a), (other, b) = boxes[i], boxes.pop(j)
            boxes[i] = (group + other, (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])))
        for group, _ in boxes:
            group.sort(key=items.index)
        return boxes

    def _cell(self, item, renderer):
        """The pixel box of one top-level artist: an axes' cell of the layout (which keeps a pad
        between its texts and its edges, so it is taken inwards), else its extent and PAD."""
        shape = self._blank.shape
        if isinstance(item, Axes) and self._grids and item.get_subplotspec() is not None:
            spec = item.get_subplotspec()
            grid = self._grids.get(spec.get_gridspec())
            if grid is not None:
                bbox = grid.get_outer_bbox(rows=spec.rowspan, cols=spec.colspan).transformed(
                    self.fig.transSubfigure)
                return _pixel_box(bbox, shape, pad=0, inwards=True)
        bbox = item.get_tightbbox(renderer) if hasattr(item, "get_tightbbox") else None
        return _pixel_box(bbox or item.get_window_extent(renderer), shape)


def _ticks_once(axis):
    """Within one frame ``axis`` works out its ticks, and measures their labels, once: drawing
    an axis asks for them four times over (for itself, for its label's place among its siblings,
    for its spine's extent), and nothing moves them while a frame is drawn."""
    update, measure = axis._update_ticks, axis._get_ticklabel_bboxes
    ticks, boxes = [], {}

    def update_once():
        if not ticks:
            ticks.append(update())
        return ticks[0]

    def measure_once(drawn, renderer):
        key = (id(drawn), id(renderer))
        if key not in boxes:
            boxes[key] = (drawn, measure(drawn, renderer))  # ``drawn`` kept: its id stays its own
        return boxes[key][1]

    axis._update_ticks, axis._get_ticklabel_bboxes = update_once, measure_once


def _overlap(a, b):
    """Whether two boxes overlap (x0, y0, x1, y1 in display units, or rows and columns)."""
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _inside(box, region):
    """Whether pixel box ``box`` (rows and columns) lies inside ``region``."""
    return region[0] <= box[0] and box[1] <= region[1] and region[2] <= box[2] and box[3] <= region[3]


def _pixel_box(box, shape, pad=PAD, inwards=False):
    """Rows r0:r1 and columns c0:c1 of the image holding display box ``box`` (a Bbox, counted
    from the bottom left), with ``pad`` pixels around it; ``inwards``: only whole pixels."""
    x0, y0, x1, y1 = box.extents
    H, W = shape[:2]
    low, high = (math.ceil, math.floor) if inwards else (math.floor, math.ceil)
    return (max(0, low(H - y1) - pad), min(H, high(H - y0) + pad),
            max(0, low(x0) - pad), min(W, high(x1) + pad))


def _limits(ax):
    return tuple(ax.viewLim.bounds)


def _signature(item):
    """What must stay the same for a partial redraw: visibility, position, the set-up of each axis."""
    if isinstance(item, Axes):
        return (item.get_visible(), tuple(item.get_position().bounds), _axis_key(item.xaxis),
                _axis_key(item.yaxis))
    return (item.get_visible(), id(item))


def _axis_key(axis):
    return (axis.get_visible(), axis.get_scale(), id(axis.get_major_locator()), id(axis.get_major_formatter()),
            id(axis.get_minor_locator()), id(axis.get_minor_formatter()), axis._major_tick_kw.get("gridOn"),
            axis._minor_tick_kw.get("gridOn"), axis.get_label_position(), axis.get_ticks_position())


def _stale(artist):
    """Whether the view changed ``artist`` since the last frame (anything inside it included;
    an axis counts by its label, its offset text and how it is set up (``_axis_key``): its
    ticks change with the limits, which are compared apart)."""
    if isinstance(artist, Axis):  # set_xlim marks the axis stale even when nothing moved
        return artist.label._stale or artist.offsetText._stale
    if artist._stale:
        return True
    return any(_stale(child) for child in _parts(artist))


def _parts(artist):
    """The artists drawn as part of ``artist``: its children, and the patches a text draws that it does not
    list as children (an annotation's arrow, a text's box), whose changes matplotlib does not pass up."""
    parts = artist.get_children()
    for name in ("arrow_patch", "_bbox_patch"):
        part = getattr(artist, name, None)
        if part is not None and part not in parts:
            parts = [*parts, part]
    return parts


def _unstale(artist):
    artist._stale = False
    if isinstance(artist, Axis):
        artist.label._stale = artist.offsetText._stale = False
        return
    for child in _parts(artist):
        _unstale(child)
