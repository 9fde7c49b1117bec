'''A corpus of CORRECT student solutions, written in the idioms students bring, for every exercise check.

``RIGHT[check]`` is a list of ``(idiom, source)`` pairs: ``source`` is a notebook cell (it imports what it
needs, as the exercise notebook does) that defines the exercise's function ``FUNCTION[check]``;
``EXERCISE[check]`` names the exercise. Every solution here is right by the exercise's text and the check's
contract, and none uses a shortcut the exercise forbids (``nnlab.checks.harness.shortcuts``): any of them
that a check refuses is a defect of the check. The idioms are taken from how the PyTorch tutorials, d2l
(Dive into Deep Learning), Neuromatch Academy, cs231n and the lectures write these things.
'''

RIGHT: dict = {}

FUNCTION = {
    "perceptron_update": "perceptron_update",
    "sigmoid": "my_sigmoid",
    "forward": "my_forward",
    "backprop": "my_backprop",
    "tower": "tower",
    "adjoints": "graph_adjoints",
    "reverse_sweep": "reverse_sweep",
    "gradient_check": "gradient_check",
    "make_loader": "make_loader",
    "train_epoch": "train_epoch",
    "evaluate": "evaluate",
    "gradient_norms": "gradient_norms",
    "momentum": "momentum_step",
    "rmsprop": "rmsprop_step",
    "adam": "adam_step",
    "sgd_epoch": "sgd_epoch",
    "cnn_parameters": "cnn_parameters",
    "confusion": "confusion",
    "early_stopping": "early_stopping",
    "ridge": "ridge",
    "standardise_folds": "standardise_folds",
    "penalised_gradient": "penalised_gradient",
    "output_size": "output_size",
    "conv2d": "conv2d",
    "project_to_so3": "project_to_so3",
}

EXERCISE = {
    "perceptron_update": "e01_perceptron",
    "sigmoid": "e02_forward_and_backprop",
    "forward": "e02_forward_and_backprop",
    "backprop": "e02_forward_and_backprop",
    "tower": "e03_towers",
    "adjoints": "e04_backprop_autodiff",
    "reverse_sweep": "e04_backprop_autodiff",
    "gradient_check": "e04_backprop_autodiff",
    "make_loader": "e05_training_loop",
    "train_epoch": "e05_training_loop",
    "evaluate": "e05_training_loop",
    "gradient_norms": "e07_gradient_norms",
    "momentum": "e08_optimizers",
    "rmsprop": "e08_optimizers",
    "adam": "e08_optimizers",
    "sgd_epoch": "e08_optimizers",
    "cnn_parameters": "e06_digits",
    "confusion": "e06_digits",
    "early_stopping": "e06_digits",
    "ridge": "e09_regularisation",
    "standardise_folds": "e09_regularisation",
    "penalised_gradient": "e09_regularisation",
    "output_size": "e10_convolution_and_rotations",
    "conv2d": "e10_convolution_and_rotations",
    "project_to_so3": "e10_convolution_and_rotations",
}


def _add(check, idiom, source):
    assert check in FUNCTION, check
    assert idiom not in {name for name, _ in RIGHT.get(check, [])}, (check, idiom)
    RIGHT.setdefault(check, []).append((idiom, source.strip("\n") + "\n"))


# ============================================================== e01: perceptron_update
_add("perceptron_update", "matmul_if_le", '''
import numpy as np

def perceptron_update(w, b, x, y):
    if y * (w @ x + b) <= 0:
        return w + y * x, b + y
    return w, b
''')

_add("perceptron_update", "np_dot_returns_copies", '''
import numpy as np

def perceptron_update(w, b, x, y):
    w_new, b_new = w.copy(), float(b)
    if y * (np.dot(w, x) + b) <= 0:
        w_new = w_new + y * x
        b_new = b_new + y
    return w_new, b_new
''')

_add("perceptron_update", "copy_then_inplace_on_copy", '''
import numpy as np

def perceptron_update(w, b, x, y):
    w = np.array(w, dtype=float)          # my own copy: the caller's w stays as it was
    score = float(np.dot(w, x) + b)
    if y * score <= 0:                    # a point on the line counts as a mistake
        w += y * x
        b = b + y
    return w, float(b)
''')

_add("perceptron_update", "sign_differs_from_label", '''
import numpy as np

def perceptron_update(w, b, x, y):
    prediction = np.sign(w @ x + b)       # 0 on the line: never equal to a label of +-1
    if prediction != y:
        return w + y * x, b + y
    return w.copy(), b
''')

_add("perceptron_update", "branchless_mask", '''
import numpy as np

def perceptron_update(w, b, x, y):
    mistake = float(y * (w @ x + b) <= 0)
    return w + mistake * y * x, b + mistake * y
''')

_add("perceptron_update", "python_sum_loop", '''
import numpy as np

def perceptron_update(w, b, x, y):
    activation = sum(wi * xi for wi, xi in zip(w, x)) + b
    if y * activation > 0:                # classified correctly: nothing to do
        return w, b
    return np.array([wi + y * xi for wi, xi in zip(w, x)]), b + y
''')

_add("perceptron_update", "margin_variable_not", '''
import numpy as np

def perceptron_update(w, b, x, y):
    margin = y * (np.inner(w, x) + b)
    correct = margin > 0
    if not correct:
        w = w + y * x
        b += y
    return w, b
''')

_add("perceptron_update", "augmented_vector", '''
import numpy as np

def perceptron_update(w, b, x, y):
    # fold the bias in: w_aug = (w, b), x_aug = (x, 1)
    w_aug = np.append(w, b)
    x_aug = np.append(x, 1.0)
    if y * (w_aug @ x_aug) <= 0:
        w_aug = w_aug + y * x_aug
    return w_aug[:-1], w_aug[-1]
''')

# ============================================================== e02: sigmoid
_add("sigmoid", "where_abs", '''
import numpy as np

def my_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
''')

_add("sigmoid", "boolean_masks", '''
import numpy as np

def my_sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    neg = ~pos
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[neg])
    out[neg] = ez / (1.0 + ez)
    return out
''')

_add("sigmoid", "tanh_identity", '''
import numpy as np

def my_sigmoid(z):
    # sigma(z) = (1 + tanh(z / 2)) / 2 never exponentiates anything
    return 0.5 * (1 + np.tanh(z / 2))
''')

_add("sigmoid", "vectorize_math_exp", '''
import math
import numpy as np

def my_sigmoid(z):
    def scalar(t):
        if t >= 0:
            return 1.0 / (1.0 + math.exp(-t))
        e = math.exp(t)
        return e / (1.0 + e)
    return np.vectorize(scalar, otypes=[float])(z)
''')

_add("sigmoid", "logaddexp", '''
import numpy as np

def my_sigmoid(z):
    # log sigma(z) = -log(1 + e^-z) = -logaddexp(0, -z), computed without overflow
    return np.exp(-np.logaddexp(0.0, -z))
''')

_add("sigmoid", "exp_of_minimum", '''
import numpy as np

def my_sigmoid(z):
    # e^min(z, 0) / (1 + e^-|z|) is 1/(1 + e^-z) for z >= 0 and e^z/(1 + e^z) for z < 0
    return np.exp(np.minimum(z, 0)) / (1 + np.exp(-np.abs(z)))
''')

_add("sigmoid", "clip_then_naive", '''
import numpy as np

def my_sigmoid(z):
    z = np.clip(z, -500, 500)             # e^500 is still a finite float64
    return 1 / (1 + np.exp(-z))
''')

_add("sigmoid", "ndenumerate_loop", '''
import numpy as np

def my_sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.zeros(z.shape)
    for idx, t in np.ndenumerate(z):
        if t < 0:
            out[idx] = np.exp(t) / (1 + np.exp(t))
        else:
            out[idx] = 1 / (1 + np.exp(-t))
    return out
''')

_add("sigmoid", "piecewise", '''
import numpy as np

def my_sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.piecewise(z, [z >= 0, z < 0],
                        [lambda t: 1 / (1 + np.exp(-t)), lambda t: np.exp(t) / (1 + np.exp(t))])
''')

# ============================================================== e02: forward
_add("forward", "maximum_matmul", '''
import numpy as np

def my_forward(X, W1, b1, W2, b2):
    A1 = np.maximum(X @ W1 + b1, 0.0)
    e = np.exp(-np.abs(A1 @ W2 + b2))
    Z2 = A1 @ W2 + b2
    return np.where(Z2 >= 0, 1 / (1 + e), e / (1 + e))
''')

_add("forward", "np_dot_naive_sigmoid", '''
import numpy as np

def my_forward(X, W1, b1, W2, b2):
    Z1 = np.dot(X, W1) + b1
    A1 = np.maximum(0, Z1)
    Z2 = np.dot(A1, W2) + b2
    A2 = 1 / (1 + np.exp(-Z2))
    return A2
''')

_add("forward", "scipy_expit_mask_relu", '''
import numpy as np
from scipy.special import expit

def my_forward(X, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = Z1 * (Z1 > 0)
    return expit(A1 @ W2 + b2)
''')

_add("forward", "einsum", '''
import numpy as np

def my_forward(X, W1, b1, W2, b2):
    Z1 = np.einsum("nd,dh->nh", X, W1) + b1
    A1 = np.where(Z1 > 0, Z1, 0.0)
    Z2 = np.einsum("nh,ho->no", A1, W2) + b2
    return 0.5 * (1 + np.tanh(Z2 / 2))
''')

_add("forward", "clip_relu_matmul_fn", '''
import numpy as np

def my_forward(X, W1, b1, W2, b2):
    relu = lambda z: np.clip(z, 0, None)
    sigmoid = lambda z: np.exp(-np.logaddexp(0, -z))
    H = relu(np.matmul(X, W1) + b1)
    return sigmoid(np.matmul(H, W2) + b2)
''')

_add("forward", "loop_over_rows", '''
import numpy as np

def my_forward(X, W1, b1, W2, b2):
    out = []
    for x in X:                                   # one example at a time
        h = np.maximum(0.0, x @ W1 + b1)
        z = h @ W2 + b2                           # shape (1,)
        out.append(1.0 / (1.0 + np.exp(-z)))
    return np.array(out)                          # (N, 1)
''')

_add("forward", "inplace_relu_on_new_array", '''
import numpy as np

def my_forward(X, W1, b1, W2, b2):
    A1 = X @ W1 + b1            # a new array: clearing its negatives leaves the inputs alone
    A1[A1 < 0] = 0
    Z2 = A1 @ W2 + b2
    A2 = np.empty_like(Z2)
    pos = Z2 >= 0
    A2[pos] = 1 / (1 + np.exp(-Z2[pos]))
    A2[~pos] = np.exp(Z2[~pos]) / (1 + np.exp(Z2[~pos]))
    return A2
''')

_add("forward", "layers_list", '''
import numpy as np

def my_forward(X, W1, b1, W2, b2):
    layers = [(W1, b1, lambda z: np.maximum(z, 0)), (W2, b2, lambda z: 1 / (1 + np.exp(-z)))]
    A = X
    for W, b, activation in layers:
        A = activation(A.dot(W) + b)
    return A
''')

_add("forward", "reshape_bias_row", '''
import numpy as np

def my_forward(X, W1, b1, W2, b2):
    # the biases as row vectors (1, fan_out), broadcast over the batch
    Z1 = X @ W1 + b1.reshape(1, -1)
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ W2 + b2.reshape(1, -1)
    return 1.0 / (1.0 + np.exp(-Z2))
''')

# ============================================================== e02: backprop
_add("backprop", "lecture_formulas", '''
import numpy as np

def my_backprop(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    Z2 = A1 @ W2 + b2
    e = np.exp(-np.abs(Z2))
    A2 = np.where(Z2 >= 0, 1 / (1 + e), e / (1 + e))
    dZ2 = A2 - Y
    dW2 = A1.T @ dZ2
    db2 = dZ2.sum(axis=0)
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * (Z1 > 0)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0)
    return dW1, db1, dW2, db2
''')

_add("backprop", "np_dot_transpose_np_sum", '''
import numpy as np

def my_backprop(X, Y, W1, b1, W2, b2):
    Z1 = np.dot(X, W1) + b1
    A1 = np.maximum(0, Z1)
    Z2 = np.dot(A1, W2) + b2
    A2 = 1 / (1 + np.exp(-Z2))
    dZ2 = A2 - Y
    dW2 = np.dot(np.transpose(A1), dZ2)
    db2 = np.sum(dZ2, 0)
    dA1 = np.dot(dZ2, np.transpose(W2))
    dZ1 = np.where(Z1 > 0, dA1, 0.0)
    dW1 = np.dot(np.transpose(X), dZ1)
    db1 = np.sum(dZ1, 0)
    return dW1, db1, dW2, db2
''')

