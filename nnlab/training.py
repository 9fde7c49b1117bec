"""Training in practice: mini-batch training of an ``nn.MLP`` with any ``nnlab.optim`` optimiser.

Conventions (stated once):
- N training samples, batch size B. An **epoch** walks one fresh permutation of the training set in
  batches of B: ceil(N/B) iterations, or floor(N/B) with ``drop_last`` (the short last batch is
  dropped, never carried over into the next epoch). N = 50,000, B = 100: 500 iterations.
- An **iteration** is one update; **samples seen** adds up the batch sizes. The three are counted apart.
- Randomness is a function of the seed: epoch e draws its permutation, then its dropout masks in step
  order, from ``epoch_rng(seed, e) = default_rng([seed, e])``. A run is reproduced by its seed alone.
- The loss minimised on a batch is nn.MLP's: the data term averaged over the batch plus
  l2/2 sum W^2 + l1 sum |W| (weights only, never biases). The history's train and test losses are
  the data term alone, on the whole set, without dropout.
- Dropout (inverted): in training every hidden unit is kept with probability 1 - p and scaled by
  1/(1 - p); evaluation never drops.
- Standardisation: mean and standard deviation of the *training* inputs, applied to every input.
- Schedules count epochs (as torch's ``lr_scheduler.step()`` called once per epoch).
- A non-finite batch loss stops the run with ``diverged`` (an ``optim.Divergence``); never an exception.
- ``Trainer.run`` takes chunks of batches in compiled code (``_training_kernel``) when it covers the
  setup: the same arithmetic in loops, equal to the NumPy step to rounding.

The pieces are separate so that a PyTorch loop can use them too (lecture 6): ``steps_per_epoch``,
``epoch_order`` / ``batches``, ``History`` (bounded) and ``EarlyStopping`` (a pure NamedTuple rule).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import NamedTuple

import numpy as np

from . import _validate as valid
from . import data, nn, optim
from .optim import Divergence

# ------------------------------------------------------------------ epochs and batches


def steps_per_epoch(n, batch_size, drop_last=False):
    """Iterations in one epoch: ceil(N / B), or floor(N / B) with drop_last."""
    n = valid.integer("n", n, low=0)
    batch_size = valid.integer("batch_size", batch_size, low=1)
    return n // batch_size if drop_last else -(-n // batch_size)


def epoch_rng(seed, epoch):
    """The generator of epoch ``epoch`` (0, 1, ...): its permutation first, then its dropout masks."""
    return np.random.default_rng([valid.integer("seed", seed, low=0), valid.integer("epoch", epoch, low=0)])


def epoch_order(seed, epoch, n):
    """The permutation of range(n) that epoch ``epoch`` walks (what a seeded DataLoader sampler yields)."""
    return epoch_rng(seed, epoch).permutation(valid.integer("n", n, low=0))


def batches(order, batch_size, drop_last=False):
    """Cut an order of sample indices into consecutive batches of ``batch_size``."""
    order = np.asarray(order)
    return [order[i * batch_size:(i + 1) * batch_size] for i in range(steps_per_epoch(len(order), batch_size,
                                                                                          drop_last))]


def dropout_masks(rng, widths, rows, p):
    """One mask per hidden layer of the given widths: 0 with probability p, else 1/(1 - p)."""
    return None if p == 0 else [(rng.random((rows, w)) >= p) / (1.0 - p) for w in widths]


# ------------------------------------------------------------------ input features and scaling

class Standardizer(NamedTuple):
    """x -> (x - mean) / std, with mean and std (ddof 0) of the training inputs; std 0 counts as 1."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, X):
        X = valid.as_array("X", X, ndim=2)
        std = X.std(axis=0)
        return cls(X.mean(axis=0), np.where(std > 0, std, 1.0))

    def __call__(self, X):
        return (np.asarray(X, float) - self.mean) / self.std


# ------------------------------------------------------------------ history and early stopping


