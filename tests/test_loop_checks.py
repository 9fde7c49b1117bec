"""Exercise e05's checks: a loader that reshuffles, one training epoch, an evaluation.

The right answers pass; each wrong answer, written as a student would write it, is refused with a
first feedback line that names its mistake (e05's part of the diagnoses corpus). The judges replay
PyTorch's own loop; the tests below also check that replay against a loop written out by hand.
"""
import json
import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

from nnlab import check
from nnlab.checks import loops


def first_line_names(result, words):
    assert not result.passed and result.score < 1, result
    for w in words:
        assert w in result.messages[0], result.messages[0]


# ------------------------------------------------------------------ (a) the loader
def loader_ok(X, y, batch_size):
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)


def loader_in_order(X, y, batch_size):
    return DataLoader(TensorDataset(X, y), batch_size=batch_size)


def loader_shuffled_once(X, y, batch_size):
    order = torch.randperm(len(X))
    return DataLoader(TensorDataset(X[order], y[order]), batch_size=batch_size)


def loader_batches_once(X, y, batch_size):
    order = torch.randperm(len(X))
    return [(X[order[i:i + batch_size]], y[order[i:i + batch_size]]) for i in range(0, len(X), batch_size)]


def loader_drop_last(X, y, batch_size):
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, drop_last=True)


def loader_no_batch_size(X, y, batch_size):
    return DataLoader(TensorDataset(X, y), shuffle=True)


def loader_apart(X, y, batch_size):
    return DataLoader(TensorDataset(X[torch.randperm(len(X))], y[torch.randperm(len(y))]),
                      batch_size=batch_size, shuffle=True)


def loader_with_replacement(X, y, batch_size):
    data = TensorDataset(X, y)
    return DataLoader(data, batch_size=batch_size, sampler=RandomSampler(data, replacement=True))


def loader_generator(X, y, batch_size):
    order = torch.randperm(len(X))
    return ((X[order[i:i + batch_size]], y[order[i:i + batch_size]]) for i in range(0, len(X), batch_size))


LOADER_SLIPS = [
    (loader_in_order, ["stored order", "shuffle=True"]),
    (loader_shuffled_once, ["shuffled once", "every epoch"]),
    (loader_batches_once, ["shuffled once"]),
    (loader_drop_last, ["leaves out the last", "drop_last"]),
    (loader_no_batch_size, ["batches of one example", "batch_size="]),
    (loader_apart, ["labels no longer match"]),
    (loader_with_replacement, ["exactly once", "without replacement"]),
    (loader_generator, ["only once", "generator"]),
]


def test_the_right_loader_passes():
    assert check.make_loader(loader_ok).passed


@pytest.mark.parametrize("fn, words", LOADER_SLIPS, ids=[f.__name__ for f, _ in LOADER_SLIPS])
def test_loader_slips_are_named(fn, words):
    first_line_names(check.make_loader(fn), words)


def test_drop_last_is_only_charged_where_a_partial_batch_exists():
    r = check.make_loader(loader_drop_last)
    assert {p.case for p in r.problems} == {"50 examples in batches of 8", "10 examples in batches of 4"}


# ------------------------------------------------------------------ (b) one epoch
def epoch_with(slip=None):
    def train_epoch(model, loader, optimizer, loss_fn):
        if slip != "no train()":
            model.train()
        losses, sizes = [], []
        for X_batch, y_batch in loader:
            if slip not in ("no zero_grad", "zero_grad late"):
                optimizer.zero_grad()
            if slip == "step first":
                optimizer.step()
            loss = loss_fn(model(X_batch), y_batch)
            loss.backward()
            if slip == "zero_grad late":
                optimizer.zero_grad()
            if slip not in ("step first", "no step"):
                optimizer.step()
            losses.append(loss.item())
            sizes.append(len(X_batch))
        if slip == "mean of means":
            return float(np.mean(losses))
        if slip == "sum":
            return float(np.sum(losses))
        if slip == "last":
            return loss
        return float(np.dot(losses, sizes) / np.sum(sizes))
    return train_epoch


def test_the_replayed_epoch_is_plain_sgd_with_momentum_written_out():
    """The judge's replay (torch.optim.SGD with momentum 0.5) equals the update written out by hand
    with autograd gradients: v <- 0.5 v + g, w <- w - lr v, with dropout's masks drawn from the seed."""
    case = loops._epoch_cases(np.random.default_rng(4))[1]
    seed, n, size, lr = case.args
    weights, X, y, p_drop = loops._problem(seed, n)
    params = [torch.tensor(w, requires_grad=True) for w in weights]
    velocity = [torch.zeros_like(p) for p in params]
    total, after = 0.0, []
    torch.manual_seed(seed)
    for i in range(0, n, size):
        Xb, yb = torch.tensor(X[i:i + size]), torch.tensor(y[i:i + size])
        hidden = torch.nn.functional.dropout(torch.tanh(Xb @ params[0].T + params[1]), p_drop, training=True)
        logits = hidden @ params[2].T + params[3]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, yb)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, v, g in zip(params, velocity, grads):
                v.mul_(0.5).add_(g)
                p.sub_(lr * v)
        total += loss.item() * len(Xb)
        after.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    replayed, _, epoch, _ = loops._replay(case)
    assert np.allclose(replayed, after, rtol=1e-12)
    assert epoch == pytest.approx(total / n, rel=1e-12)
    assert check.train_epoch(epoch_with()).passed


EPOCH_SLIPS = [
    ("no zero_grad", ["never zeroed", "optimizer.zero_grad()"]),
    ("zero_grad late", ["never changed", "after a zero_grad()"]),
    ("step first", ["never changed", "before backward()"]),
    ("no step", ["never changed", "then optimizer.step()"]),
    ("no train()", ["evaluation mode", "model.train()"]),
    ("mean of means", ["mean of the batch means", "weight"]),
    ("sum", ["sum of the batch means"]),
    ("last", ["last batch's loss"]),
]