_add("backprop", "expit_inplace_mask_on_copy", '''
import numpy as np
from scipy.special import expit

def my_backprop(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    A2 = expit(A1 @ W2 + b2)
    dZ2 = A2 - Y
    dZ1 = dZ2 @ W2.T          # a new array
    dZ1[Z1 <= 0] = 0          # relu'(Z1) = 0 where the unit is off
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dZ2, dZ2.sum(axis=0)
''')

_add("backprop", "einsum", '''
import numpy as np

def my_backprop(X, Y, W1, b1, W2, b2):
    Z1 = np.einsum("nd,dh->nh", X, W1) + b1
    A1 = np.maximum(Z1, 0)
    A2 = 0.5 * (1 + np.tanh(0.5 * (np.einsum("nh,ho->no", A1, W2) + b2)))
    dZ2 = A2 - Y
    dW2 = np.einsum("nh,no->ho", A1, dZ2)
    dZ1 = np.einsum("no,ho->nh", dZ2, W2) * (Z1 > 0)
    dW1 = np.einsum("nd,nh->dh", X, dZ1)
    return dW1, np.einsum("nh->h", dZ1), dW2, np.einsum("no->o", dZ2)
''')

_add("backprop", "loop_over_examples_outer", '''
import numpy as np

def my_backprop(X, Y, W1, b1, W2, b2):
    dW1, db1 = np.zeros_like(W1), np.zeros_like(b1)
    dW2, db2 = np.zeros_like(W2), np.zeros_like(b2)
    for x, y in zip(X, Y):                 # the loss is a sum: add up each example's gradient
        z1 = x @ W1 + b1
        a1 = np.maximum(z1, 0)
        a2 = 1 / (1 + np.exp(-(a1 @ W2 + b2)))
        dz2 = a2 - y                       # shape (1,)
        dW2 += np.outer(a1, dz2)
        db2 += dz2
        dz1 = (W2 @ dz2) * (z1 > 0)
        dW1 += np.outer(x, dz1)
        db1 += dz1
    return dW1, db1, dW2, db2
''')

_add("backprop", "heaviside_keepdims_ravel", '''
import numpy as np

def my_backprop(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    A2 = np.exp(-np.logaddexp(0, -(A1 @ W2 + b2)))
    dZ2 = A2 - Y
    dZ1 = (dZ2 @ W2.T) * np.heaviside(Z1, 0.0)
    db1 = np.sum(dZ1, axis=0, keepdims=True).ravel()
    db2 = np.sum(dZ2, axis=0, keepdims=True).reshape(b2.shape)
    return X.T @ dZ1, db1, A1.T @ dZ2, db2
''')

_add("backprop", "cache_dict_cs231n", '''
import numpy as np

def my_backprop(X, Y, W1, b1, W2, b2):
    cache = {}
    cache["Z1"] = X.dot(W1) + b1
    cache["A1"] = np.maximum(cache["Z1"], 0)
    cache["Z2"] = cache["A1"].dot(W2) + b2
    cache["A2"] = 1.0 / (1.0 + np.exp(-cache["Z2"]))
    grads = {}
    dscores = cache["A2"] - Y
    grads["W2"] = cache["A1"].T.dot(dscores)
    grads["b2"] = dscores.sum(axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[cache["A1"] <= 0] = 0
    grads["W1"] = X.T.dot(dhidden)
    grads["b1"] = dhidden.sum(axis=0)
    return grads["W1"], grads["b1"], grads["W2"], grads["b2"]
''')

_add("backprop", "relu_derivative_as_float", '''
import numpy as np

def my_backprop(X, Y, W1, b1, W2, b2):
    def sigmoid(z):
        return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))

    def relu_prime(z):
        return (z > 0).astype(float)

    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    delta2 = sigmoid(A1 @ W2 + b2) - Y
    delta1 = (delta2 @ W2.T) * relu_prime(Z1)
    return [X.T @ delta1, delta1.sum(0), A1.T @ delta2, delta2.sum(0)]
''')

# ============================================================== e03: tower
_add("tower", "tanh_lambda", '''
import numpy as np

def tower(x, left, right, w):
    s = lambda z: 0.5 * (1 + np.tanh(0.5 * z))
    return s(w * (x - left)) - s(w * (x - right))
''')

_add("tower", "naive_exp", '''
import numpy as np

def tower(x, left, right, w):
    step_up = 1 / (1 + np.exp(-w * (x - left)))
    step_down = 1 / (1 + np.exp(-w * (x - right)))
    return step_up - step_down
''')

_add("tower", "scipy_expit", '''
import numpy as np
from scipy.special import expit

def tower(x, left, right, w):
    return expit(w * (x - left)) - expit(w * (x - right))
''')

_add("tower", "weight_and_bias_form", '''
import numpy as np

def tower(x, left, right, w):
    # two hidden units with weight w and biases -w*left, -w*right; output weights +1 and -1
    def sigmoid(z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    h1 = sigmoid(w * x - w * left)
    h2 = sigmoid(w * x - w * right)
    return 1.0 * h1 + (-1.0) * h2
''')

_add("tower", "torch_sigmoid", '''
import numpy as np
import torch

def tower(x, left, right, w):
    t = torch.from_numpy(np.asarray(x, dtype=np.float64))
    return (torch.sigmoid(w * (t - left)) - torch.sigmoid(w * (t - right))).numpy()
''')

_add("tower", "vectorized_steps_matmul", '''
import numpy as np

def tower(x, left, right, w):
    # a one-hidden-layer network: hidden layer of two steps, output weights (1, -1)
    edges = np.array([left, right])
    Z = w * (x[:, None] - edges[None, :])          # (len(x), 2)
    H = np.exp(-np.logaddexp(0, -Z))
    return H @ np.array([1.0, -1.0])
''')

_add("tower", "math_exp_loop", '''
import math
import numpy as np

def tower(x, left, right, w):
    def sigma(t):
        return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))
    return np.array([sigma(w * (xi - left)) - sigma(w * (xi - right)) for xi in x])
''')

_add("tower", "stable_where_helper", '''
import numpy as np

def tower(x, left, right, w):
    def step(at):
        z = w * (x - at)
        return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
    return step(left) - step(right)
''')

# ============================================================== e04: adjoints
_add("adjoints", "sweep_written_out", '''
import numpy as np

def graph_adjoints(x1, x2):
    v1 = x1 * x2
    v2 = np.exp(v1)
    v3 = v1 + v2
    y_bar = 1.0
    v3_bar = y_bar / x2
    x2_bar = -y_bar * v3 / x2**2
    v1_bar = v3_bar
    v2_bar = v3_bar
    v1_bar += v2_bar * v2
    x1_bar = v1_bar * x2
    x2_bar += v1_bar * x1
    return x1_bar, x2_bar, v1_bar, v2_bar, v3_bar
''')

_add("adjoints", "math_exp", '''
import math

def graph_adjoints(x1, x2):
    v1 = x1 * x2
    v2 = math.exp(v1)
    v3 = v1 + v2
    y = v3 / x2
    v3_bar = 1.0 / x2                      # dy/dv3
    v2_bar = v3_bar * 1.0                  # v3 = v1 + v2
    v1_bar = v3_bar * 1.0 + v2_bar * v2    # through v3 and through v2 = exp(v1)
    x1_bar = v1_bar * x2                   # v1 = x1 * x2
    x2_bar = -y / x2 + v1_bar * x1         # through y = v3 / x2 (-v3/x2^2 = -y/x2) and through v1
    return x1_bar, x2_bar, v1_bar, v2_bar, v3_bar
''')

_add("adjoints", "dict_of_adjoints", '''
import numpy as np

def graph_adjoints(x1, x2):
    v = {"x1": x1, "x2": x2}
    v["v1"] = v["x1"] * v["x2"]
    v["v2"] = np.exp(v["v1"])
    v["v3"] = v["v1"] + v["v2"]
    v["y"] = v["v3"] / v["x2"]
    bar = {name: 0.0 for name in v}
    bar["y"] = 1.0
    # y = v3 / x2
    bar["v3"] += bar["y"] / v["x2"]
    bar["x2"] += -bar["y"] * v["v3"] / v["x2"] ** 2
    # v3 = v1 + v2
    bar["v1"] += bar["v3"]
    bar["v2"] += bar["v3"]
    # v2 = exp(v1)
    bar["v1"] += bar["v2"] * v["v2"]
    # v1 = x1 * x2
    bar["x1"] += bar["v1"] * v["x2"]
    bar["x2"] += bar["v1"] * v["x1"]
    return bar["x1"], bar["x2"], bar["v1"], bar["v2"], bar["v3"]
''')

_add("adjoints", "lists_forward_then_backward", '''
import numpy as np

def graph_adjoints(x1, x2):
    # nodes 0..5: x1, x2, v1, v2, v3, y; each row: (node, [(input, local derivative), ...])
    vals = [x1, x2]
    vals.append(vals[0] * vals[1])
    vals.append(np.exp(vals[2]))
    vals.append(vals[2] + vals[3])
    vals.append(vals[4] / vals[1])
    rows = [(2, [(0, vals[1]), (1, vals[0])]),
            (3, [(2, vals[3])]),
            (4, [(2, 1.0), (3, 1.0)]),
            (5, [(4, 1.0 / vals[1]), (1, -vals[4] / vals[1] ** 2)])]
    bars = [0.0] * len(vals)
    bars[5] = 1.0
    for node, inputs in reversed(rows):
        for i, local in inputs:
            bars[i] += bars[node] * local
    return bars[0], bars[1], bars[2], bars[3], bars[4]
''')

_add("adjoints", "closed_form_by_hand", '''
import numpy as np

def graph_adjoints(x1, x2):
    # y = (x1 x2 + e^(x1 x2)) / x2, swept by hand once and simplified
    v1 = x1 * x2
    ev1 = np.exp(v1)
    v3_bar = 1 / x2
    v2_bar = 1 / x2
    v1_bar = (1 + ev1) / x2
    x1_bar = 1 + ev1                       # v1_bar * x2
    x2_bar = -(v1 + ev1) / x2**2 + x1 * (1 + ev1) / x2
    return x1_bar, x2_bar, v1_bar, v2_bar, v3_bar
''')

_add("adjoints", "defaultdict_edges", '''
from collections import defaultdict
import numpy as np

def graph_adjoints(x1, x2):
    v1 = x1 * x2
    v2 = np.exp(v1)
    v3 = v1 + v2
    # edges (child, parent, d child / d parent), in the order they were computed
    edges = [("v1", "x1", x2), ("v1", "x2", x1), ("v2", "v1", v2),
             ("v3", "v1", 1.0), ("v3", "v2", 1.0), ("y", "v3", 1 / x2), ("y", "x2", -v3 / x2**2)]
    adj = defaultdict(float)
    adj["y"] = 1.0
    for child, parent, local in reversed(edges):
        adj[parent] += adj[child] * local
    return tuple(float(adj[n]) for n in ("x1", "x2", "v1", "v2", "v3"))
''')

_add("adjoints", "numpy_array_of_adjoints", '''
import numpy as np

def graph_adjoints(x1, x2):
    X1, X2, V1, V2, V3, Y = range(6)
    v = np.zeros(6)
    v[X1], v[X2] = x1, x2
    v[V1] = v[X1] * v[X2]
    v[V2] = np.exp(v[V1])
    v[V3] = v[V1] + v[V2]
    v[Y] = v[V3] / v[X2]
    g = np.zeros(6)
    g[Y] = 1.0
    g[V3] += g[Y] / v[X2]
    g[X2] += g[Y] * (-v[V3] / v[X2] ** 2)
    g[V1] += g[V3]
    g[V2] += g[V3]
    g[V1] += g[V2] * v[V2]
    g[X1] += g[V1] * v[X2]
    g[X2] += g[V1] * v[X1]
    return g[X1], g[X2], g[V1], g[V2], g[V3]
''')

