"""DoubleDescent: test error against the number of random features p, with its peak at p = n (lecture 9).

The model is ``generalization.double_descent``: n evenly spaced points of sin(2 pi x) on [-1, 1] plus noise,
fitted by least squares of least norm (ridge with a penalty) on p random Fourier features
``generalization.random_features``. The fit at the current p is the model's, recomputed from its public parts.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .. import generalization as gen
from ..words import plural
from .base import OKABE_ITO, Explorer, Setting, memo

DOMAIN, P_MAX, FLOOR, ERR_TOP = (-1.0, 1.0), 240, 1e-6, 1e2
X_PLOT = np.linspace(*DOMAIN, 401)
PENALTIES = (("none (least norm)", "none"), ("L2 (ridge)", "l2"))


def wave(x):
    """The true function: f(x) = sin(2 pi x) (``double_descent``'s default, passed to it explicitly)."""
    return np.sin(2 * np.pi * np.asarray(x, dtype=float))


def feature_counts(n):
    """The p of the error curves: 40 spaced evenly in log from 1 to P_MAX, and every p within 3 of n."""
    ps = np.r_[np.round(np.geomspace(1, P_MAX, 40)), np.arange(n - 3, n + 4)]
    return tuple(int(p) for p in np.unique(ps) if 1 <= p <= P_MAX)


def fit_at(n, p, noise, lam, seed, scale):
    """``double_descent``'s fit with p features, from its parts: the n evenly spaced x, y = f(x) + noise
    N(0, 1) from ``default_rng(seed)``, the weights of ``ridge`` on ``random_features`` (no weight special),
    and the fitted curve on X_PLOT."""
    x = np.linspace(*DOMAIN, n)
    y = wave(x) + noise * np.random.default_rng(seed).standard_normal(n)
    w = gen.ridge(gen.random_features(x, p, seed, scale), y, lam, penalise_bias=True)
    return SimpleNamespace(x=x, y=y, w=w, curve=gen.random_features(X_PLOT, p, seed, scale) @ w)


class DoubleDescent(Explorer):
    """Fit n noisy points with p random features: the test error rises towards p = n, where the fit must
    pass through every point, and falls again beyond it (the least-norm fit gets smoother as p grows).
    A ridge penalty flattens the peak. Click the error panel to pick p."""

    figsize = (9.8, 4.2)

    settings = (
        Setting("p", 20, "random features p", low=1, high=P_MAX, integer=True),
        Setting("n", 20, "training points n", low=6, high=60, integer=True),   # n = 5: sin(2πx) is 0 at every x
        Setting("noise", 0.2, "noise σ", low=0.0, high=1.0, step=0.05),
        Setting("penalty", "none", "penalty", options=PENALTIES, buttons=True, width="140px"),
        Setting("lam", 1e-3, "ridge λ", low=1e-6, high=1e2, step=0.1, log=True, readout=".1e"),
        Setting("seed", 2, low=0, integer=True),   # a draw whose peak sits at p = n (seed 0's is at p = 29)
    )

    def lam(self, s):
        return 0.0 if s["penalty"] == "none" else s["lam"]

    resample = ("new features and noise", "draw new random features and new noise (seed + 1)")

    def refresh_controls(self):
        self.controls["lam"].disabled = self._state["penalty"] == "none"

    def on_click(self, ax, x, y):
        """A click on the error or norm panel picks the number of features there."""
        if ax not in (self.ax_err, self.ax_norm):
            return None
        p = int(np.clip(round(x), 1, P_MAX))
        return {"p": p} if p != self._state["p"] else None

    # ------------------------------------------------------------------ model
    def compute(self, s):
        lam, n, seed = self.lam(s), s["n"], s["seed"]
        # the features and their SVDs kept apart: a new noise or λ reuses them
        curve, at = (memo(gen.double_descent, n, ps, s["noise"], lam, seed, f=wave,
                          features=memo(gen.RandomFeatures, n, ps, seed)) for ps in (feature_counts(n), (s["p"],)))
        fit = memo(fit_at, s["n"], s["p"], s["noise"], lam, s["seed"], curve.scale)
        return SimpleNamespace(curve=curve, at=at, fit=fit)

    # ------------------------------------------------------------------ figure
    def setup(self, fig):
        axes = fig.subplot_mosaic([["err", "fit"], ["norm", "fit"]], width_ratios=[1.25, 1], height_ratios=[2.3, 1])
        self.ax_err, self.ax_norm, self.ax_fit = axes["err"], axes["norm"], axes["fit"]
        e, m, a = self.ax_err, self.ax_norm, self.ax_fit
        for ax in (e, m, a):
            ax.set_axisbelow(True)   # below what changes in it: a frame draws only what changed
            ax.grid(alpha=0.3)
        (self.l_train,) = e.plot([], [], "o-", ms=2.5, lw=1.5, color="black", label="training error")
        (self.l_test,) = e.plot([], [], "s--", ms=2.5, lw=1.5, color=OKABE_ITO["vermillion"], label="test error")
        self.l_noise = e.axhline(1, color="0.45", lw=1, ls=":", label="noise σ²")
        (self.m_err,) = e.plot([], [], "o", ms=8, mfc="none", mec="black", mew=1.3, label="current p")
        (self.l_norm,) = m.plot([], [], "o-", ms=2.5, lw=1.5, color=OKABE_ITO["blue"], label="weight norm ‖w‖")
        (self.m_norm,) = m.plot([], [], "o", ms=8, mfc="none", mec="black", mew=1.3)
        self.thresholds = [ax.axvline(1, color=OKABE_ITO["green"], lw=2, ls="-.", label="p = n (threshold)")
                           for ax in (e, m)]
        self.nows = [ax.axvline(1, color="black", lw=1, ls=":") for ax in (e, m)]
        for ax in (e, m):
            ax.set(xscale="log", yscale="log", xlim=(0.8, P_MAX * 1.25))
            ax.xaxis.set_major_locator(FixedLocator([1, 3, 10, 30, 100]))
            # the y labels all of one width ("1e-04"): a new range does not lay the figure out again
            for axis, form in ((ax.xaxis, "g"), (ax.yaxis, ".0e")):
                axis.set_major_formatter(FuncFormatter(lambda v, _, form=form: format(v, form)))
                axis.set_minor_locator(NullLocator())
        e.tick_params(labelbottom=False)
        e.set(ylabel="mean squared error")
        e.set_title("error against the number of features", y=1.0, pad=6)
        m.set(xlabel="random features p", ylabel="‖w‖")
        self.floor_note = e.text(0.03, 0.03, f"errors below {FLOOR:g} drawn at {FLOOR:g}", transform=e.transAxes,
                                 fontsize=9, color="0.25", va="bottom", visible=False,
                                 bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1})
        (self.l_truth,) = a.plot(X_PLOT, wave(X_PLOT), color="black", lw=1.5, ls="--", label="true f(x) = sin(2πx)")
        (self.l_fit,) = a.plot([], [], color=OKABE_ITO["blue"], lw=2, label="fit with p features")
        (self.l_data,) = a.plot([], [], "o", ms=5, mfc=OKABE_ITO["orange"], mec="black", mew=0.6,
                                label="training points")
        a.set(xlabel="input x", ylabel="output y", xlim=(-1.05, 1.05))
        a.set_title(" ", y=1.0, pad=6)
        fig.legend(handles=[self.l_data, self.l_truth, self.l_fit, self.l_train, self.l_test, self.l_noise,
                            self.l_norm, self.thresholds[0]], loc="outside lower center", ncol=4, fontsize=9,
                   frameon=False)

    def draw(self, r):
        s, c, at = self._state, r.curve, r.at
        p, n = s["p"], s["n"]
        train, test = np.maximum(c.train_error, FLOOR), np.maximum(c.test_error, FLOOR)
        self.l_train.set_data(c.ps, train)
        self.l_test.set_data(c.ps, test)
        self.l_norm.set_data(c.ps, c.norm)
        self.m_err.set_data([p, p], [max(at.train_error[0], FLOOR), max(at.test_error[0], FLOOR)])
        self.m_norm.set_data([p], [at.norm[0]])
        for line in self.thresholds:
            line.set_xdata([n, n])
        for line in self.nows:
            line.set_xdata([p, p])
        self.l_noise.set_ydata([max(s["noise"] ** 2, FLOOR)] * 2)
        self.l_noise.set_visible(s["noise"] > 0)
        self.floor_note.set_visible(bool(np.any(c.train_error < FLOOR)))
        low = FLOOR / 100 if self.floor_note.get_visible() else 10.0 ** np.floor(np.log10(train.min() / 2))
        # whole decades; wilder errors than ERR_TOP leave through the top
        top = float(np.clip(10.0 ** np.ceil(np.log10(2 * test.max())), 1.0, ERR_TOP))
        self.ax_err.set_ylim(min(low, 1e-2), top)
        norms = c.norm[c.norm > 0]
        lo, hi = (norms.min(), norms.max()) if norms.size else (1.0, 1.0)
        self.ax_norm.set_ylim(10.0 ** np.floor(np.log10(lo / 2)), min(10.0 ** np.ceil(np.log10(hi * 2)), 1e6))
        fit = r.fit
        top = max(1.5, np.ceil(2 * (np.max(np.abs(fit.y)) + 0.25)) / 2)   # by the points: a wild fit leaves
        self.ax_fit.set_ylim(-top, top)
        self.l_data.set_data(fit.x, fit.y)
        self.l_fit.set_data(X_PLOT, np.clip(fit.curve, -10 * top, 10 * top))
        self.ax_fit.set_title(f"the fit with {plural(p, 'feature')} to {plural(n, 'point')}", y=1.0, pad=6)

    def describe(self):
        s, c, at = self._state, self.result.curve, self.result.at
        p, n = s["p"], s["n"]
        where = "below" if p < n else "at" if p == n else "beyond"
        penalty = "least norm (λ = 0)" if s["penalty"] == "none" else f"ridge λ = {s['lam']:.3g}"
        text = (f"{plural(p, 'random feature')} for {plural(n, 'training point')} ({where} the threshold p = n), "
                f"{penalty}: train {at.train_error[0]:.3g}, test {at.test_error[0]:.3g}, ‖w‖ {at.norm[0]:.3g}")
        if at.train_error[0] < FLOOR:
            text += " (the fit passes through every training point)"
        near = [i for i, q in enumerate(c.ps) if n / 2 <= q <= 2 * n]
        peak = near[int(np.argmax(c.test_error[near]))]
        best = int(np.argmin(c.test_error))
        text += (f". Near the threshold the test error peaks at p = {c.ps[peak]} ({c.test_error[peak]:.3g}); "
                 f"the lowest over p = 1…{P_MAX} is {c.test_error[best]:.3g} at p = {c.ps[best]}")
        if c.test_error.max() > ERR_TOP:
            text += f" (errors above {ERR_TOP:g} leave the panel through its top)"
        return text + "."