class History:
    """A bounded table of numbers per epoch (any columns): exact for the first ``capacity`` rows, then
    thinned: when full, only every other row is kept and from then on every 2nd (4th, ...) epoch is
    recorded, so a curve over any run length has at most ``capacity`` points, spread evenly."""

    def __init__(self, capacity=1000):
        self.capacity = valid.integer("capacity", capacity, low=2)
        self.stride, self.rows = 1, []

    def append(self, epoch, **values):
        """Record the values of epoch ``epoch`` (kept if epoch is a multiple of the current stride)."""
        if epoch % self.stride:
            return
        self.rows.append(dict(epoch=epoch, **values))
        if len(self.rows) > self.capacity:
            self.stride *= 2
            self.rows = [r for r in self.rows if r["epoch"] % self.stride == 0]

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, column):
        """One column as an array (nan where a row lacks it)."""
        return np.array([r.get(column, np.nan) for r in self.rows], dtype=float)

    def __repr__(self):
        cols = list(self.rows[-1]) if self.rows else []
        return f"History({len(self)} rows, every {self.stride} epoch(s), columns {cols})"


class EarlyStopping(NamedTuple):
    """Stop when the monitored loss has not improved (by more than ``min_delta``) for ``patience`` epochs.

    es = EarlyStopping(patience=5)
    for epoch in ...:   es = es.update(epoch, val_loss); if es.improved: keep the weights; if es.stop: break
    """

    patience: int
    min_delta: float = 0.0
    best: float = math.inf
    best_epoch: int = -1
    wait: int = 0
    epoch: int = -1

    def update(self, epoch, loss):
        """The rule after one more epoch with validation loss ``loss``."""
        if loss < self.best - self.min_delta:
            return self._replace(best=float(loss), best_epoch=epoch, wait=0, epoch=epoch)
        return self._replace(wait=self.wait + 1, epoch=epoch)

    @property
    def improved(self):
        return self.epoch >= 0 and self.best_epoch == self.epoch

    @property
    def stop(self):
        return self.wait >= self.patience


def early_stopping(patience, min_delta=0.0):
    """A fresh EarlyStopping rule, with its arguments checked."""
    return EarlyStopping(valid.integer("patience", patience, low=1),
                         valid.real("min_delta", min_delta, low=0.0))


# ------------------------------------------------------------------ the trainer


def _labels(net, Y):
    """Class labels for accuracy, or None for regression."""
    if net.output in ("softmax", "sigmoid"):
        return np.argmax(Y, axis=1) if net.output == "softmax" else Y[:, 0].astype(int)
    return (Y[:, 0] > 0).astype(int) if net.output == "tanh" and np.all(np.isin(Y, (-1, 1))) else None


