"""The computational graphs of lecture 4, built with ``nnlab.autodiff``: the examples the
AutodiffTrace explorer steps through, and the chain of Jacobians whose cost decides between
forward and reverse mode."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from . import _validate as valid
from .autodiff import Var, evaluate, adjoints, log, relu, sin, square_loss, tangents, tanh, trace


class Example(NamedTuple):
    """An expression to trace: ``build(*values)`` makes the graph from its inputs' values and
    returns the output; ``inputs``: (name, default, low, high) of each input; ``title``: in words."""

    build: Callable
    inputs: tuple
    title: str


def _lecture(x1, x2):
    x1, x2 = Var(x1, "x1"), Var(x2, "x2")
    v1 = log(x1)
    v2 = x1 * x2
    v3 = sin(x2)
    v4 = v1 + v2
    return v4 - v3


def _network(w1, b1, w2, b2, x=1.0, t=1.0):
    w1, b1, w2, b2 = Var(w1, "w1"), Var(b1, "b1"), Var(w2, "w2"), Var(b2, "b2")
    z = w1 * x + b1
    z.name = "z"
    h = relu(z)
    h.name = "h"
    y = w2 * h + b2
    y.name = "y"
    loss = square_loss(y, t)
    loss.name = "L"
    return loss


def _neuron(w, b, x=1.5, t=0.8):
    w, b = Var(w, "w"), Var(b, "b")
    a = tanh(w * x + b)
    a.name = "a"
    loss = square_loss(a, t)
    loss.name = "L"
    return loss


def _reuse(a):
    a = Var(a, "a")
    b = a + a
    b.name = "b"
    c = b * b
    c.name = "c"
    return c


EXAMPLES = {
    "lecture": Example(_lecture, (("x1", 2.0, 0.1, 5.0), ("x2", 5.0, -5.0, 5.0)),
                       "f(x1, x2) = ln x1 + x1·x2 − sin x2"),
    "network": Example(_network, (("w1", 3.0, -5.0, 5.0), ("b1", 1.0, -5.0, 5.0), ("w2", 2.0, -5.0, 5.0),
                                  ("b2", -5.0, -10.0, 10.0)),
                       "L = (w2·max(0, w1·x + b1) + b2 − t)² at x = 1, t = 1"),
    "neuron": Example(_neuron, (("w", 0.5, -3.0, 3.0), ("b", 0.1, -3.0, 3.0)),
                      "L = (tanh(w·x + b) − t)² at x = 1.5, t = 0.8"),
    "reuse": Example(_reuse, (("a", 3.0, -5.0, 5.0),), "b = a + a, c = b·b (a used twice)"),
}


def trace_example(name, values, mode="reverse", wrt=None):
    """``trace`` of the example ``name`` (a key of ``EXAMPLES``) at the inputs' ``values``."""
    example = EXAMPLES[valid.choice("example", name, tuple(EXAMPLES))]
    return trace(example.build(*values), mode, wrt)


def trace_function(f, values, mode="reverse", wrt=None):
    """``trace`` of your own function of scalars: ``f(*vars)`` with one Var per value, named after
    f's parameters."""
    import inspect

    _, y = evaluate(f, values, list(inspect.signature(f).parameters)[: len(values)])
    return trace(y, mode, wrt)


def jacobian_chain(d, d1, d2, D, seed=0):
    """The lecture's chain of Jacobians J3 (D×d2) · J2 (d2×d1) · J1 (d1×d), built from scalar
    nodes (three linear layers with random constant weights), and the product computed both ways.

    Forward mode starts from the d columns of J1 (as tangents of the first layer's outputs) and
    carries them through the other two layers; reverse mode starts from the D rows of J3 (as
    adjoints of the last layer's inputs) and carries them back through the first two. Returns
    ``(J from forward mode, J from reverse mode, multiplications forward, multiplications
    reverse, (J1, J2, J3))``; the counts are d(D·d2 + d2·d1) and D(d2·d1 + d1·d)."""
    for name, value in (("d", d), ("d1", d1), ("d2", d2), ("D", D)):
        valid.integer(name, value, low=1)
    rng = np.random.default_rng(seed)
    J1, J2, J3 = rng.normal(size=(d1, d)), rng.normal(size=(d2, d1)), rng.normal(size=(D, d2))

    def layer(W, inputs):
        return [_sum([W[j, i] * u for i, u in enumerate(inputs)]) for j in range(W.shape[0])]

    x = [Var(0.0, f"x{i + 1}") for i in range(d)]
    h1 = layer(J1, x)
    h2 = layer(J2, h1)
    y = layer(J3, h2)
    forward_rows, mults_forward = [], 0
    for k in range(d):
        sweep = tangents(*y, seeds=dict(zip(h1, J1[:, k])))
        mults_forward += sweep.multiplications
        forward_rows.append([v.tangent for v in y])
    reverse_rows, mults_reverse = [], 0
    for r in range(D):
        sweep = adjoints(*h2, seeds=dict(zip(h2, J3[r])))
        mults_reverse += sweep.multiplications
        reverse_rows.append([v.grad for v in x])
    return np.array(forward_rows).T, np.array(reverse_rows), mults_forward, mults_reverse, (J1, J2, J3)


def _sum(terms):
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total