_add("adjoints", "quotient_rule_float", '''
import math

def graph_adjoints(x1, x2):
    v1 = float(x1) * float(x2)
    v2 = math.exp(v1)
    v3 = v1 + v2
    # y = v3 * x2**-1: dy/dv3 = x2**-1, dy/dx2 = -v3 * x2**-2
    v3_bar = x2 ** -1
    v2_bar = v3_bar
    v1_bar = v3_bar + v2_bar * math.exp(v1)
    x1_bar = v1_bar * x2
    x2_bar = -v3 * x2 ** -2 + v1_bar * x1
    return (x1_bar, x2_bar, v1_bar, v2_bar, v3_bar)
''')

# ============================================================== e04: reverse_sweep
_add("reverse_sweep", "reversed_tape_if_elif", '''
import numpy as np

def reverse_sweep(tape, values):
    adjoint = np.zeros(len(values))
    adjoint[-1] = 1.0
    for op, out, a, b in reversed(tape):
        g = adjoint[out]
        if op == "add":
            adjoint[a] += g
            adjoint[b] += g
        elif op == "sub":
            adjoint[a] += g
            adjoint[b] -= g
        elif op == "mul":
            adjoint[a] += g * values[b]
            adjoint[b] += g * values[a]
        elif op == "div":
            adjoint[a] += g / values[b]
            adjoint[b] -= g * values[a] / values[b] ** 2
        elif op == "exp":
            adjoint[a] += g * values[out]
        elif op == "sin":
            adjoint[a] += g * np.cos(values[a])
        elif op == "tanh":
            adjoint[a] += g * (1.0 - values[out] ** 2)
    return adjoint
''')

_add("reverse_sweep", "index_loop_down", '''
import numpy as np

def reverse_sweep(tape, values):
    adjoint = np.zeros(len(values))
    adjoint[-1] = 1.0
    for i in range(len(tape) - 1, -1, -1):
        op, out, a, b = tape[i]
        g = adjoint[out]
        if op == "add":
            adjoint[a] += g
            adjoint[b] += g
        elif op == "sub":
            adjoint[a] += g
            adjoint[b] += -g
        elif op == "mul":
            va, vb = values[a], values[b]
            adjoint[a] += g * vb
            adjoint[b] += g * va
        elif op == "div":
            va, vb = values[a], values[b]
            adjoint[a] += g * (1 / vb)
            adjoint[b] += g * (-va / (vb * vb))
        elif op == "exp":
            adjoint[a] += g * values[out]
        elif op == "sin":
            adjoint[a] += g * np.cos(values[a])
        elif op == "tanh":
            adjoint[a] += g * (1 - values[out] * values[out])
    return adjoint
''')

_add("reverse_sweep", "dict_of_lambda_rules", '''
import numpy as np

def reverse_sweep(tape, values):
    # each rule: the local derivatives (d out/d a, d out/d b) from the values of a, b and out
    rules = {
        "add": lambda a, b, out: (1.0, 1.0),
        "sub": lambda a, b, out: (1.0, -1.0),
        "mul": lambda a, b, out: (b, a),
        "div": lambda a, b, out: (1.0 / b, -a / b**2),
        "exp": lambda a, b, out: (out, 0.0),
        "sin": lambda a, b, out: (np.cos(a), 0.0),
        "tanh": lambda a, b, out: (1.0 - out**2, 0.0),
    }
    adjoint = np.zeros(len(values))
    adjoint[-1] = 1.0
    for op, out, a, b in reversed(tape):
        da, db = rules[op](values[a], values[b] if b >= 0 else None, values[out])
        adjoint[a] += adjoint[out] * da
        if b >= 0:
            adjoint[b] += adjoint[out] * db
    return adjoint
''')

_add("reverse_sweep", "python_list_adjoints", '''
import math

def reverse_sweep(tape, values):
    adjoint = [0.0] * len(values)
    adjoint[-1] = 1.0
    for op, out, a, b in tape[::-1]:
        g = adjoint[out]
        if op == "add":
            adjoint[a] += g
            adjoint[b] += g
        elif op == "sub":
            adjoint[a] += g
            adjoint[b] -= g
        elif op == "mul":
            adjoint[a] += g * values[b]
            adjoint[b] += g * values[a]
        elif op == "div":
            adjoint[a] += g / values[b]
            adjoint[b] -= g * values[a] / values[b] ** 2
        elif op == "exp":
            adjoint[a] += g * values[out]
        elif op == "sin":
            adjoint[a] += g * math.cos(values[a])
        elif op == "tanh":
            adjoint[a] += g * (1 - values[out] ** 2)
    return adjoint
''')

_add("reverse_sweep", "match_statement", '''
import numpy as np

def reverse_sweep(tape, values):
    adjoint = np.zeros(len(values))
    adjoint[-1] = 1.0
    for op, out, a, b in reversed(tape):
        g = adjoint[out]
        match op:
            case "add":
                adjoint[a] += g
                adjoint[b] += g
            case "sub":
                adjoint[a] += g
                adjoint[b] -= g
            case "mul":
                adjoint[a] += g * values[b]
                adjoint[b] += g * values[a]
            case "div":
                adjoint[a] += g / values[b]
                adjoint[b] -= g * values[a] / values[b] ** 2
            case "exp":
                adjoint[a] += g * values[out]
            case "sin":
                adjoint[a] += g * np.cos(values[a])
            case "tanh":
                adjoint[a] += g * (1 - values[out] ** 2)
    return adjoint
''')

_add("reverse_sweep", "local_derivatives_then_one_update", '''
import numpy as np

def reverse_sweep(tape, values):
    adjoint = np.zeros(len(values))
    adjoint[-1] = 1.0
    for op, out, a, b in reversed(tape):
        va = values[a]
        vb = values[b] if b != -1 else None
        if op == "add":
            da, db = 1.0, 1.0
        elif op == "sub":
            da, db = 1.0, -1.0
        elif op == "mul":
            da, db = vb, va
        elif op == "div":
            da, db = 1.0 / vb, -va / vb**2
        elif op == "exp":
            da, db = values[out], None
        elif op == "sin":
            da, db = np.cos(va), None
        elif op == "tanh":
            da, db = 1.0 - values[out] ** 2, None
        else:
            raise ValueError(f"unknown op {op}")
        adjoint[a] = adjoint[a] + adjoint[out] * da
        if db is not None:
            adjoint[b] = adjoint[b] + adjoint[out] * db
    return adjoint
''')

_add("reverse_sweep", "unary_binary_tables", '''
import numpy as np

UNARY_RULES = {"exp": lambda a, out: out, "sin": lambda a, out: np.cos(a), "tanh": lambda a, out: 1 - out**2}

def reverse_sweep(tape, values):
    values = np.asarray(values, dtype=float)
    adjoint = np.zeros_like(values)
    adjoint[-1] = 1.0
    for op, out, a, b in reversed(tape):
        g = adjoint[out]
        if b == -1:
            adjoint[a] += g * UNARY_RULES[op](values[a], values[out])
            continue
        x, y = values[a], values[b]
        partials = {"add": (1, 1), "sub": (1, -1), "mul": (y, x), "div": (1 / y, -x / y**2)}[op]
        adjoint[a] += g * partials[0]
        adjoint[b] += g * partials[1]
    return adjoint
''')

_add("reverse_sweep", "div_via_out_value_np_square", '''
import numpy as np

def reverse_sweep(tape, values):
    n = len(values)
    adjoint = np.zeros(n)
    adjoint[n - 1] = 1.0
    for row in reversed(tape):
        op, out, a, b = row[0], row[1], row[2], row[3]
        upstream = adjoint[out]
        if op == "add":
            adjoint[a] += upstream
            adjoint[b] += upstream
        elif op == "sub":
            adjoint[a] += upstream
            adjoint[b] -= upstream
        elif op == "mul":
            adjoint[a] += upstream * values[b]
            adjoint[b] += upstream * values[a]
        elif op == "div":
            adjoint[a] += upstream / values[b]
            adjoint[b] += upstream * (-values[out] / values[b])     # -a/b^2 = -(a/b)/b
        elif op == "exp":
            adjoint[a] += upstream * values[out]
        elif op == "sin":
            adjoint[a] += upstream * np.cos(values[a])
        elif op == "tanh":
            adjoint[a] += upstream * (1 - np.square(values[out]))
    return adjoint
''')

# ============================================================== e04: gradient_check
_add("gradient_check", "step_vector_1e-5", '''
import numpy as np

def gradient_check(f, grad, x):
    h = 1e-5
    g = np.asarray(grad(x), dtype=float)
    n = np.zeros_like(g)
    for i in range(len(x)):
        step = np.zeros(len(x))
        step[i] = h
        n[i] = (f(x + step) - f(x - step)) / (2 * h)
    total = np.linalg.norm(g) + np.linalg.norm(n)
    return 0.0 if total == 0 else float(np.linalg.norm(g - n) / total)
''')

_add("gradient_check", "copy_each_side_1e-6", '''
import numpy as np

def gradient_check(f, grad, x):
    h = 1e-6
    num = np.zeros(len(x))
    for i in range(len(x)):
        x_plus = x.copy()
        x_plus[i] += h
        x_minus = x.copy()
        x_minus[i] -= h
        num[i] = (f(x_plus) - f(x_minus)) / (2 * h)
    ana = grad(x)
    denom = np.linalg.norm(ana) + np.linalg.norm(num)
    if denom == 0:
        return 0.0
    return np.linalg.norm(ana - num) / denom
''')

_add("gradient_check", "cs231n_nditer_fx_then_analytic", '''
import numpy as np

def gradient_check(f, grad, x):
    # cs231n's eval_numerical_gradient: f at x first, then every coordinate nudged and put back
    x = x.astype(float)                   # my own copy: the caller's x is not touched
    fx = f(x)                             # the value at the original point (printed while debugging)
    h = 1e-5
    n = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old                        # put it back
        n[i] = (fp - fm) / (2 * h)
        it.iternext()
    g = grad(x)                           # x is exactly as it was: the analytic gradient at the same point
    num = np.linalg.norm(g - n)
    den = np.linalg.norm(g) + np.linalg.norm(n)
    return num / den if den > 0 else 0.0
''')

_add("gradient_check", "eye_rows_1e-4", '''
import numpy as np

def gradient_check(f, grad, x):
    h = 1e-4
    E = np.eye(len(x))
    n = np.array([(f(x + h * E[i]) - f(x - h * E[i])) / (2 * h) for i in range(len(x))])
    g = grad(x)
    if not np.any(g) and not np.any(n):
        return 0.0
    return np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n))
''')

_add("gradient_check", "list_comprehension_sqrt_sum", '''
import numpy as np

def gradient_check(f, grad, x):
    h = 1e-5
    basis = np.eye(x.size) * h
    numerical = np.array([(f(x + e) - f(x - e)) / (2 * h) for e in basis])
    analytic = np.asarray(grad(x))
    norm = lambda v: np.sqrt(np.sum(v ** 2))
    bottom = norm(analytic) + norm(numerical)
    return float(norm(analytic - numerical) / bottom) if bottom else 0.0
''')

_add("gradient_check", "cube_root_epsilon_step", '''
import numpy as np

def gradient_check(f, grad, x):
    # the V-shaped curve's minimum for central differences: h ~ eps^(1/3) (times the scale of x)
    h = np.finfo(float).eps ** (1 / 3) * max(1.0, np.max(np.abs(x)))
    d = len(x)
    n = np.empty(d)
    for i in range(d):
        e = np.zeros(d)
        e[i] = 1.0
        n[i] = (f(x + h * e) - f(x - h * e)) / (2 * h)
    g = grad(x)
    return np.linalg.norm(g - n) / max(np.linalg.norm(g) + np.linalg.norm(n), np.finfo(float).tiny)
''')

_add("gradient_check", "restore_caller_x_after_each_pair", '''
import numpy as np

def gradient_check(f, grad, x):
    h = 1e-5
    analytic = np.array(grad(x), dtype=float)
    numeric = np.zeros(x.shape)
    for i in range(x.shape[0]):
        saved = x[i]
        x[i] = saved + h
        f_plus = f(x)
        x[i] = saved - h
        f_minus = f(x)
        x[i] = saved                      # x is exactly as the caller gave it again
        numeric[i] = (f_plus - f_minus) / (2 * h)
    top = np.linalg.norm(analytic - numeric)
    bottom = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return 0.0 if bottom == 0 else top / bottom
''')