class Trainer:
    """Mini-batch training of ``net`` (trained in place) on (X, y), steppable by batch, epoch or n steps.

    X, X_test: raw inputs (``features`` names turn 2-D points into the network's inputs; ``standardize``
    scales them with the training statistics). ``optimizer``: any nnlab.optim optimiser (default SGD, lr
    0.1). ``patience``: early stopping on the test loss (the training loss without a test set); with
    ``restore_best`` the best weights come back when it stops. ``record=False``: no evaluation at epoch
    ends (no history, no early stopping), for loops that only need the batch losses (``nn.MLP.fit``).
    ``compiled=False``: ``run`` takes NumPy steps only (see ``_training_kernel``).
    """

    def __init__(self, net, X, y, X_test=None, y_test=None, *, optimizer=None, batch_size=10, drop_last=False,
                 shuffle=True, dropout=0.0, standardize=False, features=None, seed=0, patience=None,
                 min_delta=0.0, restore_best=True, capacity=1000, record=True, compiled=True):
        if not isinstance(net, nn.MLP):
            raise ValueError(f"net: expected an nnlab.nn.MLP, got {type(net).__name__}")
        self.net, self.features = net, None if features is None else tuple(features)
        X = self._raw_inputs("X", X)
        self.scaler = Standardizer.fit(X) if standardize else None
        self.X = net._check_X(self._scaled(X))
        self.Y = net._check_Y(y, len(self.X))
        if X_test is None or y_test is None or len(X_test) == 0:
            self.X_test = self.Y_test = None
        else:
            self.X_test = net._check_X(self._scaled(self._raw_inputs("X_test", X_test)))
            self.Y_test = net._check_Y(y_test, len(self.X_test))
        self.batch_size = valid.integer("batch_size", batch_size, low=1)
        self.drop_last, self.shuffle = bool(drop_last), bool(shuffle)
        self.steps_per_epoch = steps_per_epoch(len(self.X), self.batch_size, self.drop_last)
        if self.steps_per_epoch == 0:
            raise ValueError(f"batch_size: expected at most {len(self.X)} (the training set) with drop_last, "
                             f"got {batch_size}")
        self.dropout = valid.real("dropout", dropout, low=0.0, high=0.95)
        self.seed = valid.integer("seed", seed, low=0)
        self.optimizer = optim.sgd(lr=0.1) if optimizer is None else optimizer
        if not isinstance(self.optimizer, optim.Optimizer):
            raise ValueError(f"optimizer: expected an nnlab.optim optimiser such as optim.adam(lr=0.01), "
                             f"got {type(optimizer).__name__}")
        self.opt_state = self.optimizer.init(self._flat())
        self.rule = None if patience is None else early_stopping(patience, min_delta)
        self.restore_best, self.best_params = bool(restore_best), None
        self.history = History(capacity)
        self.iteration = self.epoch = self.samples_seen = 0
        self.diverged, self.stopped = None, None
        self.last_loss, self.last_batch, self.last_masks, self.last_grads = math.nan, None, None, None
        self._queue, self._rng, self._epoch_losses, self.record = [], None, [], bool(record)
        self.compiled = bool(compiled)
        self.evaluation = self.evaluate() if record else {}
        if record:
            self.history.append(0, iteration=0, samples=0, lr=self.lr, **self.evaluation)

    # -- inputs
    def _raw_inputs(self, name, X):
        if self.features is None:
            return valid.as_array(name, X, ndim=2)
        try:
            return data.features(X, self.features)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None

    def _scaled(self, X):
        return X if self.scaler is None else self.scaler(X)

    def inputs(self, X):
        """The network's inputs for raw points X (features, then the training set's standardisation)."""
        return self._scaled(self._raw_inputs("X", X))

    def output(self, X):
        """The network's output A_L for raw points X (no dropout): the decision region's values."""
        return self.net.forward(self.inputs(X))

    def predict(self, X):
        return self.net.predict(self.inputs(X))

    # -- learning rate
    @property
    def lr(self):
        """The learning rate the next update will use."""
        lr = self.optimizer.hyper["lr"]
        return float(lr(self.opt_state.step)) if callable(lr) else lr

    @lr.setter
    def lr(self, lr):   # a number, or a schedule of the update count: effective at the next update
        self.optimizer = optim.with_lr(self.optimizer, lr if callable(lr) else valid.real("lr", lr, low=0.0))

    # -- parameters as the flat list the optimisers take
    def _flat(self):
        return [a for layer in self.net.params for a in layer]

    def _unflat(self, flat):
        self.net.params = [(flat[2 * i], flat[2 * i + 1]) for i in range(len(self.net.params))]

    # -- evaluation
    def _measure(self, X, Y):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            fw = nn._forward_layers(self.net.params, X, self.net.activations())
            loss = self.net._data_loss(fw, Y)
            labels = _labels(self.net, Y)
            acc = math.nan if labels is None else float(np.mean(nn.predicted_class(fw.A[-1], self.net.output)
                                                                 == labels))
        return loss, acc

    def evaluate(self):
        """Data loss and accuracy on the training and test sets now (no dropout)."""
        train_loss, train_acc = self._measure(self.X, self.Y)
        out = dict(train_loss=train_loss, train_accuracy=train_acc)
        if self.X_test is not None:
            out["test_loss"], out["test_accuracy"] = self._measure(self.X_test, self.Y_test)
        return out

    # -- training
    @property
    def grad_norm(self):
        """|grad| of the last update's loss (all weights and biases, penalty included); nan before any."""
        return math.nan if self.last_grads is None else float(np.sqrt(sum(np.vdot(g, g) for g in self.last_grads)))

    @property
    def done(self):
        """True once the run has diverged or stopped early: further steps do nothing."""
        return self.diverged is not None or self.stopped is not None

    def _next_batches(self):
        """The batches left in this epoch, next last (a new epoch's when none are left)."""
        if not self._queue:
            self._rng = epoch_rng(self.seed, self.epoch)
            order = self._rng.permutation(len(self.X)) if self.shuffle else np.arange(len(self.X))
            self._queue = batches(order, self.batch_size, self.drop_last)[::-1]
        return self._queue

    def step(self):
        """One iteration: one batch forward and backward, one update. False if the run is done."""
        return self.run(1) == 1

    def _numpy_step(self):
        idx = self._next_batches().pop()
        Xb, Yb = self.X[idx], self.Y[idx]
        masks = dropout_masks(self._rng, self.net.sizes[1:-1], len(idx), self.dropout)
        net = self.net
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            fw = nn._forward_layers(net.params, Xb, net.activations(), masks=masks)
            loss = net._data_loss(fw, Yb) + net.penalty()
            if not np.isfinite(loss):
                self.diverged = Divergence(self.iteration, f"loss is {loss}", unit="iteration")
                return False
            grads = [g for layer in net.backward(fw, Yb, masks) for g in layer]
            flat, self.opt_state = self.optimizer.update(grads, self.opt_state, self._flat())
        self._unflat(flat)
        self.last_grads = grads
        self._took([idx], [loss], masks)
        return True

    def _took(self, chunk, losses, masks=None):
        """Count the updates made with the batches of ``chunk`` and their losses; the epoch ends after its last."""
        self.iteration += len(chunk)
        self.samples_seen += sum(len(b) for b in chunk)
        self.last_loss, self.last_batch, self.last_masks = float(losses[-1]), chunk[-1], masks
        if self.record:
            self._epoch_losses.extend(float(x) for x in losses)
        if not self._queue:
            self._end_epoch()

    def _end_epoch(self):
        self.epoch += 1
        if not self.record:
            return
        self.evaluation = self.evaluate()
        running = float(np.mean(self._epoch_losses))
        self._epoch_losses = []
        self.history.append(self.epoch, iteration=self.iteration, samples=self.samples_seen, lr=self.lr,
                            loss=running, **self.evaluation)
        if self.rule is None:
            return
        monitored = self.evaluation.get("test_loss", self.evaluation["train_loss"])
        self.rule = self.rule.update(self.epoch, monitored)
        if self.rule.improved:
            self.best_params = [(W.copy(), b.copy()) for W, b in self.net.params]
        if self.rule.stop:
            which = "test" if self.X_test is not None else "training"
            self.stopped = (f"stopped early at epoch {self.epoch}: the {which} loss has not improved for "
                            f"{self.rule.wait} epochs; best {self.rule.best:.4g} at epoch {self.rule.best_epoch}")
            if self.restore_best and self.best_params is not None:
                self.net.params = [(W.copy(), b.copy()) for W, b in self.best_params]

    def run(self, steps):
        """Up to ``steps`` iterations (fewer if the run diverges or stops); returns how many were taken.
        Batches go in chunks to the compiled steps of ``_training_kernel`` when they cover the setup."""
        steps = valid.integer("steps", steps, low=0)
        kernel = None
        if self.compiled:  # numba loads only where something is compiled (``compiled=False`` keeps it out)
            from . import _training_kernel as kernel
        taken = 0
        while taken < steps and not self.done:
            if kernel is not None and kernel.covers(self):
                taken += self._run_compiled(steps - taken)
            elif self._numpy_step():
                taken += 1
        return taken

    def _run_compiled(self, steps):
        from . import _training_kernel

        queue = self._next_batches()
        chunk = queue[::-1][:steps]
        params, self.opt_state, losses, self.last_grads = _training_kernel.run(self, chunk)
        self._unflat(params)
        taken = int(np.sum(np.isfinite(losses)))
        if taken < len(losses):
            self.diverged = Divergence(self.iteration + taken, f"loss is {losses[-1]}", unit="iteration")
        if taken:
            del queue[len(queue) - taken:]
            self._took(chunk[:taken], losses[:taken])
        return taken

    def run_epoch(self):
        """The rest of the current epoch (a whole epoch when called between epochs)."""
        start = self.epoch
        self.run(len(self._queue) or self.steps_per_epoch)
        return self.epoch > start

    def fit(self, epochs):
        """Up to ``epochs`` more epochs; returns the history."""
        for _ in range(valid.integer("epochs", epochs, low=0)):
            if not self.run_epoch():
                break
        return self.history

    def status(self):
        """One line for a readout: epoch, iteration, samples seen, losses, and why the run ended if it did."""
        losses = "".join(f", {k[:-5]} loss {v:.4g}" for k, v in self.evaluation.items() if k.endswith("_loss"))
        return (f"epoch {self.epoch}, iteration {self.iteration}, {self.samples_seen} samples seen{losses}"
                + "".join(f"; {m}" for m in (self.diverged, self.stopped) if m))


