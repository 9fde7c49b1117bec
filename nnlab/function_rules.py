"""The activations, the losses and the pieces of a training step, each written once, for NumPy and numba alike.

As in ``nnlab.optim_rules``, every function here is arithmetic on whole arrays: ``nnlab.functions`` and
``nnlab.nn`` call it on NumPy arrays (float32 stays float32), and ``_training_kernel`` compiles the same
functions with numba (``jitable``) and calls them on views of its flat parameter vector. The two paths
therefore do the same operations in the same order, and both match PyTorch (tests/test_nn.py,
tests/test_training.py). ``CODES`` and ``LOSS_CODES`` number the activations and the losses for the
compiled code, which cannot pass functions or names around.
"""
from __future__ import annotations

import numpy as np

from .optim_rules import jitable

#: The activations by name, as the compiled steps number them (``softmax`` only as an output, with
#: cross-entropy: its rule is the loss's).
CODES = {"tanh": 0, "relu": 1, "sigmoid": 2, "linear": 3, "softmax": 4}


@jitable
def sigmoid(z):
    """sigma(z) = 1 / (1 + e^-z) for z >= 0 and e^z / (1 + e^z) for z < 0, one expression for both: e^min(z, 0)
    / (1 + e^-|z|). Neither exponential can overflow."""
    return np.exp(np.minimum(z, 0.0)) / (1.0 + np.exp(-np.abs(z)))


@jitable
def sigmoid_grad(z):
    """sigma'(z) = sigma(z) (1 - sigma(z)), at most 0.25."""
    s = sigmoid(z)
    return s * (1.0 - s)


@jitable
def tanh(z):
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z)."""
    return np.tanh(z)


@jitable
def tanh_grad(z):
    """tanh'(z) = 1 - tanh(z)^2."""
    t = np.tanh(z)
    return 1.0 - t * t


@jitable
def relu(z):
    """relu(z) = max(z, 0)."""
    return np.maximum(z, 0.0)


@jitable
def relu_grad(z):
    """relu'(z) = 1 if z > 0 else 0 (0 at the kink, as PyTorch has it)."""
    return (z > 0) * 1.0


@jitable
def linear(z):
    """g(z) = z."""
    return z


@jitable
def linear_grad(z):
    """g'(z) = 1 (for an array, ``functions.linear_grad`` gives ones of its shape)."""
    return 1.0


@jitable
def activation(code, z):
    """The activation numbered ``code`` (``CODES``) at z; softmax (4) takes a batch of rows."""
    if code == 0:
        return tanh(z)
    if code == 1:
        return relu(z)
    if code == 2:
        return sigmoid(z)
    if code == 4:
        return softmax_rows(z)
    return linear(z)


@jitable
def bce_with_logits(z, y):
    """Binary cross-entropy of sigma(z) against y from the logit z: ln(1 + e^z) - y z, written
    max(z, 0) + ln(1 + e^-|z|) - y z so that it is exact for any z. Its gradient is sigma(z) - y."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - y * z


# ----------------------------------------------------------------------------- one training step, piece by piece
# A layer's arithmetic on a batch (rows are samples), written once: ``nnlab.nn`` runs these on NumPy arrays,
# ``_training_kernel`` compiles them with numba and runs them on views of its flat parameter vector.

#: The losses, as the compiled steps number them.
LOSS_CODES = {"bce": 0, "cross_entropy": 1, "mse": 2}


@jitable
def dense(A, W, b):
    """Z = A W + b: a layer's pre-activations for the batch A."""
    return A @ W + b


@jitable
def delta(code, Z, A, dA):
    """dL/dZ = dL/dA * g'(Z) through the activation numbered ``code``, from the layer's output A = g(Z) where
    that is how the derivative reads (tanh' = 1 - A^2, sigma' = A (1 - A)); relu' is 0 at the kink."""
    if code == 0:
        return dA * (1.0 - A * A)
    if code == 2:
        return dA * (A * (1.0 - A))
    if code == 1:
        return dA * (Z > 0)
    if code == 4:                   # softmax's Jacobian times dA, row by row
        return A * (dA - (dA * A).sum(axis=1).reshape((-1, 1)))
    return dA * 1.0


@jitable
def row_max(Z):
    """The largest entry of each row of Z, column by column (numba has no maximum along an axis)."""
    m = Z[:, 0].copy()
    for j in range(1, Z.shape[1]):
        m = np.maximum(m, Z[:, j])
    return m


@jitable
def softmax_rows(Z):
    """softmax of each row of Z, shifted by the row's largest entry so that it cannot overflow."""
    E = np.exp(Z - row_max(Z).reshape((-1, 1)))
    return E / E.sum(axis=1).reshape((-1, 1))


@jitable
def log_sum_exp_rows(Z):
    """ln sum_j e^{Z_ij} for each row i: m + ln sum_j e^{Z_ij - m} with m the row's largest entry."""
    m = row_max(Z)
    return m + np.log(np.exp(Z - m.reshape((-1, 1))).sum(axis=1))


@jitable
def loss_total(loss, out, Z, Y):
    """The data loss summed over the batch: BCE from the logits Z (``loss`` 0), softmax cross-entropy from the
    logits against one-hot rows Y (1), or squared error of the output A = g(Z), g numbered ``out`` (2). A mean
    divides it by ``loss_count``."""
    if loss == 0:
        return bce_with_logits(Z, Y).sum()
    if loss == 1:
        return (log_sum_exp_rows(Z) - (Y * Z).sum(axis=1)).sum()
    R = activation(out, Z) - Y
    return (R * R).sum()


@jitable
def loss_count(loss, Z):
    """What a mean divides by: the rows for cross-entropy, every entry for BCE and squared error."""
    return Z.shape[0] if loss == 1 else Z.shape[0] * Z.shape[1]


@jitable
def loss_delta(loss, out, Z, A, Y, scale):
    """dL/dZ of the output layer for ``loss_total`` times ``scale``: sigma(Z) - Y for BCE, softmax(Z) - Y for
    cross-entropy, 2 (A - Y) g'(Z) for squared error (A = g(Z))."""
    if loss == 0:
        return (sigmoid(Z) - Y) * scale
    if loss == 1:
        return (softmax_rows(Z) - Y) * scale
    return delta(out, Z, A, 2.0 * (A - Y) * scale)


@jitable
def penalty(W, l1, l2):
    """l2/2 sum W^2 + l1 sum |W| of one weight matrix (biases are not penalised)."""
    return 0.5 * l2 * (W * W).sum() + l1 * np.abs(W).sum()


@jitable
def weight_grad(A, dZ, W, l1, l2):
    """dL/dW = A^T dZ plus the penalty's l2 W + l1 sign(W)."""
    dW = A.T @ dZ
    if l1 != 0 or l2 != 0:
        dW = dW + l2 * W + l1 * np.sign(W)
    return dW