_add("gradient_check", "separate_numerical_gradient_lambda", '''
import numpy as np

def gradient_check(f, grad, x):
    def partial(i, h=1e-5):
        e = np.zeros_like(x, dtype=float)
        e[i] = h
        return (f(x + e) - f(x - e)) / (2 * h)

    n = np.fromiter((partial(i) for i in range(len(x))), dtype=float, count=len(x))
    g = grad(x)
    rel = np.linalg.norm(g - n, ord=2) / (np.linalg.norm(g, ord=2) + np.linalg.norm(n, ord=2) + 1e-300)
    return float(rel)
''')

_add("gradient_check", "apply_along_axis", '''
import numpy as np

def gradient_check(f, grad, x):
    h = 1e-5
    H = h * np.eye(len(x))                # row i is h e_i
    n = (np.apply_along_axis(f, 1, x + H) - np.apply_along_axis(f, 1, x - H)) / (2 * h)
    g = grad(x)
    total = np.linalg.norm(g) + np.linalg.norm(n)
    return 0.0 if total == 0 else np.linalg.norm(g - n) / total
''')

# ============================================================== e05: make_loader
_add("make_loader", "keywords", '''
import torch
from torch.utils.data import DataLoader, TensorDataset

def make_loader(X, y, batch_size):
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)
''')

_add("make_loader", "positional_args", '''
from torch.utils.data import DataLoader, TensorDataset

def make_loader(X, y, batch_size):
    dataset = TensorDataset(X, y)
    return DataLoader(dataset, batch_size, True)
''')

_add("make_loader", "drop_last_false_explicit", '''
import torch
from torch.utils.data import DataLoader, TensorDataset

def make_loader(X, y, batch_size):
    train_data = TensorDataset(X, y)
    train_loader = DataLoader(dataset=train_data, batch_size=batch_size, shuffle=True, drop_last=False,
                              num_workers=0)
    return train_loader
''')

_add("make_loader", "custom_dataset_subclass", '''
import torch
from torch.utils.data import DataLoader, Dataset

class PairDataset(Dataset):
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, idx):
        return self.X[idx], self.y[idx]

def make_loader(X, y, batch_size):
    return DataLoader(PairDataset(X, y), batch_size=batch_size, shuffle=True)
''')

_add("make_loader", "random_sampler", '''
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

def make_loader(X, y, batch_size):
    data = TensorDataset(X, y)
    return DataLoader(data, batch_size=batch_size, sampler=RandomSampler(data))
''')

_add("make_loader", "seeded_generator", '''
import torch
from torch.utils.data import DataLoader, TensorDataset

def make_loader(X, y, batch_size):
    g = torch.Generator()
    g.manual_seed(0)          # reproducible, and the generator moves on: a new order every epoch
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, generator=g)
''')

_add("make_loader", "batch_sampler", '''
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

def make_loader(X, y, batch_size):
    data = TensorDataset(X, y)
    sampler = BatchSampler(RandomSampler(data), batch_size=batch_size, drop_last=False)
    return DataLoader(data, batch_sampler=sampler)
''')

_add("make_loader", "sampler_class_fresh_randperm", '''
import torch
from torch.utils.data import DataLoader, Sampler, TensorDataset

class Reshuffle(Sampler):
    """Every epoch (every iter) a fresh random order of all n indices."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(torch.randperm(self.n).tolist())

    def __len__(self):
        return self.n

def make_loader(X, y, batch_size):
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, sampler=Reshuffle(len(X)))
''')

_add("make_loader", "zip_list_dataset", '''
from torch.utils.data import DataLoader

def make_loader(X, y, batch_size):
    pairs = list(zip(X, y))            # [(X[i], y[i]), ...]; the default collate stacks them
    return DataLoader(pairs, batch_size=batch_size, shuffle=True)
''')

_add("make_loader", "subset_random_sampler", '''
import torch.utils.data as data

def make_loader(X, y, batch_size):
    dataset = data.TensorDataset(X, y)
    sampler = data.SubsetRandomSampler(range(len(dataset)))
    return data.DataLoader(dataset, batch_size=batch_size, sampler=sampler)
''')

_add("make_loader", "num_workers", '''
from torch.utils.data import DataLoader, TensorDataset

def make_loader(X, y, batch_size):
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, num_workers=2)
''')

# ============================================================== e05: train_epoch
_add("train_epoch", "len_weighted_count", '''
import torch

def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    total, count = 0.0, 0
    for X_batch, y_batch in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(X_batch)
        count += len(X_batch)
    return total / count
''')

_add("train_epoch", "len_loader_dataset", '''
import torch

def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    running_loss = 0.0
    for inputs, labels in loader:
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * inputs.size(0)
    return running_loss / len(loader.dataset)
''')

_add("train_epoch", "enumerate_size0", '''
import torch

def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    epoch_loss, n_seen = 0.0, 0
    for batch_idx, (data, target) in enumerate(loader):
        optimizer.zero_grad()
        output = model(data)
        loss = loss_fn(output, target)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item() * data.size(0)
        n_seen += data.size(0)
    return epoch_loss / n_seen
''')

_add("train_epoch", "set_to_none_shape0", '''
import torch

def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    sum_loss, n = 0.0, 0
    for X, y in loader:
        optimizer.zero_grad(set_to_none=True)
        logits = model(X)
        loss = loss_fn(logits, y)
        loss.backward()
        optimizer.step()
        sum_loss += float(loss) * X.shape[0]
        n += X.shape[0]
    return sum_loss / n
''')

_add("train_epoch", "detach_tensor_accumulator", '''
import torch

def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    total = torch.zeros((), dtype=torch.float64)
    count = 0
    for X_batch, y_batch in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()
        total += loss.detach() * X_batch.shape[0]
        count += X_batch.shape[0]
    return (total / count).item()
''')

_add("train_epoch", "zero_grad_after_step_and_before_loop", '''
import torch

def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    optimizer.zero_grad()              # nothing left over from before
    total, count = 0.0, 0
    for X_batch, y_batch in loader:
        loss = loss_fn(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()          # clear for the next batch
        total += loss.item() * len(y_batch)
        count += len(y_batch)
    return total / count
''')

_add("train_epoch", "while_iterator", '''
import torch

def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    it = iter(loader)
    total, count = 0.0, 0
    while True:
        try:
            X_batch, y_batch = next(it)
        except StopIteration:
            break
        optimizer.zero_grad()
        loss = loss_fn(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(X_batch)
        count += len(X_batch)
    return total / count
''')

_add("train_epoch", "squeeze_both", '''
import torch

def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    total, count = 0.0, 0
    for X, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(X).squeeze(1), y.squeeze(1))   # both (B,): the same mean over the batch
        loss.backward()
        optimizer.step()
        total += loss.item() * X.size(0)
        count += X.size(0)
    return total / count
''')

_add("train_epoch", "model_zero_grad_np_average", '''
import numpy as np
import torch

def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    losses, sizes = [], []
    for X_batch, y_batch in loader:
        model.zero_grad()              # the optimizer holds exactly the model's parameters
        loss = loss_fn(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        sizes.append(len(X_batch))
    return float(np.average(losses, weights=sizes))
''')

_add("train_epoch", "d2l_accumulator_numel", '''
import torch

def train_epoch(model, loader, optimizer, loss_fn):
    # d2l's Accumulator: [sum of losses, number of examples]
    metric = [0.0, 0]
    if isinstance(model, torch.nn.Module):
        model.train()
    for X, y in loader:
        y_hat = model(X)
        l = loss_fn(y_hat, y)
        optimizer.zero_grad()
        l.backward()
        optimizer.step()
        metric[0] += float(l) * y.numel()
        metric[1] += y.numel()
    return metric[0] / metric[1]
''')

_add("train_epoch", "tqdm_enumerate_tutorial", '''
import torch
from tqdm.auto import tqdm

def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    running_loss, seen = 0.0, 0
    for i, data in enumerate(tqdm(loader, desc="train", leave=False), 0):
        inputs, labels = data
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * inputs.size(0)
        seen += inputs.size(0)
    return running_loss / seen
''')

# ============================================================== e05: evaluate
_add("evaluate", "no_grad_len_count", '''
import torch

def evaluate(model, loader, loss_fn):
    model.eval()
    total, right, count = 0.0, 0.0, 0
    with torch.no_grad():
        for X_batch, y_batch in loader:
            logits = model(X_batch)
            total += loss_fn(logits, y_batch).item() * len(X_batch)
            right += ((logits > 0).double() == y_batch).sum().item()
            count += len(X_batch)
    return total / count, right / count
''')

_add("evaluate", "len_loader_dataset", '''
import torch

def evaluate(model, loader, loss_fn):
    model.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for X, y in loader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item() * X.size(0)
            correct += ((pred > 0).type(torch.float) == y).type(torch.float).sum().item()
    size = len(loader.dataset)
    return test_loss / size, correct / size
''')

_add("evaluate", "inference_mode_float", '''
import torch

def evaluate(model, loader, loss_fn):
    model.eval()
    loss_sum, n_correct, n = 0.0, 0, 0
    with torch.inference_mode():
        for X, y in loader:
            logits = model(X)
            loss_sum += loss_fn(logits, y).item() * X.shape[0]
            n_correct += int(((logits > 0).float() == y).sum())
            n += X.shape[0]
    return loss_sum / n, n_correct / n
''')

_add("evaluate", "sigmoid_ge_half_eq", '''
import torch

def evaluate(model, loader, loss_fn):
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for X_batch, y_batch in loader:
            logits = model(X_batch)
            total_loss += loss_fn(logits, y_batch).item() * y_batch.size(0)
            probs = torch.sigmoid(logits)
            preds = (probs >= 0.5).to(y_batch.dtype)
            correct += preds.eq(y_batch).sum().item()
            seen += y_batch.size(0)
    return total_loss / seen, correct / seen
''')

_add("evaluate", "no_grad_decorator", '''
import torch

@torch.no_grad()
def evaluate(model, loader, loss_fn):
    model.eval()
    losses, hits, count = 0.0, 0.0, 0
    for X, y in loader:
        out = model(X)
        losses += loss_fn(out, y).item() * len(y)
        hits += (out.gt(0) == y.bool()).sum().item()
        count += len(y)
    return losses / count, hits / count
''')

_add("evaluate", "squeeze_both", '''
import torch

def evaluate(model, loader, loss_fn):
    model.eval()
    total, right, count = 0.0, 0, 0
    with torch.no_grad():
        for X, y in loader:
            logits = model(X).squeeze(1)
            target = y.squeeze(1)
            total += loss_fn(logits, target).item() * X.size(0)
            right += ((logits > 0).long() == target.long()).sum().item()
            count += X.size(0)
    return total / count, right / count
''')

_add("evaluate", "cat_all_then_once", '''
import torch

def evaluate(model, loader, loss_fn):
    model.eval()
    with torch.no_grad():
        outputs, targets = [], []
        for X, y in loader:
            outputs.append(model(X))
            targets.append(y)
        logits, labels = torch.cat(outputs), torch.cat(targets)
        loss = loss_fn(logits, labels).item()          # the mean over every example at once
        accuracy = ((logits > 0) == labels.bool()).float().mean().item()
    return loss, accuracy
''')

_add("evaluate", "detach_tensor_accumulation", '''
import torch

def evaluate(model, loader, loss_fn):
    model.eval()
    total = torch.tensor(0.0, dtype=torch.float64)
    correct = torch.tensor(0)
    n = 0
    with torch.no_grad():
        for X_batch, y_batch in loader:
            logits = model(X_batch)
            total += loss_fn(logits, y_batch).detach() * len(X_batch)
            correct += (torch.where(logits > 0, 1.0, 0.0) == y_batch).sum()
            n += len(X_batch)
    return total.item() / n, correct.item() / n
''')

_add("evaluate", "neuromatch_running_sums", '''
import numpy as np
import torch

def evaluate(model, loader, loss_fn):
    model.eval()
    batch_losses, batch_sizes, batch_correct = [], [], []
    with torch.no_grad():
        for data, target in loader:
            output = model(data)
            batch_losses.append(loss_fn(output, target).item())
            batch_sizes.append(target.shape[0])
            predicted = (output > 0).double()
            batch_correct.append((predicted == target).sum().item())
    n = np.sum(batch_sizes)
    return float(np.dot(batch_losses, batch_sizes) / n), float(np.sum(batch_correct) / n)
''')

