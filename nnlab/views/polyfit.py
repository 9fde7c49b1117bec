"""PolynomialFit: under- and overfitting with polynomials of rising degree, and what a penalty does (lecture 9).

The model is ``nnlab.generalization``: Legendre features, ``ridge`` and ``lasso`` (scikit-learn's scales:
ridge |y - X w|^2 + lam |w|^2, lasso |y - X w|^2 / (2n) + lam |w|_1), ``bias_variance``. The data are
n points y = sin(pi x) + noise, x uniform on [-1, 1], from ``default_rng(seed)``; your clicked points join them.
"""
from __future__ import annotations

from types import SimpleNamespace

import ipywidgets as widgets
import numpy as np
from matplotlib.path import Path
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .. import _validate as valid
from .. import generalization as gen
from ..words import number, plural
from .base import OKABE_ITO, Explorer, Setting, ink_on, memo

BASIS, DOMAIN, MAX_DEGREE = "legendre", (-1.0, 1.0), 20
DEGREES = np.arange(MAX_DEGREE + 1)
X_TEST = np.linspace(*DOMAIN, 201)     # the test error: mean over these x of (fit - f)^2, plus noise^2
X_PLOT = np.linspace(*DOMAIN, 401)
RESAMPLES = 100                        # training sets behind the bias-variance bars
FLOOR = 1e-6                           # errors below it (an interpolating fit) are drawn at it, and said so
BAR_LIMITS = (1e-4, 1e4)               # the bars' fixed log axis: taller bars are cut at the top, and say so
ERR_TOP = 1e3                          # the error panel's top: wilder test errors leave through it
MAX_POINTS = 40
PENALTIES = (("none", "none"), ("L2 (ridge)", "l2"), ("L1 (lasso)", "l1"))
LAM = Setting("lam", 1e-2, "penalty λ", low=1e-8, high=1e2, step=0.1, log=True, readout=".1e")
COLOURS = {"data": OKABE_ITO["orange"], "own": OKABE_ITO["vermillion"], "fit": OKABE_ITO["blue"],
           "train": OKABE_ITO["black"], "test": OKABE_ITO["vermillion"]}
BARS = (("bias²", OKABE_ITO["blue"]), ("variance", OKABE_ITO["vermillion"]), ("noise", OKABE_ITO["green"]),
        ("error", "0.3"))
# where a new point goes: a ring with four ticks, a shape no data point has
RETICLE = Path.make_compound_path(Path.circle((0, 0), 0.5), *(Path([(a * 0.5, b * 0.5), (a, b)]) for a, b in
                                                              ((1, 0), (-1, 0), (0, 1), (0, -1))))
# the training sets behind the bars: the n x on an even grid with new noise (the lecture's table), or new random
# x too (a set with a gap lets a high degree swing without limit there: variances of 1e5 at degree 9 and n = 20)
DESIGNS = (("x on a grid, new noise", "grid"), ("new random x and noise", "random"))
DESIGN_WORDS = {"grid": "x on a grid", "random": "random x"}
L1_NOTE = ("bias–variance by resampling\nis computed for ridge (L2)\nand no penalty only\n\n"
           "this lasso fit: {zeros} of its\n{d} weights beyond the\nconstant are exactly 0")


def truth(x):
    """The true function of lecture 9's pictures: f(x) = sin(pi x) on [-1, 1]."""
    return np.sin(np.pi * np.asarray(x, dtype=float))


SIGNAL = float(np.var(truth(X_TEST)))  # the variance of f over [-1, 1] (1/2): what "a large error" is measured by


