"""Reference numerics for fully connected networks, written to read like the lecture.

Convention (stated once, used everywhere in nnlab): batch-first rows.
A batch ``X`` has shape (N, fan_in); a layer computes ``Z = X @ W + b`` with ``W`` of
shape (fan_in, fan_out) and ``b`` of shape (fan_out,), then ``A = g(Z)``.
Layer l of an MLP:  Z_l = A_{l-1} @ W_l + b_l,  A_l = g_l(Z_l),  A_0 = X.

Backward pass (delta = dL/dZ):
    dZ_L = dL/dA_L * g_L'(Z_L)      (= (A_L - Y)/N for sigmoid+BCE and softmax+CE)
    dW_l = A_{l-1}.T @ dZ_l,   db_l = sum of dZ_l over rows
    dA_{l-1} = dZ_l @ W_l.T,   dZ_{l-1} = dA_{l-1} * g'(Z_{l-1})

PyTorch is imported only inside ``to_torch`` / ``from_torch``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _validate as valid
from . import function_rules as rules
from .gradcheck import (GradientCheck, GradientCheckEntry, gradient_check,  # noqa: F401 (nn's API)
                        numerical_gradient, relative_error)
from .functions import (  # noqa: F401 (nn's API: the activations and losses, written in functions.py)
    _floats, sigmoid, sigmoid_grad, tanh, tanh_grad, relu, relu_grad, linear, linear_grad, softmax,
    softmax_grad, ACTIVATIONS, OUTPUTS, activation, _activation_backward, _activate, _reduce, _scale,
    mean_squared_error, mean_squared_error_grad, binary_cross_entropy, binary_cross_entropy_grad,
    binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad, _one_hot_like,
    categorical_cross_entropy, categorical_cross_entropy_grad, softmax_cross_entropy, softmax_cross_entropy_grad,
    LOSSES, DEFAULT_LOSS)
from .optim import Divergence

# ----------------------------------------------------------------------- MLP

INITS = ("zeros", "normal", "uniform", "xavier_uniform", "xavier_normal", "he_normal", "identity", "torch", "xavier",
         "he")
INIT_ALIASES = {"xavier": "xavier_normal", "he": "he_normal"}   # lecture 7's names: the variance, drawn normal
DEFAULT_INIT_SCALE = {"normal": 0.01, "uniform": 0.7, "identity": 1.0}


def init_layer(fan_in, fan_out, init="normal", scale=None, rng=None):
    """Initial (W, b) for one layer: nnlab's one initialiser (``MLP`` and ``gradflow`` draw with it).

    normal:         W = scale * N(0, 1), scale 0.01 by default (the curriculum's small weights)
    uniform:        W ~ U[-scale, scale], scale 0.7 by default (for standardised inputs)
    xavier_uniform: W ~ U[-a, a], a = scale * sqrt(6 / (fan_in + fan_out))   (Glorot & Bengio 2010)
    xavier_normal:  W = scale * N(0, 2 / (fan_in + fan_out))   (the same variance, drawn normal)
    he_normal:      W = scale * N(0, 2 / fan_in)                               (He et al. 2015)
    identity:       W = scale * I (rectangular identity if fan_in != fan_out)
    torch:          PyTorch's nn.Linear default, W and b ~ U[-1/sqrt(fan_in), 1/sqrt(fan_in)]
    zeros:          W = 0 (every hidden unit stays the same: the symmetry that random starts break)
    'xavier' and 'he', the names of lecture 7, mean xavier_normal and he_normal. scale is 1 by
    default for the others. Biases start at zero except for 'torch'.
    """
    init = valid.choice("init", init, INITS)
    init = INIT_ALIASES.get(init, init)
    rng = np.random.default_rng(rng)
    scale = DEFAULT_INIT_SCALE.get(init, 1.0) if scale is None else scale
    shape, b = (fan_in, fan_out), np.zeros(fan_out)
    std = init_std(init, fan_in, fan_out, scale)
    if std is not None:
        W = std * rng.standard_normal(shape)
    elif init == "zeros":
        W = np.zeros(shape)
    elif init == "uniform":
        W = rng.uniform(-scale, scale, shape)
    elif init == "xavier_uniform":
        a = scale * np.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-a, a, shape)
    elif init == "identity":
        W = scale * np.eye(fan_in, fan_out)
    else:  # torch
        a = 1.0 / np.sqrt(fan_in)
        W = rng.uniform(-a, a, shape)
        b = rng.uniform(-a, a, fan_out)
    return W, b


def init_std(init, fan_in, fan_out, scale=None):
    """The standard deviation of W for the inits drawn W = std * N(0, 1) ('normal', 'xavier_normal',
    'he_normal' and their aliases; see ``init_layer``), None for the others."""
    init = INIT_ALIASES.get(init, init)
    scale = DEFAULT_INIT_SCALE.get(init, 1.0) if scale is None else scale
    if init == "normal":
        return scale
    if init == "xavier_normal":
        return scale * np.sqrt(2.0 / (fan_in + fan_out))
    if init == "he_normal":
        return scale * np.sqrt(2.0 / fan_in)
    return None


def count_parameters(sizes):
    """Weights plus biases of a fully connected network: sum over layers of (fan_in + 1) fan_out."""
    sizes = _check_sizes(sizes)
    return int(sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))


def _check_sizes(sizes):
    try:
        sizes = list(sizes)
    except TypeError:
        raise ValueError(f"sizes: expected a list of layer widths such as [2, 8, 1], got {sizes!r}") from None
    if len(sizes) < 2:
        raise ValueError(f"sizes: expected at least two layer widths (inputs and outputs), got {sizes!r}")
    return [valid.integer(f"sizes[{i}]", s, low=1) for i, s in enumerate(sizes)]


@dataclass
class Forward:
    """What the forward pass stores for the backward pass: Z[l] and A[l] for every layer (A[0] = X)."""

    Z: list = field(default_factory=list)
    A: list = field(default_factory=list)


# One forward and one backward pass for every network in nnlab (MLP, gradflow's deep networks).
# params[l - 1] is layer l: (W, b) as above, or a residual block (V, b, U), one of ``blocks``:
#     Z_l = A_{l-1} @ V_l + b_l,   A_l = A_{l-1} + g(Z_l) @ U_l / blocks       (He et al. 2016)
# Dropout (training only, plain hidden layers): masks[l - 1] multiplies A_l, a mask holding 0 or
# 1/(1 - p) (inverted dropout); the backward pass multiplies dL/dA_l by the same mask.


def _forward_layers(params, X, activations, blocks=1, masks=None):
    """Z[l] and A[l] of every layer l = 1..L (A[0] = X), layer l activated by ``activations[l - 1]``."""
    fw = Forward(Z=[None], A=[X])
    for l, (p, g) in enumerate(zip(params, activations), start=1):
        Z = rules.dense(fw.A[-1], p[0], p[1])
        fw.Z.append(Z)
        A = _activate(g, Z) if len(p) == 2 else fw.A[-1] + _activate(g, Z) @ p[2] / blocks
        fw.A.append(A * masks[l - 1] if masks is not None and l < len(params) and len(p) == 2 else A)
    return fw


def _backprop(params, fw, dZ, activations, blocks=1, masks=None, l1=0.0, l2=0.0):
    """Backward from dZ = dL/dZ_L (the last layer is a plain one): the gradients, shaped like ``params``
    (a plain layer's dW with the penalty's l2 W + l1 sign(W)), and dA with dA[l] = dL/dA_l for l = 1..L-1
    (dA[0] is None: nothing needs dL/dX)."""
    L = len(params)
    grads, dA = [None] * L, [None] * L
    for l in range(L, 0, -1):
        p, Z = params[l - 1], fw.Z[l]
        if l < L and len(p) == 3:    # residual block: dZ_l through the branch, dA_{l-1} along both paths
            g, dg = ACTIVATIONS[activations[l - 1]]
            dU = g(Z).T @ dA[l] / blocks
            dZ = (dA[l] @ p[2].T / blocks) * dg(Z)
            grads[l - 1] = (fw.A[l - 1].T @ dZ, dZ.sum(axis=0), dU)
            if l > 1:
                dA[l - 1] = dA[l] + dZ @ p[0].T
        else:                        # plain layer (dZ_L of the last one is given)
            if l < L:
                dA_l = dA[l] if masks is None else dA[l] * masks[l - 1]   # through the dropout mask
                # A_l itself, unless dropout scaled it
                dZ = _activation_backward(activations[l - 1], Z, fw.A[l] if masks is None else None, dA_l)
            grads[l - 1] = (rules.weight_grad(fw.A[l - 1], dZ, p[0], l1, l2), dZ.sum(axis=0))
            if l > 1:
                dA[l - 1] = dZ @ p[0].T
    return grads, dA


def predicted_class(A, output):
    """Classes from a network's outputs A (N, k): A >= 0.5 for one sigmoid unit (>= 0 for other single
    units), arg-max over several."""
    if A.shape[1] == 1:
        return (A[:, 0] >= (0.5 if output == "sigmoid" else 0.0)).astype(int)
    return np.argmax(A, axis=1)


class MLP:
    """A fully connected network, ``sizes = [d, h1, ..., k]``.

    Layer l computes A_l = g(A_{l-1} @ W_l + b_l); hidden layers use ``hidden``,
    the last layer uses ``output``. ``loss`` defaults to the natural partner of the
    output ('bce' for sigmoid, 'cross_entropy' for softmax, 'mse' otherwise).
    The data term is averaged over samples (``reduction="mean"``) or summed
    (``reduction="sum"``). Penalties on weights only (never biases):
    l2/2 * sum W^2 + l1 * sum |W|.
    """

    def __init__(self, sizes, hidden="relu", output="sigmoid", loss=None, init="normal",
                 init_scale=None, seed=None, l2=0.0, l1=0.0, reduction="mean"):
        self.sizes = _check_sizes(sizes)
        self.hidden = valid.choice("hidden", hidden, tuple(ACTIVATIONS))
        self.output = valid.choice("output", output, OUTPUTS)
        self.loss_name = valid.choice("loss", DEFAULT_LOSS[self.output] if loss is None else loss, tuple(LOSSES))
        if self.loss_name == "cross_entropy" and self.output != "softmax":
            raise ValueError(f"loss: 'cross_entropy' expects output='softmax', got output={self.output!r}")
        if self.loss_name == "bce" and self.output not in ("sigmoid",):
            raise ValueError(f"loss: 'bce' expects output='sigmoid' (probabilities), got output={self.output!r}")
        self.init = valid.choice("init", init, INITS)
        self.init_scale = None if init_scale is None else valid.real("init_scale", init_scale, low=0.0)
        self.l2 = valid.real("l2", l2, low=0.0)
        self.l1 = valid.real("l1", l1, low=0.0)
        self.reduction = valid.choice("reduction", reduction, ("mean", "sum"))
        self.seed = seed
        rng = np.random.default_rng(seed)
        self.params = [init_layer(a, b, self.init, self.init_scale, rng)
                       for a, b in zip(self.sizes[:-1], self.sizes[1:])]

    # -- introspection
    def __repr__(self):
        return (f"MLP(sizes={self.sizes}, hidden={self.hidden!r}, output={self.output!r}, "
                f"loss={self.loss_name!r}, init={self.init!r})")

    @property
    def n_parameters(self):
        return sum(W.size + b.size for W, b in self.params)

    def activations(self):
        """Activation name of each layer."""
        return [self.hidden] * (len(self.params) - 1) + [self.output]

    # -- input checks
    def _check_X(self, X):
        X = valid.as_array("X", X, ndim=(1, 2))
        if X.ndim == 1:  # one input per row for a 1-input network, else a single example
            X = X[:, None] if self.sizes[0] == 1 else X[None, :]
        if X.shape[1] != self.sizes[0]:
            raise ValueError(f"X: expected shape (n_samples, {self.sizes[0]}), got shape {X.shape}")
        return X

    def _check_Y(self, Y, N):
        k = self.sizes[-1]
        Y = valid.as_array("Y", Y, ndim=(1, 2))
        if self.loss_name == "cross_entropy" and Y.ndim == 1:
            Y = _one_hot_like(Y, k)
        elif Y.ndim == 1:
            if k != 1:
                raise ValueError(f"Y: expected shape ({N}, {k}), got shape {Y.shape}")
            Y = Y[:, None]
        if Y.shape != (N, k):
            raise ValueError(f"Y: expected shape ({N}, {k}) (one row per row of X), got shape {Y.shape}")
        if self.loss_name == "bce" and np.any((Y < 0) | (Y > 1)):
            raise ValueError(f"Y: binary cross-entropy expects targets in [0, 1], got values from {Y.min()} to "
                             f"{Y.max()}"
                             " (labels in {-1, +1}? convert with (y + 1) / 2)")
        return Y

    # -- forward
    def forward_pass(self, X):
        """Run the network and keep every Z_l and A_l for the backward pass."""
        return _forward_layers(self.params, self._check_X(X), self.activations())

    def forward(self, X):
        """The network's output A_L for a batch X of shape (N, d)."""
        return self.forward_pass(X).A[-1]

    __call__ = forward

    def penalty(self):
        """l2/2 * sum of squared weights + l1 * sum of |weights| (biases are not penalised)."""
        if not (self.l1 or self.l2):
            return 0.0
        return float(sum(rules.penalty(W, self.l1, self.l2) for W, _ in self.params))

    def _codes(self, Z):
        """The loss's and the output's numbers in ``function_rules``, and what a mean divides by."""
        loss = rules.LOSS_CODES[self.loss_name]
        return loss, rules.CODES[self.output], rules.loss_count(loss, Z) if self.reduction == "mean" else 1

    def _data_loss(self, fw, Y):
        """BCE and cross-entropy from the logits (exact even when A saturates), squared error from A."""
        loss, out, count = self._codes(fw.Z[-1])
        return float(rules.loss_total(loss, out, fw.Z[-1], Y) / count)

    def loss(self, X, Y):
        """Data loss (mean or sum over samples) plus the weight penalty."""
        fw = self.forward_pass(X)
        Y = self._check_Y(Y, fw.A[0].shape[0])
        return self._data_loss(fw, Y) + self.penalty()

    # -- backward
    def output_delta(self, fw, Y):
        """dZ_L = dL/dZ of the output layer; (A_L - Y)/N for the matched output/loss pairs."""
        loss, out, count = self._codes(fw.Z[-1])
        return rules.loss_delta(loss, out, fw.Z[-1], fw.A[-1], Y, 1.0 / count)

    def backward(self, fw, Y, masks=None):
        """Hand-written backprop: list of (dW_l, db_l), same structure as ``params``; dW_l includes the
        penalty's l2 W_l + l1 sign(W_l). ``masks``: the dropout masks ``fw`` was computed with."""
        return _backprop(self.params, fw, self.output_delta(fw, Y), self.activations(), masks=masks, l1=self.l1,
                         l2=self.l2)[0]

    def gradients(self, X, Y):
        """dL/dW_l and dL/db_l for every layer, as a list of (dW, db)."""
        fw = self.forward_pass(X)
        Y = self._check_Y(Y, fw.A[0].shape[0])
        return self.backward(fw, Y)

    def loss_and_gradients(self, X, Y):
        fw = self.forward_pass(X)
        Y = self._check_Y(Y, fw.A[0].shape[0])
        return self._data_loss(fw, Y) + self.penalty(), self.backward(fw, Y)

    # -- training and prediction
    def step(self, grads, lr):
        """One gradient-descent step theta <- theta - lr * grad, in place."""
        for (W, b), (dW, db) in zip(self.params, grads):
            W -= lr * dW
            b -= lr * db

    def fit(self, X, Y, lr=0.05, iterations=1000):
        """Full-batch gradient descent; returns the loss before each step. It runs nnlab's one training
        loop (``training.Trainer``, one batch of all rows in their order, ``optim.sgd``).

        Stops early if the loss becomes NaN or infinite, and says when in the returned history's
        ``diverged`` (an ``optim.Divergence``).
        """
        from . import optim
        from .training import Trainer

        lr = valid.real("lr", lr, low=0.0, low_open=True)
        iterations = valid.integer("iterations", iterations, low=0)
        X = self._check_X(X)
        Y = self._check_Y(Y, X.shape[0])
        trainer = Trainer(self, X, Y, optimizer=optim.sgd(lr=lr), batch_size=len(X), shuffle=False, record=False,
                          compiled=False)
        history = TrainingHistory()
        while len(history.loss) < iterations and trainer.step():
            history.loss.append(trainer.last_loss)
        history.diverged = trainer.diverged
        return history

    def predict(self, X):
        """Class prediction: threshold 0.5 for one sigmoid output, arg-max for several outputs."""
        return predicted_class(self.forward(X), self.output)

    def accuracy(self, X, y):
        y = np.asarray(y)
        if y.ndim == 2:
            y = np.argmax(y, axis=1) if y.shape[1] > 1 else y[:, 0]
        return float(np.mean(self.predict(X) == y))

    # -- PyTorch interoperability
    def to_torch(self, dtype=None):
        """A ``torch.nn.Sequential`` computing the same function (float64 unless dtype is given)."""
        import torch
        from torch import nn

        dtype = torch.float64 if dtype is None else dtype
        modules = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
        layers = []
        for (W, b), g in zip(self.params, self.activations()):
            lin = nn.Linear(W.shape[0], W.shape[1], dtype=dtype)
            with torch.no_grad():
                lin.weight.copy_(torch.as_tensor(W.T, dtype=dtype))
                lin.bias.copy_(torch.as_tensor(b, dtype=dtype))
            layers.append(lin)
            if g == "softmax":
                layers.append(nn.Softmax(dim=-1))
            elif g != "linear":
                layers.append(modules[g]())
        return nn.Sequential(*layers)

    @classmethod
    def from_params(cls, params, hidden="relu", output="linear", **kwargs):
        """An MLP with the given list of (W, b), W of shape (fan_in, fan_out)."""
        checked = []
        for l, (W, b) in enumerate(params, start=1):
            W = valid.as_array(f"params[{l - 1}] W{l}", W, ndim=2)
            b = valid.as_array(f"params[{l - 1}] b{l}", b, shape=(W.shape[1],))
            if checked and checked[-1][0].shape[1] != W.shape[0]:
                raise ValueError(f"params[{l - 1}] W{l}: expected {checked[-1][0].shape[1]} rows (the width of the "
                                 f"layer before), got shape {W.shape}")
            checked.append((W.copy(), b.copy()))
        if not checked:
            raise ValueError("params: expected at least one (W, b) pair, got none")
        net = cls([checked[0][0].shape[0]] + [W.shape[1] for W, _ in checked], hidden=hidden, output=output, **kwargs)
        net.params = checked
        return net

    @classmethod
    def from_torch(cls, module, loss=None, **kwargs):
        """Build an MLP from a ``torch.nn.Sequential`` of Linear layers and activations."""
        from torch import nn

        names = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.ReLU: "relu", nn.Softmax: "softmax",
                 nn.Identity: "linear"}
        linears, acts = [], []
        for m in module:
            if isinstance(m, nn.Linear):
                linears.append(m)
                acts.append("linear")
            elif type(m) in names and linears:
                acts[-1] = names[type(m)]
            else:
                raise ValueError(f"module: expected a Sequential of Linear layers and Sigmoid/Tanh/ReLU/Softmax, "
                                 f"got {type(m).__name__}")
        if not linears:
            raise ValueError("module: expected at least one nn.Linear layer, got none")
        hidden = set(acts[:-1])
        if len(hidden) > 1:
            raise ValueError(f"module: expected one hidden activation for all hidden layers, got {sorted(hidden)}")
        sizes = [linears[0].in_features] + [m.out_features for m in linears]
        net = cls(sizes, hidden=hidden.pop() if hidden else "relu", output=acts[-1], loss=loss, **kwargs)
        net.params = [(m.weight.detach().double().numpy().T.copy(), m.bias.detach().double().numpy().copy()
                       if m.bias is not None else np.zeros(m.out_features)) for m in linears]
        return net


@dataclass
class TrainingHistory:
    loss: list = field(default_factory=list)
    diverged: Divergence | None = None