_add("evaluate", "train_false_set_grad_enabled", '''
import torch

def evaluate(model, loader, loss_fn):
    model.train(False)                     # the same as model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.set_grad_enabled(False):
        for X, y in loader:
            logits = model(X)
            total += loss_fn(logits, y).item() * len(X)
            correct += torch.sum(torch.gt(logits, 0) == (y == 1)).item()
            count += len(X)
    return total / count, correct / count
''')

# ============================================================== e07: gradient_norms
_add("gradient_norms", "activations_list_tanh", '''
import numpy as np

def gradient_norms(X, Y, Ws, bs):
    A = [X]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = A[-1] @ W + b
        A.append(Z if l == len(Ws) - 1 else 0.5 * (1 + np.tanh(0.5 * Z)))
    norms = np.zeros(len(Ws))
    dA = A[-1] - Y
    for l in reversed(range(len(Ws))):
        dZ = dA if l == len(Ws) - 1 else dA * A[l + 1] * (1 - A[l + 1])
        norms[l] = np.linalg.norm(A[l].T @ dZ)
        dA = dZ @ Ws[l].T
    return norms
''')

_add("gradient_norms", "expit_grads_list_then_norms", '''
import numpy as np
from scipy.special import expit

def gradient_norms(X, Y, Ws, bs):
    L = len(Ws)
    acts = [X]
    for l in range(L):
        Z = acts[-1] @ Ws[l] + bs[l]
        acts.append(Z if l == L - 1 else expit(Z))
    grads = [None] * L
    delta = acts[-1] - Y                      # dL/dZ_L for the linear output
    for l in range(L - 1, -1, -1):
        grads[l] = acts[l].T @ delta
        if l > 0:
            delta = (delta @ Ws[l].T) * acts[l] * (1 - acts[l])
    return np.array([np.linalg.norm(g, "fro") for g in grads])
''')

_add("gradient_norms", "store_Z_sigma_prime_naive_exp", '''
import numpy as np

def gradient_norms(X, Y, Ws, bs):
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    Zs, As = [], [X]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = As[-1] @ W + b
        Zs.append(Z)
        As.append(Z if l == len(Ws) - 1 else sigmoid(Z))
    dW_norms = []
    dZ = As[-1] - Y
    for l in range(len(Ws) - 1, -1, -1):
        dW = As[l].T @ dZ
        dW_norms.append(np.sqrt(np.sum(dW ** 2)))
        if l > 0:
            s = sigmoid(Zs[l - 1])
            dZ = (dZ @ Ws[l].T) * s * (1 - s)
    return np.array(dW_norms[::-1])
''')

_add("gradient_norms", "einsum_insert_front", '''
import numpy as np

def gradient_norms(X, Y, Ws, bs):
    A = [X]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = np.einsum("ni,ij->nj", A[-1], W) + b
        A.append(Z if l == len(Ws) - 1 else np.exp(-np.logaddexp(0, -Z)))
    norms = []
    dZ = A[-1] - Y
    for l in reversed(range(len(Ws))):
        dW = np.einsum("ni,nj->ij", A[l], dZ)
        norms.insert(0, np.linalg.norm(dW))
        dA = np.einsum("nj,ij->ni", dZ, Ws[l])
        dZ = dA * A[l] * (1 - A[l])           # only used if layer l is a sigmoid layer (l >= 1)
    return np.array(norms)
''')

_add("gradient_norms", "cs231n_layer_caches", '''
import numpy as np

def gradient_norms(X, Y, Ws, bs):
    def affine_forward(x, w, b):
        return x @ w + b, (x, w)

    def affine_backward(dout, cache):
        x, w = cache
        return dout @ w.T, x.T @ dout, dout.sum(axis=0)

    def sigmoid_forward(z):
        a = np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
        return a, a

    def sigmoid_backward(dout, a):
        return dout * a * (1 - a)

    caches, out = [], X
    for l, (W, b) in enumerate(zip(Ws, bs)):
        out, affine_cache = affine_forward(out, W, b)
        sig_cache = None
        if l < len(Ws) - 1:
            out, sig_cache = sigmoid_forward(out)
        caches.append((affine_cache, sig_cache))
    dout = out - Y                             # L = 1/2 sum (A_L - Y)^2
    norms = np.zeros(len(Ws))
    for l in reversed(range(len(Ws))):
        affine_cache, sig_cache = caches[l]
        if sig_cache is not None:
            dout = sigmoid_backward(dout, sig_cache)
        dout, dW, db = affine_backward(dout, affine_cache)
        norms[l] = np.linalg.norm(dW)
    return norms
''')

_add("gradient_norms", "dict_cache_np_dot", '''
import numpy as np

def gradient_norms(X, Y, Ws, bs):
    L = len(Ws)
    cache = {"A0": X}
    for l in range(1, L + 1):
        Z = np.dot(cache[f"A{l - 1}"], Ws[l - 1]) + bs[l - 1]
        cache[f"A{l}"] = Z if l == L else 1.0 / (1.0 + np.exp(-Z))
    grads = {}
    dZ = cache[f"A{L}"] - Y
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = np.dot(cache[f"A{l - 1}"].T, dZ)
        if l > 1:
            A_prev = cache[f"A{l - 1}"]
            dZ = np.dot(dZ, Ws[l - 1].T) * A_prev * (1.0 - A_prev)
    return np.array([np.linalg.norm(grads[f"dW{l}"]) for l in range(1, L + 1)])
''')

_add("gradient_norms", "recursive_backward", '''
import numpy as np

def gradient_norms(X, Y, Ws, bs):
    L = len(Ws)
    norms = np.empty(L)

    def layer(l, A_prev):
        """Forward through layers l.. and return dL/dA_prev; records ||dL/dW_l|| on the way back."""
        Z = A_prev @ Ws[l] + bs[l]
        if l == L - 1:
            dZ = Z - Y
        else:
            A = 0.5 * (1 + np.tanh(Z / 2))
            dZ = layer(l + 1, A) * A * (1 - A)
        norms[l] = np.linalg.norm(A_prev.T @ dZ)
        return dZ @ Ws[l].T

    layer(0, X)
    return norms
''')

_add("gradient_norms", "matmul_frobenius_trace", '''
import numpy as np

def gradient_norms(X, Y, Ws, bs):
    As = [X]
    for W, b in zip(Ws[:-1], bs[:-1]):
        Z = np.matmul(As[-1], W) + b
        e = np.exp(-np.abs(Z))
        As.append(np.where(Z >= 0, 1 / (1 + e), e / (1 + e)))
    out = np.matmul(As[-1], Ws[-1]) + bs[-1]    # linear output layer
    delta = out - Y
    result = []
    for W, A_prev in zip(reversed(Ws), reversed(As)):
        dW = np.matmul(A_prev.T, delta)
        result.append(np.sqrt(np.trace(dW.T @ dW)))   # Frobenius norm: sqrt(trace(dW^T dW))
        delta = np.matmul(delta, W.T) * A_prev * (1 - A_prev)
    return np.array(list(reversed(result)))
''')

# ============================================================== e08: momentum
_add("momentum", "solution_form", '''
import numpy as np

def momentum_step(x, v, grad, lr, rho):
    v = rho * v + grad
    return x - lr * v, v
''')

_add("momentum", "new_names", '''
import numpy as np

def momentum_step(x, v, grad, lr, rho):
    v_new = rho * v + grad
    x_new = x - lr * v_new
    return x_new, v_new
''')

_add("momentum", "inplace_on_copies", '''
import numpy as np

def momentum_step(x, v, grad, lr, rho):
    v = v.copy()
    v *= rho
    v += grad
    x = x.copy()
    x -= lr * v
    return x, v
''')

_add("momentum", "np_ufuncs", '''
import numpy as np

def momentum_step(x, v, grad, lr, rho):
    velocity = np.add(np.multiply(rho, v), grad)
    return np.subtract(x, np.multiply(lr, velocity)), velocity
''')

_add("momentum", "torch_tensors", '''
import numpy as np
import torch

def momentum_step(x, v, grad, lr, rho):
    # torch.optim.SGD's buffer: buf.mul_(momentum).add_(grad); p.add_(buf, alpha=-lr)
    buf = torch.tensor(v).mul(rho).add(torch.tensor(grad))
    p = torch.tensor(x).add(buf, alpha=-lr)
    return p.numpy(), buf.numpy()
''')

_add("momentum", "return_list_asarray", '''
import numpy as np

def momentum_step(x, v, grad, lr, rho):
    x, v, grad = (np.asarray(a, dtype=float) for a in (x, v, grad))
    v_next = rho * v + grad
    return [x - lr * v_next, v_next]
''')

_add("momentum", "distributed_lr", '''
import numpy as np

def momentum_step(x, v, grad, lr, rho):
    new_v = rho * v + grad
    new_x = x - lr * rho * v - lr * grad        # = x - lr * new_v
    return new_x, new_v
''')

_add("momentum", "d2l_states_tuple", '''
import numpy as np

def momentum_step(x, v, grad, lr, rho):
    states = {"v": v}
    states["v"] = rho * states["v"] + grad
    params = x - lr * states["v"]
    return params, states["v"]
''')

# ============================================================== e08: rmsprop
_add("rmsprop", "solution_form", '''
import numpy as np

def rmsprop_step(x, s, grad, lr, alpha, eps):
    s = alpha * s + (1 - alpha) * grad * grad
    return x - lr * grad / (np.sqrt(s) + eps), s
''')

_add("rmsprop", "pow_half_and_square", '''
import numpy as np

def rmsprop_step(x, s, grad, lr, alpha, eps):
    s_new = alpha * s + (1 - alpha) * grad ** 2
    x_new = x - lr * grad / (s_new ** 0.5 + eps)
    return x_new, s_new
''')

_add("rmsprop", "np_square_divide", '''
import numpy as np

def rmsprop_step(x, s, grad, lr, alpha, eps):
    s = np.add(alpha * s, (1 - alpha) * np.square(grad))
    return x - lr * np.divide(grad, np.sqrt(s) + eps), s
''')

_add("rmsprop", "inplace_on_copies", '''
import numpy as np

def rmsprop_step(x, s, grad, lr, alpha, eps):
    s = s.copy()
    s *= alpha
    s += (1 - alpha) * grad * grad
    x = x.copy()
    x -= lr * grad / (np.sqrt(s) + eps)
    return x, s
''')

_add("rmsprop", "torch_tensors", '''
import numpy as np
import torch

def rmsprop_step(x, s, grad, lr, alpha, eps):
    g = torch.from_numpy(np.array(grad, dtype=np.float64))
    square_avg = torch.from_numpy(np.array(s, dtype=np.float64)).mul(alpha).addcmul(g, g, value=1 - alpha)
    avg = square_avg.sqrt().add(eps)
    p = torch.from_numpy(np.array(x, dtype=np.float64)).addcdiv(g, avg, value=-lr)
    return p.numpy(), square_avg.numpy()
''')

_add("rmsprop", "effective_lr", '''
import numpy as np

def rmsprop_step(x, s, grad, lr, alpha, eps):
    s_new = alpha * s + (1.0 - alpha) * (grad * grad)
    adaptive_lr = lr / (np.sqrt(s_new) + eps)      # a learning rate per coordinate
    return x - adaptive_lr * grad, s_new
''')

_add("rmsprop", "ema_increment_form", '''
import numpy as np

def rmsprop_step(x, s, grad, lr, alpha, eps):
    # s <- s + (1 - alpha) (g^2 - s) is alpha s + (1 - alpha) g^2
    s = s + (1 - alpha) * (grad**2 - s)
    return x - lr * grad / (np.sqrt(s) + eps), s
''')

_add("rmsprop", "d2l_named_hyper", '''
import math
import numpy as np

def rmsprop_step(x, s, grad, lr, alpha, eps):
    gamma = alpha                              # d2l calls the decay gamma
    state = gamma * s + (1 - gamma) * np.square(grad)
    param = x - lr * grad / (np.sqrt(state) + eps)
    return param, state
''')

# ============================================================== e08: adam
_add("adam", "m_hat_v_hat", '''
import numpy as np

def adam_step(x, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
''')

_add("adam", "torch_style_step_size", '''
import math
import numpy as np

def adam_step(x, m, v, grad, t, lr, beta1, beta2, eps):
    # as torch.optim.Adam writes it: step_size = lr / bias_correction1,
    # denom = sqrt(v) / sqrt(bias_correction2) + eps
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    bias_correction1 = 1 - beta1 ** t
    bias_correction2 = 1 - beta2 ** t
    step_size = lr / bias_correction1
    denom = np.sqrt(v) / math.sqrt(bias_correction2) + eps
    return x - step_size * m / denom, m, v
''')

