"""Rosenblatt's perceptron (1958): predict sign(w.x + b); on a mistake, w <- w + lr y x, b <- b + lr y.

Labels are -1 / +1. A point counts as a mistake when y (w.x + b) <= 0 (a point exactly on
the line is not yet classified), which is also the rule scikit-learn's Perceptron uses.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as valid
from .words import plural


@dataclass(frozen=True)
class Step:
    """One presented point: where we are, what happened, and the weights after the step."""

    t: int            # step number, from 1
    epoch: int        # from 1
    index: int        # row of X that was presented
    x: np.ndarray
    y: int
    score: float      # w.x + b before the step
    prediction: int   # sign of the score (+1 if > 0, else -1)
    mistake: bool
    mistakes: int     # mistakes so far, this one included
    w: np.ndarray     # after the step
    b: float          # after the step


@dataclass(frozen=True)
class PerceptronResult:
    w: np.ndarray
    b: float
    mistakes: int
    converged: bool   # an epoch went by without a mistake
    epochs: int       # epochs run, the last (mistake-free) one included when converged

    @property
    def message(self):
        if self.converged:
            return f"converged: epoch {self.epochs} had no mistakes ({plural(self.mistakes, 'mistake')} in all)"
        return (f"not converged after {plural(self.epochs, 'epoch')} ({plural(self.mistakes, 'mistake')}): "
                "every epoch still had a mistake, so the data may not be linearly separable")


def check_pm1(name, y):
    y = np.asarray(y)
    values = set(np.unique(y).tolist())
    if values <= {0, 1} and 0 in values:
        raise ValueError(f"{name}: the perceptron expects labels -1 and +1, got labels 0 and 1; "
                         f"convert them with 2 * {name} - 1 (or nnlab.data.to_pm1({name}))")
    if not values <= {-1, 1}:
        shown = ", ".join(f"{x:g}" for x in sorted(values)[:6])
        raise ValueError(f"{name}: expected labels -1 and +1, got values [{shown}]")
    return y.astype(int)


def _check(X, y, lr, max_epochs):
    X = valid.as_array("X", X, ndim=2)
    y = check_pm1("y", valid.as_array("y", y, ndim=1))
    valid.same_rows("X", X, "y", y)
    if len(y) == 0:
        raise ValueError("X: expected at least one point, got none")
    return X, y, valid.real("lr", lr, low=0.0, low_open=True), valid.integer("max_epochs", max_epochs, low=1)


def perceptron_steps(X, y, lr=1.0, max_epochs=100, shuffle=False, seed=None):
    """Yield one ``Step`` per presented point, epoch after epoch.

    Stops after the first epoch without a mistake (converged) or after ``max_epochs``.
    With ``shuffle=True`` each epoch visits the points in a fresh random order.
    """
    X, y, lr, max_epochs = _check(X, y, lr, max_epochs)
    rng = np.random.default_rng(seed)
    w, b = np.zeros(X.shape[1]), 0.0
    t = mistakes = 0
    for epoch in range(1, max_epochs + 1):
        order = rng.permutation(len(y)) if shuffle else range(len(y))
        epoch_mistakes = 0
        for i in order:
            t += 1
            score = float(X[i] @ w + b)
            mistake = y[i] * score <= 0
            if mistake:
                w = w + lr * y[i] * X[i]
                b = b + lr * y[i]
                mistakes += 1
                epoch_mistakes += 1
            yield Step(t, epoch, int(i), X[i], int(y[i]), score, 1 if score > 0 else -1, bool(mistake),
                       mistakes, w, float(b))
        if epoch_mistakes == 0:
            return


def train_perceptron(X, y, lr=1.0, max_epochs=100, shuffle=False, seed=None) -> PerceptronResult:
    """Run the perceptron to convergence or to the epoch limit."""
    return summarize(list(perceptron_steps(X, y, lr, max_epochs, shuffle, seed)))


def summarize(steps) -> PerceptronResult:
    """The outcome of a run given all its steps: converged if the last epoch had no mistake."""
    last = steps[-1]
    last_epoch_clean = not any(s.mistake for s in steps if s.epoch == last.epoch)
    return PerceptronResult(last.w, last.b, last.mistakes, last_epoch_clean, last.epoch)


def predict(X, w, b):
    """+1 where w.x + b > 0, else -1."""
    X = valid.as_array("X", X, ndim=2)
    return np.where(X @ np.asarray(w, float) + b > 0, 1, -1)


@dataclass(frozen=True)
class MistakeBound:
    R: float       # max ||(x, 1)||: the data radius, bias coordinate included
    gamma: float   # min y (w.x + b) / ||(w, b)||: margin of the separator (<= 0: not a separator)
    bound: float   # (R / gamma)^2, inf when gamma <= 0


def data_radius(X):
    """R = max ||(x, 1)||: the radius of the data with the bias folded in as a constant input 1."""
    return float(np.max(np.linalg.norm(np.c_[X, np.ones(len(X))], axis=1)))


def mistake_bound(X, y, w, b):
    """Novikoff's bound (R / gamma)^2 on the number of mistakes, for the separator (w, b).

    The perceptron, started at zero, makes at most (R / gamma)^2 mistakes for any separator
    with margin gamma; with the bias folded in as a constant input 1, R = max ||(x, 1)||
    and gamma = min_i y_i (w.x_i + b) / ||(w, b)||.
    """
    X = valid.as_array("X", X, ndim=2)
    y = check_pm1("y", valid.as_array("y", y, ndim=1))
    w = valid.as_array("w", w, shape=(X.shape[1],))
    Xa = np.c_[X, np.ones(len(X))]
    wa = np.r_[w, valid.real("b", b)]
    R = data_radius(X)
    norm = float(np.linalg.norm(wa))
    gamma = float(np.min(y * (Xa @ wa)) / norm) if norm > 0 else 0.0
    return MistakeBound(R, gamma, (R / gamma) ** 2 if gamma > 0 else np.inf)


@dataclass(frozen=True)
class PerceptronRun:
    """A whole recorded run, for stepping back and forth: ``steps[k-1]`` is step k; position 0 is the start."""

    X: np.ndarray
    y: np.ndarray
    steps: tuple
    result: PerceptronResult
    bound: MistakeBound   # for the final separator; bound inf if the run did not separate the data

    def __len__(self):
        return len(self.steps)

    def weights_at(self, position):
        """(w, b) after ``position`` steps (zeros at position 0)."""
        if position == 0:
            return np.zeros(self.X.shape[1]), 0.0
        s = self.steps[position - 1]
        return s.w, s.b

    def next_mistake(self, position):
        """Position of the first mistake after ``position`` (the end if there is none)."""
        for s in self.steps[position:]:
            if s.mistake:
                return s.t
        return len(self.steps)

    def end_of_epoch(self, position):
        """Position of the last step of the epoch after ``position``'s step."""
        if position >= len(self.steps):
            return len(self.steps)
        epoch = self.steps[position].epoch
        return max(s.t for s in self.steps if s.epoch == epoch)

    def mistakes_until(self, position):
        return 0 if position == 0 else self.steps[position - 1].mistakes


def record_run(X, y, lr=1.0, max_epochs=100, shuffle=False, seed=None) -> PerceptronRun:
    """Run the perceptron and keep every step, the outcome and the mistake bound."""
    X, y, lr, max_epochs = _check(X, y, lr, max_epochs)
    steps = tuple(perceptron_steps(X, y, lr, max_epochs, shuffle, seed))
    result = summarize(steps)
    if result.converged:
        bound = mistake_bound(X, y, result.w, result.b)
    else:
        bound = MistakeBound(data_radius(X), 0.0, np.inf)
    return PerceptronRun(X, y, steps, result, bound)
