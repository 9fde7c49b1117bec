"""AutodiffTrace: step through the forward pass and a reverse- or forward-mode sweep of a small graph."""
from __future__ import annotations

import inspect
import re
from dataclasses import replace
from types import SimpleNamespace

import ipywidgets as widgets

from .. import graphs
from .base import OKABE_ITO, Explorer, Setting, memo
from ..words import number

LABELS = {"lecture": "the lecture's f(x1, x2)", "network": "scalar ReLU network + loss",
          "neuron": "tanh neuron + loss", "reuse": "a value used twice", "custom": "your function"}
EXPRESSION = Setting("expression", "lecture", "expression",
                     options=tuple((LABELS[k], k) for k in graphs.EXAMPLES), width="300px")
POSITION = Setting("position", 0, "step", low=0, integer=True)  # ends where the sweep does (``declared``)
MAX_INPUTS = 4
INPUTS = tuple(Setting(f"in{k + 1}", 0.0, f"input {k + 1}", low=-10.0, high=10.0, step=0.01, expensive=False)
               for k in range(MAX_INPUTS))
LECTURE = graphs.EXAMPLES["lecture"].inputs
# what is done, what happens now, what is still to come: the boxes' edges and the arrows in TODO (3.9:1 on white,
# over the 3:1 that graphics need), lines of text still to come in TODO_TEXT (5.7:1, over the 4.5:1 for text)
DONE, NOW, TODO, TODO_TEXT = OKABE_ITO["blue"], OKABE_ITO["vermillion"], "0.5", "0.4"
NOW_TEXT = "#B84F00"  # the vermillion darkened for the line of text marked now: 5.0:1 on white (NOW is 3.9:1)
HIDDEN = "?"  # a value not computed yet: the table shows what will be computed, not the answer


def _num(x):
    """A number for the figure and the words: 4 significant digits, never "-0"."""
    return number(x, ".4g")


ACCENTS = {"bar": "\u0304", "dot": "\u0307"}  # combining macron (adjoint), combining dot (tangent)


def _name(name, accent=None):
    """A node name as the figure writes it, the way its operations are written ("ln x1 + x1·x2"):
    "x1", with an accent over its letter (bar: the adjoint, dot: the tangent): "x̄1", "ẋ1". Plain
    characters, not mathtext: matplotlib parses a line that mixes mathtext and numbers anew
    (several milliseconds) whenever one of its numbers changes."""
    m = re.fullmatch(r"([A-Za-z]+)(\d*)", name)
    base, sub = (m.group(1), m.group(2)) if m else (name, "")
    return base + (ACCENTS[accent] if accent else "") + sub