_add("adam", "kingma_alpha_t_scaled_eps", '''
import numpy as np

def adam_step(x, m, v, grad, t, lr, beta1, beta2, eps):
    # Kingma & Ba's efficient form: alpha_t = lr sqrt(1 - beta2^t) / (1 - beta1^t), and eps scaled to
    # eps sqrt(1 - beta2^t) so that it is exactly the m_hat / (sqrt(v_hat) + eps) rule
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad * grad
    alpha_t = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
    x_new = x - alpha_t * m_new / (np.sqrt(v_new) + eps * np.sqrt(1 - beta2**t))
    return x_new, m_new, v_new
''')

_add("adam", "np_power_pow_half", '''
import numpy as np

def adam_step(x, m, v, grad, t, lr, beta1, beta2, eps):
    m_t = beta1 * m + (1.0 - beta1) * grad
    v_t = beta2 * v + (1.0 - beta2) * np.power(grad, 2)
    m_corr = m_t / (1.0 - np.power(beta1, t))
    v_corr = v_t / (1.0 - np.power(beta2, t))
    x_t = x - lr * m_corr / (v_corr ** 0.5 + eps)
    return x_t, m_t, v_t
''')

_add("adam", "inplace_on_copies", '''
import numpy as np

def adam_step(x, m, v, grad, t, lr, beta1, beta2, eps):
    m, v, x = m.copy(), v.copy(), x.copy()
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * np.square(grad)
    x -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return x, m, v
''')

_add("adam", "torch_tensors", '''
import math
import numpy as np
import torch

def adam_step(x, m, v, grad, t, lr, beta1, beta2, eps):
    g = torch.tensor(grad, dtype=torch.float64)
    exp_avg = torch.tensor(m, dtype=torch.float64).lerp(g, 1 - beta1)
    exp_avg_sq = torch.tensor(v, dtype=torch.float64).mul(beta2).addcmul(g, g, value=1 - beta2)
    denom = (exp_avg_sq.sqrt() / math.sqrt(1 - beta2 ** t)).add(eps)
    p = torch.tensor(x, dtype=torch.float64).addcdiv(exp_avg, denom, value=-lr / (1 - beta1 ** t))
    return p.numpy(), exp_avg.numpy(), exp_avg_sq.numpy()
''')

_add("adam", "ema_increment_form", '''
import numpy as np

def adam_step(x, m, v, grad, t, lr, beta1, beta2, eps):
    m = m + (1 - beta1) * (grad - m)
    v = v + (1 - beta2) * (grad * grad - v)
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    update = lr * m_hat / (np.sqrt(v_hat) + eps)
    return x - update, m, v
''')

_add("adam", "d2l_named_states", '''
import numpy as np

def adam_step(x, m, v, grad, t, lr, beta1, beta2, eps):
    v_state, s_state = m, v                     # d2l: v is the momentum, s the second moment
    v_state = beta1 * v_state + (1 - beta1) * grad
    s_state = beta2 * s_state + (1 - beta2) * np.square(grad)
    v_bias_corr = v_state / (1 - beta1 ** t)
    s_bias_corr = s_state / (1 - beta2 ** t)
    x = x - lr * v_bias_corr / (np.sqrt(s_bias_corr) + eps)
    return x, v_state, s_state
''')

# ============================================================== e08: sgd_epoch
_add("sgd_epoch", "permutation_range_step", '''
import numpy as np

def sgd_epoch(X, Y, w, grad_fn, lr, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        batch = order[start:start + batch_size]
        w = w - lr * grad_fn(w, X[batch], Y[batch])
    return w
''')

_add("sgd_epoch", "shuffle_arrays_then_slice", '''
import numpy as np

def sgd_epoch(X, Y, w, grad_fn, lr, batch_size, rng):
    perm = rng.permutation(X.shape[0])
    X_shuf, Y_shuf = X[perm], Y[perm]           # new arrays: the caller's X and Y stay as they are
    for i in range(0, X.shape[0], batch_size):
        Xb = X_shuf[i:i + batch_size]
        Yb = Y_shuf[i:i + batch_size]
        w = w - lr * grad_fn(w, Xb, Yb)
    return w
''')

_add("sgd_epoch", "np_split_indices", '''
import numpy as np

def sgd_epoch(X, Y, w, grad_fn, lr, batch_size, rng):
    N = len(X)
    perm = rng.permutation(N)
    for idx in np.split(perm, np.arange(batch_size, N, batch_size)):
        w = w - lr * grad_fn(w, X[idx], Y[idx])
    return w
''')

_add("sgd_epoch", "while_loop", '''
import numpy as np

def sgd_epoch(X, Y, w, grad_fn, lr, batch_size, rng):
    N = X.shape[0]
    idx = rng.permutation(N)
    start = 0
    while start < N:
        end = min(start + batch_size, N)
        b = idx[start:end]
        w = w - lr * grad_fn(w, X[b], Y[b])
        start = end
    return w
''')

_add("sgd_epoch", "ceil_number_of_batches", '''
import math
import numpy as np

def sgd_epoch(X, Y, w, grad_fn, lr, batch_size, rng):
    N = len(X)
    shuffled = rng.permutation(N)
    n_batches = math.ceil(N / batch_size)
    for k in range(n_batches):
        batch = shuffled[k * batch_size:(k + 1) * batch_size]
        grad = grad_fn(w, X[batch, :], Y[batch, :])
        w = w - lr * grad
    return w
''')

_add("sgd_epoch", "copy_then_inplace", '''
import numpy as np

def sgd_epoch(X, Y, w, grad_fn, lr, batch_size, rng):
    w = w.copy()                                 # updated in place below: keep the caller's w intact
    perm = rng.permutation(len(Y))
    for i in range(0, len(Y), batch_size):
        j = perm[i:i + batch_size]
        w -= lr * grad_fn(w, X[j], Y[j])
    return w
''')

_add("sgd_epoch", "d2l_data_iter_generator", '''
import numpy as np

def sgd_epoch(X, Y, w, grad_fn, lr, batch_size, rng):
    def data_iter(batch_size, features, labels):
        num_examples = len(features)
        indices = rng.permutation(num_examples)
        for i in range(0, num_examples, batch_size):
            batch_indices = indices[i: min(i + batch_size, num_examples)]
            yield features[batch_indices], labels[batch_indices]

    for X_batch, Y_batch in data_iter(batch_size, X, Y):
        w = w - lr * grad_fn(w, X_batch, Y_batch)
    return w
''')

_add("sgd_epoch", "take_and_array_split_by_size", '''
import numpy as np

def sgd_epoch(X, Y, w, grad_fn, lr, batch_size, rng):
    n = X.shape[0]
    order = rng.permutation(np.arange(n))
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    for batch in batches:
        Xb = np.take(X, batch, axis=0)
        Yb = np.take(Y, batch, axis=0)
        step = grad_fn(w, Xb, Yb)
        w = np.subtract(w, lr * step)
    return w
''')


# ============================================================== e06: cnn_parameters, confusion, early_stopping
_add("cnn_parameters", "formula_in_one_line", '''
def cnn_parameters(side, filters, kernel, hidden, classes):
    p = (side - kernel + 1) // 2
    return filters * (kernel ** 2 + 1) + (filters * p * p + 1) * hidden + (hidden + 1) * classes
''')

_add("cnn_parameters", "torch_modules_numel", '''
import torch
from torch import nn

def cnn_parameters(side, filters, kernel, hidden, classes):
    conv = nn.Conv2d(1, filters, kernel_size=kernel)
    with torch.no_grad():
        maps = nn.MaxPool2d(2)(conv(torch.zeros(1, 1, side, side)))
    model = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(maps.numel(), hidden), nn.ReLU(), nn.Linear(hidden, classes))
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
''')

_add("cnn_parameters", "layer_list_loop", '''
import math

def cnn_parameters(side, filters, kernel, hidden, classes):
    out = side - kernel + 1          # valid convolution
    out = math.floor(out / 2)        # 2x2 max pooling, stride 2
    layers = [(kernel * kernel, filters), (filters * out * out, hidden), (hidden, classes)]
    total = 0
    for fan_in, fan_out in layers:
        total += fan_in * fan_out + fan_out
    return total
''')

_add("confusion", "loop_plus_equals", '''
import numpy as np

def confusion(truth, predicted, classes):
    C = np.zeros((classes, classes), dtype=int)
    for t, p in zip(truth, predicted):
        C[t, p] += 1
    return C
''')

_add("confusion", "np_add_at", '''
import numpy as np

def confusion(truth, predicted, classes):
    C = np.zeros((classes, classes))
    np.add.at(C, (truth, predicted), 1)
    return C
''')

_add("confusion", "bincount_reshape", '''
import numpy as np

def confusion(truth, predicted, classes):
    flat = np.asarray(truth) * classes + np.asarray(predicted)
    return np.bincount(flat, minlength=classes * classes).reshape(classes, classes)
''')

_add("confusion", "equality_broadcast", '''
import numpy as np

def confusion(truth, predicted, classes):
    k = np.arange(classes)
    T = (np.asarray(truth)[:, None] == k).astype(int)       # one-hot rows
    P = (np.asarray(predicted)[:, None] == k).astype(int)
    return T.T @ P
''')

_add("early_stopping", "for_loop_with_counter", '''
def early_stopping(history, patience):
    best = None
    best_epoch = 0
    waited = 0
    val = history["val_accuracy"]
    for epoch in range(len(val)):
        if best is None or val[epoch] > best:
            best, best_epoch, waited = val[epoch], epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return best_epoch, epoch
    return best_epoch, len(val) - 1
''')

_add("early_stopping", "argmax_of_prefix", '''
import numpy as np

def early_stopping(history, patience):
    val = np.asarray(history["val_accuracy"])
    for epoch in range(len(val)):
        kept = int(np.argmax(val[:epoch + 1]))      # the first of equal maxima
        if epoch - kept >= patience:
            return kept, epoch
    return int(np.argmax(val)), len(val) - 1
''')

_add("early_stopping", "class_like_pytorch_callbacks", '''
class EarlyStopper:
    def __init__(self, patience):
        self.patience, self.best, self.best_epoch, self.bad_epochs = patience, float("-inf"), 0, 0

    def step(self, epoch, score):
        if score > self.best:
            self.best, self.best_epoch, self.bad_epochs = score, epoch, 0
            return False
        self.bad_epochs += 1
        return self.bad_epochs >= self.patience

def early_stopping(history, patience):
    stopper = EarlyStopper(patience)
    scores = history["val_accuracy"]
    for epoch, score in enumerate(scores):
        if stopper.step(epoch, score):
            return stopper.best_epoch, epoch
    return stopper.best_epoch, len(scores) - 1
''')

_add("cnn_parameters", "shapes_and_prod", '''
import numpy as np

def cnn_parameters(side, filters, kernel, hidden, classes):
    conv_out = side - kernel + 1
    pool_out = conv_out // 2
    shapes = [(filters, 1, kernel, kernel), (filters,),              # Conv2d weight and bias
              (hidden, filters * pool_out * pool_out), (hidden,),     # Linear
              (classes, hidden), (classes,)]                          # Linear
    return int(sum(np.prod(s) for s in shapes))
''')

_add("cnn_parameters", "divmod_pooling", '''
def cnn_parameters(side, filters, kernel, hidden, classes):
    pooled, _ = divmod(side - kernel + 1, 2)
    conv = filters * kernel * kernel + filters
    fc1 = filters * pooled ** 2 * hidden + hidden
    fc2 = hidden * classes + classes
    return conv + fc1 + fc2
''')

_add("cnn_parameters", "pytorch_docs_output_formula", '''
def cnn_parameters(side, filters, kernel, hidden, classes):
    # the output size in PyTorch's Conv2d and MaxPool2d docs:
    # (n + 2 padding - dilation (kernel - 1) - 1) // stride + 1
    conv = (side + 2 * 0 - 1 * (kernel - 1) - 1) // 1 + 1
    h = (conv + 2 * 0 - 1 * (2 - 1) - 1) // 2 + 1
    return (kernel * kernel * 1 + 1) * filters + (h * h * filters + 1) * hidden + (hidden + 1) * classes
''')

