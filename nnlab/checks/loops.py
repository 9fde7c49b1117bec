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
    """X's first column is each example's index, y = (index is odd): the record shows which examples
    came, in which order and batches, and whether each label still belongs to its example."""
    n, _, seed = case.args
    g = np.random.default_rng(seed)
    X = torch.tensor(np.column_stack([np.arange(n), g.normal(size=n)]))
    y = torch.tensor((np.arange(n) % 2).reshape(-1, 1), dtype=torch.float64)

    def read(loader):
        try:
            epochs = []
            for _ in range(EPOCHS):
                order, sizes, paired = [], [], True
                for batch in loader:
                    Xb, yb = batch
                    idx = np.asarray(Xb[:, 0].detach().cpu().numpy(), dtype=float)
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
        elif sizes[0] != want and all(s == [1] * n for s in sizes):
            text = f"batches of one example: pass batch_size={b} to the DataLoader"
        elif sizes[0] != want:
            text = f"batch sizes {sizes[0][:6]}{'...' if len(sizes[0]) > 6 else ''}, expected {want[:6]}" \
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
        if text:
            problems.append(Problem(case.label, WRONG, text))
    return problems


register("make_loader", "a data loader that reshuffles", _loader_cases, _loader_judge, run=_run_loaders)


def make_loader(f, strict=False, points=1, time_limit=None):
    """f(X, y, batch_size) -> a DataLoader over the pairs, reshuffled every epoch, keeping the last
    partial batch."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("make_loader", f, strict, points, time_limit)


# ---------------------------------------------------------------- shared: the model and the data
def _problem(seed, n, hidden=6, dropout=0.0):
    """Plain data: initial weights (Linear(2, h), Linear(h, 1)), inputs, labels, and batches."""
    g = np.random.default_rng(seed)
    W1, b1 = g.normal(0, 0.8, (hidden, 2)), g.normal(0, 0.3, hidden)
    W2, b2 = g.normal(0, 0.8, (1, hidden)), g.normal(0, 0.3, 1)
    X = g.normal(size=(n, 2))
    y = ((X[:, 0] * X[:, 1] > 0) ^ (g.random(n) < 0.1)).astype(float).reshape(-1, 1)
    return [W1, b1, W2, b2], X, y, dropout


def _model(torch, weights, dropout):
    layers = [torch.nn.Linear(2, len(weights[1])), torch.nn.Tanh()]
    if dropout:
        layers.append(torch.nn.Dropout(dropout))
    model = torch.nn.Sequential(*layers, torch.nn.Linear(len(weights[1]), 1)).double()
    linear = [m for m in model if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for m, (W, b) in zip(linear, (weights[:2], weights[2:])):
            m.weight.copy_(torch.tensor(W))
            m.bias.copy_(torch.tensor(b))
    return model


def _batches(torch, X, y, size):
    return [(torch.tensor(X[i:i + size]), torch.tensor(y[i:i + size])) for i in range(0, len(X), size)]


def _watched(model, args):
    """The call's arguments, and the reader of what the call did: its return value, the weights after
    it, and for every forward pass whether the model was in training mode and autograd was on."""
    import torch

    record = {"training": [], "grad": []}

    def hook(module, inputs):
        record["training"].append(module.training)
        record["grad"].append(torch.is_grad_enabled())

    model.register_forward_pre_hook(hook)

    def read(out):
        return plain(_numbers(out)), {"weights": _weights(model), "training": np.array(record["training"]),
                                      "grad": np.array(record["grad"])}

    return args, read


def _weights(model):
    return np.concatenate([p.detach().cpu().numpy().ravel() for p in model.parameters()])


# ---------------------------------------------------------------- (b) one training epoch
def _epoch_cases(rng):
    return [Case(f"{n} examples in batches of {b} (lr {lr:g})", (int(rng.integers(2**31)), n, b, lr))
            for n, b, lr in [(40, 8, 0.1), (50, 16, 0.3), (30, 7, 0.2)]]


def _epoch_build(torch, case):
    seed, n, size, lr = case.args
    weights, X, y, _ = _problem(seed, n)
    model = _model(torch, weights, 0.0)
    model.eval()  # as after an evaluation: the student's epoch must switch to training mode
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    return _watched(model, (model, _batches(torch, X, y, size), optimizer, torch.nn.BCEWithLogitsLoss()))


_run_epochs = partial(_run_each, _epoch_build)


def _replay(case, slip=None):
    """The weights after one epoch and the epoch loss the exercise asks for, by the right loop or by the
    loop with a known ``slip``; also (mean of batch means, sum of batch means, last batch's loss)."""
    import torch

    seed, n, size, lr = case.args
    weights, X, y, _ = _problem(seed, n)
    model = _model(torch, weights, 0.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    losses, counts = [], []
    for Xb, yb in _batches(torch, X, y, size):
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
    return _weights(model), epoch, (float(losses.mean()), float(losses.sum()), float(losses[-1]))


EPOCH_SLIPS = [
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
        want, epoch, (mean_of_means, summed, last) = _replay(case)
        training = np.asarray(record.get("training", []), dtype=bool)
        text = None
        if len(training) and not training.all():
            text = "the model was in evaluation mode while it trained (it came from an evaluation): call " \
                   "model.train() at the start of the epoch, or dropout stays off"
        elif mine.shape != want.shape or not np.allclose(mine, want, rtol=1e-10, atol=1e-12):
            text = diagnose(mine, [(message, _replay(case, slip)[0]) for slip, message in EPOCH_SLIPS])
            if text is None:
                text = describe_difference(mine, want, "the weights after the epoch", "the right loop")
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


register("train_epoch", "one training epoch", _epoch_cases, _epoch_judge, run=_run_epochs)


def train_epoch(f, strict=False, points=1, time_limit=None):
    """f(model, loader, optimizer, loss_fn) -> the epoch's mean loss, after one pass of zero_grad, forward,
    loss, backward and step per batch, in training mode."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("train_epoch", f, strict, points, time_limit)


# ---------------------------------------------------------------- (c) evaluation
def _eval_cases(rng):
    return [Case(f"{n} examples in batches of {b}", (int(rng.integers(2**31)), n, b)) for n, b in [(40, 16),
                                                                                                   (25, 10)]]


def _eval_build(torch, case):
    seed, n, size = case.args
    weights, X, y, dropout = _problem(seed, n, dropout=0.5)
    model = _model(torch, weights, dropout)
    model.train()  # as after a training epoch: the student's evaluation must switch dropout off
    return _watched(model, (model, _batches(torch, X, y, size), torch.nn.BCEWithLogitsLoss()))


_run_evals = partial(_run_each, _eval_build)


def _eval_reference(case):
    """(mean loss, accuracy) over all examples in evaluation mode, and the per-batch figures."""
    import torch

    seed, n, size = case.args
    weights, X, y, dropout = _problem(seed, n, dropout=0.5)
    model = _model(torch, weights, dropout).eval()
    with torch.no_grad():
        batches = [(model(Xb), yb) for Xb, yb in _batches(torch, X, y, size)]
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
        record = outcomes[k].record
        training, grad = (np.asarray(record.get(key, []), dtype=bool) for key in ("training", "grad"))
        loss, accuracy, losses, right, half, counts = _eval_reference(case)
        text = None
        if training.any():
            text = "dropout was on during the evaluation (the model was still in training mode): call " \
                   "model.eval() first, so every unit takes part and the result does not change from run to run"
        elif grad.any():
            text = "autograd recorded the evaluation's graph: wrap the loop in `with torch.no_grad():` (nothing " \
                   "is trained here, and the graph costs memory and time)"
        elif not np.allclose(mine, [loss, accuracy], rtol=1e-10, atol=1e-12):
            text = diagnose(tuple(mine), [
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
                describe_difference(tuple(mine), (loss, accuracy), ("the loss", "the accuracy"), "the reference")
        if text:
            problems.append(Problem(case.label, WRONG, text))
    return problems


register("evaluate", "evaluation without dropout or autograd", _eval_cases, _eval_judge, run=_run_evals)


def evaluate(f, strict=False, points=1, time_limit=None):
    """f(model, loader, loss_fn) -> (mean loss over the examples, accuracy), in evaluation mode under
    torch.no_grad()."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("evaluate", f, strict, points, time_limit)
