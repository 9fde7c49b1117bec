"""TowerExplorer and TowerDesigner: universal approximation built by hand."""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.ticker import FuncFormatter, NullLocator

from .. import approx, neuron
from .base import OKABE_ITO, Explorer, Setting, memo, round_up
from ..words import number, plural

GRID = 1001
# Errors below this are rounding (a ReLU spline with a knot on the kink of |x| is exact): on the log
# axes they are drawn at FLOOR, and the figure says so, instead of vanishing from the plot.
FLOOR = 1e-6
TARGET = Setting("target", "bumpy", "target f", options=tuple(approx.TARGETS), width="200px")
STEEPNESS = Setting("steepness", 10.0, "steepness", low=0.5, high=200.0, step=0.05, log=True)


def _target(state, custom):
    if state["target"] == "custom":
        return custom, tuple(state["interval"])
    return approx.TARGETS[state["target"]]


class TowerExplorer(Explorer):
    """A network that sums n towers (or a ReLU spline with n units) to approximate a target f.

    ``TowerExplorer(f=my_function, interval=(a, b))`` explores your own function.
    """

    figsize = (9.0, 4.2)

    settings = (
        TARGET,
        Setting("units", "sigmoid", "units", options=tuple(zip(("sigmoid towers", "ReLU spline"), approx.UNITS)),
                buttons=True, width="135px"),
        Setting("n", 8, "towers / units n", low=1, high=100, integer=True),
        STEEPNESS,
        Setting("show_towers", True, "show each tower"),
        Setting("show_error", True, "show the error"),
    )

    @classmethod
    def defaults(cls):
        return {**super().defaults(), "interval": None}  # a custom function's interval (a pair, no control)

    def __init__(self, f=None, **state):
        if f is not None:
            if not callable(f):
                raise ValueError(f"f: expected a function of x (a callable), got {f!r}")
            state.setdefault("target", "custom")
            state.setdefault("interval", (0.0, 1.0))
        self.f_custom = f
        super().__init__(**state)

    def declared(self, state):
        if self.f_custom is None:
            return type(self).settings
        return (replace(TARGET, options=TARGET.options + ("custom",)),) + type(self).settings[1:]

    def validate(self, state):
        s = super().validate(state)
        if s["interval"] is not None:
            a, b = approx.check_interval(s["interval"])
            s["interval"] = [a, b]
        if s["target"] == "custom":
            a, b = s["interval"]
            approx.evaluate(self.f_custom, np.linspace(a, b, 5))  # fails early, naming f
        return s

    def refresh_controls(self):
        self.controls["steepness"].disabled = self._state["units"] == "relu"
        self.controls["show_towers"].description = f"show {self._part_name()}"

    def _part_name(self):
        """What one curve of the parts is: a tower (two sigmoid units) or one ReLU unit."""
        return "each tower" if self._state["units"] == "sigmoid" else "each unit"

    def setup(self, fig):
        axes = fig.subplot_mosaic([["fit", "n"], ["err", "n"]], width_ratios=[1.5, 1], height_ratios=[2.6, 1])
        self.ax, self.ax_n, self.ax_err = axes["fit"], axes["n"], axes["err"]
        ax = self.ax
        self.parts = LineCollection([], colors=OKABE_ITO["sky"], linewidths=1.0, alpha=0.8, label=self._part_name())
        ax.add_collection(self.parts)
        (self.l_f,) = ax.plot([], [], color=OKABE_ITO["black"], lw=1.5, ls="--", label="target f(x)")
        (self.l_net,) = ax.plot([], [], color=OKABE_ITO["blue"], lw=2, label="network")
        (self.l_err,) = self.ax_err.plot([], [], color=OKABE_ITO["vermillion"], lw=1, label="|network − f|")
        self.ax_err.set(xlabel="input x", ylabel="|error|", yscale="log", ylim=(FLOOR / 2, 3))
        self.ax_err.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        self.ax_err.yaxis.set_minor_locator(NullLocator())
        self.ax_err.grid(alpha=0.3)
        ax.set(ylabel="output", title="approximation")
        ax.tick_params(labelbottom=False)
        ax.grid(alpha=0.3)
        n = self.ax_n
        (self.n_max,) = n.loglog([], [], "o-", ms=3, color=OKABE_ITO["vermillion"], label="max error")
        (self.n_mean,) = n.loglog([], [], "s-", ms=3, color=OKABE_ITO["blue"], label="mean error")
        self.n_now = n.axvline(1, color=OKABE_ITO["black"], lw=1, ls=":", label="current n")
        n.set(xlabel="towers / units n", ylabel="absolute error", title="error against n")
        # plain labels, no minor labels: log axes otherwise dominate the draw; the errors' labels all
        # of one width ("1e-04"), so a new range does not move the panels (and redraw the whole figure)
        for axis, form in ((n.xaxis, "g"), (n.yaxis, ".0e")):
            axis.set_major_formatter(FuncFormatter(lambda value, _, form=form: format(value, form)))
            axis.set_minor_locator(NullLocator())
        n.grid(alpha=0.3)
        # errors fall with n, so the top right is free
        n.legend(fontsize=9, loc="upper right")
        self.floor_note = n.text(0.03, 0.03, f"errors below {FLOOR:g} (exact up to rounding)\nare drawn at {FLOOR:g}",
                                 transform=n.transAxes, fontsize=9, color="0.3", va="bottom", visible=False,
                                 bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1})
        self.legend = fig.legend(handles=[self.l_f, self.l_net, self.parts, self.l_err], loc="outside lower center",
                                 ncol=4, fontsize=9, frameon=False)
        self._static_key = None

    def compute(self, s):
        f, interval = _target(s, self.f_custom)
        net = approx.network_for(s["units"], f, s["n"], interval, s["steepness"])
        fit = approx.compare(net, f, interval, GRID)
        steepness = s["steepness"] if s["units"] == "sigmoid" else 10.0  # a ReLU spline has none
        # on the fit's own grid: at the current n the curve shows the max and mean error of the caption
        curve = memo(approx.error_against_n, f, tuple(interval), s["units"], steepness, n_grid=GRID)
        return SimpleNamespace(net=net, x=fit.x, y=fit.y, fx=fit.fx, err=fit.err, error=fit.error, curve=curve,
                               parts=approx.unit_contributions(net, fit.x) if s["show_towers"] else None)

    def draw(self, r):
        s = self._state
        static_key = (s["target"], s["units"], s["steepness"] if s["units"] == "sigmoid" else None)
        if static_key != self._static_key:
            self._static_key = static_key
            self.l_f.set_data(r.x, r.fx)
            # room for f, for zero (where the towers start) and for a little overshoot
            lo, hi = min(r.fx.min(), 0.0), max(r.fx.max(), 0.0)
            pad = 0.12 * max(hi - lo, 1e-6)
            # a margin at the ends of the interval: its end labels ("-1.0", "0", "6") stay inside the
            # axes, so a new target does not move the panels (and redraw the whole figure)
            margin = 0.04 * (r.x[-1] - r.x[0])
            for a in (self.ax, self.ax_err):
                a.set_xlim(r.x[0] - margin, r.x[-1] + margin)
            self.ax.set_ylim(lo - pad, hi + pad)
            ns, mx, mean = r.curve
            self.n_max.set_data(ns, np.maximum(mx, FLOOR))
            self.n_mean.set_data(ns, np.maximum(mean, FLOOR))
            self.floor_note.set_visible(bool(np.any(np.r_[mx, mean] < FLOOR)))
            self.ax_n.set_xlim(0.8, 130)
            both = np.maximum(np.r_[mx, mean], FLOOR)
            # room below for the note on the floor, above for the legend; whole decades, so that a
            # steepness moved a little keeps the axis
            low = both.min() / (30 if self.floor_note.get_visible() else 2)
            self.ax_n.set_ylim(1.0 / round_up(1.0 / low, log=True), round_up(both.max() * 6, log=True))
            self.parts.set_label(self._part_name())
            self.legend.get_texts()[2].set_text(self._part_name())
        self.l_net.set_data(r.x, r.y)
        if r.parts is not None:
            self.parts.set_segments([np.c_[r.x, p] for p in r.parts.T])
        self.parts.set_visible(r.parts is not None)
        self.l_err.set_data(r.x, np.maximum(r.err, FLOOR))
        self.l_err.set_visible(s["show_error"])
        self.n_now.set_xdata([s["n"], s["n"]])

    def describe(self):
        s, r = self._state, self.result
        width = r.net.sizes[1]
        what = (f"{plural(s['n'], 'sigmoid tower')} ({plural(width, 'hidden unit')}), steepness {s['steepness']:.3g}"
                if s["units"] == "sigmoid" else
                f"a ReLU spline with {plural(width, 'hidden unit')} ({plural(width, 'kink')})")
        if r.error.max < FLOOR:
            return f"{what} approximating {s['target']}: exact up to rounding (max error {r.error.max:.2g})."
        return (f"{what} approximating {s['target']}: max error {r.error.max:.3g} at x = "
                f"{number(r.error.where, '.3g')}, mean error {r.error.mean:.3g}.")