_add("cnn_parameters", "keras_summary_style", '''
def cnn_parameters(side, filters, kernel, hidden, classes):
    params = {}
    params["conv2d"] = (kernel * kernel * 1) * filters + filters
    size = (side - kernel + 1) // 2          # max_pooling2d
    flat = size * size * filters             # flatten
    params["dense"] = flat * hidden + hidden
    params["dense_1"] = hidden * classes + classes
    return sum(params.values())
''')

_add("confusion", "histogram2d_integer_bins", '''
import numpy as np

def confusion(truth, predicted, classes):
    edges = np.arange(classes + 1) - 0.5
    C, _, _ = np.histogram2d(truth, predicted, bins=[edges, edges])
    return C
''')

_add("confusion", "collections_counter", '''
from collections import Counter
import numpy as np

def confusion(truth, predicted, classes):
    counts = Counter(zip(truth.tolist(), predicted.tolist()))
    C = np.zeros((classes, classes), dtype=np.int64)
    for (i, j), n in counts.items():
        C[i, j] = n
    return C
''')

_add("confusion", "unique_rows_with_counts", '''
import numpy as np

def confusion(truth, predicted, classes):
    pairs, counts = np.unique(np.stack([truth, predicted], axis=1), axis=0, return_counts=True)
    C = np.zeros((classes, classes), dtype=int)
    C[pairs[:, 0], pairs[:, 1]] = counts
    return C
''')

_add("early_stopping", "while_loop", '''
def early_stopping(history, patience):
    val = history["val_accuracy"]
    epoch, kept, best = 0, 0, float("-inf")
    while epoch < len(val):
        if val[epoch] > best:
            best, kept = val[epoch], epoch
        elif epoch - kept == patience:
            break
        epoch += 1
    return kept, min(epoch, len(val) - 1)
''')

_add("early_stopping", "keras_wait_counter", '''
import numpy as np

def early_stopping(history, patience):
    monitor = np.asarray(history["val_accuracy"], dtype=float)
    best, best_epoch, wait = -np.inf, 0, 0
    for epoch, current in enumerate(monitor):
        if current - best > 0:          # min_delta = 0
            best, best_epoch, wait = current, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, epoch
    return best_epoch, len(monitor) - 1
''')

_add("early_stopping", "list_index_of_running_max", '''
def early_stopping(history, patience):
    scores = list(history["val_accuracy"])
    for epoch in range(len(scores)):
        seen = scores[:epoch + 1]
        kept = seen.index(max(seen))
        if epoch - kept >= patience:
            return kept, epoch
    return scores.index(max(scores)), len(scores) - 1
''')

_add("early_stopping", "maximum_accumulate", '''
import numpy as np

def early_stopping(history, patience):
    val = np.asarray(history["val_accuracy"])
    running = np.maximum.accumulate(val)
    improved = np.r_[True, val[1:] > running[:-1]]      # a new best: above everything before
    kept = 0
    for epoch in range(len(val)):
        if improved[epoch]:
            kept = epoch
        elif epoch - kept >= patience:
            return kept, epoch
    return kept, len(val) - 1
''')


# ============================================================== e09: ridge, standardise_folds, penalised_gradient
_add("ridge", "solve_with_zeroed_identity", '''
import numpy as np

def ridge(X, y, lam):
    D = np.eye(X.shape[1])
    D[0, 0] = 0.0
    return np.linalg.solve(X.T @ X + lam * D, X.T @ y)
''')

_add("ridge", "lstsq_on_augmented_rows", '''
import numpy as np

def ridge(X, y, lam):
    p = X.shape[1]
    extra = np.sqrt(lam) * np.eye(p)[1:]          # one row per penalised weight
    A = np.vstack([X, extra])
    b = np.concatenate([y, np.zeros(p - 1)])
    w, *_ = np.linalg.lstsq(A, b, rcond=None)
    return w
''')

_add("ridge", "explicit_inverse", '''
import numpy as np

def ridge(X, y, lam):
    penalty = lam * np.diag([0.0] + [1.0] * (X.shape[1] - 1))
    return np.linalg.inv(X.T @ X + penalty) @ X.T @ y
''')

_add("ridge", "scipy_solve_symmetric", '''
import numpy as np
import scipy.linalg

def ridge(X, y, lam):
    A = X.T @ X
    A[1:, 1:] += lam * np.eye(X.shape[1] - 1)
    return scipy.linalg.solve(A, X.T @ y, assume_a="pos")
''')

_add("ridge", "einsum_normal_equations", '''
import numpy as np

def ridge(X, y, lam):
    A = np.einsum("ij,ik->jk", X, X)
    b = np.einsum("ij,i->j", X, y)
    idx = np.arange(1, X.shape[1])
    A[idx, idx] += lam
    return np.linalg.solve(A, b)
''')

_add("ridge", "centre_then_intercept", '''
import numpy as np

def ridge(X, y, lam):
    F = X[:, 1:]
    f_mean, y_mean = F.mean(axis=0), y.mean()
    Fc, yc = F - f_mean, y - y_mean
    coef = np.linalg.solve(Fc.T @ Fc + lam * np.eye(F.shape[1]), Fc.T @ yc)
    return np.concatenate([[y_mean - f_mean @ coef], coef])
''')

_add("ridge", "pure_python_gauss_jordan", '''
def ridge(X, y, lam):
    rows = [list(map(float, r)) for r in X]
    targets = [float(t) for t in y]
    p = len(rows[0])
    # the normal equations, one augmented row per weight
    M = [[sum(r[i] * r[j] for r in rows) + (lam if i == j and i > 0 else 0.0) for j in range(p)]
         + [sum(r[i] * t for r, t in zip(rows, targets))] for i in range(p)]
    for c in range(p):
        pivot = max(range(c, p), key=lambda r: abs(M[r][c]))
        M[c], M[pivot] = M[pivot], M[c]
        for r in range(p):
            if r != c:
                f = M[r][c] / M[c][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c])]
    return [M[i][p] / M[i][i] for i in range(p)]
''')

_add("ridge", "cholesky_two_triangles", '''
import numpy as np
from scipy.linalg import solve_triangular

def ridge(X, y, lam):
    A = X.T @ X + lam * np.diag(np.r_[0.0, np.ones(X.shape[1] - 1)])
    L = np.linalg.cholesky(A)
    z = solve_triangular(L, X.T @ y, lower=True)
    return solve_triangular(L.T, z, lower=False)
''')

_add("ridge", "svd_of_centred_features", '''
import numpy as np

def ridge(X, y, lam):
    F = X[:, 1:] - X[:, 1:].mean(axis=0)
    U, s, Vt = np.linalg.svd(F, full_matrices=False)
    coef = Vt.T @ (s / (s ** 2 + lam) * (U.T @ (y - y.mean())))
    return np.r_[y.mean() - X[:, 1:].mean(axis=0) @ coef, coef]
''')

_add("ridge", "qr_of_augmented_system", '''
import numpy as np

def ridge(X, y, lam):
    p = X.shape[1]
    root = np.sqrt(lam) * np.eye(p)
    root[0, 0] = 0.0
    Q, R = np.linalg.qr(np.vstack([X, root]))
    return np.linalg.solve(R, Q.T @ np.r_[y, np.zeros(p)])
''')

_add("ridge", "torch_linalg_solve", '''
import numpy as np
import torch

def ridge(X, y, lam):
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    D = torch.eye(X.shape[1], dtype=torch.float64)
    D[0, 0] = 0
    return torch.linalg.solve(Xt.T @ Xt + lam * D, Xt.T @ yt).numpy()
''')

_add("standardise_folds", "array_split_setdiff", '''
import numpy as np

def standardise_folds(X, k):
    rows = np.arange(len(X))
    folds = []
    for val in np.array_split(rows, k):
        train = np.setdiff1d(rows, val)
        mu, sigma = X[train].mean(axis=0), X[train].std(axis=0)
        folds.append(((X[train] - mu) / sigma, (X[val] - mu) / sigma))
    return folds
''')

_add("standardise_folds", "fold_sizes_like_sklearn", '''
import numpy as np

def standardise_folds(X, k):
    n = X.shape[0]
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    out, start = [], 0
    for size in sizes:
        stop = start + size
        X_train = np.concatenate([X[:start], X[stop:]])
        X_val = X[start:stop]
        mean = X_train.mean(axis=0)
        std = np.sqrt(((X_train - mean) ** 2).mean(axis=0))
        out.append(((X_train - mean) / std, (X_val - mean) / std))
        start = stop
    return out
''')

_add("standardise_folds", "boolean_mask", '''
import numpy as np

def standardise_folds(X, k):
    fold_of_row = np.repeat(np.arange(k), [len(b) for b in np.array_split(X, k)])
    result = []
    for i in range(k):
        is_val = fold_of_row == i
        train, val = X[~is_val], X[is_val]
        m, s = np.mean(train, axis=0), np.std(train, axis=0)
        result.append(((train - m) / s, (val - m) / s))
    return result
''')

_add("standardise_folds", "np_delete_and_slices", '''
import numpy as np

def standardise_folds(X, k):
    n = len(X)
    bounds = [i * (n // k) + min(i, n % k) for i in range(k + 1)]
    pairs = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        X_tr = np.delete(X, np.s_[a:b], axis=0)
        mu = X_tr.mean(0)
        sd = X_tr.std(0, ddof=0)
        pairs.append(((X_tr - mu) / sd, (X[a:b] - mu) / sd))
    return pairs
''')

_add("standardise_folds", "pure_python_lists", '''
import math

def standardise_folds(X, k):
    data = [list(map(float, row)) for row in X]
    n, d = len(data), len(data[0])
    q, r = divmod(n, k)
    folds, start = [], 0
    for i in range(k):
        stop = start + q + (1 if i < r else 0)
        train = data[:start] + data[stop:]
        val = data[start:stop]
        means = [sum(row[c] for row in train) / len(train) for c in range(d)]
        stds = [math.sqrt(sum((row[c] - means[c]) ** 2 for row in train) / len(train)) for c in range(d)]
        z_train = [[(row[c] - means[c]) / stds[c] for c in range(d)] for row in train]
        z_val = [[(row[c] - means[c]) / stds[c] for c in range(d)] for row in val]
        folds.append((z_train, z_val))
        start = stop
    return folds
''')

_add("standardise_folds", "own_scaler_class", '''
import numpy as np

class Scaler:
    def fit(self, A):
        self.mean_, self.scale_ = A.mean(axis=0), A.std(axis=0)
        return self

    def transform(self, A):
        return (A - self.mean_) / self.scale_

def standardise_folds(X, k):
    idx = np.arange(X.shape[0])
    folds = []
    for val_idx in np.array_split(idx, k):
        train_idx = idx[~np.isin(idx, val_idx)]
        scaler = Scaler().fit(X[train_idx])
        folds.append((scaler.transform(X[train_idx]), scaler.transform(X[val_idx])))
    return folds
''')

_add("standardise_folds", "pandas_std_ddof0", '''
import numpy as np
import pandas as pd

def standardise_folds(X, k):
    df = pd.DataFrame(X)
    out = []
    for val in np.array_split(np.arange(len(df)), k):
        train = df.drop(index=val)
        mean, std = train.mean(), train.std(ddof=0)     # pandas' default is ddof=1
        out.append((((train - mean) / std).to_numpy(), ((df.iloc[val] - mean) / std).to_numpy()))
    return out
''')

_add("standardise_folds", "comprehension_with_nested_helper", '''
import numpy as np

def standardise_folds(X, k):
    def one_fold(val):
        train = np.ones(len(X), dtype=bool)
        train[val] = False
        mu = X[train].mean(axis=0, keepdims=True)
        sigma = X[train].var(axis=0, keepdims=True) ** 0.5
        return (X[train] - mu) / sigma, (X[val] - mu) / sigma
    return [one_fold(val) for val in np.array_split(np.arange(len(X)), k)]
''')

_add("penalised_gradient", "copy_and_zero_the_bias", '''
import numpy as np

def penalised_gradient(w, grad_loss, lam):
    decay = lam * w
    decay[0] = 0.0
    return grad_loss + decay
''')

_add("penalised_gradient", "mask_of_ones", '''
import numpy as np

def penalised_gradient(w, grad_loss, lam):
    mask = np.ones_like(w)
    mask[0] = 0
    return grad_loss + lam * mask * w
''')

_add("penalised_gradient", "concatenate_bias_and_rest", '''
import numpy as np

def penalised_gradient(w, grad_loss, lam):
    return np.concatenate([grad_loss[:1], grad_loss[1:] + lam * w[1:]])
''')

