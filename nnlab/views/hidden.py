"""HiddenUnitsExplorer: every weight of a tiny network on a slider, every hidden unit on view."""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import ListedColormap

from ..nn import MLP
from .base import OKABE_ITO, Explorer, Setting
from ..words import noun, number, plural

UNIT_COLOURS = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["green"]]
H = 3  # hidden units
RES = 90  # grid resolution of the 2-D maps
HEADROOM = 0.65  # room above the output curves for their legend, as a share of their range
# each one-input panel's key: at the top, in the room left above the curves
LEGEND = {"fontsize": 9, "loc": "upper left", "handlelength": 1.5, "borderaxespad": 0.3, "labelspacing": 0.3}
WEIGHT = {"low": -30.0, "high": 30.0, "step": 0.1}  # every weight and bias

# The curriculum's worked exercise (one input, three sigmoid units, linear output).
ONE_INPUT = {"wh": [1.0, 1.0, 1.0], "bh": [0.0, -2.0, -4.0], "wo": [1.0, -2.0, 0.5], "bo": 0.1}
# Three half-planes whose intersection is a triangle; the sigmoid output thresholds their sum.
# Unit 1: x2 > -2 x1 - 1, unit 2: x2 > 2 x1 - 1, unit 3: x2 < 1 (each scaled by 4); the output
# fires (sum of 10 h_j > 25) only where all three agree: a triangle.
TWO_INPUTS = {"w1": [8.0, -8.0, 0.0], "w2": [4.0, 4.0, -4.0], "bh": [4.0, 4.0, 4.0], "wo": [10.0, 10.0, 10.0],
              "bo": -25.0}


