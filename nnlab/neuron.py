"""One neuron with one input: a = g(w x + b), the picture behind every hidden unit."""
from __future__ import annotations

import numpy as np

from . import _validate as valid
from .nn import ACTIVATIONS


def response(x, w, b, activation="sigmoid"):
    """a(x) = g(w x + b) and its slope da/dx = w g'(w x + b)."""
    g, dg = ACTIVATIONS[valid.choice("activation", activation, tuple(ACTIVATIONS))]
    x = valid.as_array("x", x)
    w = valid.real("w", w)
    b = valid.real("b", b)
    z = w * x + b
    return g(z), w * dg(z)


def step_location(w, b):
    """Where w x + b = 0, s = -b / w: the step of a steep sigmoid, the kink of a ReLU (None if w = 0)."""
    w, b = valid.real("w", w), valid.real("b", b)
    return None if w == 0 else -b / w + 0.0  # + 0.0 turns -0.0 into 0.0


def sigmoid_rise_width(w):
    """Width in x of a sigmoid's rise from 10 % to 90 %: 2 ln 9 / |w| (inf for w = 0)."""
    w = valid.real("w", w)
    return np.inf if w == 0 else 2.0 * np.log(9.0) / abs(w)
