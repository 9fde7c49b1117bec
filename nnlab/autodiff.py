"""Automatic differentiation on scalars, written the way lecture 4 writes it.

A computation is a graph of nodes. Each node is one elementary operation ``v = op(u1, u2)``;
the table ``OPS`` gives, side by side, its forward rule and its local derivatives ∂v/∂u.

- **Reverse mode** (backpropagation). Seed the output's adjoint ȳ = ∂y/∂y = 1, visit the nodes
  from the output back to the inputs (reverse topological order) and, for each input u of a
  node v, accumulate ``ū += v̄ · ∂v/∂u``. The ``+=`` matters: a value used twice (``b = a + a``)
  receives both contributions. One sweep gives the gradient of one output with respect to
  every input.
- **Forward mode**. Seed the inputs' tangents u̇ (a direction), visit the nodes from the inputs
  to the output (topological order) and set ``v̇ = Σ ∂v/∂u · u̇``. One sweep gives the
  derivative of every output along one direction.

Conventions, stated once:

- ``Var(value, name)`` is a variable (something we differentiate with respect to); plain Python
  numbers mixed into an expression become constants, which get no adjoint and no tangent
  (as ``requires_grad=False`` in PyTorch).
- Nodes are numbered in the order they are created, which is always a topological order, so
  the sweeps need no recursion: a chain of 10,000 nodes differentiates like a chain of 10.
- ``backward()`` starts every adjoint from zero: calling it twice gives the same gradients
  (PyTorch instead adds the second call's gradients to ``.grad`` until you call ``zero_grad``).
- The sweeps count their multiplications ``v̄ · ∂v/∂u`` and ``∂v/∂u · u̇``; a local derivative of
  exactly +1 or -1 (addition, subtraction) passes the value on without one, as real engines do.
- ``trace`` records both sweeps as plain rows, in the order they happen, for printing and for
  the explorer.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import _validate as valid


class Op(NamedTuple):
    """One elementary operation: ``forward(*inputs) -> value`` and ``local(*inputs, value)`` ->
    the partial derivatives ∂v/∂u, one per input; ``symbol`` is how the trace writes it."""

    forward: Callable
    local: Callable
    symbol: str


def _sigmoid(a):
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))


# op name: (forward rule, local derivatives given the inputs and the value, how the trace writes it)
OPS = {
    "add": Op(lambda a, b: a + b, lambda a, b, v: (1.0, 1.0), "{0} + {1}"),
    "sub": Op(lambda a, b: a - b, lambda a, b, v: (1.0, -1.0), "{0} − {1}"),
    "mul": Op(lambda a, b: a * b, lambda a, b, v: (b, a), "{0} · {1}"),
    "div": Op(lambda a, b: a / b, lambda a, b, v: (1.0 / b, -a / (b * b)), "{0} / {1}"),
    "neg": Op(lambda a: -a, lambda a, v: (-1.0,), "−{0}"),
    "exp": Op(math.exp, lambda a, v: (v,), "exp {0}"),
    "log": Op(math.log, lambda a, v: (1.0 / a,), "ln {0}"),
    "sin": Op(math.sin, lambda a, v: (math.cos(a),), "sin {0}"),
    "cos": Op(math.cos, lambda a, v: (-math.sin(a),), "cos {0}"),
    "tanh": Op(math.tanh, lambda a, v: (1.0 - v * v,), "tanh {0}"),
    "sigmoid": Op(_sigmoid, lambda a, v: (v * (1.0 - v),), "σ({0})"),
    "relu": Op(lambda a: a if a > 0 else 0.0, lambda a, v: (1.0 if a > 0 else 0.0,), "max(0, {0})"),
    "square_loss": Op(lambda y, t: (y - t) ** 2, lambda y, t, v: (2.0 * (y - t), -2.0 * (y - t)), "({0} − {1})²"),
}
# a power with a constant exponent p: v = u^p, ∂v/∂u = p u^(p-1) (the exponent is part of the op)
POW = "pow"

_ids = itertools.count()


class Var:
    """A scalar node of the graph: its value, how it was made, and (after a sweep) its adjoint
    ``grad`` = ∂y/∂v or its ``tangent`` v̇."""

    __slots__ = ("back", "exponent", "grad", "id", "inputs", "local", "name", "op", "parents", "tangent",
                 "value", "varied")

    def __init__(self, value, name=None, *, _op=None, _inputs=(), _local=(), _exponent=None, _varied=True):
        self.value = float(value)
        self.op, self.inputs, self.local, self.exponent = _op, tuple(_inputs), tuple(_local), _exponent
        self.name = name
        # the (input, ∂v/∂input) pairs a reverse sweep follows: the inputs that depend on a variable
        self.back = tuple([(u, d) for u, d in zip(self.inputs, self.local) if u.varied])
        self.parents = tuple([u for u, _ in self.back])  # the inputs the sweeps reach
        self.varied = _varied  # depends on a variable: only such nodes get adjoints and tangents
        self.grad = 0.0
        self.tangent = 0.0
        self.id = next(_ids)

    def __repr__(self):
        label = f"{self.name} = " if self.name else ""
        return f"Var({label}{self.value:g}, grad={self.grad:g})"

    # ------------------------------------------------------------------ operators
    def __add__(self, other):
        return _apply("add", self, other)

    def __radd__(self, other):
        return _apply("add", other, self)

    def __sub__(self, other):
        return _apply("sub", self, other)

    def __rsub__(self, other):
        return _apply("sub", other, self)

    def __mul__(self, other):
        return _apply("mul", self, other)

    def __rmul__(self, other):
        return _apply("mul", other, self)

    def __truediv__(self, other):
        return _apply("div", self, other)

    def __rtruediv__(self, other):
        return _apply("div", other, self)

    def __neg__(self):
        return _apply("neg", self)

    def __pow__(self, p):
        if isinstance(p, Var):
            raise TypeError("exponent: expected a number (a constant exponent), got a Var; use exp(b * log(a))")
        p = valid.real("exponent", p)
        return _make(self.value ** p, POW, (self,), (p * self.value ** (p - 1),), exponent=p)

    def backward(self):
        """Reverse mode from this node: every node's ``grad`` becomes ∂self/∂node (see the module)."""
        return adjoints(self)


