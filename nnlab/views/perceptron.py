"""PerceptronStepper: watch the perceptron learn, one presented point at a time."""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.ticker import FuncFormatter

from .. import _validate as valid
from .. import data
from ..perceptron import check_pm1, record_run
from .base import OKABE_ITO, Explorer, Setting, memo, round_up
from ..words import plural

DATASETS = ("blobs", "xor", "circle")
POS, NEG = OKABE_ITO["blue"], OKABE_ITO["orange"]
DATASET = Setting("dataset", "blobs", "dataset", options=DATASETS, width="200px")
POSITION = Setting("position", 0, "step", low=0, integer=True)  # ends where the run does (``declared``)


def _record(dataset, n, margin, seed, max_epochs, shuffle, points):
    """The recorded perceptron run on a named dataset (labels -1/+1) or on your ``points`` (X, y)."""
    if points is not None:
        X, y = np.array(points[0], float), np.array(points[1], int)
    else:
        X, y = data.make(dataset, n=n, seed=seed, **({"margin": margin} if dataset == "blobs" else {}))
        y = data.to_pm1(y)
    return record_run(X, y, max_epochs=max_epochs, shuffle=shuffle, seed=seed)


class PerceptronStepper(Explorer):
    """The perceptron on a 2-D dataset, with its whole run recorded so you can step and scrub.

    Datasets: separable blobs (margin adjustable), XOR, the circle problem, or your own
    points: ``PerceptronStepper(X=..., y=...)`` with labels -1/+1 (the dataset is then "custom").
    """

    figsize = (8.4, 4.0)

    settings = (
        DATASET,
        Setting("n", 30, "points", low=4, high=100, integer=True, expensive=True),
        Setting("margin", 0.5, "margin (blobs)", low=0.0, high=2.0, step=0.05, expensive=True),
        Setting("seed", 0, "data seed", low=0, high=99, integer=True, expensive=True),
        Setting("max_epochs", 20, "epoch limit", low=1, high=100, integer=True, expensive=True),
        Setting("shuffle", False, "reshuffle every epoch"),
        POSITION,
    )

    @classmethod
    def defaults(cls):
        return {**super().defaults(), "X": None, "y": None}  # your own points (no control)

    def __init__(self, **state):
        if state.get("X") is not None:
            state.setdefault("dataset", "custom")  # your points, unless you ask for a built-in dataset
        super().__init__(**state)

    # ------------------------------------------------------------------ state
    def declared(self, state):
        """The dataset offers "custom" when you gave points; the step slider ends where this run does."""
        own = state["X"] is not None
        settings = (replace(DATASET, options=DATASETS + ("custom",)) if own else DATASET,) + type(self).settings[1:-1]
        data_settings = {**state, **{s.name: s.validate(state[s.name]) for s in settings}}
        return settings + (replace(POSITION, high=len(self._run(data_settings))),)

    def validate(self, state):
        s = dict(state)
        if s["X"] is not None or s["y"] is not None:
            X = valid.as_array("X", s["X"], ndim=2, shape=(None, 2))
            y = check_pm1("y", valid.as_array("y", s["y"], ndim=1))
            valid.same_rows("X", X, "y", y)
            s["X"], s["y"] = X.tolist(), y.tolist()
        old = getattr(self, "_state", None)
        if old is not None and self._data_key(old) != self._data_key(s) and s["position"] == old["position"]:
            s["position"] = 0  # a new run starts from the beginning
        return super().validate(s)

    @staticmethod
    def _data_key(s):
        custom = (tuple(map(tuple, s["X"])), tuple(s["y"])) if s["dataset"] == "custom" else None
        return (s["dataset"], s["n"], s["margin"] if s["dataset"] == "blobs" else None, s["seed"],
                s["max_epochs"], s["shuffle"], custom)

    def _run(self, s):
        return memo(_record, *self._data_key(s))

    # --------------------------------------------------------------- controls
    def make_controls(self):
        controls = super().make_controls()
        self.play = widgets.Play(value=0, min=0, max=max(1, len(self._run(self._state))), interval=350,
                                 description="play", tooltip="play the run step by step")
        widgets.jslink((self.play, "value"), (controls["position"], "value"))
        buttons = {name: widgets.Button(description=label, tooltip=tip, layout={"width": "auto"})
                   for name, label, tip in (("step_button", "Step ▶", "present the next point"),
                                            ("next_mistake", "Next mistake", "jump to the next update"),
                                            ("epoch_button", "One epoch", "run to the end of this epoch"),
                                            ("reset", "Reset", "back to w = 0"))}
        buttons["step_button"].on_click(lambda _: self.set(position=min(self._state["position"] + 1, len(self.run))))
        buttons["next_mistake"].on_click(lambda _: self.set(position=self.run.next_mistake(self._state["position"])))
        buttons["epoch_button"].on_click(lambda _: self.set(position=self.run.end_of_epoch(self._state["position"])))
        buttons["reset"].on_click(lambda _: self.set(position=0))
        return {**controls, **buttons, "play": self.play}

    def refresh_controls(self):
        s = self._state
        n_steps = len(self._run(s))
        c = self.controls
        c["position"].max = n_steps
        self.play.max = max(1, n_steps)
        if self.play.value > n_steps or (getattr(self, "result", None) is not None and s["position"] == 0):
            self.play.value = s["position"]
        at_end = s["position"] >= n_steps
        for name in ("step_button", "next_mistake", "epoch_button"):
            c[name].disabled = at_end        # nothing left to step through
        c["reset"].disabled = s["position"] == 0
        c["margin"].disabled = s["dataset"] != "blobs"
        c["n"].disabled = c["seed"].disabled = s["dataset"] == "custom"

    def layout(self):
        c = self.controls
        row = lambda *names: widgets.HBox([c[n] for n in names], layout={"flex_flow": "row wrap"})
        play_label = widgets.Label("play the run:")
        return widgets.VBox([widgets.HBox([c["step_button"], c["next_mistake"], c["epoch_button"], c["reset"],
                                           play_label, c["play"]], layout={"flex_flow": "row wrap"}),
                             row("position"), row("dataset", "margin", "n"), row("seed", "max_epochs", "shuffle"),
                             self.image, self.caption])

    @property
    def run(self):
        return self._run(self._state)

    # ----------------------------------------------------------------- figure
    def setup(self, fig):
        self.ax, self.ax_m = fig.subplots(1, 2, width_ratios=[1.25, 1])
        ax = self.ax
        self.shade = ax.imshow(np.zeros((2, 2)), origin="lower", cmap=ListedColormap([NEG, POS]), vmin=-1, vmax=1,
                               alpha=0.18, interpolation="nearest", aspect="auto", zorder=0)
        self.pos_pts = ax.scatter([], [], s=28, marker="o", color=POS, edgecolor="white", linewidth=0.5,
                                  label="class +1", zorder=3)
        self.neg_pts = ax.scatter([], [], s=34, marker="^", color=NEG, edgecolor="white", linewidth=0.5,
                                  label="class −1", zorder=3)
        (self.line,) = ax.plot([], [], color=OKABE_ITO["black"], lw=1.8, label="decision line w·x + b = 0", zorder=4)
        self.arrow = ax.quiver([0], [0], [0], [0], angles="xy", scale_units="xy", scale=1, color=OKABE_ITO["green"],
                               width=0.008, zorder=5, label="weight vector w")
        self.current = ax.scatter([], [], s=260, facecolors="none", linewidths=2.5, zorder=6)
        self.note = ax.text(0.02, 0.98, "", transform=ax.transAxes, va="top", fontsize=9,
                            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"}, zorder=7)
        ax.set(xlabel="$x_1$", ylabel="$x_2$", title="data and the current separator")
        m = self.ax_m
        (self.m_line,) = m.plot([], [], color=OKABE_ITO["vermillion"], lw=1.8, drawstyle="steps-post",
                                label="mistakes so far")
        self.m_bound = m.axhline(0, color=OKABE_ITO["blue"], ls="--", lw=1.5, label="bound (R/γ)²")
        self.m_now = m.axvline(0, color=OKABE_ITO["black"], lw=1, alpha=0.6, label="current step")
        m.set(xlabel="step (points presented)", ylabel="number of mistakes (symlog scale)",
              title="mistakes against the bound")
        m.set_yscale("symlog", linthresh=10)
        m.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))  # plain numbers draw fast
        m.grid(alpha=0.3)
        self.settings_text = fig.suptitle("", fontsize=9, color="0.25")
        self.legend = None
        self._drawn_key = None

    def compute(self, state):
        run = self._run(state)
        p = state["position"]
        w, b = run.weights_at(p)
        return SimpleNamespace(run=run, position=p, w=w, b=b, step=run.steps[p - 1] if p else None,
                               mistakes=run.mistakes_until(p), key=self._data_key(state))

    def _settings_text(self):
        s = self._state
        what = {"blobs": f"separable blobs, margin {s['margin']:g}", "xor": "XOR", "circle": "circle problem",
                "custom": "your points"}[s["dataset"]]
        seed = "" if s["dataset"] == "custom" else f", data seed {s['seed']}"
        order = "reshuffled every epoch" if s["shuffle"] else "points in a fixed order"
        return f"{what}: {plural(len(self.run.y), 'point')}{seed}; {order}; at most {plural(s['max_epochs'], 'epoch')}"

    def _draw_run(self, run):
        self.settings_text.set_text(self._settings_text())
        X, y = run.X, run.y
        self.pos_pts.set_offsets(X[y == 1])
        self.neg_pts.set_offsets(X[y == -1])
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.15 * np.maximum(hi - lo, 1e-3)
        # extra room at the top keeps the step note clear of the points; the ends on a grid of
        # round numbers, so other points from the same kind of data keep the axes where they were
        lo, hi = lo - pad, hi + pad * [1, 3.5]
        grid = round_up(float(np.max(hi - lo)) / 16)
        lo, hi = np.floor(lo / grid) * grid, np.ceil(hi / grid) * grid
        self.xlim, self.ylim = (lo[0], hi[0]), (lo[1], hi[1])
        self.ax.set_xlim(*self.xlim)
        self.ax.set_ylim(*self.ylim)
        gx, gy = np.meshgrid(np.linspace(*self.xlim, 160), np.linspace(*self.ylim, 160))
        self.grid = np.c_[gx.ravel(), gy.ravel()]
        self.shade.set_extent((*self.xlim, *self.ylim))
        self.counts = np.r_[0, [s.mistakes for s in run.steps]]
        handles = [self.pos_pts, self.neg_pts, self.line, self.arrow, self.m_line, self.m_now]
        top = self.counts[-1]
        finite = bool(np.isfinite(run.bound.bound))
        self.m_bound.set_visible(finite)
        if finite:
            self.m_bound.set_ydata([run.bound.bound] * 2)
            # plain characters, not mathtext: a label with a new number is not parsed anew (8 ms)
            self.m_bound.set_label(f"bound (R/γ)² = {run.bound.bound:.0f}")
            handles.append(self.m_bound)
            top = max(top, run.bound.bound)
        if self.legend is None or len(self.legend.get_texts()) != len(handles):
            if self.legend is not None:
                self.legend.remove()
            self.legend = self.fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=9,
                                          frameon=False)
        elif finite:  # same entries: only the bound's number changes
            self.legend.get_texts()[-1].set_text(self.m_bound.get_label())
        self.ax_m.set_xlim(0, round_up(max(len(run), 1)))
        self.ax_m.set_ylim(0, round_up(1.5 * max(top, 1)))

    def draw(self, r):
        if r.key != self._drawn_key:
            self._draw_run(r.run)
            self._drawn_key = r.key
        w, b = r.w, r.b
        norm2 = float(w @ w)
        if norm2 > 0:
            scores = self.grid @ w + b
            self.shade.set_data(np.where(scores > 0, 1.0, -1.0).reshape(160, 160))
            self.shade.set_visible(True)
            p0 = -b * w / norm2                       # point of the line closest to the origin
            d = np.array([-w[1], w[0]]) / np.sqrt(norm2)
            span = 4 * (self.xlim[1] - self.xlim[0] + self.ylim[1] - self.ylim[0])
            self.line.set_data([p0[0] - span * d[0], p0[0] + span * d[0]], [p0[1] - span * d[1], p0[1] + span * d[1]])
            length = 0.25 * min(self.xlim[1] - self.xlim[0], self.ylim[1] - self.ylim[0])
            u = w / np.sqrt(norm2) * length
            self.arrow.set_offsets([p0])
            self.arrow.set_UVC([u[0]], [u[1]])
            self.arrow.set_visible(True)
        else:
            self.shade.set_visible(False)
            self.line.set_data([], [])
            self.arrow.set_visible(False)
        s = r.step
        if s is None:
            self.current.set_offsets(np.empty((0, 2)))
            self.note.set_text("start: w = 0, b = 0\nevery point scores 0 and counts as a mistake")
        else:
            colour = OKABE_ITO["vermillion"] if s.mistake else OKABE_ITO["green"]
            self.current.set_offsets([s.x])
            self.current.set_edgecolors([colour])
            verdict = "mistake: w ← w + y·x, b ← b + y" if s.mistake else "correct: no change"
            self.note.set_text(f"epoch {s.epoch}, point {s.index} (y = {s.y:+d})\n"
                               f"score w·x + b = {s.score:.2f} before the step\n{verdict}")
        self.m_now.set_xdata([r.position, r.position])
        self.m_line.set_data(np.arange(r.position + 1), self.counts[:r.position + 1])

    def describe(self):
        r = self.result
        run, s = r.run, r.step
        res = run.result
        bound = f"bound {run.bound.bound:.0f}" if np.isfinite(run.bound.bound) else "no bound (not separated)"
        if s is None:
            head = f"start, w = 0; {plural(len(run.y), 'point')}, {plural(len(run), 'recorded step')}"
        else:
            what = "misclassified" if s.mistake else "correctly classified"
            head = f"epoch {s.epoch}, point {s.index} {what}, {plural(r.mistakes, 'mistake')} so far, {bound}"
        epochs, mistakes = plural(res.epochs, "epoch"), plural(res.mistakes, "mistake")
        if r.position == len(run):  # the model's ``res.message``, in the right number
            tail = (f"converged: epoch {res.epochs} had no mistakes ({mistakes} in all)" if res.converged else
                    f"not converged after {epochs} ({mistakes}): every epoch still had a mistake, so the data "
                    "may not be linearly separable")
        else:
            tail = (f"this run converges in {epochs} with {mistakes}" if res.converged
                    else f"this run does not converge within {epochs}: the data may not be separable")
        return f"{head}; {tail}."
