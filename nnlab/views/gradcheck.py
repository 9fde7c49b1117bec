"""GradientCheckExplorer: how the error of a finite difference depends on the step h."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from matplotlib.ticker import LogLocator, NullLocator

from .. import gradcheck
from .base import OKABE_ITO, Explorer, Setting, memo

# (function, its derivative, the point x, how it is written)
FUNCTIONS = {
    "sin": (np.sin, np.cos, 1.0, "sin x at x = 1"),
    "exp": (np.exp, np.exp, 0.3, "exp x at x = 0.3"),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2, 0.5, "tanh x at x = 0.5"),
}
HS = np.logspace(-1, -12, 111)
KINDS = (("one-sided", "forward"), ("central", "central"))
DTYPES = ("float64", "float32")
COLOURS = {"forward": OKABE_ITO["blue"], "central": OKABE_ITO["vermillion"]}


class GradientCheckExplorer(Explorer):
    """The error |difference quotient − f'(x)| against the step h, for one-sided and central
    differences in float32 and float64: truncation error falls with h, rounding error grows as h
    shrinks, and the best h sits near ε^(1/2) (one-sided) or ε^(1/3) (central)."""

    figsize = (8.0, 3.8)

    settings = (
        Setting("function", "sin", "function", options=tuple((v[3], k) for k, v in FUNCTIONS.items()),
                width="220px"),
        Setting("h", 1e-4, "step h", low=1e-12, high=1e-1, step=0.1, log=True, readout=".1e"),
        Setting("kind", "central", "difference", options=KINDS, buttons=True, width="100px"),
        Setting("dtype", "float64", "precision", options=DTYPES, buttons=True, width="90px"),
    )

    def setup(self, fig):
        ax = self.ax = fig.subplots()
        self.curves = {}
        for kind, _ in ((k[1], None) for k in KINDS):
            for dtype in DTYPES:
                name = "one-sided" if kind == "forward" else "central"
                (self.curves[kind, dtype],) = ax.loglog([], [], color=COLOURS[kind], lw=1.2, label=f"{name}, {dtype}",
                                                        ls="-" if dtype == "float64" else "--")
        (self.now,) = ax.loglog([], [], "o", color=OKABE_ITO["black"], ms=7, label="your h", zorder=5)
        self.eps_lines = [ax.axvline(1, color="0.5", lw=0.8, ls=ls) for ls in (":", "-.")]
        ax.set(xlabel="step h", ylabel="|difference quotient − f′(x)|", xlim=(HS[0] * 2, HS[-1] / 2), ylim=(1e-17, 1e1))
        ax.yaxis.set_major_locator(LogLocator(numticks=7))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_locator(NullLocator())
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9, loc="lower left", ncol=2)
        self.title = ax.set_title("", fontsize=10)
        self._drawn = None

    def compute(self, s):
        f, df, x, written = FUNCTIONS[s["function"]]
        curves = {(kind, dtype): memo(_curve, s["function"], kind, dtype) for _, kind in KINDS for dtype in DTYPES}
        err = float(gradcheck.error_against_h(f, df, x, [s["h"]], np.dtype(s["dtype"]), s["kind"])[0])
        exact = float(df(x))
        return SimpleNamespace(curves=curves, err=err, rel=err / abs(exact), written=written,
                               eps=float(np.finfo(np.dtype(s["dtype"])).eps))

    def draw(self, r):
        s = self._state
        for key, line in self.curves.items():
            line.set_data(HS, np.maximum(r.curves[key], 1e-17))
            chosen = key == (s["kind"], s["dtype"])
            line.set_linewidth(2.6 if chosen else 1.0)
            line.set_alpha(1.0 if chosen else 0.45)
        self.now.set_data([s["h"]], [max(r.err, 1e-17)])
        for line, root in zip(self.eps_lines, (2, 3)):
            line.set_xdata([r.eps ** (1 / root)] * 2)
        self.title.set_text(f"{r.written}; grey lines: ε^(1/2) and ε^(1/3) of {s['dtype']}")

    def describe(self):
        s, r = self._state, self.result
        name = "one-sided" if s["kind"] == "forward" else "central"
        best = self.result.curves[s["kind"], s["dtype"]]
        h_best = gradcheck.best_step(HS, best)
        root = 2 if s["kind"] == "forward" else 3
        return (f"{name} difference of {r.written} in {s['dtype']} with h = {s['h']:.1e}: error {r.err:.1e} "
                f"(relative {r.rel:.1e}); this curve is lowest around h = {h_best:.1e}, near ε^(1/{root}) = "
                f"{r.eps ** (1 / root):.1e}. Your curve is the bold one.")


def _curve(function, kind, dtype):
    f, df, x, _ = FUNCTIONS[function]
    return gradcheck.error_against_h(f, df, x, HS, np.dtype(dtype), kind)
