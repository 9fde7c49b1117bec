"""RNNUnroller: a recurrent network unrolled over a sequence, and the gradient it sends back through time
(lecture 10): vanishing for a spectral radius ρ of W_hh below 1, exploding above it.

The model is ``nnlab.rnn``: h_t = σ(W_hx x_t + W_hh h_{t-1} + b) from h_0 = 0, one input, one output
y^_t = W_yh h_t + c. The parameters are ``rnn.init_params(1, H, 1, seed)`` with W_hh replaced by
``rnn.recurrent_matrix(H, ρ, seed, kind)``; the loss is on the last step only, dL/dy^_T = 1, so
``rnn.last_step_gradient_norms`` gives ‖∂L/∂h_t‖ for t = 0, …, T. The linear network's norms are the closed form
‖(W_hhᵀ)^(T−t) ∂L/∂h_T‖ (drawn with every activation, as the reference without σ's slopes), and
ρ^(T−t) ‖∂L/∂h_T‖ is the guide line they follow in the long run.
"""
from __future__ import annotations

from types import SimpleNamespace

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

from .. import rnn
from ..axes import FIGURE_SPACE, MINUS, InnerTicks, fixed_width
from ..words import plural
from .base import OKABE_ITO, Explorer, Setting, memo, round_up

PATTERNS = (("pulse at t = 1", "pulse"), ("step: 1 from t = 1 on", "step"), ("sine, period 12", "sine"),
            ("noise N(0, 1)", "noise"))
PATTERN_WORDS = {"pulse": "a pulse at t = 1", "step": "a step (1 from t = 1 on)", "sine": "a sine of period 12",
                 "noise": "noise N(0, 1)"}
KINDS = (("random (Gaussian)", "gaussian"), ("ρ × orthogonal", "orthogonal"))
PERIOD = 12
# a gradient that shrinks or grows by more than this factor over the whole sequence vanishes or explodes
REGIME = 1e2
# the hidden states' colours: red positive, blue negative, white 0; an overflowed (nan) value black
CMAP = colormaps["RdBu_r"].with_extremes(bad="black")
NORM_LIMITS = (1e-300, 1e300)   # the gradient panel's widest range


def inputs(pattern, T, seed):
    """The input sequence x_1, …, x_T (one input): a pulse (x_1 = 1, else 0), a step (all 1), a sine
    sin(2π t / 12), or noise N(0, 1) from ``default_rng((seed, 1))`` (a stream apart from the weights')."""
    t = np.arange(1, T + 1)
    if pattern == "pulse":
        return (t == 1).astype(float)
    if pattern == "step":
        return np.ones(T)
    if pattern == "sine":
        return np.sin(2 * np.pi * t / PERIOD)
    return np.random.default_rng((seed, 1)).standard_normal(T)


def network(H, rho, kind, seed):
    """``rnn.init_params(1, H, 1, seed)`` with W_hh = ``rnn.recurrent_matrix(H, rho, seed, kind)``."""
    p = rnn.init_params(1, H, 1, seed=seed)
    return rnn.make_params(p.W_hx, rnn.recurrent_matrix(H, rho, seed=seed, kind=kind), p.b, p.W_yh, p.c)


def unroll(T, H, rho, activation, pattern, kind, seed):
    """The network run over the input (every h_t), and ‖∂L/∂h_t‖ for t = 0, …, T with the loss on the last step
    (dL/dy^_T = 1), for σ = ``activation`` and for the linear network (the closed form)."""
    params = network(H, rho, kind, seed)
    x = inputs(pattern, T, seed)[:, None]
    fw = rnn.forward(params, x, nonlinearity=activation)
    norms = rnn.last_step_gradient_norms(params, x, nonlinearity=activation)
    linear = rnn.last_step_gradient_norms(params, x, nonlinearity="linear")
    return SimpleNamespace(params=params, x=x[:, 0], h=fw.h, norms=norms, linear=linear)


def regime(ratio):
    """"vanishing", "exploding", "kept" (within a factor REGIME either way), "exactly 0" or "overflow" for
    ‖∂L/∂h_0‖ / ‖∂L/∂h_T‖."""
    if not np.isfinite(ratio):
        return "overflow"
    if ratio == 0:
        return "exactly 0"
    return "vanishing" if ratio < 1 / REGIME else "exploding" if ratio > REGIME else "kept"


