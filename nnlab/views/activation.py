"""ActivationExplorer: g(w x + b) and its slope for sigmoid, tanh and ReLU."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from matplotlib.ticker import ScalarFormatter

from .. import _validate as valid
from .. import neuron
from .base import OKABE_ITO, Explorer, Setting

W_RANGE = (-30.0, 30.0)
B_RANGE = (-30.0, 30.0)
CHOICES = ("sigmoid", "tanh", "relu")
# the smallest y range shown: a flat curve (w = 0) sits in a window of this height, with plain tick
# labels, not in a sliver of 1e-3 that matplotlib labels with an offset ("+0.5", "1e-5")
MIN_SPAN = 0.2


class ActivationExplorer(Explorer):
    """One neuron a = g(w x + b): pick g, move w and b.

    Try: sigmoid, b = 0, then raise w from 1 to 30: the curve becomes a step at
    s = -b/w, and its slope becomes a spike there.
    """

    figsize = (7.5, 3.7)

    settings = (
        Setting("activation", "sigmoid", "activation g", options=CHOICES, width="220px"),
        Setting("w", 1.0, "weight w", low=W_RANGE[0], high=W_RANGE[1], step=0.1),
        Setting("b", 0.0, "bias b", low=B_RANGE[0], high=B_RANGE[1], step=0.1),
        Setting("x_min", -5.0),
        Setting("x_max", 5.0),
    )

    def validate(self, state):
        s = super().validate(state)
        s["x_max"] = valid.real("x_max", s["x_max"], low=s["x_min"], low_open=True)
        return s

    def setup(self, fig):
        self.ax_a, self.ax_d = fig.subplots(1, 2)
        (self.line_a,) = self.ax_a.plot([], [], color=OKABE_ITO["blue"], lw=2, label="a = g(wx + b)")
        (self.line_d,) = self.ax_d.plot([], [], color=OKABE_ITO["vermillion"], lw=2, label="da/dx = w g'(wx + b)")
        self.step_lines = [ax.axvline(0, color=OKABE_ITO["black"], ls="--", lw=1, label="s = -b/w") for ax in
                           (self.ax_a, self.ax_d)]
        self.ax_a.set(xlabel="input x", ylabel="output a", title="neuron output")
        self.ax_d.set(xlabel="input x", ylabel="slope da/dx", title="its derivative in x")
        for ax in (self.ax_a, self.ax_d):
            ax.grid(alpha=0.3)
            ax.yaxis.set_major_formatter(ScalarFormatter(useOffset=False))
        fig.legend(handles=[self.line_a, self.line_d, self.step_lines[0]], loc="outside lower center", ncol=3,
                   fontsize=9, frameon=False)

    def compute(self, state):
        x = np.linspace(state["x_min"], state["x_max"], 501)
        a, da = neuron.response(x, state["w"], state["b"], state["activation"])
        return SimpleNamespace(x=x, a=a, da=da, s=neuron.step_location(state["w"], state["b"]),
                               width=neuron.sigmoid_rise_width(state["w"]))

    def draw(self, r):
        self.line_a.set_data(r.x, r.a)
        self.line_d.set_data(r.x, r.da)
        visible = r.s is not None and r.x[0] <= r.s <= r.x[-1]
        for line in self.step_lines:
            line.set_visible(visible)
            if visible:
                line.set_xdata([r.s, r.s])
        for ax, y in ((self.ax_a, r.a), (self.ax_d, r.da)):
            ax.set_xlim(r.x[0], r.x[-1])
            lo, hi = float(np.min(y)), float(np.max(y))
            if hi - lo < MIN_SPAN:
                mid = (lo + hi) / 2
                lo, hi = mid - MIN_SPAN / 2, mid + MIN_SPAN / 2
            pad = 0.08 * (hi - lo)
            ax.set_ylim(lo - pad, hi + pad)

    def describe(self):
        s, r = self._state, self.result
        g = s["activation"]
        text = f"{g}(w·x + b) with w = {s['w']:g}, b = {s['b']:g}: "
        if r.s is None:
            return text + "w = 0, so the output is constant (no step)."
        kind = "kink" if g == "relu" else "midpoint"
        text += f"{kind} at s = -b/w = {r.s:.3g}"
        if not (r.x[0] <= r.s <= r.x[-1]):
            text += " (outside the plotted range)"
        if g == "sigmoid":
            text += f"; the rise from 10% to 90% spans {r.width:.3g} in x; largest slope {abs(s['w']) / 4:.3g}"
        elif g == "tanh":
            text += f"; largest slope {abs(s['w']):.3g}"
        else:
            text += f"; slope {s['w']:g} on one side, 0 on the other"
        return text + "."
