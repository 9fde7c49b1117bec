"""Checks for lecture 5's exercise: a PyTorch data loader, training epoch and evaluation.

The student's functions take PyTorch objects, which cannot cross the grading sandbox's wire, so each
check has its own ``run``: it builds the objects from the plain case data inside the sandbox, calls the
student's function and records plain facts (the order of the examples, the weights after the epoch,
whether a forward pass ran in training mode or with autograd on). The judge replays the right loop,
and the loops of the known slips, with PyTorch on the trusted side and names the one that matches.

Conventions of the exercise: binary classification, a model that returns logits of shape (B, 1),
``loss_fn = torch.nn.BCEWithLogitsLoss()`` (the mean over the batch), labels of shape (B, 1) in
{0, 1}; an epoch's loss is the mean over its examples (a batch's mean weighted by its size).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from .harness import RAISED, WRONG, Case, Outcome, Problem, StudentError, call, plain
from .registry import as_array, describe_difference, diagnose, parts, register, returned, run_check


def _torch():
    try:
        import torch
    except ImportError:
        raise StudentError("this exercise needs PyTorch: run the notebook's first cell (import torch)",
                           RAISED) from None
    return torch


def _run_each(build, f, cases, forbid=None, time_limit=10.0):
    """For each case: ``build(torch, case)`` -> (args, read); call ``f(*args)`` and ``read`` its result
    -> (plain value, record), both under the time limit (reading may iterate over the student's loader)."""
    outcomes = []
    for case in cases:
        try:
            torch = _torch()
            torch.set_grad_enabled(True)  # torch's default, whatever state the notebook's cells left behind
            args, read = build(torch, case)
            (value, record), warns, _ = call(lambda *a: read(f(*a)), *args, time_limit=time_limit,
                                             forbid=forbid)
        except StudentError as exc:
            outcomes.append(Outcome(error=str(exc), kind=exc.kind))
            continue
        outcomes.append(Outcome(value, None, warns, [], record))
    return outcomes


def _numbers(out):
    """The student's return value with tensors as arrays (a loss returned as a tensor is fine)."""
    if isinstance(out, (tuple, list)):
        return [_numbers(o) for o in out]
    if hasattr(out, "detach") and hasattr(out, "numpy"):
        return out.detach().cpu().numpy()
    return out


# ---------------------------------------------------------------- (a) a loader that reshuffles
EPOCHS = 3


def _loader_cases(rng):
    return [Case(f"{n} examples in batches of {b}", (n, b, int(rng.integers(2**31)))) for n, b in [(64, 16), (50, 8),
                                                                                             (10, 4)]]


def _loader_build(torch, case):
    """X's first column is each example's index plus an offset drawn from the case's seed (a loader over
    other data shows examples that do not exist), y = (index is odd): the record shows which examples came,
    in which order and batches, and whether each label still belongs to its example."""
    n, _, seed = case.args
    g = np.random.default_rng(seed)
    offset = int(g.integers(1, 10**6))
    X = torch.tensor(np.column_stack([np.arange(n) + offset, g.normal(size=n)]))
    y = torch.tensor((np.arange(n) % 2).reshape(-1, 1), dtype=torch.float64)

    def read(loader):
        try:
            epochs = []
            for _ in range(EPOCHS):
                order, sizes, paired = [], [], True
                for batch in loader:
                    Xb, yb = batch
                    idx = np.asarray(Xb[:, 0].detach().cpu().numpy(), dtype=float) - offset
                    order.extend(idx.tolist())
                    sizes.append(len(idx))
                    paired &= bool(np.array_equal(np.asarray(yb.detach().cpu().numpy()).reshape(-1), idx % 2))
                    if len(order) > 10 * n:
                        break
                epochs.append([np.array(order), np.array(sizes), np.array(paired)])
        except Exception as exc:  # a student's object that cannot be iterated as (X_batch, y_batch)
            raise StudentError(f"iterating over what make_loader returned raised {type(exc).__name__}: {exc} "
                               "(expected a DataLoader that yields (X_batch, y_batch) pairs)") from None
        return epochs, {}

    return (X, y, case.args[1]), read


_run_loaders = partial(_run_each, _loader_build)


def _loader_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        n, b, _ = case.args
        try:
            epochs = returned(outcomes, k)
            if not isinstance(epochs, list) or len(epochs) != EPOCHS:
                raise StudentError("make_loader should return a DataLoader over (X, y)")
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        orders = [np.asarray(e[0]) for e in epochs]
        sizes = [np.asarray(e[1]).tolist() for e in epochs]
        want = [b] * (n // b) + ([n % b] if n % b else [])
        text = None
        if len(orders[0]) and any(len(o) == 0 for o in orders[1:]):
            text = "what make_loader returned could be iterated only once (a generator?): return a DataLoader, " \
                   "which starts afresh every epoch"
        elif not all(bool(e[2]) for e in epochs):
            text = "labels no longer match their examples: shuffle the pairs together (the DataLoader " \
                   "of a TensorDataset(X, y) does), not X and y separately"
        elif all(len(o) == n - n % b for o in orders) and n % b and all(s == want[:-1] for s in sizes):
            text = f"each epoch leaves out the last {n % b} examples (drop_last=True): this exercise keeps " \
                   "the partial batch at the end"
        elif any(s != want for s in sizes) and all(s == [1] * n for s in sizes):
            text = f"batches of one example: pass batch_size={b} to the DataLoader"
        elif any(s != want for s in sizes):
            e, got = next((e, s) for e, s in enumerate(sizes) if s != want)
            text = f"batch sizes {got[:6]}{'...' if len(got) > 6 else ''} in epoch {e + 1}, expected {want[:6]}" \
                   f"{'...' if len(want) > 6 else ''} (batch_size={b}, the last batch holds what is left)"
        elif any(sorted(o.tolist()) != list(range(n)) for o in orders):
            counts = np.bincount(orders[0].astype(int), minlength=n)
            text = f"an epoch should visit every example exactly once, but example {int(np.argmax(counts))} " \
                   f"came {int(counts.max())} times and {int((counts == 0).sum())} never came: sample without " \
                   "replacement (shuffle=True)"
        elif all(np.array_equal(o, np.arange(n)) for o in orders):
            text = "the examples come in their stored order: shuffle them (shuffle=True), or every epoch sees " \
                   "the same sequence of batches"
        elif all(np.array_equal(o, orders[0]) for o in orders):
            text = "the order is shuffled once and then the same every epoch: reshuffle at each epoch " \
                   "(DataLoader(..., shuffle=True) does it for you)"
        elif len(want) > 1 and all(_batch_sets(o, want) == _batch_sets(orders[0], want) for o in orders):
            text = "the same batches come every epoch, only in another order: shuffle the examples, not the " \
                   "batches, so that each epoch's batches mix the examples anew (DataLoader(..., shuffle=True))"
        if text:
            problems.append(Problem(case.label, WRONG, text))
    return problems


def _batch_sets(order, sizes):
    """An epoch's batches as a set of sets of example indices."""
    ends = np.cumsum(sizes)
    return {frozenset(order[e - s:e].tolist()) for s, e in zip(sizes, ends)}


register("make_loader", "a data loader that reshuffles", _loader_cases, _loader_judge, run=_run_loaders,
         libraries=("torch",))


def make_loader(f, strict=False, points=1, time_limit=None):
    """f(X, y, batch_size) -> a DataLoader over the pairs, reshuffled every epoch, keeping the last
    partial batch."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("make_loader", f, strict, points, time_limit)


# ---------------------------------------------------------------- shared: the model and the data
DROPOUT = 0.25  # both networks have a dropout layer: training mode shows in the weights and losses it causes


def _problem(seed, n, hidden=6, dropout=DROPOUT):
    """Plain data: initial weights (Linear(2, h), Linear(h, 1)), inputs, labels, and the dropout rate."""
    g = np.random.default_rng(seed)
    W1, b1 = g.normal(0, 0.8, (hidden, 2)), g.normal(0, 0.3, hidden)
    W2, b2 = g.normal(0, 0.8, (1, hidden)), g.normal(0, 0.3, 1)
    X = g.normal(size=(n, 2))
    y = ((X[:, 0] * X[:, 1] > 0) ^ (g.random(n) < 0.1)).astype(float).reshape(-1, 1)
    return [W1, b1, W2, b2], X, y, dropout


def _model(torch, weights, dropout, seen=None):
    """A real ``torch.nn.Sequential``: Linear, Tanh, Dropout, Linear. With ``seen`` (a list), the output layer
    appends, on every forward pass, whether autograd recorded it (the output's ``grad_fn``): the effect of
    ``no_grad``, whatever flags the student's code has changed."""
    layers = [torch.nn.Linear(2, len(weights[1])), torch.nn.Tanh()]
    if dropout:
        layers.append(torch.nn.Dropout(dropout))
    last = _recording_linear(torch)(len(weights[1]), 1, seen)
    model = torch.nn.Sequential(*layers, last).double()
    linear = [m for m in model if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for m, (W, b) in zip(linear, (weights[:2], weights[2:])):
            m.weight.copy_(torch.tensor(W))
            m.bias.copy_(torch.tensor(b))
    return model


def _recording_linear(torch):
    class Linear(torch.nn.Linear):
        def __init__(self, fan_in, fan_out, seen):
            super().__init__(fan_in, fan_out)
            self._seen = seen

        def forward(self, x):
            out = super().forward(x)
            if self._seen is not None and len(self._seen) < 10_000:
                self._seen.append(out.grad_fn is not None)
            return out

    return Linear


def _loader(torch, X, y, size):
    """A real DataLoader over a TensorDataset, in order, with its own generator (iterating it draws nothing
    from torch's global generator, which the dropout masks use)."""
    from torch.utils.data import DataLoader, TensorDataset

    return DataLoader(TensorDataset(torch.tensor(X), torch.tensor(y)), batch_size=size, shuffle=False,
                      generator=torch.Generator().manual_seed(0))


def _weights(model):
    return np.concatenate([p.detach().cpu().numpy().ravel() for p in model.parameters()])


def _recording_sgd(torch):
    class SGD(torch.optim.SGD):
        """torch.optim.SGD that keeps the weights after every step (what the judge replays step by step)."""

        def __init__(self, model, lr):
            super().__init__(model.parameters(), lr=lr, momentum=0.5)
            self._model, self._after = model, []

        def step(self, closure=None):
            out = super().step(closure)
            if len(self._after) < 1000:
                self._after.append(_weights(self._model))
            return out

    return SGD


# ---------------------------------------------------------------- (b) one training epoch
def _epoch_cases(rng):
    return [Case(f"{n} examples in batches of {b} (lr {lr:g})", (int(rng.integers(2**31)), n, b, lr))
            for n, b, lr in [(40, 8, 0.1), (50, 16, 0.3), (30, 7, 0.2)]]


def _epoch_build(torch, case):
    seed, n, size, lr = case.args
    weights, X, y, dropout = _problem(seed, n)
    model = _model(torch, weights, dropout)
    model.eval()  # as after an evaluation: the student's epoch must switch to training mode
    optimizer = _recording_sgd(torch)(model, lr)
    torch.manual_seed(seed)  # the dropout masks, replayed by the judge

    def read(out):
        steps = np.array(optimizer._after) if optimizer._after else np.zeros((0, len(_weights(model))))
        return plain(_numbers(out)), {"weights": _weights(model), "steps": steps}

    return (model, _loader(torch, X, y, size), optimizer, torch.nn.BCEWithLogitsLoss()), read


_run_epochs = partial(_run_each, _epoch_build)


def _replay(case, slip=None):
    """The weights after every step and at the end, the epoch loss the exercise asks for, by the right loop or by the
    loop with a known ``slip``; also (mean of batch means, sum of batch means, last batch's loss)."""
    import torch

    seed, n, size, lr = case.args
    weights, X, y, dropout = _problem(seed, n)
    model = _model(torch, weights, dropout)
    model.train(slip != "eval mode")
    optimizer = _recording_sgd(torch)(model, lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    torch.manual_seed(seed)
    losses, counts = [], []
    for Xb, yb in _loader(torch, X, y, size):
        if slip not in ("no zero_grad", "zero_grad after backward"):
            optimizer.zero_grad()
        if slip == "step before backward":
            optimizer.step()
        loss = loss_fn(model(Xb), yb)
        loss.backward()
        if slip == "zero_grad after backward":
            optimizer.zero_grad()
        if slip not in ("step before backward", "no step"):
            optimizer.step()
        losses.append(loss.item())
        counts.append(len(Xb))
    losses, counts = np.array(losses), np.array(counts)
    epoch = float(losses @ counts / counts.sum())
    steps = np.array(optimizer._after) if optimizer._after else np.zeros((0, len(_weights(model))))
    return steps, _weights(model), epoch, (float(losses.mean()), float(losses.sum()), float(losses[-1]))


EPOCH_SLIPS = [
    ("eval mode", "the model was in evaluation mode while it trained (it came from an evaluation), so dropout "
                  "was off: call model.train() at the start of the epoch"),
    ("no zero_grad", "the gradients were never zeroed: backward() adds to .grad, so each step used the sum of "
                     "all the batches' gradients so far; call optimizer.zero_grad() before loss.backward()"),
    ("no step", "the weights never changed: the order per batch is optimizer.zero_grad(), the forward pass "
                "and the loss, loss.backward(), then optimizer.step() (a step missing, or placed before "
                "backward() or after a zero_grad(), has no gradient to apply)"),
]


def _epoch_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        try:
            loss = float(as_array("the epoch's loss", returned(outcomes, k), ()))
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        record = outcomes[k].record
        mine = np.asarray(record.get("weights", []), dtype=float)
        steps = np.asarray(record.get("steps", []), dtype=float)
        want, final, epoch, (mean_of_means, summed, last) = _replay(case)
        text = None
        if mine.shape != final.shape or not np.allclose(mine, final, rtol=1e-10, atol=1e-12):
            text = diagnose(mine, [(message, _replay(case, slip)[1]) for slip, message in EPOCH_SLIPS])
            if text is None and steps.ndim == 2 and len(steps) != len(want):
                text = f"optimizer.step() ran {len(steps)} times for {len(want)} batches: step once per batch"
            if text is None and steps.shape == want.shape:
                first = next((i for i in range(len(want)) if not np.allclose(steps[i], want[i], rtol=1e-10,
                                                                            atol=1e-12)), None)
                text = None if first is None else \
                    describe_difference(steps[first], want[first], f"the weights after step {first + 1}",
                                        "the right loop") + (f"; steps 1 to {first} are right" if first else "")
            text = text or describe_difference(mine, final, "the weights after the epoch", "the right loop")
        elif not np.isclose(loss, epoch, rtol=1e-10, atol=1e-12):
            text = diagnose(loss, [
                ("the epoch's loss is the mean of the batch means: the last batch is smaller, so weight "
                 "each batch's mean by its size (loss.item() * len(X_batch), then divide by N)", mean_of_means),
                ("the epoch's loss is the sum of the batch means: average it over the examples", summed),
                ("that is the last batch's loss, not the epoch's", last)], rtol=1e-10) or \
                describe_difference(loss, epoch, "the epoch's loss", "the right loop")
        if text:
            problems.append(Problem(case.label, WRONG, text))
    return problems


register("train_epoch", "one training epoch", _epoch_cases, _epoch_judge, run=_run_epochs, libraries=("torch",))


def train_epoch(f, strict=False, points=1, time_limit=None):
    """f(model, loader, optimizer, loss_fn) -> the epoch's mean loss, after one pass of zero_grad, forward,
    loss, backward and step per batch, in training mode. ``loader`` is a real DataLoader (``len(loader.dataset)``
    is the number of examples), ``model`` a real ``torch.nn.Sequential`` with a dropout layer."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("train_epoch", f, strict, points, time_limit)


# ---------------------------------------------------------------- (c) evaluation
def _eval_cases(rng):
    return [Case(f"{n} examples in batches of {b}", (int(rng.integers(2**31)), n, b)) for n, b in [(40, 16),
                                                                                                   (25, 10)]]


def _eval_build(torch, case):
    seed, n, size = case.args
    weights, X, y, dropout = _problem(seed, n)
    seen = []
    model = _model(torch, weights, dropout, seen)
    model.train()  # as after a training epoch: the student's evaluation must switch dropout off
    torch.manual_seed(seed)  # the dropout masks, should the student's code leave dropout on

    def read(out):
        return plain(_numbers(out)), {"recorded": np.array(seen, dtype=bool)}

    return (model, _loader(torch, X, y, size), torch.nn.BCEWithLogitsLoss()), read


_run_evals = partial(_run_each, _eval_build)


def _eval_reference(case, training=False):
    """(mean loss, accuracy) over all examples (in evaluation mode, or with dropout on as seeded for the
    student's call), and the per-batch figures."""
    import torch

    seed, n, size = case.args
    weights, X, y, dropout = _problem(seed, n)
    model = _model(torch, weights, dropout).train(training)
    torch.manual_seed(seed)
    with torch.no_grad():
        batches = [(model(Xb), yb) for Xb, yb in _loader(torch, X, y, size)]
        losses = np.array([float(torch.nn.functional.binary_cross_entropy_with_logits(z, t)) for z, t in batches])
        right = np.array([float(((z > 0).double() == t).sum()) for z, t in batches])
        half = np.array([float(((z > 0.5).double() == t).sum()) for z, t in batches])
    counts = np.array([len(t) for _, t in batches])
    return losses @ counts / n, right.sum() / n, losses, right, half, counts


def _eval_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        n = case.args[1]
        try:
            out = parts(returned(outcomes, k), 2, "(mean loss, accuracy) as a tuple")
            out = [o.astype(float) if isinstance(o, np.ndarray) and o.dtype.kind in "iub" else o
                   for o in out]  # a whole number is a fine answer here (a count is diagnosed below)
            mine = np.array([as_array(name, o, ()) for name, o in zip(("the loss", "the accuracy"), out)])
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        recorded = np.asarray(outcomes[k].record.get("recorded", []), dtype=bool)
        loss, accuracy, losses, right, half, counts = _eval_reference(case)
        text = None
        # an accuracy is a count over n: one computed in float32 (``.float().mean()``) is as right as k / n
        if not (np.isclose(mine[0], loss, rtol=1e-10, atol=1e-12) and abs(mine[1] - accuracy) <= 1e-6):
            text = diagnose(tuple(mine), [
                ("dropout was on during the evaluation (the model was still in training mode): call "
                 "model.eval() first, so every unit takes part and the result does not change from run to run",
                 _eval_reference(case, training=True)[:2]),
                ("the loss is the mean of the batch means: the last batch is smaller, so weight each batch's "
                 "mean by its size", (losses.mean(), None)),
                ("the loss is summed over the batches: divide by the number of examples",
                 ((losses * counts).sum(), None)),
                ("the accuracy is a count: divide the number of right answers by the number of examples",
                 (None, right.sum())),
                ("the accuracy thresholds the logits at 0.5: the model returns logits, and a logit above 0 "
                 "means a probability above 0.5", (None, half.sum() / n)),
                ("the accuracy is the mean of the batch accuracies: weight each batch by its size",
                 (None, (right / counts).mean()))], rtol=1e-10) or \
                describe_difference(tuple(mine), (loss, accuracy), ("loss", "accuracy"), "the reference")
        elif not len(recorded):
            text = "the model was never called on the loader's batches: evaluate model(X_batch) for every batch"
        elif recorded.any():
            text = "autograd recorded the evaluation's graph: wrap the loop in `with torch.no_grad():` (nothing " \
                   "is trained here, and the graph costs memory and time)"
        if text:
            problems.append(Problem(case.label, WRONG, text))
    return problems


register("evaluate", "evaluation without dropout or autograd", _eval_cases, _eval_judge, run=_run_evals,
         libraries=("torch",))


def evaluate(f, strict=False, points=1, time_limit=None):
    """f(model, loader, loss_fn) -> (mean loss over the examples, accuracy), in evaluation mode under
    torch.no_grad(). ``loader`` is a real DataLoader, ``model`` a real ``torch.nn.Sequential`` with dropout."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("evaluate", f, strict, points, time_limit)