class TowerDesigner(Explorer):
    """Design mode: set each tower's height yourself and try to beat the automatic heights f(centre).

    The score is the mean absolute deviation from the target on a fine grid (lower is better).
    """

    figsize = (8.0, 3.7)
    max_towers = 10

    settings = (
        TARGET,
        Setting("n", 6, "towers", low=1, high=max_towers, integer=True),
        STEEPNESS,
        *(Setting(f"h{i}", 0.0, f"tower {i + 1} height", low=-2.0, high=2.0, step=0.01) for i in range(max_towers)),
    )

    def refresh_controls(self):
        for i in range(self.max_towers):
            self.controls[f"h{i}"].layout.display = None if i < self._state["n"] else "none"

    def layout(self):
        c = self.controls
        # the table changes in place inside an Accordion, so a panel the student opened stays open
        self.weights = widgets.HTML()
        self.weights.add_class("nnlab-weights")
        self.weights_panel = widgets.Accordion(children=[self.weights], titles=(WEIGHTS_TITLE,), selected_index=None)
        heights = widgets.HBox([c[f"h{i}"] for i in range(self.max_towers)], layout={"flex_flow": "row wrap"})
        top = widgets.HBox([c["target"], c["n"], c["steepness"]], layout={"flex_flow": "row wrap"})
        return widgets.VBox([top, heights, self.image, self.caption, self.weights_panel])

    def setup(self, fig):
        ax = self.ax = fig.subplots()
        (self.l_f,) = ax.plot([], [], color=OKABE_ITO["black"], lw=1.5, ls="--", label="target f(x)")
        (self.l_auto,) = ax.plot([], [], color=OKABE_ITO["green"], lw=1, alpha=0.8,
                                 label="automatic heights f(centre)")
        (self.l_net,) = ax.plot([], [], color=OKABE_ITO["blue"], lw=2.2, label="your design")
        self.centres = ax.scatter([], [], color=OKABE_ITO["vermillion"], zorder=5, s=25, label="tower centres")
        ax.set(xlabel="input x", ylabel="output", title="design the towers")
        ax.grid(alpha=0.3)
        fig.legend(handles=[self.l_f, self.l_auto, self.l_net, self.centres], loc="outside lower center", ncol=4,
                   fontsize=9, frameon=False)

    def heights(self, s=None):
        s = s or self._state
        return np.array([s[f"h{i}"] for i in range(s["n"])])

    def compute(self, s):
        f, interval = approx.TARGETS[s["target"]]
        net = approx.design_network(self.heights(s), interval, s["steepness"])
        mine = approx.compare(net, f, interval, GRID)
        auto = approx.compare(approx.tower_network(f, s["n"], interval, s["steepness"]), f, interval, GRID)
        return SimpleNamespace(net=net, x=mine.x, fx=mine.fx, y=mine.y, ya=auto.y, score=mine.error.mean,
                               to_beat=auto.error.mean, centres=approx.tower_centres(s["n"], interval),
                               heights=self.heights(s))

    def draw(self, r):
        self.l_f.set_data(r.x, r.fx)
        self.l_auto.set_data(r.x, r.ya)
        self.l_net.set_data(r.x, r.y)
        self.centres.set_offsets(np.c_[r.centres, r.heights])
        self.ax.set_xlim(r.x[0], r.x[-1])
        lo = min(r.fx.min(), r.y.min(), r.ya.min())
        hi = max(r.fx.max(), r.y.max(), r.ya.max())
        pad = 0.08 * max(hi - lo, 1e-6)
        self.ax.set_ylim(lo - pad, hi + pad)
        (W1, b1), (W2, b2) = r.net.params
        rows = "".join(
            "<tr>" + "".join(_cell(v) for v in (j + 1, W1[0, j], b1[j], neuron.step_location(W1[0, j], b1[j]),
                                                  W2[j, 0])) + "</tr>"
            for j in range(W1.shape[1]))
        head = "".join(f'<th style="{CELL}">{h}</th>' for h in ("hidden unit", "w", "b", "step at −b/w",
                                                                 "output weight"))
        self.weights.value = (f'<table style="border-collapse:collapse"><tr>{head}</tr>{rows}</table>'
                              f"<p>output bias {number(b2[0])}</p>")

    def describe(self):
        r = self.result
        verdict = "you beat the automatic heights!" if r.score < r.to_beat else "keep going"
        return (f"your {plural(self._state['n'], 'tower')}: mean absolute deviation {r.score:.4f}; target to beat "
                f"{r.to_beat:.4f} (heights f(centre)): {verdict}")


WEIGHTS_TITLE = "the weights that realise your design"
# every cell of the weights table: room between the columns, numbers right-aligned
CELL = "padding:2px 12px;text-align:right;font-variant-numeric:tabular-nums"


def _cell(value):
    """A right-aligned table cell; a number with 3 significant digits, never "-0"."""
    text = "none" if value is None else str(value) if isinstance(value, int) else number(float(value), ".3g")
    return f'<td style="{CELL}">{text}</td>'