def warm_up():
    """Prepare the compiled steps ahead of the first run (an explorer may call this in a thread)."""
    from . import _training_kernel
    _training_kernel.warm_up()


# ------------------------------------------------------------------ the whole setup as one plain config

SCHEDULES = {"step": optim.step_lr, "exponential": optim.exponential_lr, "cosine": optim.cosine_lr}
INITS = {"zeros": ("zeros", None), "uniform 0.5": ("uniform", 0.5), "uniform 0.7": ("uniform", 0.7),
         "xavier": ("xavier", None), "he": ("he", None)}      # lecture 7's names: the variances, drawn normal


def epoch_schedule(lr, schedule, steps):
    """lr as a function of the update count t for a schedule counted in epochs of ``steps`` updates:
    schedule = None, ("step", step_size, gamma), ("exponential", gamma) or ("cosine", T_max)."""
    if schedule is None:
        return lr
    if isinstance(schedule, str) or not schedule or schedule[0] not in SCHEDULES:
        raise ValueError(f"schedule: expected None, ('step', step_size, gamma), ('exponential', gamma) or "
                         f"('cosine', T_max), got {schedule!r}")
    per_epoch = SCHEDULES[schedule[0]](lr, *schedule[1:])
    return lambda t: per_epoch(t // steps)


@dataclass(frozen=True)
class TrainingConfig:
    """Everything a run depends on, seed included: print it, save it, pass it back (``TrainingConfig(**d)``).

    Data: ``dataset`` from nnlab.data (n points, noise, classes for spirals), a seeded split with
    ``test_share`` held out. Network: ``features`` -> ``hidden`` widths (activation) -> one sigmoid unit
    (BCE) for two classes, softmax (cross-entropy) for more, or the anchor's tanh with squared error on
    targets -1/+1. Training: the rest as in ``Trainer``; ``init`` is one of INITS.
    """

    dataset: str = "circle"
    n: int = 500
    noise: float = 0.1
    classes: int = 2
    test_share: float = 0.5
    features: tuple = ("x1", "x2")
    hidden: tuple = (8, 8)
    activation: str = "tanh"
    output: str = "sigmoid"
    init: str = "xavier"
    optimizer: str = "adam"
    lr: float = 0.03
    momentum: float = 0.9
    schedule: tuple | None = None
    batch_size: int = 10
    drop_last: bool = False
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    standardize: bool = True
    patience: int | None = None
    seed: int = 0

    asdict, replace = asdict, replace   # config.asdict(), config.replace(lr=0.1)

    def data(self):
        """(X_train, y_train, X_test, y_test): the dataset drawn with the seed, split with the seed."""
        name = valid.choice("dataset", self.dataset, tuple(data.DATASETS))
        kwargs = dict(n=self.n, seed=self.seed)
        if name != "blobs":
            kwargs["noise"] = self.noise
        if name == "spirals":
            kwargs["classes"] = self.classes
        X, y = data.make(name, **kwargs)
        share = valid.real("test_share", self.test_share, low=0.0, high=0.9)
        order = np.random.default_rng([self.seed]).permutation(len(X))
        k = round(share * len(X))
        test, train = order[:k], order[k:]
        return X[train], y[train], X[test], y[test]

    def build(self, X=None, y=None, X_test=None, y_test=None):
        """The Trainer of this setup: on the config's dataset, or on your own data (X, y[, X_test, y_test])."""
        if X is None:
            X, y, X_test, y_test = self.data()
        y = np.asarray(y)
        K = int(y.max()) + 1 if y.size else 2
        output = valid.choice("output", self.output, ("sigmoid", "softmax", "tanh"))
        if K > 2 and output != "softmax":
            raise ValueError(f"output: {K} classes need 'softmax', got {self.output!r}")
        if output == "tanh":       # the anchor's squared error on targets -1/+1
            y = 2.0 * y - 1.0
            y_test = None if y_test is None else 2.0 * np.asarray(y_test) - 1.0
        init, scale = INITS[valid.choice("init", self.init, tuple(INITS))]
        hidden = [valid.integer(f"hidden[{i}]", h, low=1) for i, h in enumerate(self.hidden)]
        net = nn.MLP([len(self.features), *hidden, K if output == "softmax" else 1], hidden=self.activation,
                     output=output, init=init, init_scale=scale, seed=self.seed, l1=self.l1, l2=self.l2)
        n_train = len(X)
        steps = steps_per_epoch(n_train, self.batch_size, self.drop_last) or 1
        opt = optim.make(self.optimizer, valid.real("lr", self.lr, low=0.0), self.momentum)
        opt = optim.with_lr(opt, epoch_schedule(self.lr, self.schedule, steps))
        return Trainer(net, X, y, X_test, y_test, optimizer=opt, batch_size=self.batch_size,
                       drop_last=self.drop_last, dropout=self.dropout, standardize=self.standardize,
                       features=self.features, seed=self.seed, patience=self.patience)
