"""GradientFlowExplorer: how much gradient reaches each layer of a deep network."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from .. import gradflow
from .base import OKABE_ITO, Explorer, Setting, memo, round_up
from ..axes import InnerTicks, fixed_width
from ..words import plural

TRAIN_STEPS = 150
TRAIN_BUDGET = 3e9  # multiply-adds per curve (about a second here); big networks get fewer steps
# the training panel's top, as a multiple of the highest loss: the legend sits in the room above the curves
HEADROOM = 1.5
# a gradient flow (one forward and backward pass) that costs more multiply-adds than this is computed in the
# background (``later``): the frame comes at once, with empty gradient panels that say so
FLOW_BUDGET = TRAIN_BUDGET / 16   # about 60 ms: a frame within 4x of a plain draw, as the latency goal asks
# the cost of a layer's step beyond its multiply-adds (NumPy's calls: about 60 us here), in multiply-adds: a deep
# and narrow network (100 layers of 2 units) spends its time there
LAYER_OVERHEAD = 1.8e5
# the highest loss the training panel shows (chance is ln 2 = 0.69): a diverging run leaves through the top
LOSS_TOP = 10.0


def step_cost(depth, width, batch):
    """Multiply-adds of one training step (forward and backward: about 3 passes of each layer)."""
    return 3 * batch * depth * width * width * 2


def train_steps(depth, width, batch):
    """Steps of training that fit the budget: 150 for small networks, at least 10 for the largest."""
    return int(np.clip(TRAIN_BUDGET / step_cost(depth, width, batch), 10, TRAIN_STEPS))


REFERENCE = {"activation": "relu", "init": "he", "scale": 1.0, "residual": True}
HINT = "tick “compare training”\nto train this network\nand a residual ReLU one"
TRAINING = "training this network\nand a residual ReLU one\nin the background…"
REF_LABEL = "ReLU + He, residual"


class GradientFlowExplorer(Explorer):
    """Per-layer gradient norms (log scale), activation histograms, and optional training curves."""

    figsize = (9.6, 3.8)

    settings = (
        Setting("depth", 30, "depth (layers)", low=1, high=100, integer=True, expensive=True),
        Setting("width", 64, "width (units)", low=2, high=256, integer=True, expensive=True),
        Setting("scale", 1.0, "weight scale", low=0.01, high=10.0, step=0.05, log=True, expensive=True),
        Setting("activation", "sigmoid", "activation", options=gradflow.ACTS, width="190px"),
        Setting("init", "xavier", "init", options=gradflow.INITS, width="190px"),
        Setting("residual", False, "residual blocks"),
        Setting("batch", 128, low=1, high=4096, integer=True),
        Setting("seed", 0, low=0, integer=True),
        Setting("train", False, "compare training (slower)"),
    )

    resample = ("re-sample weights", "draw new random weights and data")

    def setup(self, fig):
        self.ax_g, self.ax_h, self.ax_t = fig.subplots(1, 3, width_ratios=[1.2, 1, 1])
        g = self.ax_g
        (self.l_w,) = g.semilogy([], [], "o-", ms=2.5, color=OKABE_ITO["vermillion"], label="‖∂L/∂W‖ (weights)")
        (self.l_a,) = g.semilogy([], [], "s-", ms=2.5, color=OKABE_ITO["blue"], label="‖∂L/∂a‖ (signal)")
        g.set(xlabel="layer (1 = next to the input)", ylabel="gradient norm (log scale)")
        # titles at a fixed height: matplotlib otherwise re-places them around the ticks on every draw
        g.set_title("gradient per layer", y=1.0, pad=6)
        g.yaxis.set_minor_locator(NullLocator())
        g.yaxis.set_major_locator(LogLocator(numticks=6))
        for axis in (self.ax_h.yaxis, self.ax_t.xaxis, self.ax_t.yaxis):
            axis.set_major_locator(MaxNLocator(nbins=5, integer=axis is not self.ax_t.yaxis))
        # ranges change with every setting: no tick at the ends of a bottom axis (``InnerTicks``), left axes'
        # labels all as wide as the widest they can get (``fixed_width``), no offset texts; the panels stay put
        g.xaxis.set_major_locator(InnerTicks(nbins=5, integer=True))
        self.ax_h.xaxis.set_major_locator(InnerTicks(nbins=5))
        self._unit = 1.0   # the activation axis counts in units of 10^k where values are huge or tiny
        self.ax_h.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / self._unit:.3g}"))
        for axis, form, width in ((g.yaxis, ".0e", 6), (self.ax_h.yaxis, "g", 3), (self.ax_t.yaxis, "g", 4)):
            axis.set_major_formatter(fixed_width(form, width))
        g.grid(alpha=0.3)
        # square-root colour scale, so a spike of zeros (dead ReLUs) does not hide everything else
        self.heat = self.ax_h.imshow(np.zeros((2, 2)), origin="lower", aspect="auto", cmap="cividis",
                                     interpolation="nearest", norm=PowerNorm(0.5, vmin=0, vmax=1),
                                     zorder=2)  # over the axes' ticks (outside it), under its frame: a new
        # histogram is drawn over the kept panel, which is drawn again only when its ranges change
        self.ax_h.set(xlabel="activation value", ylabel="layer")
        self.ax_h.set_title("activations per layer", y=1.0, pad=6)
        t = self.ax_t
        (self.l_train,) = t.plot([], [], color=OKABE_ITO["vermillion"], lw=2, label="this network")
        (self.l_ref,) = t.plot([], [], color=OKABE_ITO["green"], lw=1.5, ls="--", label=REF_LABEL)
        t.set(xlabel="gradient step", ylabel="training loss (BCE)", title="training: circle problem")
        t.grid(alpha=0.3)
        self.hint = t.text(0.5, 0.5, HINT, transform=t.transAxes, ha="center", va="center", fontsize=9, color="0.35")
        self._done = set()  # the training curves trained in the background (``later``), by their memo key
        self.verdict = fig.suptitle("", fontsize=10)
        # the key to the gradient panel lives in the static background, below the figure
        fig.legend(handles=[self.l_w, self.l_a], loc="outside lower center", ncol=2, fontsize=9, frameon=False)

    def slow(self, state):
        """Say "computing…" before the frame: for a big network's training (``training_is_slow``)."""
        return self.training_is_slow(state)

    @staticmethod
    def _pass_cost(state):
        """The cost of one forward and backward pass of the network in ``state``, in multiply-adds: a residual block
        has two matrices (and its layers cannot reuse a shallower network's: ``gradflow._forward_reusing``)."""
        blocks = 2 if state["residual"] else 1
        return blocks * step_cost(state["depth"], state["width"], state["batch"]) + state["depth"] * LAYER_OVERHEAD

    @classmethod
    def flow_is_slow(cls, state):
        """A gradient flow that costs more than FLOW_BUDGET (about 60 ms): computed in the background (``later``)."""
        return cls._pass_cost(state) > FLOW_BUDGET

    @staticmethod
    def _flow_args(s):
        """``memo``'s key for the gradient flow of the network in state ``s``."""
        return ((gradflow.gradient_flow, s["depth"], s["width"], s["activation"], s["init"], s["scale"], s["residual"]),
                (("batch", s["batch"]), ("seed", s["seed"])))

    def _flow(self, s):
        args, kw = self._flow_args(s)
        return memo(*args, **dict(kw))

    def trains_in_background(self, state):
        """Training whose curves (this network's and the residual reference's) cost more than FLOW_BUDGET (about
        60 ms): they come from ``later``, so that the frame of the change comes at once."""
        if not state["train"]:
            return False
        steps = train_steps(state["depth"], state["width"], state["batch"])
        return sum(self._pass_cost(n) for n in self._networks(state)) * steps > FLOW_BUDGET

    def training_is_slow(self, state):
        """Training that needs more than a third of the budget (about a third of a second): trained in the
        background (``later``), in float32."""
        if not state["train"]:
            return False
        cost = step_cost(state["depth"], state["width"], state["batch"]) * train_steps(
            state["depth"], state["width"], state["batch"])
        return cost > TRAIN_BUDGET / 3

    def _curve_args(self, s):
        """``memo``'s key for the training curve of the network in state ``s``: a big one (``slow``) is
        trained in float32, PyTorch's default precision and twice as fast here; the others in float64,
        so they are the lecture's curves."""
        steps = train_steps(s["depth"], s["width"], s["batch"])
        dtype = "float32" if self.training_is_slow(s) else "float64"
        return ((gradflow.train, s["depth"], s["width"], s["activation"], s["init"], s["scale"], s["residual"]),
                (("steps", steps), ("batch", s["batch"]), ("seed", s["seed"]), ("dtype", dtype)))

    @staticmethod
    def _networks(s):
        """The states of this network and of the reference it is compared with."""
        return s, {**s, **REFERENCE}

    def _curve(self, s):
        args, kw = self._curve_args(s)
        return memo(*args, **dict(kw))

    def later(self, state):
        """A big network's flow (``flow_is_slow``) comes first; then, for training that would hold the frame up
        (``trains_in_background``), this network's curve and the reference's (one job each; the explorer draws
        after each)."""
        if self.flow_is_slow(state) and self._flow_args(state) not in self._done:
            def flow():
                self._flow(state)
                self._done.add(self._flow_args(state))
            return flow
        if not self.trains_in_background(state):
            return None
        todo = [s for s in self._networks(state) if self._curve_args(s) not in self._done]
        if not todo:
            return None

        def train():
            self._curve(todo[0])
            self._done.add(self._curve_args(todo[0]))
        return train

    def compute(self, s):
        if self.flow_is_slow(s) and self._flow_args(s) not in self._done:   # it comes from ``later``
            return SimpleNamespace(flow=None, curves=None, training=bool(s["train"]))
        flow = self._flow(s)
        curves = None
        if s["train"]:  # a big network's curves come from ``later`` (None until then)
            big = self.trains_in_background(s)
            curves = tuple(self._curve(n) if not big or self._curve_args(n) in self._done else None
                           for n in self._networks(s))
        return SimpleNamespace(flow=flow, curves=curves, training=curves is not None and None in curves)

    def draw(self, r):
        if r.flow is None:  # empty gradient panels until the flow comes: never the last network's flow
            for line in (self.l_w, self.l_a):
                line.set_data([], [])
            self.heat.set_data(np.full((1, 1), np.nan))
            s = self._state
            self.verdict.set_text(f"computing the gradient flow of {plural(s['depth'], 'layer')} × {s['width']} "
                                  "units in the background…")
        else:
            self._draw_flow(r.flow)
        self._draw_training(r)

    def _draw_flow(self, f):
        layers = np.arange(1, len(f.grad_W) + 1)
        gw = np.where(np.isfinite(f.grad_W) & (f.grad_W > 0), f.grad_W, np.nan)
        ga = np.where(np.isfinite(f.grad_A) & (f.grad_A > 0), f.grad_A, np.nan)
        self.l_w.set_data(layers, gw)
        self.l_a.set_data(layers, ga)
        self.ax_g.set_xlim(0.5, len(layers) + 0.5)
        vals = np.r_[gw, ga]
        vals = vals[np.isfinite(vals)]
        if vals.size:
            lo, hi = max(vals.min(), 1e-300), min(vals.max(), 1e300)  # a vanished or exploded norm: the ends
            # whole decades with room around the data: a setting moved a little keeps the axis
            self.ax_g.set_ylim(max(1 / round_up(5 / lo, log=True), 1e-300), min(round_up(hi * 5, log=True), 1e300))
        H = f.histograms / np.maximum(f.histograms.sum(1, keepdims=True), 1)
        self.heat.set_data(H)
        self.heat.set_extent((f.bin_edges[0], f.bin_edges[-1], 0.5, len(layers) + 0.5))
        self.heat.set_clim(0, max(H.max(), 1e-12))
        self.ax_h.set_xlim(f.bin_edges[0], f.bin_edges[-1])
        # the power of ten in the axis label, not in an offset text that would need room of its own
        big = float(np.max(np.abs(f.bin_edges[[0, -1]])))
        k = int(np.floor(np.log10(big))) if np.isfinite(big) and big > 0 else 0
        self._unit = 10.0 ** k if not -3 <= k <= 3 else 1.0
        self.ax_h.set_xlabel("activation value" + (f" (× 1e{k})" if self._unit != 1.0 else ""))
        self.ax_h.set_ylim(0.5, len(layers) + 0.5)
        self.verdict.set_text(f.headline())

    def _draw_training(self, r):
        mine, ref = r.curves or (None, None)
        if mine is None:
            self.hint.set_text(TRAINING if r.training else HINT)
            self.hint.set_visible(True)
            for line in (self.l_train, self.l_ref):
                line.set_data([], [])
            self.ax_t.set_xlim(0, TRAIN_STEPS)
            self.ax_t.set_ylim(0, 1)
            legend = self.ax_t.get_legend()
            if legend is not None:
                legend.remove()
        else:
            self.hint.set_visible(False)
            self.l_train.set_data(np.arange(len(mine.loss)), mine.loss)
            self.l_ref.set_data(np.arange(len(ref.loss)) if ref else [], ref.loss if ref else [])
            # a diverged loss (1e30) would squash the curves flat and add an offset text over the title: the panel
            # stops at LOSS_TOP and the caption says "diverged"
            top = min(max(max(mine.loss, default=1), max(ref.loss, default=1) if ref else 0), LOSS_TOP)
            self.ax_t.set_xlim(0, max(len(mine.loss), 1))
            self.ax_t.set_ylim(0, round_up(HEADROOM * top))
            if self.ax_t.get_legend() is None:
                self.ax_t.legend(fontsize=9, loc="upper right", ncol=1, framealpha=0.9)
            label = self.ax_t.get_legend().get_texts()[1]
            label.set_text(REF_LABEL if ref else f"{REF_LABEL}: training…")

    def describe(self):
        s, f = self._state, self.result.flow
        net = (f"{plural(s['depth'], 'residual block' if s['residual'] else 'layer')} of "
               f"{plural(s['width'], s['activation'] + ' unit')}, {s['init']} init x{s['scale']:g}")
        if f is None:
            return f"{net}: computing its gradient flow in the background; the picture follows."
        text = f"{net}: {f.verdict()}"
        if s["activation"] == "relu":
            text += f"; {100 * np.nanmean(f.dead):.0f}% of units dead on this batch"
        elif s["activation"] in ("sigmoid", "tanh"):
            text += f"; {100 * np.nanmean(f.saturated):.0f}% of activations saturated"
        mine, ref = self.result.curves or (None, None)
        if mine is None and self.result.training:
            text += "; training both networks in the background, the curves follow"
        if mine is not None:
            end = mine.diverged or f"loss {mine.loss[0]:.3f} -> {mine.loss[-1]:.3f} in {plural(len(mine.loss), 'step')}"
            reference = f"{ref.loss[-1]:.3f}" if ref else "training in the background, its curve follows"
            text += f"; training: {end} (residual ReLU reference: {reference})"
        return text + "."