def sample(n, noise, seed):
    """n training points: x uniform on [-1, 1], y = f(x) + noise N(0, 1), both from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(*DOMAIN, n)
    return x, truth(x) + noise * rng.standard_normal(n)


def degree_fits(x, y, noise, penalty, lam):
    """For each degree 0..20 the fit to (x, y) (ridge at lam, least squares at lam = 0, or the lasso from its
    exact path), its training error (mean squared) and test error (mean over X_TEST of (fit - f)^2, plus
    noise^2)."""
    x, y = np.asarray(x), np.asarray(y)
    f_test, weights, train, test = truth(X_TEST), [], [], []
    for d in DEGREES:
        X = gen.features(x, d, BASIS)
        w = gen.path(X, y, [lam], "l1").coef[0] if penalty == "l1" else gen.ridge(X, y, lam)
        weights.append(w)
        train.append(np.mean((X @ w - y) ** 2))
        test.append(np.mean((gen.features(X_TEST, d, BASIS) @ w - f_test) ** 2) + noise ** 2)
    return SimpleNamespace(weights=tuple(weights), train=np.array(train), test=np.array(test))


def verdict(train, test, d, noise):
    """"underfitting", "overfitting" or "good fit" for degree d, from the errors against degree: a training error
    above the noise by a tenth of f's variance is underfitting. A test error more than 1.5 times the lowest
    (plus 1 % of f's variance) is too high: underfitting left of the best degree, overfitting right of it; right
    of it, a fit that follows the noise (training error below half of it) and misses f by a tenth of f's variance
    is overfitting too."""
    best = int(np.argmin(test))
    if train[d] - noise ** 2 > 0.1 * SIGNAL:
        return "underfitting"
    high = test[d] > 1.5 * test[best] + 0.01 * SIGNAL
    if d > best and (high or train[d] < 0.5 * noise ** 2 and test[d] > noise ** 2 + 0.1 * SIGNAL):
        return "overfitting"
    return "underfitting" if high else "good fit"


def decomposition(bv):
    """The bars (bias², variance, noise, error) of ``bias_variance``'s result, and whether bias² could be told
    apart: the mean of R fits misses f by variance / R more than the expected fit does, so bias² is shown less
    that share (variance / (R - 1) of the fits' variance); where the share is most of it, bias² is lost in the
    variance and shown as 0."""
    share = bv.variance / (RESAMPLES - 1)
    measurable = share <= 0.5 * bv.bias2
    return np.array([bv.bias2 - share if measurable else 0.0, bv.variance, bv.noise, bv.error]), measurable


class PolynomialFit(Explorer):
    """Fit a polynomial of degree 0 to 20 to noisy samples of sin(pi x), with or without a penalty: see the fit,
    the training and test error against the degree, and the bias² / variance / noise of the setting (over 100
    training sets). Click the fit panel to add a training point of your own, the error panel to pick a degree.
    """

    figsize = (9.8, 4.0)

    settings = (
        Setting("degree", 3, "degree", low=0, high=MAX_DEGREE, integer=True),
        Setting("n", 15, "training points n", low=5, high=100, integer=True),
        Setting("noise", 0.2, "noise σ", low=0.0, high=1.0, step=0.05),
        Setting("penalty", "none", "penalty", options=PENALTIES, buttons=True, width="95px"),
        LAM,
        Setting("design", "grid", "bias–variance over training sets with", options=DESIGNS, width="440px"),
        Setting("add_x", 0.0, "new point x", low=-1.0, high=1.0, step=0.05),
        Setting("add_y", 1.5, "new point y", low=-3.0, high=3.0, step=0.05),
        Setting("seed", 0, low=0, integer=True),
    )

    @classmethod
    def defaults(cls):
        return {**super().defaults(), "points": []}   # your points [[x, y], ...]: clicks, "add point"

    def validate(self, state):
        s = dict(state)
        s = super().validate(s)
        points = [] if s["points"] is None else s["points"]
        P = valid.as_array("points", points, ndim=2, shape=(None, 2)) if len(points) else np.empty((0, 2))
        if len(P) > MAX_POINTS or np.any(np.abs(P[:, 0]) > 1):
            raise ValueError(f"points: expected at most {MAX_POINTS} pairs (x, y) with x in [-1, 1], got "
                             f"{len(P)} with x from {P[:, 0].min():g} to {P[:, 0].max():g}")
        s["points"] = [[float(a), float(b)] for a, b in P]
        return s

    def lam(self, s):
        """The λ of the fits (0 without a penalty)."""
        return 0.0 if s["penalty"] == "none" else s["lam"]

    # ------------------------------------------------------------------ controls
    resample = ("new training sample", "draw new training points (seed + 1)")

    def make_controls(self):
        c = super().make_controls()
        for name, label, tip, act in (
                ("add_point", "add point", "add a training point at (new point x, new point y)",
                 lambda _: self.add_point()),
                ("clear", "remove your points", "remove the points you added", lambda _: self.set(points=[]))):
            c[name] = widgets.Button(description=label, tooltip=tip, layout={"width": "auto"})
            c[name].on_click(act)
        return c

    def refresh_controls(self):
        s, c = self._state, self.controls
        c["lam"].disabled = s["penalty"] == "none"
        c["design"].disabled = s["penalty"] == "l1"   # no bars for the lasso
        c["clear"].disabled = not s["points"]

    def layout(self):
        c = self.controls
        row = lambda *names: widgets.HBox([c[n] for n in names], layout={"flex_flow": "row wrap"})  # noqa: E731
        hint = widgets.Label("(or click the fit to add a point there; click the error panel to pick a degree)")
        return widgets.VBox([row("degree", "n", "noise", "resample"), row("penalty", "lam", "design"),
                             row("add_x", "add_y", "add_point", "clear"), hint, self.image, self.caption])

    def add_point(self):
        """The keyboard path of a click: a training point at (new point x, new point y)."""
        s = self._state
        self.set(points=(s["points"] + [[s["add_x"], s["add_y"]]])[-MAX_POINTS:])

    def on_click(self, ax, x, y):
        """A click on the fit adds a training point there; one on the error panel picks the degree."""
        if ax is self.ax_fit:
            point = [round(float(np.clip(x, *DOMAIN)), 3), round(y, 3)]
            return {"points": (self._state["points"] + [point])[-MAX_POINTS:]}
        if ax is self.ax_err:
            d = int(np.clip(round(x), 0, MAX_DEGREE))
            return {"degree": d} if d != self._state["degree"] else None
        return None

    # ------------------------------------------------------------------ model
    def compute(self, s):
        x, y = memo(sample, s["n"], s["noise"], s["seed"])
        own = np.array(s["points"], dtype=float).reshape(-1, 2)
        xs, ys = np.r_[x, own[:, 0]], np.r_[y, own[:, 1]]
        fits = memo(degree_fits, tuple(xs), tuple(ys), s["noise"], s["penalty"], self.lam(s))
        bv = None if s["penalty"] == "l1" else memo(gen.bias_variance, truth, s["noise"], s["n"], s["degree"],
                                                    self.lam(s), resamples=RESAMPLES, design=s["design"],
                                                    basis=BASIS, seed=0)
        w = fits.weights[s["degree"]]
        return SimpleNamespace(x=x, y=y, own=own, fits=fits, w=w, bv=bv,
                               curve=gen.features(X_PLOT, s["degree"], BASIS) @ w)

    # ------------------------------------------------------------------ figure
    def setup(self, fig):
        self.ax_fit, self.ax_err, self.ax_bv = fig.subplots(1, 3, width_ratios=[1.3, 1.05, 1.05])
        a = self.ax_fit
        (self.l_truth,) = a.plot(X_PLOT, truth(X_PLOT), color="black", lw=1.5, ls="--", label="true f(x) = sin(πx)")
        (self.l_fit,) = a.plot([], [], color=COLOURS["fit"], lw=2, label="fitted polynomial")
        (self.l_data,) = a.plot([], [], "o", ms=5, mfc=COLOURS["data"], mec="black", mew=0.6, label="training points")
        (self.l_own,) = a.plot([], [], "D", ms=6, mfc=COLOURS["own"], mec="black", mew=0.8, label="your points")
        (self.l_new,) = a.plot([], [], ls="", marker=RETICLE, ms=16, mfc="none", mec="black", mew=1.2,
                               label="where a new point goes")
        a.set(xlabel="input x", ylabel="output y", xlim=(-1.08, 1.08))
        a.set_title("the fit", y=1.0, pad=6)
        a.grid(alpha=0.3)
        for ax in (a, self.ax_err, self.ax_bv):   # below what changes in it: a frame draws only what changed
            ax.set_axisbelow(True)
        e = self.ax_err
        (self.l_train,) = e.plot(DEGREES, np.ones(len(DEGREES)), "o-", ms=3, color=COLOURS["train"], lw=1.5,
                                 label="training error")
        (self.l_test,) = e.plot(DEGREES, np.ones(len(DEGREES)), "s--", ms=3, color=COLOURS["test"], lw=1.5,
                                label="test error")
        self.l_noise = e.axhline(1, color="0.45", lw=1, ls=":", label="noise σ²")
        self.l_now = e.axvline(0, color="black", lw=1, ls=":")
        (self.m_now,) = e.plot([], [], "o", ms=8, mfc="none", mec="black", mew=1.3, label="current degree")
        e.set(yscale="log", xlabel="polynomial degree", ylabel="mean squared error", xlim=(-0.6, MAX_DEGREE + 0.6))
        e.set_title("error against degree", y=1.0, pad=6)
        e.xaxis.set_major_locator(FixedLocator([0, 5, 10, 15, 20]))
        # labels all of one width ("1e-04"): a new range does not lay the figure out again
        e.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}"))
        e.yaxis.set_minor_locator(NullLocator())
        e.grid(alpha=0.3)
        self.floor_note = e.text(0.03, 0.03, f"errors below {FLOOR:g} drawn at {FLOOR:g}", transform=e.transAxes,
                                 fontsize=9, color="0.25", va="bottom", visible=False,
                                 bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1})
        b = self.ax_bv
        lo, hi = BAR_LIMITS
        self.bars = b.bar(range(len(BARS)), np.full(len(BARS), lo), bottom=lo, width=0.7,
                          color=[c for _, c in BARS], edgecolor="black", linewidth=0.6)
        self.bar_texts = [b.text(i, lo, "", ha="center", va="bottom", fontsize=9) for i in range(len(BARS))]
        b.set(yscale="log", ylim=BAR_LIMITS, xlim=(-0.6, len(BARS) - 0.4), ylabel="squared error")
        b.set_xticks(range(len(BARS)), [name for name, _ in BARS], fontsize=9)
        b.yaxis.set_major_locator(FixedLocator([1e-4, 1e-2, 1, 1e2, 1e4]))
        b.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        b.yaxis.set_minor_locator(NullLocator())
        b.set_title(" ", y=1.0, pad=6)
        b.grid(axis="y", alpha=0.3)
        self.l1_note = b.text(0.5, 0.5, "", transform=b.transAxes, ha="center", va="center", fontsize=9,
                              color="0.25", visible=False)
        fig.legend(handles=[self.l_data, self.l_own, self.l_truth, self.l_fit, self.l_new, self.l_train, self.l_test,
                            self.l_noise], loc="outside lower center", ncol=4, fontsize=9, frameon=False)

    def draw(self, r):
        s, fits, d = self._state, r.fits, self._state["degree"]
        self.l_data.set_data(r.x, r.y)
        self.l_own.set_data(r.own[:, 0], r.own[:, 1])
        self.l_new.set_data([s["add_x"]], [s["add_y"]])
        # fixed by the points, not the fit: a wild fit leaves through the top (cut a little outside the axes)
        top = max(1.5, np.ceil(2 * (np.max(np.abs(np.r_[r.y, r.own[:, 1], s["add_y"]])) + 0.25)) / 2)
        self.ax_fit.set_ylim(-top, top)
        self.l_fit.set_data(X_PLOT, np.clip(r.curve, -10 * top, 10 * top))
        self.ax_fit.set_title(f"the fit: degree {d}, {self._penalty_text()}", y=1.0, pad=6)
        train, test = np.maximum(fits.train, FLOOR), np.maximum(fits.test, FLOOR)
        self.l_train.set_ydata(train)
        self.l_test.set_ydata(test)
        self.l_now.set_xdata([d, d])
        self.m_now.set_data([d, d], [train[d], test[d]])
        self.l_noise.set_ydata([max(s["noise"] ** 2, FLOOR)] * 2)
        self.l_noise.set_visible(s["noise"] > 0)
        self.floor_note.set_visible(bool(np.any(fits.train < FLOOR) or np.any(fits.test < FLOOR)))
        # whole decades, the top fixed: the axis stays put while most settings move
        low = FLOOR / 100 if self.floor_note.get_visible() else 10.0 ** np.floor(np.log10(train.min() / 2))
        self.ax_err.set_ylim(min(low, 1e-2), ERR_TOP)
        self._draw_bars(r.bv)
        self.ax_bv.set_title("no bars for the lasso" if r.bv is None else
                             f"{RESAMPLES} training sets, {DESIGN_WORDS[s['design']]}", y=1.0, pad=6, fontsize=10)
        if r.bv is None:
            self.l1_note.set_text(L1_NOTE.format(zeros=int(np.sum(r.w[1:] == 0)), d=d) if d else
                                  L1_NOTE.split("\n\n")[0] + "\n\ndegree 0: only the constant,\nwhich is not penalised")

    def _draw_bars(self, bv):
        lo, hi = BAR_LIMITS
        self.l1_note.set_visible(bv is None)
        values, measurable = decomposition(bv) if bv is not None else (np.zeros(len(BARS)), True)
        for i, (bar, text, v) in enumerate(zip(self.bars, self.bar_texts, values)):
            bar.set_visible(bv is not None)
            text.set_visible(bv is not None)
            top = float(np.clip(v, lo, hi))
            bar.set_height(top - lo)
            lost = i == 0 and not measurable
            text.set_text("too small to measure" if lost else f"{v:.0e}\n↑ cut".replace("e+", "e") if v > hi
                          else number(v, ".2g"))
            inside = v > hi / 30   # at the top: the label inside the bar, in the ink that reads on it
            text.set_position((i, hi / 1.6 if inside else max(top, lo) * 1.15))
            text.set_va("top" if inside else "bottom")
            text.set_rotation(90 if lost else 0)    # upright, it would run into the next bar
            text.set_color(ink_on(bar.get_facecolor()) if inside else "black")
            # inside, on a box of the bar's colour (what the text is read against, for a contrast check too)
            text.set_bbox({"facecolor": bar.get_facecolor(), "edgecolor": "none", "pad": 0.5} if inside else None)

    def _penalty_text(self):
        s = self._state
        return "no penalty (λ = 0)" if s["penalty"] == "none" else f"{s['penalty'].upper()} λ = {s['lam']:.3g}"

    def describe(self):
        s, r = self._state, self.result
        fits, d = r.fits, s["degree"]
        best = int(np.argmin(fits.test))
        text = (f"degree {d}, {self._penalty_text()}, {plural(s['n'], 'training point')}"
                + (f" and {plural(len(s['points']), 'point')} of yours" if s["points"] else "")
                + f": train {fits.train[d]:.3g}, test {fits.test[d]:.3g} "
                f"({verdict(fits.train, fits.test, d, s['noise'])}); the lowest test error is at degree {best} "
                f"({fits.test[best]:.3g})")
        if s["penalty"] == "l1":
            zeros = int(np.sum(r.w[1:] == 0))
            if d:
                text += f". The lasso set {zeros} of the {plural(d, 'weight')} beyond the constant exactly to 0"
        if r.bv is not None:
            (bias2, var, noise, err), measurable = decomposition(r.bv)
            bias = f"bias² {bias2:.2g}" if measurable else "bias² too small to measure next to the variance"
            text += (f". Over {RESAMPLES} training sets of {s['n']} ({DESIGN_WORDS[s['design']]}): {bias}, variance "
                     f"{var:.2g}, noise {noise:.2g}, "
                     f"expected test error {err:.2g}")
            if max(var, err) > BAR_LIMITS[1]:
                text += f" (bars above {BAR_LIMITS[1]:g} are cut at the top)"
        else:
            text += ". The bias–variance bars are computed for L2 and no penalty only"
        return text + "."
