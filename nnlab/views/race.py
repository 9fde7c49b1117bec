"""OptimizerRace: six optimisers from one start point on one surface."""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from .. import optim, surfaces
from .base import OKABE_ITO, Explorer, Setting, memo, round_up

# Six Okabe-Ito colours that stay apart for colour-blind eyes: not both of its blues (sky and blue, SGD's
# and Adam's before) and not its yellow (too pale on white); the line styles differ as well.
COLOURS = dict(zip(optim.RACE, (OKABE_ITO[c] for c in ("black", "orange", "green", "vermillion", "purple",
                                                          "blue"))))
STYLES = dict(zip(optim.RACE, ["-", "--", "-.", ":", "-", "--"]))
GRID = 160


def _log(name, default, label):
    return Setting(name, default, label, low=1e-4, high=2.0, step=0.05, log=True, expensive=True)


def _start(name, label):
    return Setting(name, None, label, low=-4.0, high=4.0, step=0.05, expensive=True, optional=True)


def _surface(name, kappa, theta):
    """The named surface; the quadratic bowl with condition number kappa, rotated by theta degrees."""
    return surfaces.quadratic(kappa, np.deg2rad(theta)) if name == "quadratic" else surfaces.make(name)


def _race(surface, x0, y0, steps, noise, lr, lr_adaptive, rho, beta1, beta2):
    """The six optimisers of the lecture raced from (x0, y0) on ``surface``."""
    opts = optim.race_optimizers(lr, lr_adaptive, rho, beta1, beta2)
    return surfaces.race(opts, surface, (x0, y0), steps, noise, seed=0)


