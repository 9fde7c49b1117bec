"""RegularizationPath: every weight of a polynomial fit against the penalty λ, for L2 and L1 side by side
(lecture 9): ridge shrinks all weights smoothly, the lasso sets them exactly to 0 one after another.

The model is ``generalization.path`` (ridge; the lasso's exact path), on the Legendre features of the data
of ``PolynomialFit`` (n points of sin(pi x) plus noise). The constant w0 is not penalised and not drawn.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from .. import generalization as gen
from ..words import plural
from .base import OKABE_ITO, Explorer, Setting, memo, round_up
from .polyfit import BASIS, X_PLOT, sample, truth

LAM_LOW, LAM_HIGH = 1e-6, 1e2
LAMS = np.geomspace(LAM_LOW, LAM_HIGH, 49)   # 6 a decade
MAX_DEGREE = 20
# the weights' colours by degree k, dark (low k) to green: the light end of viridis reads badly on white
CMAP = ListedColormap(colormaps["viridis"](np.linspace(0.0, 0.78, 256)))
# the objectives (scikit-learn's Ridge and Lasso): ‖y − Xw‖² + λ‖w‖² and ‖y − Xw‖²/2n + λ‖w‖₁
TITLES = {"l2": "ridge (L2): penalty λ‖w‖²", "l1": "lasso (L1): penalty λ‖w‖₁"}


def paths(x, y, degree, lams=LAMS):
    """The ridge and lasso paths over ``lams`` of the Legendre fit of ``degree`` to (x, y)."""
    X, y = gen.features(np.asarray(x), degree, BASIS), np.asarray(y)
    return SimpleNamespace(l2=gen.path(X, y, lams, "l2"), l1=gen.path(X, y, lams, "l1"))


class RegularizationPath(Explorer):
    """The weights w1…wd of a Legendre polynomial fit against λ, ridge (L2) and lasso (L1) side by side, with
    the two fits at the current λ. Click a path panel to pick λ there."""

    figsize = (10.4, 4.2)

    settings = (
        Setting("lam", 0.03, "penalty λ", low=LAM_LOW, high=LAM_HIGH, step=0.05, log=True, readout=".2e"),
        Setting("degree", 10, "degree", low=1, high=MAX_DEGREE, integer=True),
        Setting("n", 20, "training points n", low=5, high=100, integer=True),
        Setting("noise", 0.2, "noise σ", low=0.0, high=1.0, step=0.05),
        Setting("seed", 0, low=0, integer=True),
    )

    resample = ("new training sample", "draw new training points (seed + 1)")

    def on_click(self, ax, x, y):
        """A click on a path panel picks λ there."""
        if ax not in self.ax_path.values():
            return None
        lam = float(f"{np.clip(x, LAM_LOW, LAM_HIGH):.3g}")   # x is λ itself (a log axis)
        return {"lam": lam} if lam != self._state["lam"] else None

    # ------------------------------------------------------------------ model
    def compute(self, s):
        x, y = (tuple(v) for v in memo(sample, s["n"], s["noise"], s["seed"]))
        p = memo(paths, x, y, s["degree"])
        at = memo(paths, x, y, s["degree"], (s["lam"],))
        now = SimpleNamespace(l2=at.l2.coef[0], l1=at.l1.coef[0])
        features = gen.features(X_PLOT, s["degree"], BASIS)
        return SimpleNamespace(x=np.array(x), y=np.array(y), paths=p, now=now,
                               curves={k: features @ w for k, w in (("l2", now.l2), ("l1", now.l1))})

    # ------------------------------------------------------------------ figure
    def setup(self, fig):
        axes = fig.subplot_mosaic([["l2", "l1", "fit"], ["key", "key", "fit"]], width_ratios=[1, 1, 1.05],
                                  height_ratios=[1, 0.05])
        self.ax_path, self.ax_fit, self.ax_key = {k: axes[k] for k in ("l2", "l1")}, axes["fit"], axes["key"]
        self.lines, self.dots, self.nows, self._paths_drawn = {}, {}, {}, None
        for key, ax in self.ax_path.items():
            ax.set_axisbelow(True)   # below what changes in it: a frame draws only what changed
            ax.grid(alpha=0.3)
            ax.axhline(0, color="0.4", lw=0.8)
            self.lines[key] = ax.add_collection(LineCollection([], linewidths=1.4))   # w1…wd against λ
            self.dots[key] = ax.scatter([], [], s=18, c=[], cmap=CMAP, edgecolors="black", linewidths=0.5, zorder=3)
            self.nows[key] = ax.axvline(1, color="black", lw=1, ls=":")
            ax.set(xscale="log", xlim=(LAM_LOW, LAM_HIGH), xlabel="penalty λ (log scale)")
            ax.xaxis.set_major_locator(FixedLocator([1e-6, 1e-4, 1e-2, 1, 100]))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace("e-0", "e-")))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
            ax.set_title(TITLES[key] + "\n ", y=1.0, pad=6, fontsize=10)
        self.ax_path["l2"].set_ylabel(r"weight $w_k$ of $P_k(x)$")
        a = self.ax_fit
        a.set_axisbelow(True)
        a.grid(alpha=0.3)
        (self.l_truth,) = a.plot(X_PLOT, truth(X_PLOT), color="black", lw=1.5, ls="--", label="true f(x) = sin(πx)")
        (self.l_data,) = a.plot([], [], "o", ms=5, mfc=OKABE_ITO["orange"], mec="black", mew=0.6,
                                label="training points")
        self.fits = {"l2": a.plot([], [], color=OKABE_ITO["blue"], lw=2, label="L2 fit at λ")[0],
                     "l1": a.plot([], [], color=OKABE_ITO["vermillion"], lw=2, ls=(0, (5, 1.5)),
                                  label="L1 fit at λ")[0]}
        a.set(xlabel="input x", ylabel="output y", xlim=(-1.08, 1.08))
        a.set_title("the two fits at λ\n ", y=1.0, pad=6, fontsize=10)
        # the key to the weights' colours: one cell per degree k (its norm, extent and ticks changed in place)
        self.norm = Normalize(1, 10)
        self.key = self.ax_key.imshow(np.arange(1.0, 11.0)[None], cmap=CMAP, norm=self.norm, aspect="auto",
                                      extent=(0.5, 10.5, 0, 1), interpolation="nearest")
        self.ticks = FixedLocator(np.arange(1, 11))
        self.ax_key.xaxis.set_major_locator(self.ticks)
        self.ax_key.set(yticks=[], xlim=(0.5, 10.5))
        self.ax_key.set_xlabel(r"degree $k$ of the weight $w_k$ ($w_0$, not penalised, is not drawn)", fontsize=9)
        self.ax_key.tick_params(labelsize=9)
        fig.legend(handles=[self.l_data, self.l_truth, self.fits["l2"], self.fits["l1"]], loc="outside lower right",
                   ncol=2, fontsize=9, frameon=False)

    def draw(self, r):
        s, p, now = self._state, r.paths, r.now
        d = s["degree"]
        ks = np.arange(1, d + 1)
        if self.norm.vmax != max(d, 2):   # the colours spread over the degrees shown, the key with them
            self.norm.vmax = max(d, 2)
            self.key.set_data(ks[None].astype(float))
            self.key.set_extent((0.5, d + 0.5, 0, 1))
            self.ax_key.set_xlim(0.5, d + 0.5)
            self.ticks.locs = ks if d <= 10 else ks[ks % 2 == 0] if d <= 16 else np.r_[1, ks[ks % 5 == 0]]
        # the weights' own range (a little room), at most 10: wilder weights (a fit with d near n at small λ)
        # leave through the edges
        big = max(np.abs(p.l2.coef[:, 1:]).max(), np.abs(p.l1.coef[:, 1:]).max(), 0.1)
        edge = min(round_up(1.15 * big), 10.0)
        new_paths, self._paths_drawn = p is not self._paths_drawn, p    # a new λ only moves the markers
        for key, ax in self.ax_path.items():
            coef, w = getattr(p, key).coef, getattr(now, key)
            if new_paths:
                self.lines[key].set_segments([np.c_[LAMS, np.clip(coef[:, k], -3 * edge, 3 * edge)] for k in ks])
                self.lines[key].set_color(CMAP(self.norm(ks)))
            self.dots[key].set_offsets(np.c_[np.full(d, s["lam"]), np.clip(w[1:], -1.5 * edge, 1.5 * edge)])
            self.dots[key].set_array(ks.astype(float))
            self.dots[key].set_norm(self.norm)
            self.nows[key].set_xdata([s["lam"], s["lam"]])
            ax.set_ylim(-edge, edge)
            zeros = int(np.sum(w[1:] == 0))
            ax.set_title(f"{TITLES[key]}\nat λ = {s['lam']:.3g}: {zeros} of {d} exactly 0",
                         y=1.0, pad=6, fontsize=10)
        top = max(1.5, np.ceil(2 * (np.max(np.abs(r.y)) + 0.25)) / 2)   # by the points: a wild fit leaves
        self.ax_fit.set_ylim(-top, top)
        self.l_data.set_data(r.x, r.y)
        for key, line in self.fits.items():
            line.set_data(X_PLOT, np.clip(r.curves[key], -10 * top, 10 * top))

    def describe(self):
        s, now, p = self._state, self.result.now, self.result.paths
        d = s["degree"]
        zeros = {key: int(np.sum(getattr(now, key)[1:] == 0)) for key in ("l1", "l2")}
        all_zero = np.all(p.l1.coef[:, 1:] == 0, axis=1)
        first = LAMS[np.argmax(all_zero)] if all_zero.any() else None
        text = (f"degree {d} on {plural(s['n'], 'training point')} (noise σ = {s['noise']:g}), λ = {s['lam']:.3g}: "
                + ("ridge (L2) shrinks the weights but sets none exactly to 0" if not zeros["l2"] else
                   f"ridge (L2) sets {zeros['l2']} of {d} exactly to 0")
                + f" (largest |w| {np.abs(now.l2[1:]).max():.3g}); the lasso (L1) sets {zeros['l1']} of {d} exactly "
                f"to 0")
        if zeros["l1"] < d:
            kept = [str(k) for k in range(1, d + 1) if now.l1[k] != 0]
            text += f", keeping w{', w'.join(kept)}"
        if first is not None:
            text += f". From λ ≈ {first:.2g} up the lasso's weights are all 0 (only the constant is left)"
        return text + "."