class AutodiffTrace(Explorer):
    """The forward pass and then the derivative sweep of a small expression, one step at a time.

    Reverse mode visits the nodes from the output back and adds adjoint · local derivative into
    each input's adjoint (a value used twice receives a second "+="); forward mode carries the
    tangent of one input through the graph. ``AutodiffTrace(f=my_function, inputs=(1.0, 2.0))``
    traces your own function of scalars (built with ``nnlab.autodiff``'s operations).
    """

    figsize = (10.4, 4.6)

    settings = (
        EXPRESSION,
        Setting("mode", "reverse", "mode", options=(("reverse mode", "reverse"), ("forward mode", "forward")),
                buttons=True, width="120px"),
        # None: the first input (filled in by validate)
        Setting("wrt", None, "forward along", options=("x1", "x2"), optional=True, width="180px"),
        *(replace(s, default=LECTURE[k][1]) if k < len(LECTURE) else s for k, s in enumerate(INPUTS)),
        POSITION,
    )

    def __init__(self, f=None, inputs=None, **state):
        self.f_custom = None
        if f is not None:
            if not callable(f):
                raise ValueError(f"f: expected a function of scalars (a callable), got {f!r}")
            names = list(inspect.signature(f).parameters)
            values = [1.0] * len(names) if inputs is None else [float(v) for v in inputs]
            if not 1 <= len(values) <= MAX_INPUTS or len(values) != len(names):
                raise ValueError(f"inputs: expected one value for each of f's {len(names)} parameters "
                                 f"(at most {MAX_INPUTS}), got {inputs!r}")
            self.f_custom = graphs.Example(f, tuple((n, v, -10.0, 10.0) for n, v in zip(names, values)),
                                             f"your function f({', '.join(names)})")
            state.setdefault("expression", "custom")
        example = self.f_custom if state.get("expression") == "custom" else graphs.EXAMPLES.get(state.get("expression"))
        for k, (_, default, _, _) in enumerate(example.inputs if example else ()):
            state.setdefault(f"in{k + 1}", default)  # an expression starts from its own inputs
        super().__init__(**state)

    # ------------------------------------------------------------------ state
    def example(self, name=None):
        name = name or self._state["expression"]
        return self.f_custom if name == "custom" else graphs.EXAMPLES[name]

    def declared(self, state):
        """The expression's inputs name and bound the sliders; "forward along" offers them; the
        step slider ends where the sweep does."""
        options = EXPRESSION.options + ((("your function", "custom"),) if self.f_custom else ())
        expression = replace(EXPRESSION, options=options)
        example = self.example(expression.validate(state["expression"]))
        inputs = tuple(replace(s, label=name, low=low, high=high, default=default)
                       for s, (name, default, low, high) in zip(INPUTS, example.inputs))
        unused = tuple(replace(s, label=f"(unused) input {k + 1}") for k, s in enumerate(INPUTS)
                       if k >= len(example.inputs))
        wrt = replace(self.declaration("wrt"), options=tuple(i[0] for i in example.inputs))
        settings = (expression, self.declaration("mode"), wrt, *inputs, *unused)
        checked = {**state, **{s.name: s.validate(state[s.name]) for s in settings}}
        return settings + (replace(POSITION, high=self._length(checked)),)

    def validate(self, state):
        s = dict(state)
        old = getattr(self, "_state", None)
        known = s["expression"] in graphs.EXAMPLES or (s["expression"] == "custom" and self.f_custom)
        if old is not None and s["expression"] != old["expression"]:
            example = self.example(s["expression"]) if known else None
            if example is not None:
                for k, (_, default, _, _) in enumerate(example.inputs):
                    if s[f"in{k + 1}"] == old[f"in{k + 1}"]:
                        s[f"in{k + 1}"] = default  # a new expression starts from its own inputs
            if s["position"] == old["position"]:
                s["position"] = 0
            if s["wrt"] == old["wrt"]:
                s["wrt"] = None
        if old is not None and s["mode"] != old["mode"] and s["position"] == old["position"]:
            s["position"] = min(s["position"], len(self._trace(s).nodes))  # keep the forward pass
        s = super().validate(s)
        if s["wrt"] is None:
            s["wrt"] = self.example(s["expression"]).inputs[0][0]
        return s

    def _trace(self, s):
        example = self.example(s["expression"])
        values = tuple(s[f"in{k + 1}"] for k in range(len(example.inputs)))
        wrt = s["wrt"] if s["mode"] == "forward" else None
        if s["expression"] == "custom":
            return memo(graphs.trace_function, example.build, values, s["mode"], wrt)
        return memo(graphs.trace_example, s["expression"], values, s["mode"], wrt)

    def _length(self, s):
        t = self._trace(s)
        return len(t.nodes) + len(t.rows)

    # --------------------------------------------------------------- controls
    def make_controls(self):
        controls = super().make_controls()
        buttons = {name: widgets.Button(description=label, tooltip=tip, layout={"width": "auto"})
                   for name, label, tip in (("back", "◀ Back", "undo the last step"),
                                            ("step", "Step ▶", "take the next step"),
                                            ("run", "Run to the end", "finish the forward pass and the sweep"),
                                            ("reset", "Reset", "back to the start"))}
        move = {"back": lambda p: max(p - 1, 0), "step": lambda p: p + 1, "run": lambda p: 10**9,
                "reset": lambda p: 0}
        for name, button in buttons.items():
            button.on_click(lambda _, f=move[name]: self.set(position=min(f(self._state["position"]), self.length)))
        return {**controls, **buttons}

    @property
    def length(self):
        return self._length(self._state)

    def refresh_controls(self):
        s, c = self._state, self.controls
        declared = {d.name: d for d in self.declared(s)}
        n = len(self.example().inputs)
        for k in range(MAX_INPUTS):
            name, control = f"in{k + 1}", c[f"in{k + 1}"]
            d = declared[name]
            with control.hold_trait_notifications():  # range and value change together
                control.min, control.max = min(d.low, control.min), max(d.high, control.max)
                control.value = s[name]
                control.min, control.max = d.low, d.high
            control.description = d.label
            control.layout.display = None if k < n else "none"
        if tuple(c["wrt"].options) != declared["wrt"].options:
            c["wrt"].options = declared["wrt"].options
        c["wrt"].disabled = s["mode"] != "forward"
        with c["position"].hold_trait_notifications():
            c["position"].max = declared["position"].high
            c["position"].value = s["position"]
        at_end, at_start = s["position"] >= declared["position"].high, s["position"] == 0
        c["step"].disabled = c["run"].disabled = at_end
        c["back"].disabled = c["reset"].disabled = at_start

    def layout(self):
        c = self.controls
        row = lambda *names: widgets.HBox([c[n] for n in names], layout={"flex_flow": "row wrap"})
        return widgets.VBox([row("expression", "mode", "wrt"), row(*(f"in{k + 1}" for k in range(MAX_INPUTS))),
                             row("back", "step", "run", "reset", "position"), self.image, self.caption])

    # ----------------------------------------------------------------- figure
    def setup(self, fig):
        self.ax, self.ax_t = fig.subplots(1, 2, width_ratios=[1.45, 1])
        for ax in (self.ax, self.ax_t):
            ax.set_axis_off()
        self.title = fig.suptitle("", fontsize=11)
        self._structure = None
        self.boxes, self.arrows, self.lines = {}, {}, []

    def compute(self, s):
        return SimpleNamespace(trace=self._trace(s), position=s["position"], example=self.example(s["expression"]))

    def _build(self, t):
        """The graph's boxes and arrows, and the table's lines, for a new structure."""
        for artist in [*self.boxes.values(), *self.arrows.values(), *self.lines]:
            artist.remove()
        ax = self.ax
        # a column per depth; an input sits just left of the first node that uses it
        column = {n.name: n.depth for n in t.nodes}
        for n in t.nodes:
            if n.written == "input":
                users = [m.depth for m in t.nodes if n.name in m.inputs]
                column[n.name] = max(min(users, default=1) - 1, 0)
        levels = {}
        for node in t.nodes:
            levels.setdefault(column[node.name], []).append(node.name)
        self.pos = {name: (depth, (len(names) - 1) / 2 - i) for depth, names in levels.items()
                    for i, name in enumerate(names)}
        self.compact = len(levels) > 5  # too many columns for the operations: names and numbers only
        tall = max(len(names) for names in levels.values())
        ax.set_xlim(-0.6, max(levels) + 0.6)
        ax.set_ylim(-tall / 2 - 0.1, tall / 2 + 0.1)
        self.boxes = {node.name: ax.text(*self.pos[node.name], "", ha="center", va="center", fontsize=9, zorder=3,
                                         bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": TODO})
                      for node in t.nodes}
        # arrows from the right edge of an input's box to the left edge of the node's box (they follow
        # the boxes as their text grows)
        self.arrows = {(u, v): ax.annotate("", xy=(0.0, 0.5), xycoords=self.boxes[v],
                                         xytext=(1.0, 0.5), textcoords=self.boxes[u], zorder=2,
                                         arrowprops={"arrowstyle": "-|>", "color": TODO, "lw": 1.2,
                                                     "shrinkA": 4, "shrinkB": 6, "mutation_scale": 12})
                       for u, v in dict.fromkeys((u, node.name) for node in t.nodes for u in node.inputs)}
        # (one arrow per pair: b = a + a uses a twice, and its second contribution travels the same edge)
        n_lines = len(t.nodes) + len(t.rows) + 2
        step = min(0.95 / n_lines, 0.06)
        self.lines = [self.ax_t.text(0.0, 0.98 - i * step, "", transform=self.ax_t.transAxes, fontsize=9,
                                     va="top", family="DejaVu Sans") for i in range(n_lines)]

    def draw(self, r):
        t, p = r.trace, r.position
        s = self._state
        structure = (s["expression"], s["mode"], t.wrt, tuple(n.name for n in t.nodes))
        if structure != self._structure:
            self._structure = structure
            self._build(t)
        accent = "bar" if t.mode == "reverse" else "dot"
        n_fwd = len(t.nodes)
        k = max(p - n_fwd, 0)                 # sweep steps taken
        totals = self._totals(t, k)
        current = t.rows[k - 1] if k else None
        self.title.set_text(f"{r.example.title}: " + ("forward pass" if p <= n_fwd else
                            f"{t.mode} mode" + (f" along {t.wrt}" if t.wrt else "")))
        for i, node in enumerate(t.nodes):
            known = i < p
            text = (_name(node.name) if node.written == "input" or self.compact
                    else f"{_name(node.name)} = {node.written}")
            if known:
                text += f"\n= {_num(node.value)}"
            if node.name in totals:
                text += f"\n{_name(node.name, accent)} = {_num(totals[node.name])}"
            box = self.boxes[node.name]
            box.set_text(text)
            now = (p == i + 1) or (current is not None and current.receives == node.name)
            box.get_bbox_patch().set_edgecolor(NOW if now else DONE if known else TODO)
            box.get_bbox_patch().set_linewidth(2.2 if now else 1.0)
        for (u, v), arrow in self.arrows.items():
            hot = current is not None and {current.sends, current.receives} == {u, v}
            arrow.arrow_patch.set_color(NOW if hot else DONE if k else TODO)
            arrow.arrow_patch.set_linewidth(2.4 if hot else 1.2)
        self._draw_table(t, p, k, accent)

    @staticmethod
    def _totals(t, k):
        """Each node's adjoint (tangent) after ``k`` sweep steps (the seed counts from the first)."""
        if not k:
            return {}
        seed = t.nodes[-1].name if t.mode == "reverse" else t.wrt
        totals = {seed: 1.0}
        for row in t.rows[:k]:
            totals[row.receives] = row.total
        return totals

    def _draw_table(self, t, p, k, accent):
        shown = lambda value, known: _num(value) if known else HIDDEN  # noqa: E731
        lines = ["forward pass"] + [f"{_name(n.name)} = {n.written} = {shown(n.value, i < p)}" if n.written != "input"
                                    else f"{_name(n.name)} = {_num(n.value)} (input)" for i, n in enumerate(t.nodes)]
        op = "adjoints, from the output back" if t.mode == "reverse" else f"tangents along {t.wrt}"
        lines.append(f"{t.mode} sweep ({op})")
        for j, row in enumerate(t.rows):
            known = j < k
            factor = (f"{_name(row.sends, accent)} · {shown(row.local, known)}" if t.mode == "reverse"
                      else f"{shown(row.local, known)} · {_name(row.sends, accent)}")
            lines.append(f"{_name(row.receives, accent)} {'=' if row.first else '+='} {factor}"
                         f" = {shown(row.contribution, known)}   → {shown(row.total, known)}")
        marked = p if p <= len(t.nodes) else len(t.nodes) + 1 + k
        for i, (artist, text) in enumerate(zip(self.lines, lines)):
            done = 0 < i <= p if i <= len(t.nodes) else i - len(t.nodes) - 1 <= k and k > 0
            artist.set_text(("▶ " if i == marked and p else "   ") + text)
            artist.set_color(NOW_TEXT if i == marked and p else "black" if done or i in (0, len(t.nodes) + 1) else
                             TODO_TEXT)
            artist.set_fontweight("bold" if i in (0, len(t.nodes) + 1) else "normal")

    def describe(self):
        r = self.result
        t, p = r.trace, r.position
        n_fwd, m = len(t.nodes), len(t.rows)
        what = "adjoints" if t.mode == "reverse" else f"tangents along {t.wrt}"
        if p == 0:
            return (f"{r.example.title}: nothing computed yet. Step through the forward pass ({n_fwd} nodes), "
                    f"then the {t.mode}-mode sweep of {what} ({m} steps).")
        if p <= n_fwd:
            node = t.nodes[p - 1]
            how = "an input" if node.written == "input" else node.written
            return f"forward pass, node {p} of {n_fwd}: {node.name} = {how} = {_num(node.value)}."
        k = p - n_fwd
        row = t.rows[k - 1]
        word = "adjoint" if t.mode == "reverse" else "tangent"
        sends = self._totals(t, k - 1).get(row.sends, 1.0)  # the first sender is the seed, 1
        local = f"∂{row.sends}/∂{row.receives}" if t.mode == "reverse" else f"∂{row.receives}/∂{row.sends}"
        nth = sum(1 for r in t.rows[:k] if r.receives == row.receives)
        text = (f"{t.mode} sweep, step {k} of {m}: {word} of {row.receives} {'=' if row.first else '+='} "
                f"{word} of {row.sends} × {local} = {_num(sends)} × {_num(row.local)} = {_num(row.contribution)}")
        if not row.first:
            ordinal = {2: "second", 3: "third"}.get(nth, f"{nth}th")
            text += f", its {ordinal} contribution, so it is now {_num(row.total)}"
        text += "."
        if k == m:
            if t.mode == "reverse":
                text += " Gradient: " + ", ".join(f"∂{t.nodes[-1].name}/∂{name} = {_num(g)}"
                                                  for name, g in t.result.items()) + "."
            else:
                text += f" Derivative: ∂{t.nodes[-1].name}/∂{t.wrt} = {_num(t.result[t.nodes[-1].name])}."
        return text
