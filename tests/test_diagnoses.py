"""Every common mistake named: a corpus of wrong answers, written as students write them, per check.

Each row is (check name, wrong function, words): the FIRST line of the check's feedback must contain every
word (case-insensitive), the wrong answer must score below 1, and a case it gets wrong (compared with a
right solution on the same inputs, or it changed its inputs, or warned) must never count as passed. For the
chained optimizer checks (one score for the whole run) a wrong answer scores 0. New checks join by adding
their right solution to ``RIGHT`` and their rows to ``CORPUS``; ``test_corpus_counts`` prints the table.
"""
import math
import warnings
from collections import Counter

import numpy as np
import pytest

from nnlab.checks import registry
from nnlab.checks.registry import CHECKS, describe_difference, diagnose, run_check


def sig(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# ------------------------------------------------------------------ right solutions (the exercises')

def sigmoid_ok(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def forward_ok(X, W1, b1, W2, b2):
    return sig(np.maximum(X @ W1 + b1, 0.0) @ W2 + b2)


def backprop_ok(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    A2 = sig(A1 @ W2 + b2)
    dZ2 = A2 - Y
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dZ2, dZ2.sum(axis=0)


def perceptron_ok(w, b, x, y):
    if y * (w @ x + b) <= 0:
        return w + y * x, b + y
    return w, b


def tower_ok(x, left, right, w):
    return sig(w * (x - left)) - sig(w * (x - right))


def norms_ok(X, Y, Ws, bs):
    A = [X]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = A[-1] @ W + b
        A.append(Z if l == len(Ws) - 1 else sig(Z))
    norms = np.zeros(len(Ws))
    dA = A[-1] - Y
    for l in reversed(range(len(Ws))):
        dZ = dA if l == len(Ws) - 1 else dA * A[l + 1] * (1 - A[l + 1])
        norms[l] = np.linalg.norm(A[l].T @ dZ)
        dA = dZ @ Ws[l].T
    return norms


def momentum_ok(x, v, grad, lr, rho):
    v = rho * v + grad
    return x - lr * v, v


def rmsprop_ok(x, s, grad, lr, alpha, eps):
    s = alpha * s + (1 - alpha) * grad**2
    return x - lr * grad / (np.sqrt(s) + eps), s


def adam_ok(x, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def epoch_ok(X, Y, w, grad_fn, lr, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        w = w - lr * grad_fn(w, X[idx], Y[idx])
    return w


def cnn_count_ok(side, filters, kernel, hidden, classes):
    p = (side - kernel + 1) // 2
    return filters * (kernel * kernel + 1) + (filters * p * p + 1) * hidden + (hidden + 1) * classes


def confusion_ok(truth, predicted, classes):
    C = np.zeros((classes, classes), dtype=int)
    for t, p in zip(truth, predicted):
        C[t, p] += 1
    return C


def stopping_ok(history, patience):
    best, kept = -np.inf, 0
    for epoch, score in enumerate(history["val_accuracy"]):
        if score > best:
            best, kept = score, epoch
        elif epoch - kept >= patience:
            return kept, epoch
    return kept, len(history["val_accuracy"]) - 1


def unpenalised(p):
    D = np.eye(p)
    D[0, 0] = 0.0
    return D


def ridge_ok(X, y, lam):
    return np.linalg.solve(X.T @ X + lam * unpenalised(X.shape[1]), X.T @ y)


def blocks(n, k):
    return np.array_split(np.arange(n), k)


def scaled(train, val, mu, sigma):
    return (train - mu) / sigma, (val - mu) / sigma


def folds_ok(X, k):
    """A tuple of (X_train, X_val) pairs (``_same`` compares tuples part by part)."""
    out = []
    for val in blocks(len(X), k):
        train = np.delete(X, val, axis=0)
        out.append(scaled(train, X[val], train.mean(axis=0), train.std(axis=0)))
    return tuple(out)


def bias_mask(w):
    mask = np.ones_like(w)
    mask[0] = 0.0
    return mask


def penalised_ok(w, grad_loss, lam):
    return grad_loss + lam * w * bias_mask(w)


def size_ok(n, k, stride, padding, dilation):
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def conv_ok(x, w, stride, padding):
    xp = np.pad(x, padding)
    kh, kw = w.shape
    oh, ow = (xp.shape[0] - kh) // stride + 1, (xp.shape[1] - kw) // stride + 1
    z = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            z[i, j] = np.sum(xp[i * stride:i * stride + kh, j * stride:j * stride + kw] * w)
    return z


def so3_ok(M):
    U, s, Vt = np.linalg.svd(M)
    return U @ np.diag([1.0, 1.0, np.sign(np.linalg.det(U @ Vt))]) @ Vt


RIGHT = {"sigmoid": sigmoid_ok, "forward": forward_ok, "backprop": backprop_ok,
         "perceptron_update": perceptron_ok, "tower": tower_ok, "gradient_norms": norms_ok,
         "momentum": momentum_ok, "rmsprop": rmsprop_ok, "adam": adam_ok, "sgd_epoch": epoch_ok,
         "cnn_parameters": cnn_count_ok, "confusion": confusion_ok, "early_stopping": stopping_ok,
         "ridge": ridge_ok, "standardise_folds": folds_ok, "penalised_gradient": penalised_ok,
         "output_size": size_ok, "conv2d": conv_ok, "project_to_so3": so3_ok}

CORPUS = []


def wrong(check, *words):
    """Register the decorated function as a wrong answer to ``check`` whose diagnosis has ``words``."""
    def add(fn):
        CORPUS.append(pytest.param(check, fn, words, id=f"{check}-{fn.__name__}"))
        return fn
    return add


# ------------------------------------------------------------------ sigmoid

@wrong("sigmoid", "overflow", "stable form")
def sigmoid_naive(z):
    return 1 / (1 + np.exp(-z))


@wrong("sigmoid", "sigma(-z)", "sign")
def sigmoid_sign(z):
    return 1 / (1 + np.exp(z))


@wrong("sigmoid", "np.where", "both")
def sigmoid_where_both_branches(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


@wrong("sigmoid", "tanh", "z / 2")
def sigmoid_tanh_without_half(z):
    return 0.5 * (1 + np.tanh(z))


@wrong("sigmoid", "in place")
def sigmoid_in_place(z):
    pos = z >= 0
    z[pos] = 1 / (1 + np.exp(-z[pos]))
    z[~pos] = np.exp(z[~pos]) / (1 + np.exp(z[~pos]))
    return z


@wrong("sigmoid", "integer")
def sigmoid_step(z):
    return (z > 0).astype(int)


@wrong("sigmoid", "sigma'")
def sigmoid_derivative(z):
    s = sigmoid_ok(z)
    return s * (1 - s)


# ------------------------------------------------------------------ forward

@wrong("forward", "sigmoid in the hidden layer")
def forward_sigmoid_hidden(X, W1, b1, W2, b2):
    return sig(sig(X @ W1 + b1) @ W2 + b2)


@wrong("forward", "logits")
def forward_no_output_sigmoid(X, W1, b1, W2, b2):
    return np.maximum(X @ W1 + b1, 0) @ W2 + b2


@wrong("forward", "no ReLU")
def forward_no_relu(X, W1, b1, W2, b2):
    return sig((X @ W1 + b1) @ W2 + b2)


@wrong("forward", "b1", "after the ReLU")
def forward_bias_after_relu(X, W1, b1, W2, b2):
    return sig((np.maximum(X @ W1, 0) + b1) @ W2 + b2)


@wrong("forward", "b2", "missing")
def forward_no_b2(X, W1, b1, W2, b2):
    return sig(np.maximum(X @ W1 + b1, 0) @ W2)


@wrong("forward", "transposed")
def forward_transposed(X, W1, b1, W2, b2):
    return forward_ok(X, W1, b1, W2, b2).T


@wrong("forward", "np.max", "np.maximum")
def forward_np_max(X, W1, b1, W2, b2):
    return sig(np.max(X @ W1 + b1, 0) @ W2 + b2)


# ------------------------------------------------------------------ backprop

@wrong("backprop", "1/N")
def backprop_averaged(X, Y, W1, b1, W2, b2):
    return tuple(g / len(X) for g in backprop_ok(X, Y, W1, b1, W2, b2))


@wrong("backprop", "sign", "A2 - Y")
def backprop_sign(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    dZ2 = Y - sig(A1 @ W2 + b2)
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dZ2, dZ2.sum(axis=0)


@wrong("backprop", "relu'", "Z1 < 0", "dW2")
def backprop_no_relu_derivative(X, Y, W1, b1, W2, b2):
    A1 = np.maximum(X @ W1 + b1, 0.0)
    dZ2 = sig(A1 @ W2 + b2) - Y
    dZ1 = dZ2 @ W2.T
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dZ2, dZ2.sum(axis=0)


@wrong("backprop", "sigma'", "A2 - Y")
def backprop_extra_sigmoid_derivative(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    A2 = sig(A1 @ W2 + b2)
    dZ2 = (A2 - Y) * A2 * (1 - A2)
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dZ2, dZ2.sum(axis=0)


@wrong("backprop", "sigmoid", "ReLU", "hidden")
def backprop_sigmoid_derivative_on_relu(X, Y, W1, b1, W2, b2):
    A1 = np.maximum(X @ W1 + b1, 0.0)
    dZ2 = sig(A1 @ W2 + b2) - Y
    dZ1 = (dZ2 @ W2.T) * A1 * (1 - A1)
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dZ2, dZ2.sum(axis=0)


@wrong("backprop", "dW2", "transposed")
def backprop_dW2_transposed(X, Y, W1, b1, W2, b2):
    dW1, db1, dW2, db2 = backprop_ok(X, Y, W1, b1, W2, b2)
    return dW1, db1, dW2.T, db2


@wrong("backprop", "db1", "axis=0")
def backprop_bias_wrong_axis(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    dZ2 = sig(A1 @ W2 + b2) - Y
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    return X.T @ dZ1, dZ1.sum(axis=1), A1.T @ dZ2, dZ2.sum(axis=0)


@wrong("backprop", "db1", "sum")
def backprop_bias_not_summed(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    dZ2 = sig(A1 @ W2 + b2) - Y
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    return X.T @ dZ1, dZ1, A1.T @ dZ2, dZ2.sum(axis=0)


@wrong("backprop", "relu'", "A1")
def backprop_times_activation(X, Y, W1, b1, W2, b2):
    A1 = np.maximum(X @ W1 + b1, 0.0)
    dZ2 = sig(A1 @ W2 + b2) - Y
    dZ1 = (dZ2 @ W2.T) * A1
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dZ2, dZ2.sum(axis=0)


# ------------------------------------------------------------------ perceptron_update

@wrong("perceptron_update", "wrong sign")
def perceptron_minus(w, b, x, y):
    if y * (w @ x + b) <= 0:
        return w - y * x, b - y
    return w, b


@wrong("perceptron_update", "update only on mistakes")
def perceptron_always(w, b, x, y):
    return w + y * x, b + y


@wrong("perceptron_update", "exactly 0 counts as a mistake")
def perceptron_strict(w, b, x, y):
    if y * (w @ x + b) < 0:
        return w + y * x, b + y
    return w, b


@wrong("perceptron_update", "b", "b + y")
def perceptron_forgets_bias(w, b, x, y):
    if y * (w @ x + b) <= 0:
        return w + y * x, b
    return w, b


@wrong("perceptron_update", "in place")
def perceptron_in_place(w, b, x, y):
    if y * (w @ x + b) <= 0:
        w += y * x
        b += y
    return w, b


@wrong("perceptron_update", "y (w.x + b) <= 0", "label")
def perceptron_test_ignores_label(w, b, x, y):
    if w @ x + b <= 0:
        return w + y * x, b + y
    return w, b


@wrong("perceptron_update", "learning rate")
def perceptron_learning_rate(w, b, x, y):
    if y * (w @ x + b) <= 0:
        return w + 0.1 * y * x, b + 0.1 * y
    return w, b


@wrong("perceptron_update", "pair")
def perceptron_returns_w_only(w, b, x, y):
    return perceptron_ok(w, b, x, y)[0]


# ------------------------------------------------------------------ tower

@wrong("tower", "points down")
def tower_down(x, left, right, w):
    return sig(w * (x - right)) - sig(w * (x - left))


@wrong("tower", "-w s")
def tower_steps_at_minus(x, left, right, w):
    return sig(w * x + w * left) - sig(w * x + w * right)


@wrong("tower", "steepness", "w")
def tower_no_steepness(x, left, right, w):
    return sig(x - left) - sig(x - right)


@wrong("tower", "bias", "w (x - left)")
def tower_unscaled_bias(x, left, right, w):
    return sig(w * x - left) - sig(w * x - right)


@wrong("tower", "subtract")
def tower_sum(x, left, right, w):
    return sig(w * (x - left)) + sig(w * (x - right))


@wrong("tower", "tanh", "twice as steep")
def tower_tanh_without_half(x, left, right, w):
    s = lambda z: 0.5 * (1 + np.tanh(z))  # noqa: E731
    return s(w * (x - left)) - s(w * (x - right))


@wrong("tower", "shape (61, 1)", "(61,)")
def tower_column(x, left, right, w):
    return tower_ok(x, left, right, w).reshape(-1, 1)


# ------------------------------------------------------------------ gradient_norms

def _norms_variant(X, Y, Ws, bs, deriv=lambda A: A * (1 - A), back=lambda dZ, W: dZ @ W.T,
                   out_sigmoid=False, what="W"):
    A = [X]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = A[-1] @ W + b
        A.append(sig(Z) if out_sigmoid or l < len(Ws) - 1 else Z)
    norms = np.zeros(len(Ws))
    dA = A[-1] - Y
    for l in reversed(range(len(Ws))):
        last = l == len(Ws) - 1 and not out_sigmoid
        dZ = dA if last else dA * deriv(A[l + 1])
        norms[l] = np.linalg.norm({"W": A[l].T @ dZ, "A": dA, "b": dZ.sum(0)}[what])
        dA = back(dZ, Ws[l])
    return norms


@wrong("gradient_norms", "reverse order")
def norms_reversed(X, Y, Ws, bs):
    return norms_ok(X, Y, Ws, bs)[::-1]


@wrong("gradient_norms", "squared")
def norms_squared(X, Y, Ws, bs):
    return norms_ok(X, Y, Ws, bs) ** 2


@wrong("gradient_norms", "1/N")
def norms_averaged(X, Y, Ws, bs):
    return norms_ok(X, Y, Ws, bs) / len(X)


@wrong("gradient_norms", "dL/dA")
def norms_of_activations(X, Y, Ws, bs):
    return _norms_variant(X, Y, Ws, bs, what="A")


@wrong("gradient_norms", "A_l (1 - A_l)", "derivative")
def norms_missing_one_minus(X, Y, Ws, bs):
    return _norms_variant(X, Y, Ws, bs, deriv=lambda A: A)


@wrong("gradient_norms", "derivative", "missing")
def norms_no_derivative(X, Y, Ws, bs):
    return _norms_variant(X, Y, Ws, bs, deriv=lambda A: 1.0)


@wrong("gradient_norms", "linear")
def norms_sigmoid_output(X, Y, Ws, bs):
    return _norms_variant(X, Y, Ws, bs, out_sigmoid=True)


@wrong("gradient_norms", "W_l^T", "transpose")
def norms_no_transpose(X, Y, Ws, bs):
    return _norms_variant(X, Y, Ws, bs, back=lambda dZ, W: dZ @ W if W.shape[0] == W.shape[1]
                          else dZ @ W.T)


@wrong("gradient_norms", "dL/dZ_l W_l^T", "sent dL/dA_l back")
def norms_sends_dA_back(X, Y, Ws, bs):
    A = [X]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = A[-1] @ W + b
        A.append(Z if l == len(Ws) - 1 else sig(Z))
    norms = np.zeros(len(Ws))
    dA = A[-1] - Y
    for l in reversed(range(len(Ws))):
        dZ = dA if l == len(Ws) - 1 else dA * A[l + 1] * (1 - A[l + 1])
        norms[l] = np.linalg.norm(A[l].T @ dZ)
        dA = dA @ Ws[l].T
    return norms


# ------------------------------------------------------------------ momentum

@wrong("momentum", "other form")
def momentum_other_form(x, v, grad, lr, rho):
    v = rho * v - lr * grad
    return x + v, v


@wrong("momentum", "plain gradient descent")
def momentum_ignores_velocity(x, v, grad, lr, rho):
    return x - lr * grad, v


@wrong("momentum", "x - lr v", "your v is right")
def momentum_wrong_way(x, v, grad, lr, rho):
    v = rho * v + grad
    return x + lr * v, v


@wrong("momentum", "1 - rho")
def momentum_averaged_velocity(x, v, grad, lr, rho):
    v = rho * v + (1 - rho) * grad
    return x - lr * v, v


@wrong("momentum", "new v", "your v is right")
def momentum_old_velocity(x, v, grad, lr, rho):
    x = x - lr * v
    v = rho * v + grad
    return x, v


@wrong("momentum", "your x is right", "lr")
def momentum_lr_inside(x, v, grad, lr, rho):
    v = rho * v + lr * grad
    return x - v, v


@wrong("momentum", "in place")
def momentum_in_place(x, v, grad, lr, rho):
    v *= rho
    v += grad
    x -= lr * v
    return x, v


@wrong("momentum", "order", "(x, v)")
def momentum_swapped_return(x, v, grad, lr, rho):
    v = rho * v + grad
    return v, x - lr * v


# ------------------------------------------------------------------ rmsprop

@wrong("rmsprop", "AdaGrad")
def rmsprop_adagrad(x, s, grad, lr, alpha, eps):
    s = s + grad**2
    return x - lr * grad / (np.sqrt(s) + eps), s


@wrong("rmsprop", "swapped", "alpha")
def rmsprop_swapped_alpha(x, s, grad, lr, alpha, eps):
    s = (1 - alpha) * s + alpha * grad**2
    return x - lr * grad / (np.sqrt(s) + eps), s


@wrong("rmsprop", "outside the square root", "your s is right")
def rmsprop_eps_inside(x, s, grad, lr, alpha, eps):
    s = alpha * s + (1 - alpha) * grad**2
    return x - lr * grad / np.sqrt(s + eps), s


@wrong("rmsprop", "divide")
def rmsprop_multiplies(x, s, grad, lr, alpha, eps):
    s = alpha * s + (1 - alpha) * grad**2
    return x - lr * grad * (np.sqrt(s) + eps), s


@wrong("rmsprop", "uphill")
def rmsprop_uphill(x, s, grad, lr, alpha, eps):
    s = alpha * s + (1 - alpha) * grad**2
    return x + lr * grad / (np.sqrt(s) + eps), s


@wrong("rmsprop", "squared gradient")
def rmsprop_not_squared(x, s, grad, lr, alpha, eps):
    s = alpha * s + (1 - alpha) * grad
    return x - lr * grad / (np.sqrt(np.abs(s)) + eps), s


@wrong("rmsprop", "square root")
def rmsprop_no_sqrt(x, s, grad, lr, alpha, eps):
    s = alpha * s + (1 - alpha) * grad**2
    return x - lr * grad / (s + eps), s


@wrong("rmsprop", "new s", "your s is right")
def rmsprop_old_s(x, s, grad, lr, alpha, eps):
    x = x - lr * grad / (np.sqrt(s) + eps)
    return x, alpha * s + (1 - alpha) * grad**2


# ------------------------------------------------------------------ adam

@wrong("adam", "bias correction")
def adam_no_correction(x, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return x - lr * m / (np.sqrt(v) + eps), m, v


@wrong("adam", "t starting at 0")
def adam_t_from_zero(x, m, v, grad, t, lr, beta1, beta2, eps):
    return adam_ok(x, m, v, grad, t - 1, lr, beta1, beta2, eps)


@wrong("adam", "outside the square root", "your m and v are right")
def adam_eps_inside(x, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / np.sqrt(v_hat + eps), m, v


@wrong("adam", "corrected", "state")
def adam_stores_corrected(x, m, v, grad, t, lr, beta1, beta2, eps):
    m = (beta1 * m + (1 - beta1) * grad) / (1 - beta1**t)
    v = (beta2 * v + (1 - beta2) * grad**2) / (1 - beta2**t)
    return x - lr * m / (np.sqrt(v) + eps), m, v


@wrong("adam", "squared gradient")
def adam_v_not_squared(x, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * np.abs(grad)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@wrong("adam", "swapped", "beta1")
def adam_swapped_beta1(x, m, v, grad, t, lr, beta1, beta2, eps):
    m = (1 - beta1) * m + beta1 * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@wrong("adam", "1 - beta1^t", "(1 - beta1)^t")
def adam_power_of_the_difference(x, m, v, grad, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1)**t, v / (1 - beta2)**t
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@wrong("adam", "uphill")
def adam_uphill(x, m, v, grad, t, lr, beta1, beta2, eps):
    return adam_ok(x, m, v, grad, t, -lr, beta1, beta2, eps)


@wrong("adam", "t - 1")
def adam_t_minus_one_after_first(x, m, v, grad, t, lr, beta1, beta2, eps):
    return adam_ok(x, m, v, grad, max(t - 1, 1), lr, beta1, beta2, eps)


# ------------------------------------------------------------------ sgd_epoch

@wrong("sgd_epoch", "original order")
def epoch_no_shuffle(X, Y, w, grad_fn, lr, B, rng):
    for s in range(0, len(X), B):
        w = w - lr * grad_fn(w, X[s:s + B], Y[s:s + B])
    return w


@wrong("sgd_epoch", "last 3 examples were never used")
def epoch_drops_last(X, Y, w, grad_fn, lr, B, rng):
    order = rng.permutation(len(X))
    for s in range(0, len(X) - B + 1, B):
        w = w - lr * grad_fn(w, X[order[s:s + B]], Y[order[s:s + B]])
    return w


@wrong("sgd_epoch", "same order")
def epoch_fixed_seed(X, Y, w, grad_fn, lr, B, rng):
    return epoch_ok(X, Y, w, grad_fn, lr, B, np.random.default_rng(0))


@wrong("sgd_epoch", "update after every batch")
def epoch_once(X, Y, w, grad_fn, lr, B, rng):
    order = rng.permutation(len(X))
    total = sum(grad_fn(w, X[order[s:s + B]], Y[order[s:s + B]]) for s in range(0, len(X), B))
    return w - lr * total


@wrong("sgd_epoch", "uphill")
def epoch_uphill(X, Y, w, grad_fn, lr, B, rng):
    return epoch_ok(X, Y, w, grad_fn, -lr, B, rng)


@wrong("sgd_epoch", "Y_batch", "same")
def epoch_y_not_shuffled(X, Y, w, grad_fn, lr, B, rng):
    order = rng.permutation(len(X))
    for s in range(0, len(X), B):
        w = w - lr * grad_fn(w, X[order[s:s + B]], Y[s:s + B])
    return w


@wrong("sgd_epoch", "in place")
def epoch_shuffles_in_place(X, Y, w, grad_fn, lr, B, rng):
    order = rng.permutation(len(X))
    X[:], Y[:] = X[order], Y[order]
    for s in range(0, len(X), B):
        w = w - lr * grad_fn(w, X[s:s + B], Y[s:s + B])
    return w


@wrong("sgd_epoch", "batch_size + 1")
def epoch_overlapping_batches(X, Y, w, grad_fn, lr, B, rng):
    order = rng.permutation(len(X))
    for s in range(0, len(X), B):
        idx = order[s:s + B + 1]
        w = w - lr * grad_fn(w, X[idx], Y[idx])
    return w


@wrong("sgd_epoch", "batch size", "divide")
def epoch_divides_by_batch(X, Y, w, grad_fn, lr, B, rng):
    order = rng.permutation(len(X))
    for s in range(0, len(X), B):
        idx = order[s:s + B]
        w = w - lr * grad_fn(w, X[idx], Y[idx]) / len(idx)
    return w


# ------------------------------------------------------------------ e06: the CNN's parameters

@wrong("cnn_parameters", "no biases")
def count_without_biases(side, filters, kernel, hidden, classes):
    p = (side - kernel + 1) // 2
    return filters * kernel * kernel + filters * p * p * hidden + hidden * classes


@wrong("cnn_parameters", "max-pooling is missing")
def count_without_pooling(side, filters, kernel, hidden, classes):
    p = side - kernel + 1
    return filters * (kernel * kernel + 1) + (filters * p * p + 1) * hidden + (hidden + 1) * classes


@wrong("cnn_parameters", "side - k + 1")
def count_conv_off_by_one(side, filters, kernel, hidden, classes):
    p = (side - kernel) // 2
    return filters * (kernel * kernel + 1) + (filters * p * p + 1) * hidden + (hidden + 1) * classes


@wrong("cnn_parameters", "odd-sized map", "floor")
def count_pooling_rounded_up(side, filters, kernel, hidden, classes):
    import math
    p = math.ceil((side - kernel + 1) / 2)
    return filters * (kernel * kernel + 1) + (filters * p * p + 1) * hidden + (hidden + 1) * classes


@wrong("cnn_parameters", "kernel squared")
def count_kernel_not_squared(side, filters, kernel, hidden, classes):
    p = (side - kernel + 1) // 2
    return filters * (kernel + 1) + (filters * p * p + 1) * hidden + (hidden + 1) * classes


@wrong("cnn_parameters", "shared")
def count_weights_per_position(side, filters, kernel, hidden, classes):
    n, p = side - kernel + 1, (side - kernel + 1) // 2
    return filters * (kernel * kernel + 1) * n * n + (filters * p * p + 1) * hidden + (hidden + 1) * classes


@wrong("cnn_parameters", "output layer is missing")
def count_without_output_layer(side, filters, kernel, hidden, classes):
    p = (side - kernel + 1) // 2
    return filters * (kernel * kernel + 1) + (filters * p * p + 1) * hidden


@wrong("cnn_parameters", "all filters' maps")
def count_one_map_into_dense(side, filters, kernel, hidden, classes):
    p = (side - kernel + 1) // 2
    return filters * (kernel * kernel + 1) + (p * p + 1) * hidden + (hidden + 1) * classes


@wrong("cnn_parameters", "whole number")
def count_with_true_division(side, filters, kernel, hidden, classes):
    p = (side - kernel + 1) / 2
    return filters * (kernel * kernel + 1) + (filters * p * p + 1) * hidden + (hidden + 1) * classes


# ------------------------------------------------------------------ e06: a confusion matrix

@wrong("confusion", "transposed")
def confusion_transposed(truth, predicted, classes):
    C = np.zeros((classes, classes), dtype=int)
    for t, p in zip(truth, predicted):
        C[p, t] += 1
    return C


@wrong("confusion", "counted only once", "np.add.at")
def confusion_fancy_index(truth, predicted, classes):
    C = np.zeros((classes, classes), dtype=int)
    C[truth, predicted] += 1
    return C


@wrong("confusion", "counted only once")
def confusion_set_not_add(truth, predicted, classes):
    C = np.zeros((classes, classes), dtype=int)
    for t, p in zip(truth, predicted):
        C[t, p] = 1
    return C


@wrong("confusion", "counts of images", "not shares")
def confusion_row_shares(truth, predicted, classes):
    C = np.zeros((classes, classes))
    np.add.at(C, (truth, predicted), 1)
    return C / np.maximum(C.sum(axis=1, keepdims=True), 1)


@wrong("confusion", "mistakes are missing")
def confusion_only_hits(truth, predicted, classes):
    C = np.zeros((classes, classes), dtype=int)
    for t, p in zip(truth, predicted):
        if t == p:
            C[t, p] += 1
    return C


@wrong("confusion", "occurs in neither list", "classes")
def confusion_sized_by_largest_label(truth, predicted, classes):
    k = max(max(truth), max(predicted)) + 1
    C = np.zeros((k, k), dtype=int)
    np.add.at(C, (truth, predicted), 1)
    return C


@wrong("confusion", "should count")
def confusion_histogram2d_bins_from_data(truth, predicted, classes):
    C, _, _ = np.histogram2d(truth, predicted, bins=classes)
    return C


# ------------------------------------------------------------------ e06: early stopping

@wrong("early_stopping", "test set")
def stop_by_test_accuracy(history, patience):
    return stopping_ok({"val_accuracy": history["test_accuracy"]}, patience)


@wrong("early_stopping", "training loss")
def stop_by_training_loss(history, patience):
    return stopping_ok({"val_accuracy": [-v for v in history["train_loss"]]}, patience)


@wrong("early_stopping", "best epoch's", "put it back")
def stop_keeps_the_last_weights(history, patience):
    _, stopped = stopping_ok(history, patience)
    return stopped, stopped


@wrong("early_stopping", "tie")
def stop_ties_count_as_improvement(history, patience):
    best, kept = -np.inf, 0
    for epoch, score in enumerate(history["val_accuracy"]):
        if score >= best:
            best, kept = score, epoch
        elif epoch - kept >= patience:
            return kept, epoch
    return kept, len(history["val_accuracy"]) - 1


@wrong("early_stopping", "one epoch earlier")
def stop_one_epoch_early(history, patience):
    best, kept = -np.inf, 0
    for epoch, score in enumerate(history["val_accuracy"]):
        if score > best:
            best, kept = score, epoch
        elif epoch - kept + 1 >= patience:
            return kept, epoch
    return kept, len(history["val_accuracy"]) - 1


@wrong("early_stopping", "one epoch later")
def stop_one_epoch_late(history, patience):
    best, kept = -np.inf, 0
    for epoch, score in enumerate(history["val_accuracy"]):
        if score > best:
            best, kept = score, epoch
        elif epoch - kept > patience:
            return kept, epoch
    return kept, len(history["val_accuracy"]) - 1


@wrong("early_stopping", "never stopped")
def stop_never(history, patience):
    val = history["val_accuracy"]
    return int(np.argmax(val)), len(val) - 1


# ------------------------------------------------------------------ e09: ridge regression

@wrong("ridge", "penalises the bias", "unpenalised")
def ridge_penalised_bias(X, y, lam):
    return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)


@wrong("ridge", "plain least squares", "penalty is missing")
def ridge_least_squares(X, y, lam):
    return np.linalg.lstsq(X, y, rcond=None)[0]


@wrong("ridge", "wrong sign", "X^T X - lam D")
def ridge_minus_penalty(X, y, lam):
    return np.linalg.solve(X.T @ X - lam * unpenalised(X.shape[1]), X.T @ y)


@wrong("ridge", "penalises the bias", "wrong sign")
def ridge_minus_penalty_on_every_weight(X, y, lam):
    return np.linalg.solve(X.T @ X - lam * np.eye(X.shape[1]), X.T @ y)


@wrong("ridge", "every entry", "diagonal")
def ridge_lam_added_to_every_entry(X, y, lam):
    A = X.T @ X + lam
    return np.linalg.solve(A, X.T @ y)


@wrong("ridge", "n lam", "averaged the squared error")
def ridge_mean_squared_error(X, y, lam):
    n = len(X)
    return np.linalg.solve(X.T @ X / n + lam * unpenalised(X.shape[1]), X.T @ y / n)


@wrong("ridge", "lam / n")
def ridge_lam_divided_by_n(X, y, lam):
    return np.linalg.solve(X.T @ X + lam / len(X) * unpenalised(X.shape[1]), X.T @ y)


@wrong("ridge", "lam / 2", "cancel")
def ridge_half_penalty(X, y, lam):
    return np.linalg.solve(X.T @ X + lam / 2 * unpenalised(X.shape[1]), X.T @ y)


@wrong("ridge", "2 lam", "cancel")
def ridge_double_penalty(X, y, lam):
    return np.linalg.solve(X.T @ X + 2 * lam * unpenalised(X.shape[1]), X.T @ y)  # the 2 of |y - Xw|^2 lost


@wrong("ridge", "lam^2", "sqrt(lam)")
def ridge_augmented_without_root(X, y, lam):
    p = X.shape[1]
    A = np.vstack([X, lam * unpenalised(p)])
    return np.linalg.lstsq(A, np.r_[y, np.zeros(p)], rcond=None)[0]


@wrong("ridge", "instead of solving")
def ridge_multiplied_not_solved(X, y, lam):
    return (X.T @ X + lam * unpenalised(X.shape[1])) @ X.T @ y


@wrong("ridge", "w[1:] is right", "mean(y) - mean(X[:, 1:]")
def ridge_centred_intercept_is_mean_y(X, y, lam):
    F = X[:, 1:] - X[:, 1:].mean(axis=0)
    coef = np.linalg.solve(F.T @ F + lam * np.eye(F.shape[1]), F.T @ (y - y.mean()))
    return np.r_[y.mean(), coef]


@wrong("ridge", "one number per example", "dual form")
def ridge_dual_coefficients(X, y, lam):
    return np.linalg.solve(X @ X.T + lam * np.eye(len(X)), y)


@wrong("ridge", "raised", "X.T @ X is")
def ridge_gram_of_the_examples(X, y, lam):
    return np.linalg.solve(X @ X.T + lam * unpenalised(X.shape[1]), X.T @ y)


@wrong("ridge", "entry by entry", "np.linalg.solve")
def ridge_divided_by_the_matrix(X, y, lam):
    return X.T @ y / (X.T @ X + lam * unpenalised(X.shape[1]))


@wrong("ridge", "another column of ones")
def ridge_adds_a_second_constant(X, y, lam):
    X1 = np.c_[np.ones(len(X)), X]
    return np.linalg.solve(X1.T @ X1 + lam * unpenalised(X1.shape[1]), X1.T @ y)


@wrong("ridge", "changed X in place")
def ridge_centres_x_in_place(X, y, lam):
    mean = X[:, 1:].mean(axis=0)
    X[:, 1:] -= mean
    coef = ridge_ok(X, y - y.mean(), lam)[1:]
    return np.r_[y.mean() - mean @ coef, coef]


# ------------------------------------------------------------------ e09: standardisation inside k folds

@wrong("standardise_folds", "all the rows of X", "leak")
def folds_standardised_before_the_split(X, k):
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    return [(np.delete(Z, val, axis=0), Z[val]) for val in blocks(len(X), k)]


@wrong("standardise_folds", "mean of all the rows of X", "leak")
def folds_mean_of_everything(X, k):
    out = []
    for val in blocks(len(X), k):
        train = np.delete(X, val, axis=0)
        out.append(scaled(train, X[val], X.mean(axis=0), train.std(axis=0)))
    return out


@wrong("standardise_folds", "validation rows", "their own mean and std")
def folds_validation_fitted_again(X, k):
    out = []
    for val in blocks(len(X), k):
        train, held = np.delete(X, val, axis=0), X[val]
        out.append(((train - train.mean(0)) / train.std(0), (held - held.mean(0)) / held.std(0)))
    return out


@wrong("standardise_folds", "fold 2", "fold 1's training rows", "inside the loop")
def folds_scaler_fitted_once(X, k):
    first = np.delete(X, blocks(len(X), k)[0], axis=0)
    mu, sigma = first.mean(axis=0), first.std(axis=0)
    return [scaled(np.delete(X, val, axis=0), X[val], mu, sigma) for val in blocks(len(X), k)]


@wrong("standardise_folds", "ddof=1", "ddof=0")
def folds_sample_std(X, k):
    out = []
    for val in blocks(len(X), k):
        train = np.delete(X, val, axis=0)
        out.append(scaled(train, X[val], train.mean(axis=0), train.std(axis=0, ddof=1)))
    return out


@wrong("standardise_folds", "no axis", "axis=0")
def folds_one_mean_for_the_matrix(X, k):
    out = []
    for val in blocks(len(X), k):
        train = np.delete(X, val, axis=0)
        out.append(scaled(train, X[val], train.mean(), train.std()))
    return out


@wrong("standardise_folds", "each row", "axis=1")
def folds_rows_standardised(X, k):
    out = []
    for val in blocks(len(X), k):
        pair = []
        for part in (np.delete(X, val, axis=0), X[val]):
            pair.append((part - part.mean(axis=1, keepdims=True)) / part.std(axis=1, keepdims=True))
        out.append(tuple(pair))
    return out


@wrong("standardise_folds", "validation rows were not standardised")
def folds_validation_left_raw(X, k):
    out = []
    for val in blocks(len(X), k):
        train = np.delete(X, val, axis=0)
        out.append(((train - train.mean(axis=0)) / train.std(axis=0), X[val]))
    return out


@wrong("standardise_folds", "did not divide by the std")
def folds_centred_only(X, k):
    out = []
    for val in blocks(len(X), k):
        train = np.delete(X, val, axis=0)
        out.append((train - train.mean(axis=0), X[val] - train.mean(axis=0)))
    return out


@wrong("standardise_folds", "validation part has", "contiguous blocks", "n % k")
def folds_remainder_in_the_last_fold(X, k):
    n, size = len(X), len(X) // k
    out = []
    for i in range(k):
        val = np.arange(i * size, n if i == k - 1 else (i + 1) * size)
        train = np.delete(X, val, axis=0)
        out.append(scaled(train, X[val], train.mean(axis=0), train.std(axis=0)))
    return out


@wrong("standardise_folds", "but X has", "every row")
def folds_remainder_dropped(X, k):
    size = len(X) // k
    out = []
    for i in range(k):
        val = X[i * size:(i + 1) * size]
        train = np.concatenate([X[:i * size], X[(i + 1) * size:k * size]])
        out.append(scaled(train, val, train.mean(axis=0), train.std(axis=0)))
    return out


@wrong("standardise_folds", "without shuffling")
def folds_shuffled_first(X, k):
    order = np.random.default_rng(0).permutation(len(X))
    out = []
    for val in np.array_split(order, k):
        train = X[np.setdiff1d(order, val)]
        out.append(scaled(train, X[val], train.mean(axis=0), train.std(axis=0)))
    return out


@wrong("standardise_folds", "other way round")
def folds_pairs_swapped(X, k):
    return [(val, train) for train, val in folds_ok(X, k)]


@wrong("standardise_folds", "generator", "list(")
def folds_as_a_generator(X, k):
    yield from folds_ok(X, k)


@wrong("standardise_folds", "changed X in place")
def folds_centre_x_in_place(X, k):
    X -= X.mean(axis=0)
    return list(folds_ok(X, k))


# ------------------------------------------------------------------ e09: the gradient of an L2 penalty

@wrong("penalised_gradient", "2 lam w", "(lam / 2)")
def gradient_of_lam_w_squared(w, grad_loss, lam):
    return grad_loss + 2 * lam * w * bias_mask(w)


@wrong("penalised_gradient", "penalised the bias")
def gradient_decays_the_bias(w, grad_loss, lam):
    return grad_loss + lam * w


@wrong("penalised_gradient", "penalised the bias", "2 lam w")
def gradient_decays_the_bias_twice_over(w, grad_loss, lam):
    return grad_loss + 2 * lam * w


@wrong("penalised_gradient", "(lam / 2) w", "cancels")
def gradient_keeps_the_half(w, grad_loss, lam):
    return grad_loss + lam / 2 * w * bias_mask(w)


@wrong("penalised_gradient", "wrong sign")
def gradient_subtracts_the_decay(w, grad_loss, lam):
    return grad_loss - lam * w * bias_mask(w)


@wrong("penalised_gradient", "unchanged", "missing")
def gradient_without_the_penalty(w, grad_loss, lam):
    return grad_loss.copy()


@wrong("penalised_gradient", "penalty's gradient alone")
def gradient_of_the_penalty_only(w, grad_loss, lam):
    return lam * w * bias_mask(w)


@wrong("penalised_gradient", "penalty (lam / 2) w^2 itself")
def gradient_adds_the_penalty_value(w, grad_loss, lam):
    return grad_loss + lam / 2 * w ** 2 * bias_mask(w)


@wrong("penalised_gradient", "first row", "not the first column")
def gradient_skips_the_first_column(w, grad_loss, lam):
    decay = lam * w
    decay[..., 0] = 0.0
    return grad_loss + decay


@wrong("penalised_gradient", "changed w in place")
def gradient_zeroes_the_callers_bias(w, grad_loss, lam):
    w[0] = 0.0
    return grad_loss + lam * w


@wrong("penalised_gradient", "changed grad_loss in place")
def gradient_added_into_grad_loss(w, grad_loss, lam):
    grad_loss[1:] += lam * w[1:]
    return grad_loss


@wrong("penalised_gradient", "every weight", "bias's too")
def gradient_without_the_bias_entry(w, grad_loss, lam):
    return grad_loss[1:] + lam * w[1:]


# ------------------------------------------------------------------ e10: the output size of a convolution

@wrong("output_size", "+ 1 is missing")
def size_without_the_first_window(n, k, stride, padding, dilation):
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride


@wrong("output_size", "rounded up", "//")
def size_rounded_up(n, k, stride, padding, dilation):
    return math.ceil((n + 2 * padding - dilation * (k - 1) - 1) / stride) + 1


@wrong("output_size", "- 1 is missing", "d(k - 1) + 1")
def size_without_the_minus_one(n, k, stride, padding, dilation):
    return (n + 2 * padding - dilation * (k - 1)) // stride + 1


@wrong("output_size", "padding is missing", "n + 2p")
def size_without_padding(n, k, stride, padding, dilation):
    return (n - dilation * (k - 1) - 1) // stride + 1


@wrong("output_size", "padding is counted once")
def size_padding_on_one_side(n, k, stride, padding, dilation):
    return (n + padding - dilation * (k - 1) - 1) // stride + 1


@wrong("output_size", "dilation is missing")
def size_without_dilation(n, k, stride, padding, dilation):
    return (n + 2 * padding - k) // stride + 1


@wrong("output_size", "d(k - 1) + 1", "not d k")
def size_dilated_span_dk(n, k, stride, padding, dilation):
    return (n + 2 * padding - dilation * k) // stride + 1


@wrong("output_size", "stride is missing")
def size_without_stride(n, k, stride, padding, dilation):
    return n + 2 * padding - dilation * (k - 1)


@wrong("output_size", "whole number", "//")
def size_true_division(n, k, stride, padding, dilation):
    return (n + 2 * padding - dilation * (k - 1) - 1) / stride + 1


@wrong("output_size", "one whole number")
def size_per_axis_pair(n, k, stride, padding, dilation):
    size = (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    return size, size


# ------------------------------------------------------------------ e10: a 2-D convolution

@wrong("conv2d", "flipped the kernel", "cross-correlation")
def conv_true_convolution(x, w, stride, padding):
    return conv_ok(x, np.flip(w), stride, padding)


@wrong("conv2d", "flipped along one axis")
def conv_kernel_flipped_upside_down(x, w, stride, padding):
    return conv_ok(x, w[::-1], stride, padding)


@wrong("conv2d", "kernel transposed")
def conv_kernel_indices_swapped(x, w, stride, padding):
    xp = np.pad(x, padding)
    kh, kw = w.shape
    oh, ow = (xp.shape[0] - kw) // stride + 1, (xp.shape[1] - kh) // stride + 1
    z = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            for m in range(kh):
                for n in range(kw):
                    z[i, j] += w[m, n] * xp[i * stride + n, j * stride + m]
    return z


@wrong("conv2d", "output is transposed")
def conv_output_transposed(x, w, stride, padding):
    return conv_ok(x, w, stride, padding).T


@wrong("conv2d", "rows and columns swapped")
def conv_reads_x_transposed(x, w, stride, padding):
    return conv_ok(x.T, w, stride, padding)


@wrong("conv2d", "padding is missing", "np.pad(x, p)")
def conv_padding_ignored(x, w, stride, padding):
    return conv_ok(x, w, stride, 0)


@wrong("conv2d", "one side only")
def conv_padding_before_only(x, w, stride, padding):
    xp = np.zeros((x.shape[0] + padding, x.shape[1] + padding))
    xp[padding:, padding:] = x
    return conv_ok(xp, w, stride, 0)


@wrong("conv2d", "one axis only", "both axes")
def conv_padding_rows_only(x, w, stride, padding):
    return conv_ok(np.pad(x, ((padding, padding), (0, 0))), w, stride, 0)


@wrong("conv2d", "must be zeros")
def conv_padding_with_edge_values(x, w, stride, padding):
    return conv_ok(np.pad(x, padding, mode="edge"), w, stride, 0)


@wrong("conv2d", "stride is missing")
def conv_stride_ignored(x, w, stride, padding):
    return conv_ok(x, w, 1, padding)


@wrong("conv2d", "stride is applied along one axis only")
def conv_stride_down_only(x, w, stride, padding):
    xp = np.pad(x, padding)
    kh, kw = w.shape
    oh, ow = (xp.shape[0] - kh) // stride + 1, xp.shape[1] - kw + 1
    z = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            z[i, j] = np.sum(xp[i * stride:i * stride + kh, j:j + kw] * w)
    return z


@wrong("conv2d", "subsampled x")
def conv_stride_on_the_input(x, w, stride, padding):
    return conv_ok(np.pad(x, padding)[::stride, ::stride], w, 1, 0)


@wrong("conv2d", "spread the kernel's cells")
def conv_stride_as_dilation(x, w, stride, padding):
    xp = np.pad(x, padding)
    kh, kw = w.shape
    oh, ow = xp.shape[0] - stride * (kh - 1), xp.shape[1] - stride * (kw - 1)
    z = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            z[i, j] = np.sum(xp[i:i + stride * (kh - 1) + 1:stride, j:j + stride * (kw - 1) + 1:stride] * w)
    return z


@wrong("conv2d", "partial window", "dropped")
def conv_keeps_the_partial_window(x, w, stride, padding):
    xp = np.pad(x, padding)
    kh, kw = w.shape
    oh = -(-(xp.shape[0] - kh) // stride) + 1
    ow = -(-(xp.shape[1] - kw) // stride) + 1
    big = np.zeros(((oh - 1) * stride + kh, (ow - 1) * stride + kw))
    big[:xp.shape[0], :xp.shape[1]] = xp
    return conv_ok(big, w, stride, 0)


@wrong("conv2d", "last row or column", "+ 1")
def conv_one_window_short(x, w, stride, padding):
    return conv_ok(x, w, stride, padding)[:-1, :-1]


@wrong("conv2d", "extra row and column of zeros")
def conv_one_row_too_many(x, w, stride, padding):
    z = conv_ok(x, w, stride, padding)
    out = np.zeros((z.shape[0] + 1, z.shape[1] + 1))
    out[:-1, :-1] = z
    return out


@wrong("conv2d", "not their mean")
def conv_window_mean(x, w, stride, padding):
    return conv_ok(x, w, stride, padding) / w.size


@wrong("conv2d", "integer dtype")
def conv_integer_canvas(x, w, stride, padding):
    return conv_ok(x, w, stride, padding).astype(int)


@wrong("conv2d", "raised", "kernel's shape")
def conv_window_one_short(x, w, stride, padding):
    xp = np.pad(x, padding)
    kh, kw = w.shape
    oh, ow = (xp.shape[0] - kh) // stride + 1, (xp.shape[1] - kw) // stride + 1
    z = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            z[i, j] = np.sum(xp[i * stride:i * stride + kh - 1, j * stride:j * stride + kw - 1] * w)
    return z


# ------------------------------------------------------------------ e10: the rotation nearest to a matrix

@wrong("project_to_so3", "det R = -1", "reflection")
def so3_without_the_fix(M):
    U, s, Vt = np.linalg.svd(M)
    return U @ Vt


@wrong("project_to_so3", "det R = -1", "reflection")
def so3_polar_iteration(M):
    R = M / np.linalg.norm(M, 2)
    for _ in range(100):
        R = (R + np.linalg.inv(R).T) / 2
    return R


@wrong("project_to_so3", "reflection", "cancels out")
def so3_flips_both_factors(M):
    U, s, Vt = np.linalg.svd(M)
    if np.linalg.det(U @ Vt) < 0:
        U[:, -1] *= -1
        Vt[-1] *= -1
    return U @ Vt


@wrong("project_to_so3", "negated the whole matrix")
def so3_negates_a_reflection(M):
    U, s, Vt = np.linalg.svd(M)
    R = U @ Vt
    return -R if np.linalg.det(R) < 0 else R


@wrong("project_to_so3", "largest singular value")
def so3_flips_the_first(M):
    U, s, Vt = np.linalg.svd(M)
    if np.linalg.det(U @ Vt) < 0:
        U[:, 0] *= -1
    return U @ Vt


@wrong("project_to_so3", "middle singular value")
def so3_flips_the_middle(M):
    U, s, Vt = np.linalg.svd(M)
    d = np.sign(np.linalg.det(U @ Vt))
    return U @ np.diag([1.0, d, 1.0]) @ Vt


@wrong("project_to_so3", "although det(U V^T) = +1")
def so3_always_flips(M):
    U, s, Vt = np.linalg.svd(M)
    return U @ np.diag([1.0, 1.0, -1.0]) @ Vt


@wrong("project_to_so3", "transpose")
def so3_of_the_transpose(M):
    U, s, Vt = np.linalg.svd(M.T)
    return U @ np.diag([1.0, 1.0, np.sign(np.linalg.det(U @ Vt))]) @ Vt


@wrong("project_to_so3", "det(M) itself")
def so3_det_of_m_on_the_diagonal(M):
    U, s, Vt = np.linalg.svd(M)
    return U @ np.diag([1.0, 1.0, np.linalg.det(M)]) @ Vt


@wrong("project_to_so3", "V^T already")
def so3_vt_transposed(M):
    U, s, Vt = np.linalg.svd(M)
    V = Vt.T
    return U @ np.diag([1.0, 1.0, np.sign(np.linalg.det(U @ V.T))]) @ V


@wrong("project_to_so3", "Gram-Schmidt")
def so3_gram_schmidt(M):
    cols = []
    for j in range(3):
        v = M[:, j].copy()
        for u in cols:
            v = v - (u @ M[:, j]) * u
        cols.append(v / np.linalg.norm(v))
    return np.column_stack(cols)


@wrong("project_to_so3", "unit-length columns")
def so3_columns_normalised(M):
    return M / np.linalg.norm(M, axis=0)


@wrong("project_to_so3", "wrong rows of V^T")
def so3_eigh_order_kept(M):
    U, s, _ = np.linalg.svd(M)
    _, V = np.linalg.eigh(M.T @ M)            # increasing: paired in the wrong order with U
    return U @ np.diag([1.0, 1.0, np.sign(np.linalg.det(M))]) @ V.T


@wrong("project_to_so3", "U diag(+1, -1, -1) V^T")
def so3_flips_the_last_two(M):
    U, s, Vt = np.linalg.svd(M)
    if np.linalg.det(U @ Vt) < 0:
        U[:, 1:] *= -1
    return U @ Vt


@wrong("project_to_so3", "return R alone")
def so3_returns_the_svd_too(M):
    U, s, Vt = np.linalg.svd(M)
    return so3_ok(M), s


@wrong("project_to_so3", "M itself")
def so3_svd_reassembled(M):
    U, s, Vt = np.linalg.svd(M)
    return U @ np.diag(s) @ Vt


@wrong("project_to_so3", "changed M in place")
def so3_normalises_m_in_place(M):
    M /= np.linalg.norm(M)
    return so3_ok(M)


# ------------------------------------------------------------------ the tests

def _wrong_cases(name, fn):
    """Labels of the cases ``fn`` gets wrong: a different answer than the right solution, a changed
    input, a warning or an exception (only for checks that call the function once per case)."""
    spec = CHECKS[name]
    labels = []
    for case in spec.cases(np.random.default_rng(registry.SEED)):
        mine = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in case.args]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with np.errstate(all="warn"):
                    got = fn(*mine)
            except Exception:
                labels.append(case.label)
                continue
        want = RIGHT[name](*case.args)
        changed = any(isinstance(a, np.ndarray) and not np.array_equal(a, m) for a, m in zip(case.args, mine))
        if caught or changed or not _same(got, want):
            labels.append(case.label)
    return labels


def _same(a, b):
    if isinstance(b, tuple):
        return isinstance(a, (tuple, list)) and len(a) == len(b) and all(map(_same, a, b))
    try:
        a, b = np.asarray(a), np.asarray(b)
    except ValueError:  # a tuple of arrays of different shapes where one array is expected
        return False
    if b.dtype.kind in "iu":                     # counts and epochs: whole numbers, exactly
        return a.shape == b.shape and a.dtype.kind in "iuf" and np.array_equal(a, b)
    b = b.astype(float)
    return a.shape == b.shape and a.dtype.kind == "f" and np.allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_the_right_solution_passes(name):
    r = run_check(name, RIGHT[name])
    assert r.passed and r.score == 1, r.messages


@pytest.mark.parametrize("name, fn, words", CORPUS)
def test_the_first_line_names_the_mistake(name, fn, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a check never lets a warning through
        r = run_check(name, fn)
    first = r.messages[0]
    missing = [w for w in words if w.lower() not in first.lower()]
    assert not missing, f"{missing} not in the first line: {r.messages}"
    assert not r.passed and r.score < 1
    if CHECKS[name].total == 1:
        assert r.score == 0
    else:
        failed = {p.case for p in r.problems}
        wrong_cases = _wrong_cases(name, fn)
        assert wrong_cases, "the corpus function is not wrong on any case"
        assert set(wrong_cases) <= failed, (wrong_cases, failed)


def test_corpus_counts():
    """At least six wrong answers per check; the table (check: wrong answers, named) is printed for the
    issue's closing note (run with -s to see it)."""
    counts = Counter(p.values[0] for p in CORPUS)
    named = Counter()
    for p in CORPUS:
        name, fn, words = p.values
        first = run_check(name, fn).messages[0].lower()
        named[name] += all(w.lower() in first for w in words)
    print("\ncheck: wrong answers in the corpus, named on the first line")
    for name in sorted(RIGHT):
        print(f"  {name}: {counts[name]}, {named[name]}")
    assert all(counts[name] >= 6 for name in RIGHT), counts


# ------------------------------------------------------------------ the shared helpers

def test_diagnose_returns_the_first_matching_mistake():
    x, v = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    mistakes = [("skipped", None), ("x only", (x + 1, None)), ("both", (x, v)), ("later", (x, None))]
    assert diagnose((x, v), mistakes) == "both"
    assert diagnose((x, v + 1e-6), mistakes) == "later"
    assert diagnose((x, v), [("shape", (x[:1], v))]) is None
    assert diagnose(np.array([np.nan]), [("nan", np.array([np.nan]))]) is None
    assert diagnose(x, [("tuple vs array", (x,))]) is None


def test_describe_difference_never_prints_two_numbers_alike():
    mine = np.array([0.11573, -0.122105, 0.6304231])
    ref = np.array([0.11573, -0.122105, 0.6304254])
    text = describe_difference(mine, ref, "x", "torch.optim.Adam")
    assert "x[2] is 0.6304231, expected 0.6304254 (torch.optim.Adam)" in text
    assert "relative error 3.6e-06" in text and "agree to 5 significant digits" in text
    assert "x[0]" not in text and "other components agree" in text
    both = describe_difference((mine, ref), (ref, ref), ("x", "v"))
    assert both.startswith("x[2]") and both.endswith("your v is right")
    assert "sign differs" in describe_difference(np.array([1.0]), np.array([-1.0]))
    assert describe_difference(ref, ref) == ""


PARTS = {"momentum": ("x", "v"), "rmsprop": ("x", "s"), "adam": ("x", "m", "v"),
         "backprop": ("dW1", "db1", "dW2", "db2")}


def _replay(name, fn):
    """(label, what fn returned, what the right solution returns) for every case, fed as the check feeds
    them: a chained check passes fn's own previous return back in."""
    previous = None
    for case in CHECKS[name].cases(np.random.default_rng(registry.SEED)):
        args = list(case.args)
        carry = sum(a is None for a in args)
        if carry:
            args[:carry] = previous
        copy = lambda: [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]  # noqa: E731
        with np.errstate(all="ignore"):  # a wrong state fed back can hold negative squares
            got, want = fn(*copy()), RIGHT[name](*copy())
        yield case.label, got, want
        previous = got


def test_a_part_said_to_be_right_is_right():
    """"(your v is right)", "dW2 and db2 are right": a diagnosis never blames, nor clears, the wrong part.
    Every such claim in the corpus's first lines is checked against the right solution on the same inputs."""
    import re

    checked = []
    for p in CORPUS:
        name, fn, _ = p.values
        if name not in PARTS:
            continue
        first = run_check(name, fn).messages[0]
        labels, _, text = first.partition(": ")
        said = re.findall(r"((?:\w+)(?:(?:,| and) \w+)*) (?:is|are) right", text)
        claimed = {w for group in said for w in re.split(r",? and |, ", group) if w in PARTS[name]}
        for label, got, want in _replay(name, fn):
            if label in labels.split(", "):
                for part in claimed:
                    k = PARTS[name].index(part)
                    assert np.allclose(got[k], want[k], rtol=1e-10, atol=1e-14), (label, part, first)
                    checked.append((fn.__name__, part))
    assert len({f for f, _ in checked}) >= 12, checked
