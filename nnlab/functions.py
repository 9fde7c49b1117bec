"""The functions the networks are built from, in batch-first rows (see ``nnlab.nn``): activations with
their derivatives, and losses with their gradients, each checked against PyTorch (tests/test_nn.py).

``nnlab.nn`` re-exports every name here: ``nn.sigmoid`` and ``nn.LOSSES`` are these.
"""
from __future__ import annotations

import numpy as np

from . import _validate as valid
from . import function_rules as rules


# ---------------------------------------------------------------- activations


def _floats(z):
    """z as floats for the activations: float32 stays float32 (PyTorch's default), the rest is float64."""
    z = np.asarray(z)
    return z if z.dtype in (np.float32, np.float64) else z.astype(np.float64)


def sigmoid(z):
    """sigma(z) = 1 / (1 + e^-z), computed without overflow for any z (``function_rules.sigmoid``)."""
    return rules.sigmoid(_floats(z))


def sigmoid_grad(z):
    """sigma'(z) = sigma(z) (1 - sigma(z)), at most 0.25."""
    return rules.sigmoid_grad(_floats(z))


def tanh(z):
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z)."""
    return rules.tanh(_floats(z))


def tanh_grad(z):
    """tanh'(z) = 1 - tanh(z)^2."""
    return rules.tanh_grad(_floats(z))


def relu(z):
    """relu(z) = max(0, z)."""
    return rules.relu(_floats(z))


def relu_grad(z):
    """relu'(z) = 1 if z > 0 else 0 (0 at the kink, as PyTorch does)."""
    z = _floats(z)
    return rules.relu_grad(z).astype(z.dtype, copy=False)


def linear(z):
    """identity: g(z) = z."""
    return rules.linear(_floats(z))


def linear_grad(z):
    """g'(z) = 1."""
    return np.full_like(_floats(z), rules.linear_grad(0.0))


def softmax(z, axis=-1):
    """softmax(z)_k = e^{z_k} / sum_j e^{z_j}, shifted by max(z) so it cannot overflow."""
    z = _floats(z)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_grad(z):
    """Jacobian of softmax along the last axis: J_kj = s_k (delta_kj - s_j); shape (..., K, K)."""
    s = softmax(z)
    return s[..., :, None] * (np.eye(s.shape[-1]) - s[..., None, :])


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "linear": (linear, linear_grad),
}
OUTPUTS = ("sigmoid", "softmax", "linear", "tanh", "relu")


def activation(name):
    """Return (g, g') for an activation name: 'sigmoid', 'tanh', 'relu' or 'linear'."""
    return ACTIVATIONS[valid.choice("activation", name, tuple(ACTIVATIONS))]


def _activation_backward(name, Z, A, dA):
    """dL/dZ from dL/dA through activation ``name`` of a batch of rows (``function_rules.delta``; A = g(Z),
    or None to compute it)."""
    code = rules.CODES[name]
    return rules.delta(code, Z, rules.activation(code, Z) if A is None else A, dA)


def _activate(name, Z):
    """g(Z) for a batch of rows Z (``function_rules.activation``)."""
    return rules.activation(rules.CODES[name], Z)


# --------------------------------------------------------------------- losses
# Each loss averages over samples by default (reduction="mean", as PyTorch does);
# reduction="sum" adds them up instead. Each *_grad returns dL/d(first argument).


def _reduce(per_sample, reduction):
    return float(np.sum(per_sample) if reduction == "sum" else np.mean(per_sample))


def _scale(n, reduction):
    return 1.0 if reduction == "sum" else 1.0 / n


def mean_squared_error(Yhat, Y, reduction="mean"):
    """L = mean over all entries of (Yhat - Y)^2 (PyTorch's MSELoss)."""
    Yhat, Y = np.asarray(Yhat, float), np.asarray(Y, float)
    return _reduce((Yhat - Y) ** 2, reduction)


def mean_squared_error_grad(Yhat, Y, reduction="mean"):
    """dL/dYhat = 2 (Yhat - Y) / (number of entries)."""
    Yhat, Y = np.asarray(Yhat, float), np.asarray(Y, float)
    return 2.0 * (Yhat - Y) * _scale(Yhat.size, reduction)