def key_label(value, _=None):
    """A colour key's tick label, in the key's unit: "−d.d" (the minus as wide as a figure space and a plus), so
    every label takes the same room and a new range keeps the layout."""
    return f"{value:.1f}".replace("-", MINUS).rjust(4, FIGURE_SPACE)


def colour_scale(big):
    """The colour scale's end for hidden states up to ``big`` (1, 2 or 5 times a power of ten, at least 1e-3),
    and the unit its key counts in: 1 from 0.1 to 5, else that power of ten (the key shows 1.0, 2.0 or 5.0)."""
    vmax = min(round_up(big), 1e300) if big > 1e-3 else 1e-3
    unit = 1.0 if 0.1 <= vmax < 10 else 10.0 ** np.floor(np.log10(vmax) + 1e-9)
    return vmax, unit


class RNNUnroller(Explorer):
    """A recurrent network unrolled over T steps: its hidden states h_t as a heat map, and the norm of the gradient
    ∂L/∂h_t that the loss at the last step sends back to each t (log scale), beside the linear network's closed
    form ‖(W_hhᵀ)^(T−t) ∂L/∂h_T‖ and the guide ρ^(T−t). The spectral radius ρ of W_hh decides: below 1 the
    gradient vanishes, above 1 it explodes."""

    figsize = (9.8, 4.3)

    settings = (
        Setting("T", 30, "sequence length T", low=1, high=60, integer=True),
        Setting("hidden", 16, "hidden units H", low=1, high=32, integer=True),
        Setting("rho", 0.9, "spectral radius ρ of W_hh", low=0.1, high=3.0, step=0.05),
        Setting("activation", "tanh", "activation σ", options=rnn.NONLINEARITIES, buttons=True, width="70px"),
        Setting("pattern", "pulse", "input x_t", options=PATTERNS, width="260px"),
        Setting("kind", "gaussian", "W_hh", options=KINDS, width="240px"),
        Setting("seed", 0, low=0, integer=True),
    )

    resample = ("new weights", "draw new random weights (and new noise): seed + 1")

    def layout(self):
        c = self.controls
        rows = [widgets.HBox([c[n] for n in names], layout={"flex_flow": "row wrap"})
                for names in (("T", "hidden", "rho"), ("activation", "pattern", "kind", "resample"))]
        return widgets.VBox([*rows, self.image, self.caption])

    # ------------------------------------------------------------------ model
    def compute(self, s):
        return memo(unroll, s["T"], s["hidden"], s["rho"], s["activation"], s["pattern"], s["kind"], s["seed"])

    # ------------------------------------------------------------------ figure
    def setup(self, fig):
        axes = fig.subplot_mosaic([["x", ".", "g"], ["h", "key", "g"]], width_ratios=[1.3, 0.045, 1.0],
                                  height_ratios=[0.55, 2.2])
        self.ax_x, self.ax_h, self.ax_key, self.ax_g = axes["x"], axes["h"], axes["key"], axes["g"]
        x, h, g = self.ax_x, self.ax_h, self.ax_g
        for ax in (x, g):
            ax.set_axisbelow(True)   # below what changes in it: a frame draws only what changed
        g.grid(alpha=0.3, axis="y")
        (self.l_x,) = x.plot([], [], "o-", ms=3, lw=1.2, color=OKABE_ITO["orange"], mec="black", mew=0.4,
                             label="input x_t")
        x.axhline(0, color="0.4", lw=0.8)
        x.tick_params(bottom=False, labelbottom=False)
        x.set_ylabel("x_t")
        # symmetric, ticks at -a and a (0 is the line): the widest label is always "−a", the layout stays
        self.x_ticks = FixedLocator([-1.0, 1.0])
        x.yaxis.set_major_locator(self.x_ticks)
        x.yaxis.set_major_formatter(fixed_width("g", 2))
        x.set_title("input x_t", y=1.0, pad=4, fontsize=10)
        # over the axes' ticks (outside it), under its frame: new states are drawn over the kept panel, which is
        # drawn again only when its ranges change
        self.heat = h.imshow(np.zeros((1, 2)), origin="lower", aspect="auto", cmap=CMAP, interpolation="nearest",
                             norm=Normalize(-1, 1), zorder=2)
        h.set(xlabel="time step t", ylabel="hidden unit")
        h.set_title("hidden state h_t (h_0 = 0)", y=1.0, pad=4, fontsize=10)
        h.yaxis.set_major_formatter(fixed_width("g", 2))
        for ax in (x, h, g):
            ax.xaxis.set_major_locator(InnerTicks(nbins=6, integer=True, margin=0.04))
        h.yaxis.set_major_locator(InnerTicks(nbins=5, integer=True, min_n_ticks=1, margin=0.04))
        k = self.ax_key
        k.imshow(np.linspace(-1, 1, 256)[:, None], origin="lower", aspect="auto", cmap=CMAP, norm=Normalize(-1, 1),
                 extent=(0, 1, -1, 1), interpolation="nearest")
        self.key_ticks = FixedLocator([-1.0, 0.0, 1.0])
        k.yaxis.set_major_locator(self.key_ticks)
        k.yaxis.set_major_formatter(FuncFormatter(key_label))
        k.yaxis.set_minor_locator(NullLocator())
        k.yaxis.tick_right()
        k.yaxis.set_label_position("right")
        k.set(xticks=[], ylim=(-1, 1))
        k.set_ylabel("h_t", labelpad=2)
        self.key_image = k.images[0]
        (self.l_norm,) = g.semilogy([], [], "o-", ms=3, lw=1.5, color=OKABE_ITO["vermillion"], zorder=2,
                                    label="‖∂L/∂h_t‖ by backpropagation through time")
        (self.l_linear,) = g.semilogy([], [], "--", lw=1.8, color=OKABE_ITO["blue"], zorder=3,
                                      label="‖(W_hhᵀ)^(T−t) ∂L/∂h_T‖ (linear σ: the closed form)")
        (self.l_guide,) = g.semilogy([], [], ":", lw=1.8, color="black", zorder=2,
                                     label="ρ^(T−t) ‖∂L/∂h_T‖")
        g.set(xlabel="time step t (the loss is at t = T)", ylabel="gradient norm (log scale)")
        g.yaxis.set_major_locator(LogLocator(numticks=6))
        g.yaxis.set_minor_locator(NullLocator())
        g.yaxis.set_major_formatter(fixed_width(".0e", 6))
        g.set_title("gradient back through time\n ", y=1.0, pad=4, fontsize=10)
        self.zero_note = g.text(0.03, 0.03, "", transform=g.transAxes, fontsize=9, color="0.2", va="bottom",
                                visible=False, bbox={"facecolor": "white", "alpha": 0.9, "edgecolor": "none", "pad": 1})
        fig.legend(handles=[self.l_x, self.l_norm, self.l_linear, self.l_guide], loc="outside lower center", ncol=2,
                   fontsize=9, frameon=False)

    def draw(self, r):
        s = self._state
        T, H = s["T"], s["hidden"]
        t = np.arange(T + 1)
        # the input
        self.l_x.set_data(t[1:], r.x)
        top = 1.3 if s["pattern"] != "noise" else max(1.3, round_up(1.1 * float(np.max(np.abs(r.x)))))
        tick = round_up(top / 2.5)
        self.x_ticks.locs = [-tick, tick]
        self.ax_x.set_ylim(-top, top)
        for ax in (self.ax_x, self.ax_h, self.ax_g):
            ax.set_xlim(-0.5, T + 0.5)
        # the hidden states, units x time, on a symmetric colour scale of 1, 2 or 5 times a power of ten
        with np.errstate(over="ignore", invalid="ignore"):
            finite = np.abs(r.h[np.isfinite(r.h)])
            big = float(finite.max()) if finite.size else 0.0
        vmax, unit = colour_scale(big)
        self.heat.set_data(r.h.T)
        self.heat.set_clim(-vmax, vmax)
        if self.heat.get_extent() != [-0.5, T + 0.5, 0.5, H + 0.5]:
            self.heat.set_extent((-0.5, T + 0.5, 0.5, H + 0.5))
        self.ax_h.set_ylim(0.5, H + 0.5)
        end = vmax / unit
        if self.ax_key.get_ylim() != (-end, end):   # the key counts in ``unit`` (the heat map's title says which)
            self.key_image.set_extent((0, 1, -end, end))
            self.key_ticks.locs = [-end, 0.0, end]
            self.ax_key.set_ylim(-end, end)
        self.ax_h.set_title("hidden state h_t (h_0 = 0)" + ("" if unit == 1 else f", colours in units of {unit:.0e}"),
                            y=1.0, pad=4, fontsize=10)
        # the gradient: a norm of 0 (every ReLU unit off) cannot be drawn on a log scale
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            guide = s["rho"] ** (T - t) * r.norms[T]
            lines = [np.where(np.isfinite(v) & (v > 0), v, np.nan) for v in (r.norms, r.linear, guide)]
        for line, y in zip((self.l_norm, self.l_linear, self.l_guide), lines):
            line.set_data(t, y)
        shown = np.concatenate(lines)
        shown = shown[np.isfinite(shown)]
        lo, hi = (max(shown.min(), NORM_LIMITS[0]), min(shown.max(), NORM_LIMITS[1])) if shown.size else (1.0, 1.0)
        # whole decades with room around the data: a setting moved a little keeps the axis
        self.ax_g.set_ylim(max(1 / round_up(5 / lo, log=True), NORM_LIMITS[0]),
                           min(round_up(5 * hi, log=True), NORM_LIMITS[1]))
        zeros = np.flatnonzero(r.norms == 0)
        self.zero_note.set_visible(bool(zeros.size))
        if zeros.size:
            where = "at t = 0" if zeros.max() == 0 else f"for t = 0, …, {zeros.max()}"
            self.zero_note.set_text(f"‖∂L/∂h_t‖ = 0 {where}: not drawn (log scale)")
        self.ax_g.set_title(f"gradient back through time\n{self._headline()}", y=1.0, pad=4, fontsize=10)

    def _ratio(self):
        norms = self.result.norms
        with np.errstate(over="ignore", invalid="ignore"):
            return float(norms[0] / norms[-1])

    def _headline(self):
        ratio, word = self._ratio(), regime(self._ratio())
        if word == "overflow":
            return "overflow: the gradient is too large for float64"
        if word == "exactly 0":
            return "‖∂L/∂h_0‖ = 0 exactly: vanished"
        return f"‖∂L/∂h_0‖ / ‖∂L/∂h_T‖ = {ratio:.2g}: {'within 100×' if word == 'kept' else word}"

    def describe(self):
        s, r = self._state, self.result
        T, rho = s["T"], s["rho"]
        ratio = self._ratio()
        word = regime(ratio)
        head = (f"ρ = {rho:g}, {s['activation']}, {plural(s['hidden'], 'hidden unit')}, {plural(T, 'step')} of "
                f"{PATTERN_WORDS[s['pattern']]}: ")
        if word == "overflow":
            text = head + "the gradient overflowed (too large for float64) on its way back (exploding)"
        elif word == "exactly 0":
            last = int(np.flatnonzero(r.norms == 0).max())
            where = "reaching t = 0 is" if last == 0 else f"is at t = 0, …, {last}"
            text = (head + f"the gradient {where} exactly 0: at t = {last + 1} every ReLU unit it reaches is off "
                    "(slope 0), so nothing passes further back (vanished)")
        else:
            per_step = f"× {ratio ** (1 / T):.3g} per step on average; " if T > 1 else ""
            text = head + (f"the gradient reaching t = 0 is {ratio:.2g} times the one at t = {T} "
                           f"({'neither vanishing nor exploding over ' + plural(T, 'step') if word == 'kept' else word}"
                           f": {per_step}ρ^{T} = {rho ** T:.2g})")
        if s["activation"] == "linear":
            text += ". With a linear σ it is exactly the closed form ‖(W_hhᵀ)^(T−t) ∂L/∂h_T‖"
        with np.errstate(invalid="ignore"):
            finite = np.abs(r.h[np.isfinite(r.h)])
        if finite.size < r.h.size:
            text += ". The hidden state overflowed (drawn black)"
        else:
            text += f". The hidden states reach |h| = {finite.max():.2g}"
            if s["activation"] == "tanh" and finite.max() > 0.95:
                text += " (tanh saturates: its slope 1 − h² is near 0 there)"
        return text + "."
