"""The deep networks of lecture 7's gradient flow, and their weights drawn so that nothing jumps.

``build`` makes the network ``gradflow`` measures and trains (input layer, ``depth`` hidden layers or
residual blocks of ``width`` units, one output unit). Each weight matrix comes from its own random stream
(``Draws``), in an order that makes a narrower network's weights the top-left block of a wider one's and
layer l's the same at any depth: moving the depth or width slider changes the network only by what it adds
or removes.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from . import _validate as valid
from .memo import memo
from .nn import INITS, init_layer, init_std

ACTS = ("sigmoid", "tanh", "relu", "linear")


@dataclass
class DeepNet:
    """Parameters of the deep network; ``layers`` holds (W, b) for plain layers or (V, b, U) for blocks."""

    activation: str
    residual: bool
    inp: tuple            # (W0, b0): input layer d -> width
    layers: list          # hidden layers or residual blocks
    out: tuple            # (Wo, bo): width -> 1

    @property
    def depth(self):
        return len(self.layers)


def build(depth, width, activation="relu", init="he", scale=1.0, residual=False, d_in=2, seed=0):
    """A deep network as in the module docstring, with its weights drawn by ``init``."""
    depth = valid.integer("depth", depth, low=1, high=100)
    width = valid.integer("width", width, low=2, high=256)
    activation = valid.choice("activation", activation, ACTS)
    init = valid.choice("init", init, INITS)
    scale = valid.real("scale", scale, low=0.0, low_open=True)
    inp, layers, out = memo(_weights, depth, width, init, scale, bool(residual), d_in, seed)
    return DeepNet(activation, bool(residual), inp, list(layers), out)


def _weights(depth, width, init, scale, residual, d_in, seed):
    """The random draw behind ``build`` (through ``memo``: the activation does not change the weights).
    The arrays are shared, so nothing may update them in place (``train`` makes new ones).

    Every weight matrix is drawn from its own stream (``_draws``): layer l's weights are the same
    at any depth, and a narrower network's are the top-left block of a wider one's, so moving the
    depth or width slider changes the network only by the layers or units it adds or removes (and
    the scale of the init)."""
    inp = _layer(seed, (0, d_in), d_in, width, "xavier_normal", 1.0)
    layers = []
    for l in range(depth):
        W, b = _layer(seed, (1, l), width, width, init, scale)
        layers.append((W, b, _layer(seed, (2, l), width, width, init, scale)[0]) if residual else (W, b))
    out = _layer(seed, (3, 0), width, 1, "xavier_normal", 1.0)
    for arrays in (inp, out, *layers):
        for a in arrays:
            a.flags.writeable = False
    return inp, tuple(layers), out


def _layer(seed, matrix, fan_in, fan_out, init, scale):
    """(W, b) as ``nn.init_layer`` draws them, from the stream of ``matrix`` (see ``_draws``)."""
    std = init_std(init, fan_in, fan_out, scale)
    if std is None:  # not drawn normal (identity, uniform, ...): nn's initialiser, on this matrix's stream
        return init_layer(fan_in, fan_out, init, scale, np.random.default_rng([seed, *matrix]))
    W = _draws(seed, matrix, fan_in, fan_out).astype(np.float64)
    W *= std
    return W, np.zeros(fan_out)


# how each kind of matrix (the first number of ``matrix``) grows: the input layer (d_in x width, its
# stream (0, d_in)) by columns, hidden layers and blocks' second matrices (width x width) by shells, the output layer
# (width x 1) by rows
GROWS = {0: "columns", 1: "shells", 2: "shells", 3: "rows"}


def _draws(seed, matrix, rows, cols):
    """N(0, 1) draws for one weight matrix, ``rows`` x ``cols``, from its own stream
    ``default_rng([seed, *matrix])``, in an order that makes the first draws the top-left block: a
    square matrix in shells (shell s: row s up to column s, then column s above row s), a matrix
    with a fixed number of rows (columns) by whole columns (rows). The draws of a seed are kept
    (``memo``) and extended when a larger matrix is asked for, so each number is drawn once."""
    return memo(Draws, seed).take(matrix, rows, cols)


class Draws:
    """The standard normal draws behind the weights of one seed: matrix -> (its generator, the draws so
    far), stored in float32 as PyTorch draws its weights (100 blocks of 256 x 256 take 26 MB). A growing
    result of ``memo``: one caller at a time grows it (an explorer's background training builds networks
    while the kernel's thread may build another from the same streams), and what it handed out never
    changes."""

    def __init__(self, seed):
        self.seed, self.streams, self.nbytes = seed, {}, 0
        self._lock = threading.Lock()

    def take(self, matrix, rows, cols):
        with self._lock:
            grew = self._grow(matrix, rows, cols)
        if grew:
            memo.trim()
        return self.streams[matrix][1][:rows, :cols]

    def _grow(self, matrix, rows, cols):
        rng, drawn = self.streams.get(matrix) or (np.random.default_rng([self.seed, *matrix]),
                                                 np.zeros((0, 0), np.float32))
        r0, c0 = drawn.shape
        if rows <= r0 and cols <= c0:
            self.streams.setdefault(matrix, (rng, drawn))
            return False
        grows = GROWS[matrix[0]]
        grown = np.zeros((max(rows, r0), max(cols, c0)), np.float32)
        grown[:r0, :c0] = drawn
        if grows == "shells":
            i, j = memo(_shells)[:, r0 * r0:rows * rows]
            grown[i, j] = rng.standard_normal(len(i), dtype=np.float32)
        elif grows == "columns":
            grown[:, c0:] = rng.standard_normal((cols - c0, rows), dtype=np.float32).T
        else:
            grown[r0:, :] = rng.standard_normal((rows - r0, cols), dtype=np.float32)
        self.streams[matrix] = (rng, grown)
        self.nbytes += grown.nbytes - drawn.nbytes
        return True


def _shells(n=256):
    """(row, column) of each draw of a square matrix in shell order (see ``_draws``), shape
    (2, n^2): the first w^2 of them are the cells of the top-left w x w block."""
    rows, cols = [], []
    for s in range(n):
        rows += [np.full(s + 1, s), np.arange(s)]
        cols += [np.arange(s + 1), np.full(s, s)]
    return np.array([np.concatenate(rows), np.concatenate(cols)], dtype=np.intp)