def constant(value):
    """A number that takes part in the computation but is not differentiated."""
    return value if isinstance(value, Var) else Var(valid.real("value", value), _varied=False)


def _make(value, op, inputs, local, exponent=None):
    node = Var(value, _op=op, _inputs=inputs, _local=local, _exponent=exponent)
    node.varied = bool(node.back)
    return node


def apply(name, *inputs):
    """The node ``name(*inputs)`` with its value and local derivatives (numbers become constants)."""
    return _apply(valid.choice("op", name, tuple(OPS)), *inputs)


def _apply(name, *inputs):
    op = OPS[name]
    inputs = tuple([u if isinstance(u, Var) else constant(u) for u in inputs])
    values = [u.value for u in inputs]
    value = op.forward(*values)
    return _make(value, name, inputs, op.local(*values, value))


def exp(u):
    return _apply("exp", u)


def log(u):
    return _apply("log", u)


def sin(u):
    return _apply("sin", u)


def cos(u):
    return _apply("cos", u)


def tanh(u):
    return _apply("tanh", u)


def sigmoid(u):
    return _apply("sigmoid", u)


def relu(u):
    return _apply("relu", u)


def square_loss(y, t):
    """(y − t)², the lecture's loss for one example."""
    return _apply("square_loss", y, t)


# ------------------------------------------------------------------ graph and sweeps

def graph(*outputs, varied=False):
    """Every node the outputs depend on, in topological order (creation order), found with an
    explicit stack (no recursion); with ``varied``, only the nodes that depend on a variable (the
    ones the sweeps give adjoints and tangents)."""
    stack = [o for o in map(constant, outputs) if o.varied or not varied]
    seen, pop, push = {}, stack.pop, stack.extend
    while stack:
        node = pop()
        i = node.id
        if i not in seen:
            seen[i] = node
            push(node.parents if varied else node.inputs)
    return [seen[i] for i in sorted(seen)]


@dataclass(frozen=True)
class Step:
    """One multiply-and-accumulate of a sweep: in reverse mode ``target.grad += source.grad · local``
    (source is the node being visited, target one of its inputs); in forward mode
    ``target.tangent += local · source.tangent`` (target is the node being visited)."""

    source: Var
    target: Var
    local: float
    contribution: float
    total: float     # the target's adjoint (tangent) after this step
    first: bool      # the target's first contribution (False: a "+=" onto an earlier one)


@dataclass(frozen=True)
class Sweep:
    """What a sweep did: its steps in order, and how many multiplications they took."""

    mode: str
    steps: tuple
    multiplications: int


