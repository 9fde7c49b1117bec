"""The activations, their derivatives and the logistic loss, each written once, for NumPy and for numba alike.

As in ``nnlab.optim_rules``, every function here is elementwise arithmetic without branches, so it takes whole
arrays (``nnlab.functions`` calls it on a layer's pre-activations, keeping float32 as float32) or single floats
(``_training_kernel`` compiles it with numba and calls it once per entry in its loops): both paths round the
same way, operation by operation, and both match PyTorch (tests/test_nn.py, tests/test_training.py).
``CODES`` numbers the activations for the compiled code, which cannot pass functions around.
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
    """The activation numbered ``code`` (``CODES``) at z."""
    if code == 0:
        return tanh(z)
    if code == 1:
        return relu(z)
    if code == 2:
        return sigmoid(z)
    return linear(z)


@jitable
def activation_grad(code, z):
    """Its derivative at z."""
    if code == 0:
        return tanh_grad(z)
    if code == 1:
        return relu_grad(z)
    if code == 2:
        return sigmoid_grad(z)
    return linear_grad(z)


@jitable
def bce_with_logits(z, y):
    """Binary cross-entropy of sigma(z) against y from the logit z: ln(1 + e^z) - y z, written
    max(z, 0) + ln(1 + e^-|z|) - y z so that it is exact for any z. Its gradient is sigma(z) - y."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - y * z