class OptimizerRace(Explorer):
    """Optimisers racing downhill. The bowl is 1/2 x^T H x with eigenvalues 1 and kappa, rotated by theta."""

    figsize = (10.0, 3.9)

    settings = (
        Setting("surface", "quadratic", "surface", options=tuple(surfaces.SURFACES), width="200px"),
        Setting("kappa", 20.0, "condition number κ", low=1.0, high=1000.0, step=0.05, log=True, expensive=True),
        Setting("theta", 30.0, "rotation θ (degrees)", low=0.0, high=90.0, step=1, expensive=True),
        _log("lr", 0.05, "lr (SGD family)"),
        _log("lr_adaptive", 0.1, "lr (adaptive)"),
        Setting("rho", 0.9, "momentum ρ", low=0.0, high=0.999, step=0.001, expensive=True, readout=".3f"),
        Setting("beta1", 0.9, "Adam β1", low=0.0, high=0.999, step=0.001, expensive=True, readout=".3f"),
        Setting("beta2", 0.999, "β2 (RMSProp, Adam)", low=0.9, high=0.9999, step=0.0001, expensive=True,
                readout=".4f"),
        Setting("noise", 0.0, "gradient noise σ", low=0.0, high=5.0, step=0.05, expensive=True),
        Setting("steps", 200, "steps", low=10, high=1000, integer=True, expensive=True),
        # None: the surface's own start point, and the last step
        _start("x0", "start x"),
        _start("y0", "start y"),
        Setting("frame", None, "show steps up to", low=0, integer=True, optional=True),  # up to ``steps``
        *(Setting(f"show_{name}", name in ("SGD", "momentum", "Adam"), name, width="105px") for name in optim.RACE),
    )

    def declared(self, state):
        """The frame slider ends at the number of steps."""
        steps = self.declaration("steps").validate(state["steps"])
        return tuple(replace(s, high=steps) if s.name == "frame" else s for s in type(self).settings)

    def validate(self, state):
        s = dict(state)
        old = getattr(self, "_state", None)
        if old is not None and s["steps"] != old["steps"] and s["frame"] == old["frame"]:
            s["frame"] = s["steps"]  # more or fewer steps: show them all
        s = super().validate(s)
        start = self._surface(s).start
        if old is not None and old["surface"] != s["surface"] and (s["x0"], s["y0"]) == (old["x0"], old["y0"]):
            s["x0"] = s["y0"] = None  # a new surface starts at its own start
        for key, k in (("x0", 0), ("y0", 1)):
            if s[key] is None:
                s[key] = float(np.round(start[k], 2))
        if s["frame"] is None:
            s["frame"] = s["steps"]
        return s

    @staticmethod
    def _surface(s):
        quadratic = s["surface"] == "quadratic"
        return memo(_surface, s["surface"], s["kappa"] if quadratic else None, s["theta"] if quadratic else None)

    def make_controls(self):
        c = super().make_controls()
        self.play = widgets.Play(value=self._state["frame"], min=0, max=self._state["steps"], step=2, interval=60,
                                 description="play")
        widgets.jslink((self.play, "value"), (c["frame"], "value"))
        return {**c, "play": self.play}

    def refresh_controls(self):
        s, c = self._state, self.controls
        c["frame"].max = s["steps"]
        self.play.max = s["steps"]
        if self.play.value > s["steps"] or self.play.value != s["frame"] and getattr(self, "result", None) is None:
            self.play.value = s["frame"]
        quad = s["surface"] == "quadratic"
        c["kappa"].disabled = c["theta"].disabled = not quad

    def on_click(self, ax, x, y):
        """A click on the contour plot starts the race there."""
        if ax is not self.ax:
            return None
        return {"x0": float(np.clip(np.round(x, 2), -4, 4)), "y0": float(np.clip(np.round(y, 2), -4, 4))}

    def layout(self):
        c = self.controls
        row = lambda *names: widgets.HBox([c[n] for n in names], layout={"flex_flow": "row wrap"})
        return widgets.VBox([row("surface", "kappa", "theta"), row(*[f"show_{n}" for n in optim.RACE]),
                             row("lr", "lr_adaptive", "rho"), row("beta1", "beta2", "noise"),
                             widgets.HBox([c["steps"], c["x0"], c["y0"],
                                           widgets.Label("(or click the contour plot)")],
                                          layout={"flex_flow": "row wrap"}),
                             widgets.HBox([c["frame"], widgets.Label("race:"), c["play"]]),
                             self.image, self.caption])

    # ----------------------------------------------------------------- figure
    def setup(self, fig):
        self.ax, self.ax_l, self.ax_e = fig.subplots(1, 3, width_ratios=[1.15, 1, 1])
        self.lines, self.heads, self.loss_lines, self.e1, self.e2 = {}, {}, {}, {}, {}
        for n in optim.RACE:
            col, ls = COLOURS[n], STYLES[n]
            self.lines[n] = self.ax.plot([], [], color=col, ls=ls, lw=1.6, label=n)[0]
            self.heads[n] = self.ax.plot([], [], "o", color=col, ms=5)[0]
            self.loss_lines[n] = self.ax_l.plot([], [], color=col, ls=ls, lw=1.6, label=n)[0]
            self.e1[n] = self.ax_e.plot([], [], color=col, ls="-", lw=1.4)[0]
            self.e2[n] = self.ax_e.plot([], [], color=col, ls=":", lw=1.4)[0]
        self.start = self.ax.plot([], [], "k*", ms=10, label="start")[0]
        self.minima = self.ax.plot([], [], "kx", ms=8, mew=2, label="minimum")[0]
        self.ax.set(xlabel="x", ylabel="y", title="trajectories on the contours")
        self.ax_l.set(xlabel="step", ylabel="f − (lowest f on the plot)", yscale="log", title="loss")
        self.ax_e.set(xlabel="step", ylabel="|error| along eigenvector (log)", yscale="log",
                      title="solid: eigenvalue 1, dotted: κ")
        for ax in (self.ax_l, self.ax_e):
            ax.yaxis.set_major_locator(LogLocator(numticks=6))
            ax.yaxis.set_minor_locator(NullLocator())
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}"))
            ax.grid(alpha=0.3)
        self.settings_text = fig.suptitle("settings", fontsize=9, color="0.25")
        self.note = self.ax_e.text(0.5, 0.5, "", transform=self.ax_e.transAxes, ha="center", va="center", fontsize=9,
                                   color="0.35")
        self.contours = None
        self._static_key = self._window = None
        self.legend = None
        self._legend_key = None

    def compute(self, s):
        surf = self._surface(s)
        runs = memo(_race, surf, s["x0"], s["y0"], s["steps"], s["noise"], s["lr"], s["lr_adaptive"], s["rho"],
                    s["beta1"], s["beta2"])
        shown = [n for n in optim.RACE if s[f"show_{n}"]]
        return SimpleNamespace(surface=surf, runs=runs, floor=memo(surfaces.grid_minimum, surf), shown=shown,
                               frame=s["frame"])

    def _draw_static(self, r):
        """The background: contours, start and minima, axis ranges (surface, start and steps only)."""
        s, surf = self._state, r.surface
        ax = self.ax
        # the surface's window, widened to keep the start point in view
        xlim = (min(surf.xlim[0], s["x0"] - 0.25), max(surf.xlim[1], s["x0"] + 0.25))
        ylim = (min(surf.ylim[0], s["y0"] - 0.25), max(surf.ylim[1], s["y0"] + 0.25))
        window = (s["surface"], s["kappa"], s["theta"], xlim, ylim)
        if window != self._window:  # a start point that moves inside the window keeps the contours
            self._window = window
            if self.contours is not None:
                self.contours.remove()
            gx, gy = np.meshgrid(np.linspace(*xlim, GRID), np.linspace(*ylim, GRID))
            F = surf.f(np.stack([gx, gy], -1)) - r.floor
            levels = np.quantile(F, np.linspace(0.02, 0.98, 14) ** 2)
            self.contours = ax.contour(gx, gy, F, levels=np.unique(levels), colors="0.55", linewidths=0.7)
            ax.set_xlim(*xlim)
            ax.set_ylim(*ylim)
        self.start.set_data([s["x0"]], [s["y0"]])
        mins = np.array(surf.minima) if surf.minima else np.empty((0, 2))
        self.minima.set_data(mins[:, 0], mins[:, 1])
        quad = s["surface"] == "quadratic"
        self.note.set_text("" if quad else "the eigenvector view\nis for the quadratic bowl")
        f0 = max(float(surf.f(np.array([s["x0"], s["y0"]]))) - r.floor, 1e-6)
        self.ax_l.set_xlim(0, s["steps"])
        # ranges in whole decades: the optimiser settings change the curves, not the axes, and so
        # does a start point moved within a decade of f
        self.ax_l.set_ylim(1e-12, round_up(1e4 * f0, log=True))
        self.ax_e.set_xlim(0, s["steps"])
        self.ax_e.set_ylim(1e-12, round_up(10 * max(abs(s["x0"]), abs(s["y0"]), 1.0), log=True))

    def _draw_legend(self, shown):
        """The key below the figure: the optimisers shown, the start and the minimum."""
        if self.legend is not None:
            self.legend.remove()
        self.legend = self.fig.legend(handles=[self.lines[n] for n in shown] + [self.start, self.minima],
                                      loc="outside lower center", ncol=8, fontsize=9, frameon=False)

    def draw(self, r):
        s = self._state
        static_key = (s["surface"], s["kappa"], s["theta"], s["x0"], s["y0"], s["steps"])
        if static_key != self._static_key:
            self._static_key = static_key
            self._draw_static(r)
        self.settings_text.set_text(f"{r.surface.name}; lr {s['lr']:.3g} (SGD family), {s['lr_adaptive']:.3g} "
                               f"(adaptive); ρ {s['rho']:g}; β1 {s['beta1']:g}, β2 {s['beta2']:g}; "
                               f"gradient noise σ {s['noise']:g}")
        quad = s["surface"] == "quadratic"
        V = surfaces.eigvecs(np.deg2rad(s["theta"]))
        for n in optim.RACE:
            tr = r.runs[n]
            on = n in r.shown
            upto = min(r.frame, tr.steps)
            self.lines[n].set_data(tr.path[:upto + 1, 0], tr.path[:upto + 1, 1])
            self.heads[n].set_data([tr.path[upto, 0]], [tr.path[upto, 1]])
            gap = np.maximum(tr.loss - r.floor, 1e-16)
            self.loss_lines[n].set_data(np.arange(len(gap)), gap)
            proj = np.abs(tr.path @ V) if quad else np.empty((0, 2))
            self.e1[n].set_data(np.arange(len(proj)), np.maximum(proj[:, 0], 1e-16))
            self.e2[n].set_data(np.arange(len(proj)), np.maximum(proj[:, 1], 1e-16))
            for artist in (self.lines[n], self.heads[n], self.loss_lines[n]):
                artist.set_visible(on)
            self.e1[n].set_visible(on and quad)
            self.e2[n].set_visible(on and quad)
        if tuple(r.shown) != self._legend_key:  # after the lines' visibility: a legend copies it
            self._legend_key = tuple(r.shown)
            self._draw_legend(r.shown)

    def readout(self, name):
        tr = self.result.runs[name]
        if tr.diverged:
            return f"{name}: {tr.diverged}"
        hit = tr.steps_to(1e-6, self.result.floor)
        reach = f"reached f − min ≤ 1e-6 at step {hit}" if hit is not None else "never within 1e-6"
        return f"{name}: final f − min {tr.loss[-1] - self.result.floor:.2g}, {reach}"

    def describe(self):
        r, s = self.result, self._state
        where = r.surface.name
        if not r.shown:
            return f"{where}: no optimiser selected; tick one of the boxes."
        return f"{where}, {s['steps']} steps from ({s['x0']:g}, {s['y0']:g}): " + "; ".join(
            self.readout(n) for n in r.shown) + "."