@pytest.mark.parametrize("slip, words", EPOCH_SLIPS)
def test_epoch_slips_are_named(slip, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = check.train_epoch(epoch_with(slip))
    first_line_names(r, words)
    if slip == "mean of means":  # only the cases whose last batch is smaller are wrong
        assert {p.case for p in r.problems} == {"50 examples in batches of 16 (lr 0.3)",
                                                "30 examples in batches of 7 (lr 0.2)"}
    else:
        assert r.score == 0


# ------------------------------------------------------------------ (c) evaluation
def evaluate_with(slip=None):
    def evaluate(model, loader, loss_fn):
        if slip != "no eval()":
            model.eval()
        losses, rights, sizes = [], [], []
        with torch.set_grad_enabled(slip == "no no_grad"):
            for X_batch, y_batch in loader:
                logits = model(X_batch)
                losses.append(loss_fn(logits, y_batch).item())
                cut = 0.5 if slip == "threshold 0.5" else 0.0
                rights.append(((logits > cut).double() == y_batch).sum().item())
                sizes.append(len(X_batch))
        losses, rights, sizes = map(np.array, (losses, rights, sizes))
        loss = losses.mean() if slip == "mean of means" else losses @ sizes if slip == "sum" else \
            losses @ sizes / sizes.sum()
        accuracy = rights.sum() if slip == "count" else (rights / sizes).mean() if slip == "mean accuracy" \
            else rights.sum() / sizes.sum()
        return loss, accuracy
    return evaluate


def test_the_reference_evaluation_is_a_forward_pass_written_out():
    case = loops._eval_cases(np.random.default_rng(2))[1]
    seed, n, size = case.args
    (W1, b1, W2, b2), X, y, _ = loops._problem(seed, n, dropout=0.5)
    logits = np.tanh(X @ W1.T + b1) @ W2.T + b2   # dropout off: every unit, unscaled
    bce = np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))
    loss, accuracy, *_ = loops._eval_reference(case)
    assert loss == pytest.approx(bce.mean(), rel=1e-12)
    assert accuracy == pytest.approx(np.mean((logits > 0) == y), abs=1e-15)
    assert check.evaluate(evaluate_with()).passed


EVAL_SLIPS = [
    ("no eval()", ["dropout was on", "model.eval()"]),
    ("no no_grad", ["torch.no_grad()"]),
    ("mean of means", ["mean of the batch means"]),
    ("sum", ["summed over the batches"]),
    ("count", ["accuracy is a count"]),
    ("threshold 0.5", ["logits at 0.5"]),
    ("mean accuracy", ["mean of the batch accuracies"]),
]


@pytest.mark.parametrize("slip, words", EVAL_SLIPS)
def test_evaluation_slips_are_named(slip, words):
    first_line_names(check.evaluate(evaluate_with(slip)), words)


# ------------------------------------------------------------------ graded by `nnlab grade`
@pytest.mark.slow
def test_e05_is_graded_in_the_sandbox(tmp_path):
    import nbformat

    from nnlab import authoring, grading

    name = "e05_training_loop"
    assignment = grading.load_assignment(name)
    assert [(q.check, q.function) for q in assignment.questions] == [
        ("make_loader", "make_loader"), ("train_epoch", "train_epoch"), ("evaluate", "evaluate")]
    solution = authoring.exercise_cells(name, solution=True)
    slipped = [(k, s.replace("batch_size=batch_size, shuffle=True", "batch_size=batch_size")
                .replace("        optimizer.zero_grad()\n", "").replace("    model.eval()\n", ""))
               for k, s in solution]
    assert slipped != solution
    subs = tmp_path / "submitted"
    subs.mkdir()
    paths = []
    for who, cells in [("right", solution), ("slipped", slipped), ("stub", authoring.exercise_cells(name, False))]:
        (subs / f"{who}.ipynb").write_text(nbformat.writes(authoring.to_notebook(cells)), encoding="utf-8")
        paths.append((who, subs / f"{who}.ipynb"))
    limits = grading.Limits(wall=120, cpu=90, cell=60, call=5, memory=2**32)
    right, slipped_row, stub = grading.grade(paths, assignment, jobs=1, limits=limits, hide=[subs])
    assert right.status == "ok" and sum(right.scores.values()) == 3, right
    assert slipped_row.status == "ok" and sum(slipped_row.scores.values()) == 0, slipped_row
    text = json.dumps(slipped_row.feedback)
    assert "stored order" in text and "never zeroed" in text and "dropout was on" in text, text
    assert sum(stub.scores.values()) == 0 and "NotImplementedError" in json.dumps(stub.feedback)


def loader_fixed_batches(X, y, batch_size):
    """Cuts the data into batches once and serves them in a new order every epoch."""
    batches = [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(X), batch_size)]

    class Batches:
        def __iter__(self):
            return iter([batches[int(i)] for i in torch.randperm(len(batches))])

    return Batches()


def loader_sizes_change_later(X, y, batch_size):
    """Right in the first epoch; from the second on, batches of twice the size."""
    epochs = [0]

    class Loader:
        def __iter__(self):
            size = batch_size if epochs[0] == 0 else 2 * batch_size
            epochs[0] += 1
            return iter(DataLoader(TensorDataset(X, y), batch_size=size, shuffle=True))

    return Loader()


def test_batches_must_mix_between_epochs_and_keep_their_size_in_every_epoch():
    first_line_names(check.make_loader(loader_fixed_batches), ["same batches", "another order"])
    first_line_names(check.make_loader(loader_sizes_change_later), ["batch sizes", "epoch 2"])
