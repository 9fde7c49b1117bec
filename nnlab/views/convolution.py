"""Convolution: a kernel slides over an image and the output fills in, cell by cell (lecture 10).

The model is ``nnlab.conv``: ``conv2d`` for the whole output, ``terms`` for the product-sum of the current cell,
``output_size`` and ``explain_output_size`` for the size formula. ``position`` counts the output cells computed
so far, in reading order; Step, Play and a click on the output move it. The input is shown padded (the padding
cells read 0), the window marks the cells the kernel reads (spread out by the dilation).
"""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.patches import Rectangle
from matplotlib.patheffects import withStroke
from matplotlib.ticker import MaxNLocator

from .. import _validate as valid
from .. import conv
from ..axes import fixed_width
from ..words import plural
from . import background
from .background import RENDER_LOCK
from .base import OKABE_ITO, Explorer, Setting, ink_on, memo
from .player import Plays

MAX_SIDE, MAX_KERNEL, WRITTEN = 32, 5, 10   # image sides, kernel sides; cells written out up to WRITTEN a side
_DIGIT = ("..####..", ".#....#.", "......#.", "...###..", "......#.", "......#.", ".#....#.", "..####..")
IMAGES = {
    "digit": tuple(tuple(float(ch == "#") for ch in row) for row in _DIGIT),
    "checker": tuple(tuple(float((i // 2 + j // 2) % 2) for j in range(8)) for i in range(8)),
    "edge": tuple(tuple(float(j >= 4) for j in range(8)) for i in range(8)),
    "small": ((1, 2, 0, 1, 3, 0), (0, 1, 3, 2, 1, 1), (2, 0, 1, 0, 2, 3), (3, 1, 0, 1, 0, 2), (1, 3, 2, 0, 1, 0),
              (0, 2, 1, 3, 2, 1)),
}
INPUTS = (("a digit (8 × 8)", "digit"), ("checkerboard", "checker"), ("an edge", "edge"),
          ("6 × 6 numbers", "small"), ("your image", "custom"))
KERNELS = {
    "vertical edge": ((1, 0, -1), (2, 0, -2), (1, 0, -1)),
    "horizontal edge": ((1, 2, 1), (0, 0, 0), (-1, -2, -1)),
    "blur": ((1 / 9,) * 3,) * 3,
    "sharpen": ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
    "identity": ((0, 0, 0), (0, 1, 0), (0, 0, 0)),
    "2 × 2 difference": ((1, -1), (1, -1)),
}
KERNEL_OPTIONS = tuple((name, name) for name in KERNELS) + (("your kernel", "custom"),)
MODES = (("cross-correlation", "correlation"), ("convolution (kernel flipped)", "convolution"))
PADDED = colormaps["Greys"].with_extremes(bad="#DCE9F5")   # a padding cell: light blue, it reads 0
PADDING_INK = "#1F4E79"                                    # its 0, dark blue (contrast 7:1 on the light blue)
DIVERGING = colormaps["PuOr_r"]                            # purple negative, orange positive; colour-blind safe


def _grid(name, value, most):
    """A 2-D array of finite numbers, at most ``most`` cells a side, as a tuple of tuples of floats."""
    a = valid.as_array(name, value, ndim=2)
    if not (1 <= a.shape[0] <= most and 1 <= a.shape[1] <= most):
        raise ValueError(f"{name}: expected between 1 and {most} rows and columns, got shape {a.shape}")
    return tuple(tuple(float(v) for v in row) for row in a)


def parse_kernel(text):
    """Kernel entries as typed: rows separated by ";" or new lines, numbers by spaces or commas."""
    rows = [r.replace(",", " ").split() for r in text.replace("\n", ";").split(";") if r.strip()]
    try:
        values = [[float(v) for v in r] for r in rows]
    except ValueError as exc:
        raise ValueError(f"kernel entries: expected numbers, rows separated by ';', got {text!r}") from exc
    if not values or len({len(r) for r in values}) != 1:
        raise ValueError(f"kernel entries: expected rows of equal length separated by ';', got {text!r}")
    return _grid("kernel entries", values, MAX_KERNEL)


def _num(v):
    text = f"{v:.3g}".replace("-", "−")
    return f"({text})" if v < 0 else text


class Convolution(Plays, Explorer):
    """A kernel slides over an image: each output cell is the sum of the kernel's entries times the input cells
    under it. Stride, zero padding and dilation change which cells the window reads and how big the output is;
    Step or Play moves the window and the output fills in. ``Convolution(image=array)`` takes your own image,
    ``Convolution(weights=array)`` your own kernel (or type its entries)."""

    figsize = (10.4, 5.0)

    settings = (
        Setting("input", "digit", "input", options=INPUTS, width="210px"),
        Setting("kernel", "vertical edge", "kernel", options=KERNEL_OPTIONS, width="230px"),
        Setting("stride", 1, "stride s", low=1, high=3, integer=True),
        Setting("padding", 0, "padding p", low=0, high=3, integer=True),
        Setting("dilation", 1, "dilation d", low=1, high=3, integer=True),
        Setting("mode", "correlation", "operation", options=MODES, buttons=True, width="200px"),
        Setting("position", 0, "cells done", low=0, integer=True),
    )

    @classmethod
    def defaults(cls):
        return {**super().defaults(), "image": None, "weights": None}   # your image, your kernel (arrays)

    # ------------------------------------------------------------------ state
    def x(self, s):
        return np.array(s["image"] if s["input"] == "custom" else IMAGES[s["input"]], dtype=float)

    def w(self, s):
        return np.array(s["weights"] if s["kernel"] == "custom" else KERNELS[s["kernel"]], dtype=float)

    def sizes(self, s):
        """The output's (rows, columns) with their OutputSize, for this state."""
        (H, W), (kH, kW) = self.x(s).shape, self.w(s).shape
        return tuple(conv.output_size(n, k, s["stride"], s["padding"], s["dilation"])
                     for n, k in ((H, kH), (W, kW)))

    def _widest(self, s):
        """The largest dilation whose window fits the padded input."""
        (H, W), (kH, kW) = self.x(s).shape, self.w(s).shape
        spans = [(n + 2 * s["padding"] - 1) // (k - 1) if k > 1 else 3 for n, k in ((H, kH), (W, kW))]
        return max(1, min(3, *spans))

    def declared(self, state):
        """Input and kernel offer "yours" where there is one; the dilation goes as far as the window fits the
        padded input, the position to the last output cell."""
        out = []
        for d in type(self).settings:
            if d.name == "input" and state.get("image") is None:
                d = replace(d, options=tuple(o for o in INPUTS if o[1] != "custom"))
            elif d.name == "kernel" and state.get("weights") is None:
                d = replace(d, options=KERNEL_OPTIONS[:-1])
            elif d.name == "dilation":
                d = replace(d, high=self._widest(state))
            elif d.name == "position":
                fits = isinstance(state["dilation"], int) and 1 <= state["dilation"] <= self._widest(state)
                d = replace(d, high=int(np.prod([o.size for o in self.sizes(state)])) if fits else 0)
            out.append(d)
        return tuple(out)

    def validate(self, state):
        s = dict(state)
        old = getattr(self, "_state", None)
        s["image"] = None if s["image"] is None else _grid("image", s["image"], MAX_SIDE)
        s["weights"] = None if s["weights"] is None else _grid("weights", s["weights"], MAX_KERNEL)
        if old is None:   # Convolution(image=...) shows that image, Convolution(weights=...) that kernel
            if s["image"] is not None and s["input"] == "digit":
                s["input"] = "custom"
            if s["weights"] is not None and s["kernel"] == "vertical edge":
                s["kernel"] = "custom"
        for name, what in (("input", "image"), ("kernel", "weights")):
            if s[name] == "custom" and s[what] is None:
                raise ValueError(f"{name}: 'custom' needs {what}: pass Convolution({what}=a 2-D array)")
        for name in ("input", "kernel", "stride", "padding"):   # what the ranges below are worked out from
            s[name] = self.declaration(name).validate(s[name])
        if old is not None:   # another setting made the room smaller: the widest dilation and last cell that fit
            if s["dilation"] == old["dilation"]:
                s["dilation"] = min(s["dilation"], self._widest(s))
            if s["position"] == old["position"] and s["dilation"] <= self._widest(s):
                s["position"] = min(s["position"], int(np.prod([o.size for o in self.sizes(s)])))
        return super().validate(s)

    # ------------------------------------------------------------------ controls
    def make_controls(self):
        c = super().make_controls()
        for name, label, tip in (("back", "◀ Back", "undo the last cell"), ("step", "Step ▶", "compute the next cell"),
                                 ("play", "Play", "step through the cells"), ("pause", "Pause", "stop playing"),
                                 ("all", "All cells", "compute every cell"), ("reset", "Reset", "no cell computed")):
            c[name] = widgets.Button(description=label, tooltip=tip, layout={"width": "auto"})
        moves = {"back": lambda p: p - 1, "step": lambda p: p + 1, "all": lambda p: self.total, "reset": lambda p: 0}
        for name, move in moves.items():
            c[name].on_click(lambda _, move=move: self.set(position=max(0, min(move(self._state["position"]),
                                                                                 self.total))))
        c["play"].on_click(lambda _: self.play())
        c["pause"].on_click(lambda _: self.pause())
        c["entries"] = widgets.Text(description="entries", continuous_update=False, layout={"width": "260px"},
                                    placeholder="0 1 0; 1 -4 1; 0 1 0",
                                    tooltip="your kernel: rows separated by ';', e.g. 0 1 0; 1 -4 1; 0 1 0")
        c["entries"].observe(self._on_entries, names="value")
        self.playing, self._task = False, None
        return c

    def _on_entries(self, change):
        if self._holding:
            return   # shown, not typed
        try:
            weights = parse_kernel(change["new"])
            if weights != tuple(tuple(row) for row in self.w(self._state).tolist()):
                self.set(kernel="custom", weights=weights)
        except ValueError as exc:
            self._report("kernel entries", change["new"], exc)

    @property
    def total(self):
        """The number of output cells."""
        rows, cols = self.sizes(self._state)
        return rows.size * cols.size

    def _refresh_buttons(self):
        c, p, playing = self.controls, self._state["position"], self.playing
        c["step"].disabled = c["all"].disabled = p >= self.total
        c["back"].disabled = c["reset"].disabled = p == 0
        c["play"].disabled, c["pause"].disabled = playing or p >= self.total, not playing

    def refresh_controls(self):
        s, c = self._state, self.controls
        declared = {d.name: d for d in self.declared(s)}
        for name in ("input", "kernel"):
            if tuple(c[name].options) != declared[name].options:
                c[name].options = declared[name].options
        for name in ("dilation", "position"):
            with c[name].hold_trait_notifications():
                c[name].max = max(declared[name].high, c[name].min)
                c[name].value = s[name]
        with self.hold():
            c["entries"].value = "; ".join(" ".join(f"{v:.3g}" for v in row) for row in self.w(s))
        self._refresh_buttons()

    def layout(self):
        c = self.controls
        row = lambda *names: widgets.HBox([c[n] for n in names], layout={"flex_flow": "row wrap"})  # noqa: E731
        return widgets.VBox([row("input", "kernel", "entries"), row("stride", "padding", "dilation", "mode"),
                             row("back", "step", "play", "pause", "all", "reset", "position"), self.image,
                             self.caption])

    def on_click(self, ax, x, y):
        """A click on an output cell computes the cells up to it; on the input, up to the cell whose window starts
        nearest the clicked cell."""
        s = self._state
        rows, cols = self.sizes(s)
        if ax is self.ax_in:   # the window's first tap is at (i s - p, j s - p)
            y, x = ((v + s["padding"]) / s["stride"] for v in (y, x))
        elif ax is not self.ax_out:
            return None
        i, j = int(np.clip(round(y), 0, rows.size - 1)), int(np.clip(round(x), 0, cols.size - 1))
        position = i * cols.size + j + 1
        return {"position": position} if position != s["position"] else None

    # ------------------------------------------------------------------ Play
    seconds_per_cell = None   # Play's pace; None: about 12 seconds for the whole output, at most 0.2 s a cell

    @property
    def play_pause(self):
        if self.seconds_per_cell is not None:
            return self.seconds_per_cell
        return float(np.clip(12.0 / max(self.total, 1), 0.02, 0.2))

    def play_done(self):
        return self._state["position"] >= self.total

    def play_step(self):
        with RENDER_LOCK, background.serial_blas():
            with self.hold():   # one frame, said in the caption but not read out
                self._set(position=self._state["position"] + 1)
            self._update(announce=False)

    # ------------------------------------------------------------------ model
    def compute(self, s):
        x, w = self.x(s), self.w(s)
        geometry = dict(stride=s["stride"], padding=s["padding"], dilation=s["dilation"],
                        flip=s["mode"] == "convolution")
        z = memo(_output, tuple(map(tuple, x)), tuple(map(tuple, w)), tuple(geometry.items()))
        rows, cols = self.sizes(s)
        p = s["position"]
        cell = divmod(max(p - 1, 0), cols.size)
        return SimpleNamespace(x=x, w=w, z=z, rows=rows, cols=cols, cell=cell, done=p,
                               terms=conv.terms(x, w, cell, **geometry))

    # ------------------------------------------------------------------ figure
    def setup(self, fig):
        axes = fig.subplot_mosaic([["input", "kernel", "output"], ["text", "text", "text"]],
                                  width_ratios=[1.25, 0.7, 1.0], height_ratios=[1, 0.42])
        self.ax_in, self.ax_k, self.ax_out, self.ax_text = (axes[k] for k in ("input", "kernel", "output", "text"))
        self.ax_text.set_axis_off()
        for ax in (self.ax_in, self.ax_k, self.ax_out):
            ax.set_aspect("equal")
            ax.tick_params(length=0, labelsize=9)
            for axis in (ax.xaxis, ax.yaxis):   # cell indices
                axis.set_major_locator(MaxNLocator(nbins=6, integer=True))
            ax.yaxis.set_major_formatter(fixed_width("g", 2))   # "−3" to "31": the panels stay put
        self.ax_in.set_title("input, padded", y=1.0, pad=6)
        self.ax_k.set_title("kernel w", y=1.0, pad=6)
        self.ax_out.set_title("output z", y=1.0, pad=6)
        empty = np.zeros((1, 1))
        self.im_in = self.ax_in.imshow(empty, cmap=PADDED, interpolation="nearest")
        self.im_k = self.ax_k.imshow(empty, cmap=DIVERGING, interpolation="nearest")
        self.im_out = self.ax_out.imshow(empty, cmap=DIVERGING, interpolation="nearest")
        self.im_out.cmap = DIVERGING.with_extremes(bad="white")   # a cell not computed yet: blank
        self.edge = self.ax_in.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=1.2, ls="--", ec="0.3"))
        red, halo = OKABE_ITO["vermillion"], [withStroke(linewidth=4.5, foreground="white")]   # seen on any cell
        self.taps = [self.ax_in.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=2, ec=red, zorder=4,
                                                         path_effects=halo))
                     for _ in range(MAX_KERNEL * MAX_KERNEL)]
        self.frame_box = self.ax_in.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=1, ls=":", ec=red, zorder=4))
        self.now = self.ax_out.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=2.5, ec=red, zorder=4,
                                                    path_effects=halo))
        self.values = {key: [ax.text(0, 0, "", ha="center", va="center", fontsize=9, visible=False)
                             for _ in range(count)]
                       for key, ax, count in (("input", self.ax_in, WRITTEN * WRITTEN), ("kernel", self.ax_k, 25),
                                              ("output", self.ax_out, WRITTEN * WRITTEN))}
        self.sum_text = self.ax_text.text(0.0, 1.0, "", va="top", ha="left", fontsize=9.5, family="DejaVu Sans Mono",
                                          transform=self.ax_text.transAxes)
        self._shown_in = self._shown_k = None   # what the input and the kernel panel show (``draw``)
        self.size_text = self.ax_text.text(0.6, 1.0, "", va="top", ha="left", fontsize=9.5,
                                           transform=self.ax_text.transAxes)

    def _write(self, key, image, values, show=True):
        """The values of ``values`` (rows, cols) written on their cells, where there are few enough of them."""
        texts = self.values[key]
        rows, cols = values.shape
        k = 0
        if show and rows * cols <= len(texts) and max(rows, cols) <= WRITTEN:
            finite = np.isfinite(values)
            colours = image.get_cmap()(image.norm(np.where(finite, values, 0.0)))   # one call for every cell
            x0, y0 = image.get_extent()[0] + 0.5, image.get_extent()[3] + 0.5
            for (i, j), v in np.ndenumerate(values):
                padding = key == "input" and not finite[i, j]   # a padding cell: it reads 0
                look = ((x0 + j, y0 + i), "0" if padding else f"{v:.2g}".replace("-", "−") if finite[i, j] else "",
                        PADDING_INK if padding else ink_on(colours[i, j]) if finite[i, j] else "black",
                        bool(finite[i, j]) or padding)
                _show(texts[k], *look)
                k += 1
        for t in texts[k:]:
            if t.get_visible():
                t.set_visible(False)

    def draw(self, r):
        s = self._state
        p, (H, W), (kH, kW) = s["padding"], r.x.shape, r.w.shape
        padded = np.full((H + 2 * p, W + 2 * p), np.nan)
        padded[p:p + H, p:p + W] = r.x
        # the input panel changes with the image and the padding only, the kernel's with the kernel and the mode: a
        # step leaves both be (only the window moves)
        if (r.x.tobytes(), r.x.shape, p) != self._shown_in:
            self._shown_in = (r.x.tobytes(), r.x.shape, p)
            self.im_in.set_data(padded)
            self.im_in.set_clim(float(min(r.x.min(), 0.0)), float(max(r.x.max(), 1.0)))
            self.im_in.set_extent((-p - 0.5, W + p - 0.5, H + p - 0.5, -p - 0.5))
            self.ax_in.set_xlim(-p - 0.5, W + p - 0.5)
            self.ax_in.set_ylim(H + p - 0.5, -p - 0.5)
            self.edge.set_bounds(-0.5, -0.5, W, H)
            self.edge.set_visible(p > 0)
            binary = bool(np.all((r.x == 0) | (r.x == 1)))   # black 1, white 0: said in the title, not written
            self._write("input", self.im_in, padded, show=not binary)
            self.ax_in.set_title(f"input {H} × {W}" + (" (black 1, white 0)" if binary else "")   # two lines
                                 + (f"\npadded by {p} (blue cells read 0)" if p else "\nno padding"), y=1.0, pad=6)
        if (r.w.tobytes(), r.w.shape, s["mode"]) != self._shown_k:
            self._shown_k = (r.w.tobytes(), r.w.shape, s["mode"])
            big = float(np.abs(r.w).max()) or 1.0
            self.im_k.set_data(r.w)
            self.im_k.set_clim(-big, big)
            self.im_k.set_extent((-0.5, kW - 0.5, kH - 0.5, -0.5))
            self.ax_k.set_xlim(-0.5, kW - 0.5)
            self.ax_k.set_ylim(kH - 0.5, -0.5)
            self._write("kernel", self.im_k, r.w)
            self.ax_k.set_title(f"kernel {kH} × {kW}" + (", flipped" if s["mode"] == "convolution" else ""),
                                y=1.0, pad=6)
        rows, cols = r.rows.size, r.cols.size
        shown = np.full(rows * cols, np.nan)
        shown[:r.done] = r.z.ravel()[:r.done]
        zbig = float(np.abs(r.z).max()) or 1.0
        self.im_out.set_data(shown.reshape(rows, cols))
        self.im_out.set_clim(-zbig, zbig)
        self.im_out.set_extent((-0.5, cols - 0.5, rows - 0.5, -0.5))
        self.ax_out.set_xlim(-0.5, cols - 0.5)
        self.ax_out.set_ylim(rows - 0.5, -0.5)
        # the window: the cells the kernel reads for the current output cell (the next one, before any)
        i, j = r.cell
        for t, tap in enumerate(self.taps):
            if t < kH * kW:
                m, n = divmod(t, kW)
                tap.set_bounds(j * s["stride"] + n * s["dilation"] - p - 0.5,
                               i * s["stride"] + m * s["dilation"] - p - 0.5, 1, 1)
            tap.set_visible(t < kH * kW)
            tap.set_linestyle("-" if r.done else "--")
        span = (s["dilation"] * (kW - 1) + 1, s["dilation"] * (kH - 1) + 1)
        self.frame_box.set_bounds(j * s["stride"] - p - 0.5, i * s["stride"] - p - 0.5, *span)
        self.frame_box.set_visible(s["dilation"] > 1)
        self.now.set_bounds(j - 0.5, i - 0.5, 1, 1)
        self.now.set_linestyle("-" if r.done else "--")
        self._write("output", self.im_out, shown.reshape(rows, cols))
        self.ax_out.set_title(f"output {rows} × {cols}: {r.done} of {plural(rows * cols, 'cell')}"
                              + (" ▶" if self.playing else ""), y=1.0, pad=6)   # ▶: playing
        self.sum_text.set_text(self._sum(r))
        self.size_text.set_text(self._sizes(r))

    def _sum(self, r):
        """The current cell's product-sum, a kernel row a line."""
        i, j = r.cell
        kW = r.w.shape[1]
        lines = [f"z[{i}, {j}] = " + ("" if r.done else "(next) ") + "Σ w·x over the window"]
        for row in range(0, len(r.terms), kW):
            lines.append(("  = " if row == 0 else "  + ") + " + ".join(
                f"{_num(t.w)}·{_num(t.x)}" for t in r.terms[row:row + kW]))
        lines.append(f"  = {_num(sum(t.product for t in r.terms)).strip('()')}")
        return "\n".join(lines)

    def _sizes(self, r):
        """The output size formula with this state's numbers, a side a line."""
        s = self._state
        st, p, d = s["stride"], s["padding"], s["dilation"]
        lines = ["output size ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1:"]
        for name, n, k, o in (("rows", *r.x.shape[:1], *r.w.shape[:1], r.rows),
                              ("columns", *r.x.shape[1:], *r.w.shape[1:], r.cols)):
            num = (o.size - 1) * st + o.dropped   # n + 2p - d(k - 1) - 1, from conv.output_size
            lines.append(f"{name}: ⌊({n} + 2·{p} − {d}·{k - 1} − 1) / {st}⌋ + 1 = ⌊{num}/{st}⌋ + 1 = {o.size}")
            if not o.exact:
                lines.append(f"    {num}/{st} = {num / st:.3g} rounded down: the last {plural(o.dropped, 'cell')}")
                lines.append("    of the padded input in no window")
        return "\n".join(lines)

    def describe(self):
        s, r = self._state, self.result
        rows, cols = r.rows, r.cols
        i, j = r.cell
        text = (f"{'Convolution (the kernel flipped)' if s['mode'] == 'convolution' else 'Cross-correlation'} of the "
                f"{r.x.shape[0]} × {r.x.shape[1]} input with the {r.w.shape[0]} × {r.w.shape[1]} kernel, stride "
                f"{s['stride']}, padding {s['padding']}, dilation {s['dilation']}: the output is {rows.size} × "
                f"{cols.size}. ")
        if r.done:
            text += (f"{r.done} of {plural(rows.size * cols.size, 'cell')} computed; z[{i}, {j}] = "
                     f"{sum(t.product for t in r.terms):.4g}, the sum of {plural(len(r.terms), 'product')} w·x.")
        else:
            text += "No cell computed yet: Step or Play moves the window."
        geometry = (s["stride"], s["padding"], s["dilation"])
        sides = [("rows", r.x.shape[0], r.w.shape[0], rows), ("columns", r.x.shape[1], r.w.shape[1], cols)]
        if sides[0][1:3] == sides[1][1:3]:   # a square image and kernel: one explanation for both
            sides = [("rows and the columns", *sides[0][1:])]
        for name, n, k, o in sides:
            if not o.exact:
                text += f" Along the {name}: " + conv.explain_output_size(n, k, *geometry)
        return text


def _show(text, position, words, colour, visible):
    """Set what changed of a cell's text (a setter marks it changed, and its panel is drawn again)."""
    if text.get_position() != position:
        text.set_position(position)
    if text.get_text() != words:
        text.set_text(words)
    if text.get_color() != colour:
        text.set_color(colour)
    if text.get_visible() != visible:
        text.set_visible(visible)


def _output(x, w, geometry):
    """The whole output (``conv.conv2d`` of one channel)."""
    return conv.conv2d(np.array(x), np.array(w), **dict(geometry))