_add("penalised_gradient", "copy_then_add_in_place", '''
import numpy as np

def penalised_gradient(w, grad_loss, lam):
    g = np.array(grad_loss, dtype=float, copy=True)
    g[1:] += lam * w[1:]
    return g
''')

_add("penalised_gradient", "where_on_the_row_index", '''
import numpy as np

def penalised_gradient(w, grad_loss, lam):
    row = np.arange(w.shape[0]).reshape((-1,) + (1,) * (w.ndim - 1))
    return grad_loss + np.where(row == 0, 0.0, lam * w)
''')

_add("penalised_gradient", "loop_over_rows", '''
import numpy as np

def penalised_gradient(w, grad_loss, lam):
    rows = []
    for j, (g_j, w_j) in enumerate(zip(grad_loss, w)):
        rows.append(g_j if j == 0 else g_j + lam * w_j)
    return np.array(rows, dtype=float)
''')

_add("penalised_gradient", "pad_the_penalty", '''
import numpy as np

def penalised_gradient(w, grad_loss, lam):
    penalty = lam * w[1:]
    return grad_loss + np.pad(penalty, [(1, 0)] + [(0, 0)] * (w.ndim - 1))
''')

_add("penalised_gradient", "torch_add_with_alpha", '''
import torch

def penalised_gradient(w, grad_loss, lam):
    g, W = torch.tensor(grad_loss), torch.tensor(w)
    W[0] = 0                                   # the bias is not decayed (W is a copy)
    return torch.add(g, W, alpha=lam).numpy()
''')

_add("penalised_gradient", "subtract_the_bias_term_back", '''
import numpy as np

def penalised_gradient(w, grad_loss, lam):
    out = grad_loss + lam * w
    out[0] -= lam * w[0]
    return out
''')


# ============================================================== e10: output_size, conv2d, project_to_so3
_add("output_size", "floor_division", '''
def output_size(n, k, stride=1, padding=0, dilation=1):
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
''')

_add("output_size", "math_floor_of_the_effective_kernel", '''
import math

def output_size(n, k, stride=1, padding=0, dilation=1):
    k_eff = dilation * (k - 1) + 1          # the cells one dilated kernel covers
    return math.floor((n + 2 * padding - k_eff) / stride) + 1
''')

_add("output_size", "count_the_windows_in_a_loop", '''
def output_size(n, k, stride=1, padding=0, dilation=1):
    length, span = n + 2 * padding, dilation * (k - 1) + 1
    count, start = 0, 0
    while start + span <= length:
        count += 1
        start += stride
    return count
''')

_add("output_size", "len_of_a_range_of_starts", '''
def output_size(n, k, stride=1, padding=0, dilation=1):
    span = dilation * (k - 1) + 1
    return len(range(0, n + 2 * padding - span + 1, stride))
''')

_add("output_size", "int_of_true_division", '''
def output_size(n, k, stride=1, padding=0, dilation=1):
    return int((n + 2 * padding - dilation * (k - 1) - 1) / stride) + 1
''')

_add("output_size", "divmod_quotient", '''
def output_size(n, k, stride=1, padding=0, dilation=1):
    steps, leftover = divmod(n + 2 * padding - dilation * (k - 1) - 1, stride)
    return steps + 1                        # the leftover cells fit no window
''')

_add("output_size", "ceil_of_the_shifted_count", '''
import math

def output_size(n, k, stride=1, padding=0, dilation=1):
    # floor(a / s) + 1 == ceil((a + 1) / s) for whole numbers a >= 0
    return math.ceil((n + 2 * padding - dilation * (k - 1)) / stride)
''')

_add("output_size", "numpy_arange_of_window_starts", '''
import numpy as np

def output_size(n, k, stride=1, padding=0, dilation=1):
    last_start = n + 2 * padding - (dilation * (k - 1) + 1)
    return int(np.arange(0, last_start + 1, stride).size)
''')

_add("conv2d", "loops_over_np_pad", '''
import numpy as np

def conv2d(x, w, stride=1, padding=0):
    x_pad = np.pad(x, padding)
    kh, kw = w.shape
    rows = (x_pad.shape[0] - kh) // stride + 1
    cols = (x_pad.shape[1] - kw) // stride + 1
    z = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            z[i, j] = np.sum(x_pad[i * stride:i * stride + kh, j * stride:j * stride + kw] * w)
    return z
''')

_add("conv2d", "zeros_canvas_and_four_loops", '''
import numpy as np

def conv2d(x, w, stride=1, padding=0):
    H, W = x.shape
    kH, kW = w.shape
    padded = np.zeros((H + 2 * padding, W + 2 * padding))
    padded[padding:padding + H, padding:padding + W] = x
    out_h = (H + 2 * padding - kH) // stride + 1
    out_w = (W + 2 * padding - kW) // stride + 1
    z = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            total = 0.0
            for m in range(kH):
                for n in range(kW):
                    total += w[m, n] * padded[i * stride + m, j * stride + n]
            z[i, j] = total
    return z
''')

_add("conv2d", "sliding_window_view_and_einsum", '''
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

def conv2d(x, w, stride=1, padding=0):
    windows = sliding_window_view(np.pad(x, padding), w.shape)[::stride, ::stride]
    return np.einsum("ijmn,mn->ij", windows, w)
''')

_add("conv2d", "as_strided_and_tensordot", '''
import numpy as np
from numpy.lib.stride_tricks import as_strided

def conv2d(x, w, stride=1, padding=0):
    xp = np.ascontiguousarray(np.pad(x, padding, mode="constant", constant_values=0.0))
    kh, kw = w.shape
    oh, ow = (xp.shape[0] - kh) // stride + 1, (xp.shape[1] - kw) // stride + 1
    r, c = xp.strides
    windows = as_strided(xp, shape=(oh, ow, kh, kw), strides=(r * stride, c * stride, r, c), writeable=False)
    return np.tensordot(windows, w, axes=([2, 3], [0, 1]))
''')

_add("conv2d", "im2col_matrix_product", '''
import numpy as np

def conv2d(x, w, stride=1, padding=0):
    xp = np.pad(x, ((padding, padding), (padding, padding)))
    kh, kw = w.shape
    oh, ow = (xp.shape[0] - kh) // stride + 1, (xp.shape[1] - kw) // stride + 1
    cols = np.empty((oh * ow, kh * kw))
    for row, (i, j) in enumerate((i, j) for i in range(oh) for j in range(ow)):
        cols[row] = xp[i * stride:i * stride + kh, j * stride:j * stride + kw].ravel()
    return (cols @ w.ravel()).reshape(oh, ow)
''')

_add("conv2d", "shift_and_add_per_kernel_cell", '''
import numpy as np

def conv2d(x, w, stride=1, padding=0):
    xp = np.pad(x, padding)
    kh, kw = w.shape
    oh, ow = (xp.shape[0] - kh) // stride + 1, (xp.shape[1] - kw) // stride + 1
    z = np.zeros((oh, ow))
    for m in range(kh):                    # each kernel cell meets a strided copy of the image
        for n in range(kw):
            z += w[m, n] * xp[m:m + stride * (oh - 1) + 1:stride, n:n + stride * (ow - 1) + 1:stride]
    return z
''')

_add("conv2d", "pure_python_with_bounds_checks", '''
import numpy as np

def conv2d(x, w, stride=1, padding=0):
    H, W = len(x), len(x[0])
    kh, kw = len(w), len(w[0])
    out = []
    for i in range((H + 2 * padding - kh) // stride + 1):
        row = []
        for j in range((W + 2 * padding - kw) // stride + 1):
            s = 0.0
            for m in range(kh):
                for n in range(kw):
                    r, c = i * stride + m - padding, j * stride + n - padding
                    if 0 <= r < H and 0 <= c < W:      # outside x: a padding zero
                        s += float(w[m][n]) * float(x[r][c])
            row.append(s)
        out.append(row)
    return np.array(out)
''')

_add("conv2d", "np_correlate_row_by_row", '''
import numpy as np

def conv2d(x, w, stride=1, padding=0):
    xp = np.pad(x, padding)
    kh, kw = w.shape
    oh = (xp.shape[0] - kh) // stride + 1
    rows = []
    for i in range(oh):
        full = sum(np.correlate(xp[i * stride + m], w[m], mode="valid") for m in range(kh))
        rows.append(full[::stride])
    return np.array(rows)
''')

_add("conv2d", "torch_tensor_unfold", '''
import numpy as np
import torch

def conv2d(x, w, stride=1, padding=0):
    xp = torch.nn.functional.pad(torch.tensor(x), (padding, padding, padding, padding))
    kh, kw = w.shape
    patches = xp.unfold(0, kh, stride).unfold(1, kw, stride)     # (rows, cols, kh, kw)
    return torch.einsum("ijmn,mn->ij", patches, torch.tensor(w)).numpy()
''')

_add("project_to_so3", "svd_with_diag_det", '''
import numpy as np

def project_to_so3(M):
    U, s, Vt = np.linalg.svd(M)
    d = np.sign(np.linalg.det(U @ Vt))
    return U @ np.diag([1.0, 1.0, d]) @ Vt
''')

_add("project_to_so3", "flip_the_last_row_of_vt", '''
import numpy as np

def project_to_so3(M):
    U, _, Vt = np.linalg.svd(M)
    if np.linalg.det(U @ Vt) < 0:
        Vt[-1, :] *= -1
    return U @ Vt
''')

_add("project_to_so3", "flip_the_last_column_of_u", '''
import numpy as np

def project_to_so3(M):
    U, S, Vh = np.linalg.svd(M)
    R = U @ Vh
    if np.linalg.det(R) < 0:
        U[:, -1] *= -1
        R = U @ Vh
    return R
''')

_add("project_to_so3", "product_of_determinants", '''
import numpy as np

def project_to_so3(M):
    U, s, Vt = np.linalg.svd(M)
    D = np.eye(3)
    D[2, 2] = np.linalg.det(U) * np.linalg.det(Vt)   # +-1 up to rounding
    return U @ D @ Vt
''')

_add("project_to_so3", "sign_of_det_m_and_einsum", '''
import numpy as np

def project_to_so3(M):
    U, s, Vt = np.linalg.svd(M)
    d = 1.0 if np.linalg.det(M) > 0 else -1.0      # det M = det U det S det V^T, det S > 0
    return np.einsum("ik,k,kj->ij", U, np.array([1.0, 1.0, d]), Vt)
''')

_add("project_to_so3", "scipy_linalg_svd_gesvd", '''
import numpy as np
import scipy.linalg

def project_to_so3(M):
    U, s, Vh = scipy.linalg.svd(M, lapack_driver="gesvd")
    D = np.diag([1.0, 1.0, np.linalg.det(U @ Vh)])
    return U @ D @ Vh
''')

_add("project_to_so3", "eigh_of_mtm", '''
import numpy as np

def project_to_so3(M):
    lam, V = np.linalg.eigh(M.T @ M)                # increasing: the smallest first
    lam, V = lam[::-1], V[:, ::-1]                  # largest first, as in the SVD
    U = M @ V / np.sqrt(lam)                        # M v_i = s_i u_i
    d = np.sign(np.linalg.det(M))
    return U @ np.diag([1.0, 1.0, d]) @ V.T
''')

_add("project_to_so3", "quaternion_of_the_largest_eigenvalue", '''
import numpy as np

def project_to_so3(M):
    # Bar-Itzhack: the unit quaternion (w, x, y, z) maximising tr(R^T M) is K's top eigenvector
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = M
    K = np.array([[m00 + m11 + m22, m21 - m12, m02 - m20, m10 - m01],
                  [m21 - m12, m00 - m11 - m22, m01 + m10, m02 + m20],
                  [m02 - m20, m01 + m10, m11 - m00 - m22, m12 + m21],
                  [m10 - m01, m02 + m20, m12 + m21, m22 - m00 - m11]])
    w, x, y, z = np.linalg.eigh(K)[1][:, -1]
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])
''')

_add("project_to_so3", "torch_linalg_svd", '''
import torch

def project_to_so3(M):
    A = torch.as_tensor(M, dtype=torch.float64)
    U, S, Vh = torch.linalg.svd(A)
    d = torch.sign(torch.linalg.det(U @ Vh))
    return (U @ torch.diag(torch.stack([torch.ones_like(d), torch.ones_like(d), d])) @ Vh).numpy()
''')
