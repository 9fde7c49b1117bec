"""TrainingPlayground: TensorFlow Playground inside Jupyter, on nnlab's Trainer (``nnlab.playground``).

Its parts apart by job: the settings and the drawing here, Play and the timing in ``player.py``, the export
in ``export_tab.py``, the arithmetic of the picture in ``nnlab.playground``.
"""
from __future__ import annotations

from dataclasses import replace

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.path import Path
from matplotlib.patheffects import withStroke
from matplotlib.textpath import text_to_path
from matplotlib.ticker import MaxNLocator, NullLocator

from .. import data, playground, training
from ..words import number, plural
from . import background
from .base import OKABE_ITO, Explorer, Setting, ink_on
from .export_tab import ExportsRuns
from .player import PlaysRuns

DATASETS = ("circle", "gauss", "xor", "moons", "spirals")
FEATURES = dict(zip(("x1", "x2", "x1_sq", "x2_sq", "x1x2", "sin_x1", "sin_x2"), data.FEATURES))
FEATURE_LABELS = ("x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin x₁", "sin x₂")
OUTPUTS = (("sigmoid + cross-entropy", "sigmoid"), ("softmax + cross-entropy", "softmax"),
           ("tanh + squared error (the anchor's)", "tanh"))
SCHEDULES = {"constant": None, "step (×0.5 every 20 epochs)": ("step", 20, 0.5),
             "exponential (×0.98 per epoch)": ("exponential", 0.98), "cosine (over 200 epochs)": ("cosine", 200)}
CLASS_COLOURS = (OKABE_ITO["orange"], OKABE_ITO["blue"], OKABE_ITO["green"])
CLASS_MARKERS = ("o", "s", "^")
RES = 40           # grid of the decision region
EVERY = 2          # every neuron's tile shows every other point of it
MAX_LAYERS, MAX_UNITS = 6, 8
# the network's cell of the figure in pixels (what constrained layout leaves it; a constant, so that the same
# state always draws the same diagram); the column heads' row in pixels
NET_BOX, HEAD_PX = (326.0, 353.0), 16.0
# the new point: a reticle (a ring with four ticks), a shape no data point has, around a marker of its class
RETICLE = Path.make_compound_path(Path.circle((0, 0), 0.5), *(Path([(a * 0.5, b * 0.5), (a, b)]) for a, b in
                                                              ((1, 0), (-1, 0), (0, 1), (0, -1))))
# settings that take effect at once; any other change starts a new run
LIVE = {"lr", "regularization", "reg_rate", "dropout", "add_class", "add_x1", "add_x2"}
_WARMING = []      # the one background compilation of the training steps, started by the first playground


def _units(k):
    return Setting(f"units{k}", 4 if k <= 2 else 2, f"units in layer {k}", low=1, high=MAX_UNITS, integer=True)


def _class_option(k):
    return (f"class {k} ({('orange', 'blue', 'green')[k]})", k)


