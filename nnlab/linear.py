"""Linear classifiers: one-hot least squares (with ridge) and softmax regression.

Both use the batch-first convention of ``nnlab.nn``: scores S = X @ W + b, W of shape (d, K).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _validate as valid
from .nn import softmax, softmax_cross_entropy


def one_hot(y, n_classes=None):
    """Targets T with T[n, y_n] = 1 and zeros elsewhere; labels must be 0..K-1."""
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and (y.dtype.kind not in "iub" and not np.all(y == np.round(y)))):
        raise ValueError(f"y: expected a 1-D array of integer class labels, got {y[:5]!r} with shape {y.shape}")
    y = y.astype(int)
    K = int(y.max()) + 1 if n_classes is None else valid.integer("n_classes", n_classes, low=1)
    if y.size and (y.min() < 0 or y.max() >= K):
        raise ValueError(f"y: expected labels in 0..{K - 1}, got values from {y.min()} to {y.max()}")
    return np.eye(K)[y]


def _xy(X, y):
    X = valid.as_array("X", X, ndim=2)
    y = np.asarray(y)
    valid.same_rows("X", X, "y", y)
    return X, y


@dataclass
class LinearModel:
    """Scores X @ W + b; the predicted class is the arg-max of the scores."""

    W: np.ndarray
    b: np.ndarray

    def scores(self, X):
        return valid.as_array("X", X, shape=(None, self.W.shape[0])) @ self.W + self.b

    def predict(self, X):
        return np.argmax(self.scores(X), axis=1)

    def error_rate(self, X, y):
        return float(np.mean(self.predict(X) != np.asarray(y)))


def fit_least_squares(X, y, lam=0.0, n_classes=None):
    """Minimise |X W + 1 b - T|^2 + lam |W|^2 over W and b, T the one-hot targets.

    The bias is not penalised (as in scikit-learn's Ridge). Closed form:
    (X_c^T X_c + lam I) W = X_c^T T_c on centred X_c, T_c, then b = mean(T) - mean(X) W.
    With lam = 0 and a singular X^T X, the minimum-norm solution is returned.
    """
    X, y = _xy(X, y)
    lam = valid.real("lam", lam, low=0.0)
    T = one_hot(y, n_classes)
    mx, mt = X.mean(axis=0), T.mean(axis=0)
    Xc, Tc = X - mx, T - mt
    if lam > 0:
        W = np.linalg.solve(Xc.T @ Xc + lam * np.eye(X.shape[1]), Xc.T @ Tc)
    else:
        W = np.linalg.pinv(Xc) @ Tc
    return LinearModel(W, mt - mx @ W)


def squared_error(model, X, y, n_classes=None):
    """|X W + b - T|^2 / N: the least-squares objective's data term, per sample."""
    T = one_hot(np.asarray(y), n_classes or model.W.shape[1])
    return float(np.sum((model.scores(X) - T) ** 2) / len(T))


@dataclass
class RidgePath:
    lams: np.ndarray
    train_sq: np.ndarray       # squared error per sample on the training set
    test_sq: np.ndarray
    train_err: np.ndarray      # classification error rate
    test_err: np.ndarray

    @property
    def best_lam(self):
        """lam with the lowest test classification error (ties: the larger lam, the simpler model)."""
        best = np.flatnonzero(self.test_err == self.test_err.min())
        return float(self.lams[best[-1]])


def ridge_path(X_train, y_train, X_test, y_test, lams):
    """Train and test errors of one-hot ridge least squares for each lam."""
    lams = valid.as_array("lams", lams, ndim=1)
    if np.any(lams < 0):
        raise ValueError(f"lams: expected values >= 0, got {lams.min()}")
    K = int(max(np.max(y_train), np.max(y_test))) + 1
    rows = []
    for lam in lams:
        m = fit_least_squares(X_train, y_train, lam, K)
        rows.append((squared_error(m, X_train, y_train, K), squared_error(m, X_test, y_test, K),
                     m.error_rate(X_train, y_train), m.error_rate(X_test, y_test)))
    return RidgePath(lams, *map(np.array, zip(*rows)))


# ----------------------------------------------------------- softmax regression


def softmax_regression_loss(W, b, X, T, lam=0.0):
    """Mean cross-entropy of softmax(X W + b) against one-hot T, plus lam/2 |W|^2."""
    return softmax_cross_entropy(X @ W + b, T) + 0.5 * lam * float(np.sum(W * W))


def softmax_regression_gradient(W, b, X, T, lam=0.0):
    """dL/dW = X^T (H - T) / N + lam W and dL/db = mean of (H - T), H = softmax(X W + b).

    Per sample this is the rule W <- W - alpha x (h - t)^T: the same as linear regression
    with squared loss, with h = softmax(scores) in place of h = scores.
    """
    H = softmax(X @ W + b)
    return X.T @ (H - T) / len(X) + lam * W, (H - T).mean(axis=0)


@dataclass
class SoftmaxFit:
    model: LinearModel
    loss: list = field(default_factory=list)


def fit_softmax_regression(X, y, lr=0.5, epochs=200, lam=0.0, n_classes=None):
    """Full-batch gradient descent on the softmax cross-entropy, from W = 0."""
    X, y = _xy(X, y)
    T = one_hot(y, n_classes)
    lr = valid.real("lr", lr, low=0.0, low_open=True)
    epochs = valid.integer("epochs", epochs, low=0)
    lam = valid.real("lam", lam, low=0.0)
    W, b = np.zeros((X.shape[1], T.shape[1])), np.zeros(T.shape[1])
    fit = SoftmaxFit(LinearModel(W, b))
    for _ in range(epochs):
        fit.loss.append(softmax_regression_loss(W, b, X, T, lam))
        dW, db = softmax_regression_gradient(W, b, X, T, lam)
        W -= lr * dW
        b -= lr * db
    fit.loss.append(softmax_regression_loss(W, b, X, T, lam))
    return fit


def multiclass_perceptron_update(W, b, x, y, lr=1.0):
    """The same rule with a hard arg-max prediction: if argmax(x W + b) != y, W[:, y] += lr x and
    W[:, guess] -= lr x (that is, W <- W - lr x (h - t)^T with h the one-hot guess). Returns the guess."""
    guess = int(np.argmax(x @ W + b))
    if guess != y:
        W[:, y] += lr * x
        b[y] += lr
        W[:, guess] -= lr * x
        b[guess] -= lr
    return guess