def adjoints(*outputs, seeds=None, record=False):
    """Reverse mode. Every node's ``grad`` is set to the sum over seeded nodes s of seed_s · ∂s/∂node;
    by default the seed is 1 on each output, so ``grad`` is the gradient of their sum. With
    ``record`` the returned ``Sweep`` lists every step (for ``trace``); otherwise only the count."""
    # with every output seeded, every node that depends on a variable is reached (it lies on a path
    # to an output): only a partial seeding or a recorded sweep needs to track which nodes are reached
    if not record and seeds is None:
        return Sweep("reverse", (), _sweep_back(outputs))
    seeds = {o: 1.0 for o in outputs} if seeds is None else seeds
    nodes = graph(*outputs, varied=True)
    for node in nodes:
        node.grad = 0.0
    reached = set()
    for node, value in seeds.items():
        node.grad = float(value)
        reached.add(node.id)
    steps, mults, add = [], 0, reached.add
    for node in reversed(nodes):
        if node.id not in reached:
            continue
        g = node.grad
        for u, local in node.back:
            contribution = local * g
            if local != 1.0 and local != -1.0:  # ±1 passes the value on: no multiplication
                mults += 1
            if record:
                steps.append(Step(node, u, local, contribution, u.grad + contribution, u.id not in reached))
            u.grad += contribution
            add(u.id)
    return Sweep("reverse", tuple(steps), mults)


def _sweep_back(outputs):
    """``adjoints`` with every output seeded with 1, nothing recorded: the nodes are found (and
    their adjoints zeroed) and swept in one go, the hot path of ``backward``. Returns the count of
    multiplications. The search repeats ``graph``'s on purpose: sharing it (a helper with a flag
    for the zeroing) made backward 15 % slower, past micrograd's time."""
    stack = [o for o in map(constant, outputs) if o.varied]
    seen, pop, push = {}, stack.pop, stack.extend
    while stack:
        node = pop()
        i = node.id
        if i not in seen:
            seen[i] = node
            node.grad = 0.0
            push(node.parents)
    for o in outputs:
        if isinstance(o, Var):
            o.grad = 1.0
    mults = 0
    for i in sorted(seen, reverse=True):  # ids follow creation: reversed, every user before its inputs
        node = seen[i]
        g = node.grad
        for u, local in node.back:
            if local != 1.0 and local != -1.0:  # ±1 passes the value on: no multiplication
                mults += 1
            u.grad += local * g
    return mults


def tangents(*outputs, seeds, record=False):
    """Forward mode. ``seeds`` maps nodes to their tangents (a direction); every node downstream
    gets ``tangent`` = Σ ∂v/∂u · u̇, and nodes not downstream of a seed keep tangent 0. With
    ``record`` the returned ``Sweep`` lists every step (for ``trace``); otherwise only the count."""
    nodes = graph(*outputs)
    for node in nodes:
        node.tangent = 0.0
    active = set()
    for node, value in seeds.items():
        node.tangent = float(value)
        active.add(node.id)
    steps, mults = [], 0
    for node in nodes:
        if node.id in active and node in seeds:
            continue
        first = True
        for u, local in zip(node.inputs, node.local):
            if u.id not in active:
                continue
            contribution = local * u.tangent
            node.tangent += contribution
            if local != 1.0 and local != -1.0:  # ±1 passes the value on: no multiplication
                mults += 1
            if record:
                steps.append(Step(u, node, local, contribution, node.tangent, first))
            first = False
            active.add(node.id)
    return Sweep("forward", tuple(steps), mults)


# ------------------------------------------------------------------ for functions of numbers

def evaluate(f, xs, names):
    """``f`` applied to one Var per value (named ``names``): the variables and the output node."""
    variables = [Var(x, name) for x, name in zip(xs, names)]
    y = f(*variables)
    if not isinstance(y, Var):
        raise ValueError(f"f: expected a function that returns a Var (built from its arguments), got {y!r}")
    return variables, y


def gradient(f, *xs):
    """f(*xs) and its gradient by reverse mode: ``value, [∂f/∂x1, ...]``."""
    variables, y = evaluate(f, xs, [f"x{i + 1}" for i in range(len(xs))])
    adjoints(y)
    return y.value, [v.grad for v in variables]


def derivative(f, xs, direction):
    """f(*xs) and its directional derivative ∇f · direction by forward mode."""
    valid.same_rows("xs", np.asarray(xs, float), "direction", np.asarray(direction, float))
    variables, y = evaluate(f, xs, [f"x{i + 1}" for i in range(len(xs))])
    tangents(y, seeds=dict(zip(variables, direction)))
    return y.value, y.tangent