class HiddenUnitsExplorer(Explorer):
    """A network with one input (or two), three sigmoid hidden units and one output unit.

    One input: y = sum_j wo_j sigma(wh_j x + bh_j) + bo (linear output); each hidden unit is a
    soft step at x = -bh_j / wh_j. Two inputs: each hidden unit is a logistic classifier with its
    own line w1_j x1 + w2_j x2 + bh_j = 0; the sigmoid output combines the half-planes into a
    decision region (output > 0.5).
    """

    figsize = (9.0, 3.6)

    settings = (
        Setting("inputs", 1, low=1, high=2, integer=True),
        *(Setting(name, ONE_INPUT[key][j] if key else TWO_INPUTS["w2"][j], f"unit {j + 1}: {label}", **WEIGHT)
          for j in range(H) for name, key, label in ((f"wh{j + 1}", "wh", "w"), (f"w2_{j + 1}", None, "w2"),
                                                      (f"bh{j + 1}", "bh", "b"),
                                                      (f"wo{j + 1}", "wo", "output weight"))),
        Setting("bo", ONE_INPUT["bo"], "output bias", **WEIGHT),
    )

    def __init__(self, inputs=1, **state):
        inputs = self.declaration("inputs").validate(inputs)
        if inputs == 2:  # the two-input defaults, unless given
            for j in range(H):
                state.setdefault(f"wh{j + 1}", TWO_INPUTS["w1"][j])
                state.setdefault(f"bh{j + 1}", TWO_INPUTS["bh"][j])
                state.setdefault(f"wo{j + 1}", TWO_INPUTS["wo"][j])
            state.setdefault("bo", TWO_INPUTS["bo"])
        self.inputs = inputs
        if inputs == 2:
            self.figsize = (9.6, 3.1)
        super().__init__(inputs=inputs, **state)

    def declared(self, state):
        """One input: no w2 sliders; two inputs: the first weight is w1."""
        if self.inputs == 1:
            return tuple(replace(s, label=None) if s.name.startswith("w2_") else s for s in type(self).settings)
        return tuple(replace(s, label=s.label + "1") if s.name.startswith("wh") else s for s in type(self).settings)

    def validate(self, state):
        if state["inputs"] != self.inputs:
            raise ValueError(f"inputs: fixed when the explorer is made ({self.inputs}), got {state['inputs']!r}")
        return super().validate(state)

    def layout(self):
        c = self.controls
        cols = [widgets.VBox([c[k] for k in c if k.endswith(str(j)) and k != "bo"]) for j in range(1, H + 1)]
        return widgets.VBox([widgets.HBox(cols, layout={"flex_flow": "row wrap"}), c["bo"], self.image,
                             self.caption])

    # ------------------------------------------------------------------ model
    def network(self, s=None):
        """The explorer's network as an nnlab MLP."""
        s = s or self._state
        rows = [[s[f"wh{j}"] for j in range(1, H + 1)]]
        if self.inputs == 2:
            rows.append([s[f"w2_{j}"] for j in range(1, H + 1)])
        W1 = np.array(rows)
        b1 = np.array([s[f"bh{j}"] for j in range(1, H + 1)])
        W2 = np.array([[s[f"wo{j}"]] for j in range(1, H + 1)])
        return MLP.from_params([(W1, b1), (W2, [s["bo"]])], hidden="sigmoid",
                               output="linear" if self.inputs == 1 else "sigmoid")

    # ----------------------------------------------------------------- figure
    def setup(self, fig):
        if self.inputs == 1:
            self.ax_h, self.ax_y = fig.subplots(1, 2)
            self.h_lines = [self.ax_h.plot([], [], color=c, lw=2, label=f"unit {j + 1}: σ(w x + b)")[0]
                            for j, c in enumerate(UNIT_COLOURS)]
            self.c_lines = [self.ax_y.plot([], [], color=c, lw=1, ls="--", label=f"unit {j + 1} × output weight")[0]
                            for j, c in enumerate(UNIT_COLOURS)]
            (self.y_line,) = self.ax_y.plot([], [], color=OKABE_ITO["black"], lw=2.2, label="network output y")
            # room above the curves (activations end at 1) for the legend
            self.ax_h.set(xlabel="input x", ylabel="hidden activation", title="hidden units", ylim=(-0.05, 1.6))
            self.ax_y.set(xlabel="input x", ylabel="output y", title="output = weighted sum + bias")
            self._keyed = {self.ax_h: self.h_lines, self.ax_y: self.c_lines + [self.y_line]}
            for ax in (self.ax_h, self.ax_y):
                ax.grid(alpha=0.3)
                ax.legend(handles=self._keyed[ax], **LEGEND)
        else:
            axes = fig.subplots(1, 4)
            self.maps = []
            ext = (-2, 2, -2, 2)
            for j, ax in enumerate(axes):
                cmap = "cividis"
                im = ax.imshow(np.zeros((RES, RES)), origin="lower", extent=ext, vmin=0, vmax=1, cmap=cmap)
                self.maps.append(im)
                ax.set(xlabel="$x_1$", title=f"hidden unit {j + 1}" if j < H else "output (region > 0.5)")
                ax.set_xticks([-2, 0, 2])
                ax.set_yticks([-2, 0, 2])
            axes[0].set_ylabel("$x_2$")
            self.axes2 = axes
            self.lines = [axes[-1].plot([], [], color=c, lw=1.5)[0] for c in UNIT_COLOURS]
            self.own_lines = [axes[j].plot([], [], color=UNIT_COLOURS[j], lw=2)[0] for j in range(H)]
            self.region = axes[-1].imshow(np.zeros((RES, RES)), origin="lower", extent=ext, vmin=0, vmax=1,
                                          cmap=ListedColormap(["none", OKABE_ITO["vermillion"]]), alpha=0.35)
            fig.colorbar(self.maps[0], ax=list(axes), shrink=0.8, label="activation")
            g = np.linspace(-2, 2, RES)
            GX, GY = np.meshgrid(g, g)
            self.grid = np.c_[GX.ravel(), GY.ravel()]

    def compute(self, s):
        net = self.network(s)
        if self.inputs == 1:
            x = np.linspace(-4, 8, 501)
            fw = net.forward_pass(x[:, None])
            return SimpleNamespace(net=net, x=x, A1=fw.A[1], y=fw.A[2][:, 0])
        fw = net.forward_pass(self.grid)
        return SimpleNamespace(net=net, A1=fw.A[1], y=fw.A[2][:, 0])

    def draw(self, r):
        (W1, b1), (W2m, b2) = r.net.params
        if self.inputs == 1:
            W2 = W2m[:, 0]
            for j in range(H):
                self.h_lines[j].set_data(r.x, r.A1[:, j])
                self.h_lines[j].set_label(f"h{j + 1} = σ({_affine([W1[0, j]], b1[j], ['x'])})")
                self.c_lines[j].set_data(r.x, W2[j] * r.A1[:, j])
                self.c_lines[j].set_label(f"{number(W2[j], '.3g')} × h{j + 1}")
            self.y_line.set_label(f"y = {_affine(W2, b2[0], ['h1', 'h2', 'h3'])}")
            for ax in (self.ax_h, self.ax_y):  # the keys' words, in place (a new legend redraws the axes)
                for text, line in zip(ax.get_legend().get_texts(), self._keyed[ax]):
                    text.set_text(line.get_label())
            self.y_line.set_data(r.x, r.y)
            self.ax_h.set_xlim(r.x[0], r.x[-1])
            self.ax_y.set_xlim(r.x[0], r.x[-1])
            vals = np.r_[r.y, (W2 * r.A1).ravel()]
            span = max(np.ptp(vals), 1e-3)
            self.ax_y.set_ylim(vals.min() - 0.08 * span, vals.max() + HEADROOM * span)  # the legend goes on top
            return
        for j in range(H):
            self.axes2[j].set_title(f"hidden unit {j + 1}\nσ({_affine(W1[:, j], b1[j], ['x₁', 'x₂'])})", fontsize=9)
            self.maps[j].set_data(r.A1[:, j].reshape(RES, RES))
            xs, ys = _line(W1[0, j], W1[1, j], b1[j])
            self.own_lines[j].set_data(xs, ys)
            self.lines[j].set_data(xs, ys)
        self.axes2[H].set_title(f"output, shaded where\nσ({_affine(W2m[:, 0], b2[0], ['h1', 'h2', 'h3'])}) > 0.5",
                               fontsize=9)
        self.maps[H].set_data(r.y.reshape(RES, RES))
        self.region.set_data((r.y > 0.5).reshape(RES, RES).astype(float))
        for ax in self.axes2:
            ax.set_xlim(-2, 2)
            ax.set_ylim(-2, 2)

    def describe(self):
        r, s = self.result, self._state
        if self.inputs == 1:
            steps = []
            for j in range(1, H + 1):
                w, b = s[f"wh{j}"], s[f"bh{j}"]
                steps.append(f"x = {-b / w + 0.0:.3g}" if w else "nowhere (w = 0)")
            return (f"hidden units step at {', '.join(steps)}; output from {r.y.min():.3g} to {r.y.max():.3g} "
                    f"on x in [-4, 8], y(0) = {r.y[np.argmin(np.abs(r.x))]:.3g}.")
        share = float(np.mean(r.y > 0.5))
        (W1, _), (W2, _) = r.net.params
        # a unit shapes the region when it has a boundary (an input weight) and the output listens to it
        used = [j + 1 for j in range(H) if np.any(W1[:, j] != 0) and W2[j, 0] != 0]
        region = (f"a decision region covering {100 * share:.0f}% of the square [-2, 2]²; "
                  f"output from {r.y.min():.2f} to {r.y.max():.2f}.")
        if not used:
            return ("no hidden unit has both an input weight and an output weight, so the output is the same "
                    f"everywhere: {region}")
        units = f"{noun(len(used), 'unit')} {', '.join(map(str, used))}"
        verb = "makes" if len(used) == 1 else "combine into"
        return f"{plural(len(used), 'hidden half-plane')} ({units}) {verb} {region}"


def _affine(weights, bias, names):
    """'8 x₁ + 4 x₂ + 4' from weights, bias and variable names (zero terms left out, 3 significant digits)."""
    text = ""
    for w, name in zip(weights, names):
        if w == 0:
            continue
        sign = "−" if w < 0 else "+"
        text += f" {sign} {abs(w):.3g} {name}" if text else f"{'−' if w < 0 else ''}{abs(w):.3g} {name}"
    if bias or not text:
        text += f" {'−' if bias < 0 else '+'} {abs(bias):.3g}" if text else number(bias, ".3g")
    return text


def _line(w1, w2, b, lim=2.0):
    """Two points of the line w1 x + w2 y + b = 0 spanning the square [-lim, lim]^2 (empty if w = 0)."""
    if abs(w2) >= abs(w1) and w2 != 0:
        xs = np.array([-lim, lim])
        return xs, -(w1 * xs + b) / w2
    if w1 != 0:
        ys = np.array([-lim, lim])
        return -(w2 * ys + b) / w1, ys
    return np.array([]), np.array([])