def binary_cross_entropy(P, Y, reduction="mean", eps=1e-12):
    """L = -mean[Y ln P + (1 - Y) ln(1 - P)], with P clipped to [eps, 1 - eps]."""
    P = np.clip(np.asarray(P, float), eps, 1.0 - eps)
    Y = np.asarray(Y, float)
    return _reduce(-(Y * np.log(P) + (1.0 - Y) * np.log1p(-P)), reduction)


def binary_cross_entropy_grad(P, Y, reduction="mean", eps=1e-12):
    """dL/dP = (P - Y) / (P (1 - P)) / (number of entries)."""
    P = np.clip(np.asarray(P, float), eps, 1.0 - eps)
    Y = np.asarray(Y, float)
    return (P - Y) / (P * (1.0 - P)) * _scale(P.size, reduction)


def binary_cross_entropy_with_logits(Z, Y, reduction="mean"):
    """L = mean[ln(1 + e^Z) - Y Z]: BCE of sigmoid(Z), exact for any logit Z (``function_rules.bce_with_logits``)."""
    Z, Y = np.asarray(Z, float), np.asarray(Y, float)
    return _reduce(rules.bce_with_logits(Z, Y), reduction)


def binary_cross_entropy_with_logits_grad(Z, Y, reduction="mean"):
    """dL/dZ = (sigmoid(Z) - Y) / (number of entries)."""
    Z, Y = np.asarray(Z, float), np.asarray(Y, float)
    return (sigmoid(Z) - Y) * _scale(Z.size, reduction)


def _one_hot_like(Y, K):
    Y = np.asarray(Y)
    if Y.ndim == 1:
        if Y.dtype.kind not in "iu" and not np.all(Y == np.round(Y)):
            raise ValueError(f"Y: expected integer class labels in 0..{K - 1} or one-hot rows, got {Y[:5]}")
        labels = Y.astype(int)
        if labels.min(initial=0) < 0 or labels.max(initial=0) >= K:
            raise ValueError(f"Y: expected class labels in 0..{K - 1}, got values from {labels.min()} to "
                             f"{labels.max()}")
        return np.eye(K)[labels]
    return Y.astype(float)


def categorical_cross_entropy(P, Y, reduction="mean", eps=1e-12):
    """L = -mean_n sum_k Y_nk ln P_nk on probabilities P; Y one-hot (N, K) or labels (N,)."""
    P = np.asarray(P, float)
    T = _one_hot_like(Y, P.shape[-1])
    return _reduce(-np.sum(T * np.log(np.clip(P, eps, 1.0)), axis=-1), reduction)


def categorical_cross_entropy_grad(P, Y, reduction="mean", eps=1e-12):
    """dL/dP = -Y / P / N."""
    P = np.asarray(P, float)
    T = _one_hot_like(Y, P.shape[-1])
    return -T / np.clip(P, eps, 1.0) * _scale(P.shape[0], reduction)


def softmax_cross_entropy(Z, Y, reduction="mean"):
    """Categorical cross-entropy of softmax(Z) from logits Z (PyTorch's CrossEntropyLoss)."""
    Z = np.asarray(Z, float)
    T = _one_hot_like(Y, Z.shape[-1])
    log_sum = rules.log_sum_exp_rows(Z.reshape(-1, Z.shape[-1])).reshape(Z.shape[:-1])
    return _reduce(log_sum - np.sum(T * Z, axis=-1), reduction)


def softmax_cross_entropy_grad(Z, Y, reduction="mean"):
    """dL/dZ = (softmax(Z) - Y) / N."""
    Z = np.asarray(Z, float)
    T = _one_hot_like(Y, Z.shape[-1])
    return (softmax(Z) - T) * _scale(Z.shape[0], reduction)


LOSSES = {
    "mse": (mean_squared_error, mean_squared_error_grad),
    "bce": (binary_cross_entropy, binary_cross_entropy_grad),
    "cross_entropy": (categorical_cross_entropy, categorical_cross_entropy_grad),
}
DEFAULT_LOSS = {"sigmoid": "bce", "softmax": "cross_entropy", "linear": "mse", "tanh": "mse", "relu": "mse"}