def jacobian(f, xs, mode="reverse"):
    """The Jacobian ∂f_i/∂x_j of f (returning one Var or a list of them) at xs, by reverse mode (one
    sweep per output) or forward mode (one sweep per input); returns ``(J, multiplications)``."""
    mode = valid.choice("mode", mode, ("reverse", "forward"))
    variables = [Var(x, f"x{i + 1}") for i, x in enumerate(xs)]
    ys = f(*variables)
    ys = [ys] if isinstance(ys, Var) else list(ys)
    J, mults = np.zeros((len(ys), len(variables))), 0
    if mode == "reverse":
        for i, y in enumerate(ys):
            mults += adjoints(*ys, seeds={y: 1.0}).multiplications
            J[i] = [v.grad for v in variables]
    else:
        for j, v in enumerate(variables):
            mults += tangents(*ys, seeds={v: 1.0}).multiplications
            J[:, j] = [y.tangent for y in ys]
    return J, mults


# ------------------------------------------------------------------ the trace

class Row(NamedTuple):
    """One step of a sweep as the lecture writes it: ``receives`` gets ``contribution`` = ``local`` ×
    (the adjoint or tangent of ``sends``), and its adjoint (tangent) is then ``total``; ``first``:
    its first contribution ("="), otherwise a "+=" onto an earlier one."""

    receives: str
    sends: str
    local: float
    contribution: float
    total: float
    first: bool


class Node(NamedTuple):
    """One row of the forward table: the node's name, its operation as written, its inputs, its
    value, and its depth (the longest path from an input: 0 for the inputs)."""

    name: str
    written: str
    inputs: tuple
    value: float
    depth: int


@dataclass(frozen=True)
class Trace:
    """Both sweeps of one computation as plain rows, in the order they happen.

    ``nodes``: the forward table (``Node`` rows, topological order, constants left out);
    ``rows``: the derivative sweep (``Row``s) in the order it visits them; ``mode``: "reverse"
    (adjoints from the output back) or "forward" (tangents from ``wrt`` on); ``result``: the
    inputs' adjoints (reverse) or every node's tangent (forward), by name."""

    mode: str
    nodes: tuple
    rows: tuple
    result: dict
    sweep: Sweep
    wrt: str | None = None

    @property
    def forward(self):
        """The forward table as (name, written, inputs, value) tuples."""
        return tuple(n[:4] for n in self.nodes)

    @property
    def gradient(self):
        return self.result


def names(nodes):
    """The trace's names: a node keeps its own name; other variables x1, x2, ...; intermediate
    nodes v1, v2, ... in creation order; the last node, if unnamed, y; constants their value."""
    out, k = {}, 0
    for i, node in enumerate(nodes):
        if node.name:
            out[node.id] = node.name
        elif not node.varied:
            out[node.id] = f"{node.value:g}"
        elif not node.inputs:
            out[node.id] = f"x{sum(1 for n in nodes[:i] if n.varied and not n.inputs) + 1}"
        elif i == len(nodes) - 1:
            out[node.id] = "y"
        else:
            k += 1
            out[node.id] = f"v{k}"
    return out


def written(node, label):
    """How the trace writes the operation that made ``node`` ("ln x1", "v1 + v2")."""
    if node.op is None:
        return "input" if node.varied else "constant"
    if node.op == POW:
        return f"{label[node.inputs[0].id]}^{node.exponent:g}"
    return OPS[node.op].symbol.format(*(label[u.id] for u in node.inputs))


def trace(y, mode="reverse", wrt=None):
    """Differentiate ``y`` and record the forward table and the sweep: reverse mode (adjoints of
    every node, the gradient at the inputs), or forward mode along the input ``wrt`` (a Var of the
    graph or its name; the first input by default)."""
    mode = valid.choice("mode", mode, ("reverse", "forward"))
    nodes = graph(y)
    label = names(nodes)
    depth = {}
    for n in nodes:
        depth[n.id] = max((depth[u.id] + 1 for u in n.inputs if u.varied), default=0)
    table = tuple(Node(label[n.id], written(n, label), tuple(label[u.id] for u in n.inputs if u.varied), n.value,
                       depth[n.id]) for n in nodes if n.varied)
    inputs = [n for n in nodes if n.varied and not n.inputs]
    if mode == "reverse":
        sweep = adjoints(y, record=True)
        result, seed = {label[n.id]: n.grad for n in inputs}, None
    else:
        by_name = {label[n.id]: n for n in inputs}
        start = inputs[0] if wrt is None else wrt if isinstance(wrt, Var) else by_name.get(wrt)
        if start is None or start.id not in label or start.inputs:
            raise ValueError(f"wrt: expected one of the inputs {sorted(by_name)}, got {wrt!r}")
        sweep = tangents(y, seeds={start: 1.0}, record=True)
        result, seed = {label[n.id]: n.tangent for n in nodes if n.varied}, label[start.id]
    rows = tuple(Row(label[s.target.id], label[s.source.id], s.local, s.contribution, s.total, s.first)
                 for s in sweep.steps)
    return Trace(mode, table, rows, result, sweep, seed)