class TrainingPlayground(PlaysRuns, ExportsRuns, Explorer):
    """Train a small network on 2-D data and watch it learn: every neuron, the decision region,
    the loss and accuracy, the confusion matrix. The whole setup (seed included) is ``state``:
    ``TrainingPlayground(**p.state)`` repeats the run step for step; ``to_pytorch()`` writes it as a
    PyTorch script. Click the region (or use "add point") to add a training point of the chosen class.
    """

    figsize = (9.4, 5.6)
    dpi = 90

    settings = (
        Setting("dataset", "circle", "dataset", options=DATASETS, width="200px"),
        Setting("classes", 2, "classes (spirals)", options=(2, 3), width="200px"),
        Setting("n", 400, "points", low=50, high=1000, step=50, integer=True, expensive=True),
        Setting("noise", 0.1, "noise", low=0.0, high=1.0, step=0.05, expensive=True),
        Setting("test_share", 0.5, "test share", low=0.0, high=0.9, step=0.1, expensive=True),
        Setting("seed", 0, "seed (data, weights)", low=0, high=999, integer=True),
        *(Setting(f"use_{k}", k in ("x1", "x2"), label, width="90px") for k, label in zip(FEATURES, FEATURE_LABELS)),
        Setting("layers", 2, "hidden layers", low=0, high=MAX_LAYERS, integer=True),
        *(_units(k) for k in range(1, MAX_LAYERS + 1)),
        Setting("activation", "tanh", "activation", options=("tanh", "relu", "sigmoid", "linear"), width="200px"),
        Setting("output", "sigmoid", "output and loss", options=OUTPUTS, width="320px"),
        Setting("init", "xavier", "initialisation", options=tuple(training.INITS), width="200px"),
        Setting("standardize", True, "standardise inputs", width="160px"),
        Setting("optimizer", "adam", "optimiser", options=("sgd", "momentum", "adam"), width="200px"),
        Setting("momentum", 0.9, "momentum ρ", low=0.0, high=0.99, step=0.01),
        Setting("lr", 0.03, "learning rate", low=1e-4, high=1.0, step=0.05, log=True),
        Setting("schedule", "constant", "schedule", options=tuple(SCHEDULES), width="320px"),
        Setting("batch_size", 10, "batch size", low=1, high=100, integer=True),
        Setting("regularization", "none", "regularisation", options=(("none", "none"), ("L1", "l1"), ("L2", "l2")),
                width="200px"),
        Setting("reg_rate", 0.001, "its rate", low=1e-5, high=0.1, step=0.1, log=True),
        Setting("dropout", 0.0, "dropout rate", low=0.0, high=0.8, step=0.05),
        Setting("patience", 0, "stop after (epochs, 0 = never)", low=0, high=100, integer=True),
        Setting("add_class", 1, "new point's class", options=tuple(_class_option(k) for k in range(3)),
                width="240px"),
        Setting("add_x1", 0.0, "new point x₁", low=-3.0, high=3.0, step=0.1),
        Setting("add_x2", 0.0, "new point x₂", low=-3.0, high=3.0, step=0.1),
    )

    @classmethod
    def defaults(cls):
        return {**super().defaults(), "points": []}   # your points [[x1, x2, class], ...]: clicks, "add point"

    # ----------------------------------------------------------------- settings
    def classes(self, s):
        return s["classes"] if s["dataset"] == "spirals" else 2

    def declared(self, state):
        """The new point's class is one of the task's classes."""
        k = 3 if state["dataset"] == "spirals" and state["classes"] == 3 else 2
        return tuple(replace(d, options=d.options[:k]) if d.name == "add_class" else d for d in type(self).settings)

    def validate(self, state):
        s = dict(state)
        if s["add_class"] in (0, 1, 2) and s["add_class"] >= self.classes(s):
            s["add_class"] = 1
        s["points"] = [] if s["points"] is None else [[float(p[0]), float(p[1]), int(p[2])] for p in s["points"]]
        s = super().validate(s)
        if not any(s[f"use_{k}"] for k in FEATURES):
            raise ValueError("use_x1: at least one input feature must be on")
        if self.classes(s) > 2:
            s["output"] = "softmax"     # more than two classes: only softmax fits (its control is disabled)
        playground.own_points(s["points"], self.classes(s))
        return s

    def config(self, s=None):
        """The ``training.TrainingConfig`` of a state (this playground's by default)."""
        s = self._state if s is None else s
        reg = {"l1": s["reg_rate"] * (s["regularization"] == "l1"), "l2": s["reg_rate"] * (s["regularization"] == "l2")}
        return training.TrainingConfig(
            dataset=s["dataset"], n=s["n"], noise=s["noise"], classes=self.classes(s), test_share=s["test_share"],
            features=tuple(f for k, f in FEATURES.items() if s[f"use_{k}"]),
            hidden=tuple(s[f"units{k}"] for k in range(1, s["layers"] + 1)), activation=s["activation"],
            output=s["output"], init=s["init"], optimizer=s["optimizer"], lr=s["lr"], momentum=s["momentum"],
            schedule=SCHEDULES[s["schedule"]], batch_size=s["batch_size"], dropout=s["dropout"],
            standardize=s["standardize"], patience=s["patience"] or None, seed=s["seed"], **reg)

    # ----------------------------------------------------------------- controls
    def make_controls(self):
        c = super().make_controls()
        buttons = {"play": ("play", "play"), "pause": ("pause", "pause"), "step": ("step (1 batch)", "step-forward"),
                   "step_epoch": ("step epoch", "fast-forward"), "reset": ("reset", "undo"),
                   "regenerate": ("new seed (data, weights)", "refresh"), "add_point": ("add point", "plus")}
        for name, (label, icon) in buttons.items():
            c[name] = widgets.Button(description=label, icon=icon, layout={"width": "auto"},
                                     tooltip=label)
        c["play"].on_click(lambda _: self.play())
        c["pause"].on_click(lambda _: self.pause())
        c["step"].on_click(lambda _: self.run(1))
        c["step_epoch"].on_click(lambda _: self.run_epoch())
        c["reset"].on_click(lambda _: self.reset())
        c["regenerate"].on_click(lambda _: self.set(seed=(self._state["seed"] + 1) % 1000))
        c["add_point"].on_click(lambda _: self.add_point())
        return c

    def refresh_controls(self):
        s, c = self._state, self.controls
        c["classes"].disabled = s["dataset"] != "spirals"
        c["output"].disabled = self.classes(s) > 2
        for k in range(1, MAX_LAYERS + 1):
            c[f"units{k}"].disabled = k > s["layers"]
        on = [k for k in FEATURES if s[f"use_{k}"]]
        for k in FEATURES:   # the last feature on stays on (a network needs an input)
            c[f"use_{k}"].disabled = on == [k]
        c["momentum"].disabled = s["optimizer"] != "momentum"
        c["reg_rate"].disabled = s["regularization"] == "none"
        options = next(d.options for d in self.declared(s) if d.name == "add_class")
        if tuple(c["add_class"].options) != options:
            with self.hold():
                c["add_class"].options = options
        self._refresh_buttons()

    def _refresh_buttons(self):
        c, playing = self.controls, getattr(self, "playing", False)
        c["play"].disabled, c["pause"].disabled = playing, not playing

    def layout(self):
        c = self.controls
        row = lambda *names: widgets.HBox([c[n] for n in names], layout={"flex_flow": "row wrap"})
        groups = {
            "Data": [row("dataset", "classes", "regenerate"), row("n", "noise", "test_share"),
                     row("seed", "add_class", "add_point"), row("add_x1", "add_x2"),
                     widgets.Label("(or click the decision region to add a point there)")],
            "Network": [row(*[f"use_{k}" for k in FEATURES]), row("layers", "activation", "output"),
                        row(*[f"units{k}" for k in range(1, MAX_LAYERS + 1)]), row("init", "standardize")],
            "Training": [row("optimizer", "momentum", "lr"), row("schedule", "batch_size", "patience"),
                         row("regularization", "reg_rate", "dropout")],
        }
        groups["Export"] = self._export_panel()
        tabs = widgets.Tab(children=[widgets.VBox(g) for g in groups.values()], titles=tuple(groups))
        # the figure right under the buttons, the settings in tabs below it: all in view at once
        return widgets.VBox([row("play", "pause", "step", "step_epoch", "reset"), self.image, self.caption, tabs])

    def on_click(self, ax, x, y):
        """A click on the decision region adds a training point of the chosen class there."""
        if ax is not self.ax_region:
            return None
        return {"points": self._state["points"] + [[round(x, 2), round(y, 2), self._state["add_class"]]]}

    def add_point(self):
        """The keyboard path of a click: a point of the chosen class at (new point x1, new point x2)."""
        s = self._state
        self.set(points=s["points"] + [[s["add_x1"], s["add_x2"], s["add_class"]]])

    # ----------------------------------------------------------------- figure
    def setup(self, fig):
        self.trainer, self._key, self.playing, self._task, self.frames = None, None, False, None, 0
        self.seconds_per_epoch, self._train_seconds, self._epochs_timed = None, 0.0, 0
        if not _WARMING:   # compiled in the background while the student reads the first picture
            _WARMING.append(background.submit(playground.warm_up))
        # the network gets the widest cell: 8 columns of 8 tiles must stay readable (``playground.fit``)
        gs = fig.add_gridspec(3, 3, width_ratios=[1.95, 1.35, 1.0])
        self.ax_net = fig.add_subplot(gs[:, 0])
        self.ax_region = fig.add_subplot(gs[:, 1])
        self.ax_loss, self.ax_acc, self.ax_conf = (fig.add_subplot(gs[i, 2]) for i in range(3))
        self.ax_net.set_axis_off()
        for axis in (self.ax_net.xaxis, self.ax_net.yaxis):   # no ticks at all: its limits never need a layout
            axis.set_major_locator(NullLocator())
        self.ax_net.set_title("network: each neuron's output", fontsize=10)
        # links under the tiles (they end at the tiles' edges), each tile framed: its white (0) parts are
        # told from the background and from the gap to the next tile
        self.links = LineCollection([], zorder=1, capstyle="butt")
        self.ax_net.add_collection(self.links)
        # the tiles come coloured (orange -1, white 0, blue +1; softmax outputs white 0 to their class's colour
        # at 1: playground.paint), as one picture
        self.tiles = self.ax_net.imshow(np.zeros((2, 2, 4), np.uint8), zorder=2, interpolation="nearest",
                                        aspect="equal")
        self.tile_edges = LineCollection([], zorder=2.5, colors="0.55", linewidths=0.6, joinstyle="miter")
        self.ax_net.add_collection(self.tile_edges)
        self.input_texts = [self.ax_net.text(0, 0, "", ha="right", va="center", fontsize=10, zorder=0.1)
                            for _ in FEATURES]
        self.head_texts = [self.ax_net.text(0, 0, "", ha="center", va="center", fontsize=9, zorder=0.1)
                           for _ in range(MAX_LAYERS + 2)]
        # every axes below what changes in it, so that a frame draws only what changed (render.py)
        for ax in (self.ax_region, self.ax_loss, self.ax_acc, self.ax_conf):
            ax.set_axisbelow(True)
        self.region = self.ax_region.imshow(np.ones((2, 2, 3)), origin="lower", interpolation="bilinear",
                                            aspect="equal", zorder=1)
        self.ax_region.set(xlabel="x₁", ylabel="x₂", title="decision region (hollow: test points)")
        self.ax_region.title.set_fontsize(10)
        self.train_pts, self.test_pts = [], []
        for k in range(3):
            col, m = CLASS_COLOURS[k], CLASS_MARKERS[k]
            # lines of markers, not scatter: Agg draws one marker many times (they are redrawn every frame);
            # small, and the training points' faces half see-through: the region shows between and under them
            self.train_pts.append(self.ax_region.plot([], [], ls="", marker=m, ms=3.6, mfc=(*to_rgb(col), 0.55),
                                                      mec=col, mew=0.7, zorder=3)[0])
            self.test_pts.append(self.ax_region.plot([], [], ls="", marker=m, ms=3.6, mfc="none", mec=col,
                                                     mew=0.9, zorder=3)[0])
        # the decision boundary over the points: where the region changes class, even where points crowd it
        self.boundary = LineCollection([], colors=OKABE_ITO["black"], linewidths=1.0, zorder=4)
        self.ax_region.add_collection(self.boundary)
        # the new point above everything: a black reticle with a white halo around a large marker of its class
        halo = [withStroke(linewidth=3.2, foreground="white")]
        self.new_point = self.ax_region.plot([], [], ls="", marker=RETICLE, ms=20, mfc="none", mec="black", mew=1.4,
                                             zorder=5, path_effects=halo)[0]
        self.new_point_class = self.ax_region.plot([], [], ls="", ms=7, mec="black", mew=0.9, zorder=5)[0]
        self.curves = {}
        for ax, what, label in ((self.ax_loss, "loss", "loss"), (self.ax_acc, "accuracy", "accuracy")):
            for split, col, ls in (("train", OKABE_ITO["black"], "-"), ("test", OKABE_ITO["vermillion"], "--")):
                self.curves[f"{split}_{what}"] = ax.plot([], [], color=col, ls=ls, lw=1.8, label=split)[0]
            ax.set(xlabel="epoch", ylabel=label)
            ax.xaxis.set_major_locator(MaxNLocator(5, integer=True, prune="upper"))  # no label at the growing end
            ax.grid(alpha=0.3)
        self.ax_acc.set_ylim(0, 1.02)
        self.ax_acc.set_yticks([0, 0.5, 1])
        self.confusion = self.ax_conf.imshow(np.zeros((2, 2)), cmap="Greys", vmin=0, vmax=1, zorder=1)
        self.ax_conf.set(xlabel="predicted class", ylabel="true class")
        self.ax_conf.set_title(" ", fontsize=10)
        self.conf_texts = [self.ax_conf.text(j, i, "", ha="center", va="center", fontsize=9)
                           for i, j in np.ndindex(3, 3)]
        self.ax_conf.set_xticks(range(3))     # fixed ticks: the limits show two or three of them
        self.ax_conf.set_yticks(range(3))
        self.readout = fig.suptitle(" ", fontsize=10)
        handles = [Line2D([], [], ls="", marker=CLASS_MARKERS[k], color=CLASS_COLOURS[k], mec="white", ms=8,
                          label=f"class {k}") for k in range(3)]
        handles += [Line2D([], [], ls="", marker="o", mfc="none", mec="0.3", ms=8, label="test point"),
                    Line2D([], [], ls="", marker=RETICLE, mfc="none", mec="black", ms=14, mew=1.2,
                           label="where a new point goes"),
                    Line2D([], [], color=OKABE_ITO["black"], lw=1.0, label="decision boundary"),
                    Line2D([], [], color=OKABE_ITO["blue"], lw=2.5, label="weight > 0"),
                    Line2D([], [], color=OKABE_ITO["orange"], lw=2.5, label="weight < 0 (width ∝ |w|)"),
                    Line2D([], [], color=OKABE_ITO["black"], lw=1.8, label="training set"),
                    Line2D([], [], color=OKABE_ITO["vermillion"], lw=1.8, ls="--", label="test set")]
        # the key below the panels, the settings of the run as its title
        self.key = fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=9, frameon=False,
                              title=" ", title_fontsize=9)
        self.settings_text = self.key.get_title()

    def _run_key(self, s):
        return tuple((k, repr(v)) for k, v in s.items() if k not in LIVE)

    def compute(self, s):
        key = self._run_key(s)
        if key != self._key:
            self.trainer = playground.trainer(self.config(s), s["points"])
            self._key, self._drawn_key = key, None
            self.seconds_per_epoch, self._train_seconds, self._epochs_timed = None, 0.0, 0
        cfg = self.config(s)
        tr = self.trainer
        tr.lr = training.epoch_schedule(cfg.lr, cfg.schedule, tr.steps_per_epoch)   # at the next update
        tr.net.l1, tr.net.l2, tr.dropout = cfg.l1, cfg.l2, cfg.dropout
        if self._drawn_key != key:
            self._data = playground.data(cfg, s["points"])
            self._window = playground.window(np.vstack([self._data[0], self._data[2]]))
            self._names = [FEATURE_LABELS[list(FEATURES.values()).index(f)] for f in tr.features]
            self._fit = playground.fit(tr.net.sizes, NET_BOX, _width_px(self._names, 10, self.dpi) + 6, HEAD_PX)
            self._layout = playground.layout(tr.net.sizes, gap=self._fit.gap, column=self._fit.column)
        snap = playground.snapshot(tr, RES, self._window, EVERY)
        snap.links = playground.links(snap.params, self._layout)
        K = snap.probs.shape[2]
        classes = [to_rgb(c) for c in CLASS_COLOURS[:K]] if tr.net.output == "softmax" else None
        painted = playground.paint(snap.tiles, to_rgb(OKABE_ITO["orange"]), to_rgb(OKABE_ITO["blue"]), classes)
        snap.mosaic = playground.mosaic(painted, self._layout, RES // EVERY)
        snap.regions = playground.regions(snap.probs, snap.extent)
        snap.boundary = playground.boundary(snap.probs, snap.extent)
        snap.colours = playground.blend(snap.probs, [to_rgb(c) for c in CLASS_COLOURS[:snap.probs.shape[2]]], 0.7)
        snap.curves = playground.thin(snap.epochs, snap.train_loss, snap.test_loss, snap.train_accuracy,
                                      snap.test_accuracy)
        snap.bounds = playground.curve_bounds(snap.epochs, snap.train_loss, snap.test_loss)
        return snap

    def draw(self, r):
        s = self._state
        if self._drawn_key != self._key:
            self._drawn_key = self._key
            self._draw_run(r)
        lo, hi = r.extent
        self.region.set_data(r.colours)
        self.boundary.set_segments(r.boundary)
        self.new_point.set_data([s["add_x1"]], [s["add_x2"]])
        self.new_point_class.set_data([s["add_x1"]], [s["add_x2"]])
        if self.new_point_class.get_marker() != CLASS_MARKERS[s["add_class"]]:
            self.new_point_class.set_marker(CLASS_MARKERS[s["add_class"]])
        self.new_point_class.set_markerfacecolor(CLASS_COLOURS[s["add_class"]])
        self.tiles.set_data(r.mosaic)
        segments, weights, widths = r.links
        self.links.set_segments(segments)
        # the widest link thinner when many share a gap (4 points up to 4 units a layer, 2 at 8)
        self.links.set_linewidths(0.3 + (min(4.0, 16 / max(self.trainer.net.sizes)) - 0.3) * widths)
        self.links.set_colors([OKABE_ITO["blue"] if w > 0 else OKABE_ITO["orange"] for w in weights])
        epochs, *cols = r.curves
        for name, col in zip(("train_loss", "test_loss", "train_accuracy", "test_accuracy"), cols):
            self.curves[name].set_data(epochs, col)
        xmax, ymax = r.bounds
        for ax in (self.ax_loss, self.ax_acc):
            if ax.get_xlim() != (0, xmax):
                ax.set_xlim(0, xmax)
        if self.ax_loss.get_ylim() != (0, ymax):
            self.ax_loss.set_ylim(0, ymax)
        C = r.confusion
        self.confusion.set_data(C)
        self.confusion.set_clim(0, max(1, C.max()))
        for (i, j), t in zip(np.ndindex(3, 3), self.conf_texts):
            if i >= len(C) or j >= len(C):
                continue
            t.set_text(str(C[i, j]))
            t.set_color(ink_on(self.confusion.to_rgba(C[i, j])))
        self.readout.set_text(self._readout())
        self.settings_text.set_text(self._settings_line())  # stale only if it changed

    def _draw_run(self, r):
        """What stays the same during a run: points, the window, the network's labels, the matrix's size
        (set through the artists' setters: the renderer finds what changed)."""
        X, y, Xt, yt = self._data
        for k in range(3):
            self.train_pts[k].set_data(X[y == k, 0], X[y == k, 1])
            self.test_pts[k].set_data(Xt[yt == k, 0], Xt[yt == k, 1])
        lo, hi = r.extent
        self.region.set_extent((lo, hi, lo, hi))
        self.ax_region.set_xlim(lo, hi)
        self.ax_region.set_ylim(lo, hi)
        width, height = r.mosaic.shape[1] / (RES // EVERY), r.mosaic.shape[0] / (RES // EVERY)
        self.tiles.set_extent((0, width, height, 0))
        fit = self._fit
        self.ax_net.set_xlim(*fit.xlim)
        self.ax_net.set_ylim(*fit.ylim)
        corners = np.array([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5), (-0.5, -0.5)])
        self.tile_edges.set_segments([c + corners for column in self._layout for c in column])
        hidden = len(self._layout) - 2
        short = fit.px * fit.column < 50   # narrow columns: short heads that do not run into each other
        heads = (["in" if short else "inputs"] + [f"h{k}" if short else f"layer {k}" for k in range(1, hidden + 1)]
                 + ["out" if short else "output"])
        # the texts are made once (setup) and moved, so that a new run redraws only what changed
        left = 0.5 + 4 / fit.px        # 4 pixels from the input tiles
        shown = [(t, (x - left, yy), name) for t, (x, yy), name in zip(self.input_texts, self._layout[0], self._names)]
        shown += [(t, (col[0, 0], fit.ylim[1] / 2), head) for t, col, head in zip(self.head_texts, self._layout, heads)]
        for t in self.input_texts + self.head_texts:
            t.set_visible(any(t is u for u, _, _ in shown))
        for t, xy, text in shown:
            t.set_position(xy)
            t.set_text(text)
        K = r.confusion.shape[0]
        for t, (i, j) in zip(self.conf_texts, np.ndindex(3, 3)):
            t.set_visible(i < K and j < K)
        self.confusion.set_extent((-0.5, K - 0.5, K - 0.5, -0.5))
        self.ax_conf.set_xlim(-0.5, K - 0.5)
        self.ax_conf.set_ylim(K - 0.5, -0.5)
        self.ax_conf.title.set_text(f"confusion matrix ({r.confusion_of} set)")

    def _readout(self):
        tr = self.trainer
        per = "–" if self.seconds_per_epoch is None else f"{1000 * self.seconds_per_epoch:.2g} ms"
        grad = "–" if np.isnan(tr.grad_norm) else f"{tr.grad_norm:.3g}"
        end = "; diverged" if tr.diverged else "; stopped early" if tr.stopped else ""
        return (f"epoch {tr.epoch} · iteration {tr.iteration} · {tr.samples_seen} samples seen · "
                f"{per}/epoch · |gradient| {grad}{end}")

    def _settings_line(self):
        s = self._state
        opt = s["optimizer"] + (f" (ρ {s['momentum']:g})" if s["optimizer"] == "momentum" else "")
        reg = ("no regularisation" if s["regularization"] == "none"
               else f"{s['regularization'].upper()} {s['reg_rate']:g}")
        stop = f"stop after {s['patience']} epochs without improvement" if s["patience"] else "no early stop"
        return (f"{opt}, learning rate {s['lr']:.3g}, {s['schedule'].split(' (')[0]} schedule, batch "
                f"{s['batch_size']}, {reg}, dropout {s['dropout']:g}, {stop}")

    def describe(self):
        r, tr = self.result, self.trainer
        ev = tr.evaluation
        text = (f"Epoch {tr.epoch} (iteration {tr.iteration}, {tr.samples_seen} samples seen) of a "
                f"{'-'.join(map(str, tr.net.sizes))} network on {self._state['dataset']}, {self._state['optimizer']}"
                f" at learning rate {tr.lr:.3g}: training loss {ev['train_loss']:.3f}")
        if "test_loss" in ev:
            text += f", test loss {ev['test_loss']:.3f}"
        text += f"; accuracy {100 * ev['train_accuracy']:.0f}% on the training set"
        if "test_accuracy" in ev:
            text += f", {100 * ev['test_accuracy']:.0f}% on the test set"
        parts = [f"class {k} ({('orange', 'blue', 'green')[k]}) on {100 * share:.0f}% of the plot"
                 + (f" (centred near ({number(cx, '.1f')}, {number(cy, '.1f')}))" if share > 0 else "")
                 for k, (share, cx, cy) in enumerate(r.regions)]
        text += ". The network predicts " + ", ".join(parts) + "."
        text += "".join(f" The run {m}." for m in (tr.diverged, tr.stopped) if m)
        if self._state["points"]:
            x, y, k = self._state["points"][-1]
            text += (f" You added {plural(len(self._state['points']), 'point')}, the last of class {k} at "
                     f"({number(x, '.2f')}, {number(y, '.2f')}).")
        return text


def _width_px(texts, size, dpi):
    """The widest of ``texts`` at ``size`` points, in pixels (measured from the font, without drawing)."""
    prop = FontProperties(size=size)
    return max(text_to_path.get_text_width_height_descent(t, prop, ismath=False)[0] for t in texts) * dpi / 72
