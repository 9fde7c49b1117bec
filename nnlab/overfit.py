"""A network that fits its training set and not the world, and what helps (lecture 9).

The problem: two interleaved half-moons with heavy noise (``data.moons``, noise 0.3), 60 training points,
200 validation points (to choose when to stop) and 1,000 test points (looked at once per run). A network of
two ReLU layers of 64 units, Adam (learning rate 0.01), batches of 10, 400 epochs: every training point
ends on its side, while about a fifth of the test points do not. The remedies each change one thing:
an L2 penalty, dropout, early stopping on the validation set, five times the data (for the same number of
updates). Training is ``nnlab.training``'s (checked against PyTorch in tests/test_training.py).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as valid
from . import data, nn, optim, training

NOISE = 0.3
EPOCHS = 400
BATCH = 10


class Problem(NamedTuple):
    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def problem(n=60, seed=1):
    """``n`` training points, 200 validation and 1,000 test points of the noisy moons, each part drawn
    from its own seed (``seed``, ``seed`` + 100, ``seed`` + 200): more data adds points, and changes no other part."""
    n, seed = valid.integer("n", n, low=2), valid.integer("seed", seed, low=0)
    X, y = data.moons(n=n, noise=NOISE, seed=seed)
    X_val, y_val = data.moons(n=200, noise=NOISE, seed=seed + 100)
    X_test, y_test = data.moons(n=1000, noise=NOISE, seed=seed + 200)
    return Problem(X, y, X_val, y_val, X_test, y_test)


class Run(NamedTuple):
    train_accuracy: float
    test_accuracy: float
    epochs: int             # epochs trained (fewer than asked when early stopping stopped the run)
    perfect_epoch: int | None   # the first epoch after which every training point was classified right
    history: training.History


def train(prob, width=64, epochs=EPOCHS, l2=0.0, dropout=0.0, patience=None, seed=0, lr=0.01):
    """Train the two-layer ReLU network on ``prob`` and measure it once on the test set.

    ``patience``: stop when the validation loss has not improved for that many epochs, and take back the
    weights of its best epoch (``training.Trainer``'s early stopping, on the validation part, never the test)."""
    if not isinstance(prob, Problem):
        raise ValueError(f"prob: expected an overfit.Problem (from overfit.problem()), got {type(prob).__name__}")
    width = valid.integer("width", width, low=1)
    net = nn.MLP([2, width, width, 1], hidden="relu", output="sigmoid", seed=seed, l2=l2)
    trainer = training.Trainer(net, prob.X, prob.y, prob.X_val, prob.y_val, optimizer=optim.adam(lr=lr),
                               batch_size=BATCH, dropout=dropout, seed=seed, patience=patience)
    history = trainer.fit(epochs)
    perfect = [int(e) for e, a in zip(history["epoch"], history["train_accuracy"]) if e > 0 and a == 1.0]
    test_accuracy = float(np.mean(trainer.predict(prob.X_test).ravel() == prob.y_test))
    return Run(trainer.evaluate()["train_accuracy"], test_accuracy, trainer.epoch,
               perfect[0] if perfect else None, history)

