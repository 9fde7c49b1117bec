"""Checks of lecture 6's exercise: a CNN's parameter count, a confusion matrix, and when to stop training."""
from __future__ import annotations

import numpy as np

from .harness import UNUSABLE, WRONG, Case, Problem, StudentError
from .registry import register, returned, run_check

# ------------------------------------------------------------------ the number of parameters of the small CNN

def _count_cases(rng):
    """Six architectures drawn anew for each student: the maps after the convolution have an odd size in four
    of them (pooling drops their last row and column) and an even size in two."""
    cases = []
    for n in range(6):
        kernel = int(rng.integers(2, 6))
        size = int(rng.integers(4, 27)) | 1 if n < 4 else 2 * int(rng.integers(2, 13))   # side - kernel + 1
        side, filters, hidden, classes = size + kernel - 1, int(rng.integers(2, 33)), int(rng.integers(4, 41)), \
            int(rng.integers(2, 13))
        cases.append(Case(f"test {n + 1} ({side}x{side} images, {filters} filters {kernel}x{kernel}, {hidden} hidden "
                          f"units, {classes} classes)", (side, filters, kernel, hidden, classes)))
    return cases


def _torch_count(side, filters, kernel, hidden, classes):
    """The oracle: PyTorch's count of the network's parameters, built layer by layer."""
    import torch

    pooled = (side - kernel + 1) // 2
    net = torch.nn.Sequential(torch.nn.Conv2d(1, filters, kernel), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(filters * pooled * pooled, hidden), torch.nn.ReLU(),
                              torch.nn.Linear(hidden, classes))
    assert net(torch.zeros(1, 1, side, side)).shape == (1, classes)
    return sum(p.numel() for p in net.parameters())


def _whole_number(name, out):
    """A returned count as an int, or StudentError saying why it is not one."""
    if out is None:
        raise StudentError(f"{name} is None: did you forget to return it?", UNUSABLE)
    arr = np.asarray(out) if not isinstance(out, (dict, list)) else None
    if arr is None or arr.shape != () or arr.dtype.kind not in "iuf" or not np.isfinite(arr):
        got = out.get("type") if isinstance(out, dict) else out
        raise StudentError(f"{name} should be one whole number, got {got}", UNUSABLE)
    if float(arr) != round(float(arr)):
        raise StudentError(f"{name} should be a whole number, got {float(arr):g}: a count has no fractions (a pooled "
                           "map has a whole number of pixels a side: use //)", UNUSABLE)
    return int(round(float(arr)))


def _count_mistakes(side, filters, kernel, hidden, classes):
    """What the common slips give, each with its diagnosis (the first that matches is said)."""
    p = (side - kernel + 1) // 2
    head = (hidden + 1) * classes
    return [
        ("no biases counted: each filter and each unit has one bias besides its weights",
         filters * kernel * kernel + filters * p * p * hidden + hidden * classes),
        ("the max-pooling is missing: after 2 x 2 pooling each map has (side - kernel + 1) // 2 pixels a side",
         filters * (kernel * kernel + 1) + (filters * (side - kernel + 1) ** 2 + 1) * hidden + head),
        ("a k x k filter without padding leaves side - k + 1 positions a side, not side - k",
         filters * (kernel * kernel + 1) + (filters * ((side - kernel) // 2) ** 2 + 1) * hidden + head),
        ("pooling an odd-sized map drops its last row and column: use // (floor), not a rounded-up division",
         filters * (kernel * kernel + 1) + (filters * (-(-(side - kernel + 1) // 2)) ** 2 + 1) * hidden + head),
        ("a filter has k x k weights (kernel squared), not k",
         filters * (kernel + 1) + (filters * p * p + 1) * hidden + head),
        ("the filters' weights are shared: one set of k x k weights and a bias per filter, not one per position",
         filters * (kernel * kernel + 1) * (side - kernel + 1) ** 2 + (filters * p * p + 1) * hidden + head),
        ("the output layer is missing: the hidden units connect to the classes, (hidden + 1) x classes more",
         filters * (kernel * kernel + 1) + (filters * p * p + 1) * hidden),
        ("the fully connected layer takes all filters' maps: filters x p x p inputs, not p x p",
         filters * (kernel * kernel + 1) + (p * p + 1) * hidden + head),
        ("a pooled map has a whole number of pixels a side: (side - kernel + 1) // 2, not / 2",
         filters * (kernel * kernel + 1) + (filters * ((side - kernel + 1) / 2) ** 2 + 1) * hidden + head),
    ]


def _count_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        try:
            mine = _whole_number("the count", returned(outcomes, k))
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        right = _torch_count(*case.args)
        if mine == right:
            continue
        said = next((text for text, count in _count_mistakes(*case.args) if count == mine and count != right),
                    f"{mine:,} is {'more' if mine > right else 'fewer'} than the network has ({abs(mine - right):,} "
                    "apart): count each layer's weights and biases, as the lecture's formula does")
        problems.append(Problem(case.label, WRONG, said))
    return problems


register("cnn_parameters", "the CNN's parameter count", _count_cases, _count_judge, forbid="cnn_parameters")


def cnn_parameters(f, strict=False, points=1, time_limit=None):
    """f(side, filters, kernel, hidden, classes) -> the number of weights and biases of the small CNN."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("cnn_parameters", f, strict, points, time_limit)


# ------------------------------------------------------------------ a confusion matrix by hand


def _confusion_cases(rng):
    cases = []
    for k, (n, classes, absent) in enumerate([(60, 10, ()), (25, 4, (2,)), (200, 3, ()), (40, 10, (0, 9))]):
        labels = [c for c in range(classes) if c not in absent]
        truth = rng.choice(labels, n)
        predicted = np.where(rng.uniform(size=n) < 0.7, truth, rng.choice(labels, n))   # mostly right, repeats
        cases.append(Case(f"test {k + 1} ({n} images, {classes} classes"
                          + (f", class {', '.join(map(str, absent))} never seen" if absent else "") + ")",
                          (truth.astype(int), predicted.astype(int), classes)))
    return cases


def _confusion_judge(cases, outcomes):
    from sklearn.metrics import confusion_matrix

    problems = []
    for k, case in enumerate(cases):
        truth, predicted, classes = case.args
        right = confusion_matrix(truth, predicted, labels=list(range(classes)))
        try:
            out = returned(outcomes, k)
            mine = None if out is None or isinstance(out, (dict, list)) else np.asarray(out)
            if mine is None or mine.dtype.kind not in "iuf" or mine.ndim != 2:
                got = ("None" if out is None else out.get("type") if isinstance(out, dict) else "a list or tuple"
                       if isinstance(out, list) else f"shape {mine.shape}")
                raise StudentError(f"return the matrix as a 2-D NumPy array of counts, got {got}", UNUSABLE)
            if mine.shape != right.shape:
                hint = (": a class that occurs in neither list still has its row and column (use `classes`, not "
                        "the largest label)" if mine.shape[0] < classes else "")
                raise StudentError(f"the matrix has shape {mine.shape}, expected {right.shape}{hint}", UNUSABLE)
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        if np.array_equal(mine, right):
            continue
        rows = right.sum(axis=1, keepdims=True)
        said = next((text for text, wrong in [
            ("rows are the true classes and columns the predicted ones: your matrix is transposed", right.T),
            ("each (true, predicted) pair is counted only once: C[truth, predicted] += 1 does not add repeats; "
             "use np.add.at(C, (truth, predicted), 1) or a loop", (right > 0).astype(int)),
            ("the entries are counts of images, not shares of each row", right / np.maximum(rows, 1)),
            ("the mistakes are missing: count every image, right or wrong", np.diag(np.diag(right))),
        ] if np.allclose(mine, wrong) and not np.array_equal(wrong, right)), None)
        if said is None:
            worst = np.unravel_index(np.argmax(np.abs(mine - right)), right.shape)
            said = (f"C[{worst[0]}, {worst[1]}] should count {right[worst]} images of class {worst[0]} predicted as "
                    f"{worst[1]}, not {mine[worst]:g}")
        problems.append(Problem(case.label, WRONG, said))
    return problems


register("confusion", "a confusion matrix", _confusion_cases, _confusion_judge, forbid="confusion")


def confusion(f, strict=False, points=1, time_limit=None):
    """f(truth, predicted, classes) -> C with C[i, j] the number of class-i images predicted as j."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("confusion", f, strict, points, time_limit)


# ------------------------------------------------------------------ when to stop, and which weights to keep


def _history(rng, epochs, best, test_best, plateau_ties):
    """Accuracies that rise to their best at epoch ``best`` (validation) and ``test_best`` (test), then wobble
    below it; a training loss that keeps falling. Ties with the best later on if ``plateau_ties``."""
    t = np.arange(epochs)
    val = 0.6 + 0.3 * np.minimum(t, best) / max(best, 1) - 0.02 * rng.uniform(0.2, 1.0, epochs) * (t > best)
    if plateau_ties:
        val[best + 1] = val[best]                      # a tie is not an improvement
    test = 0.6 + 0.3 * np.minimum(t, test_best) / max(test_best, 1) - 0.02 * (t > test_best)
    loss = 1.0 / (1.0 + t)                             # lowest at the last epoch, as training losses are
    return {"train_loss": [round(float(v), 4) for v in loss], "val_accuracy": [round(float(v), 4) for v in val],
            "test_accuracy": [round(float(v), 4) for v in test]}


def _stop_cases(rng):
    """Four runs drawn anew for each student: where the validation accuracy peaks, where the test accuracy does
    (elsewhere), the patience, and whether a later epoch ties the best; training stops early in three of them."""
    cases = []
    for k in range(4):
        patience = int(rng.integers(2, 7))
        epochs = int(rng.integers(14, 31))
        low, high = (2, epochs - patience - 2) if k < 3 else (epochs - patience, epochs - 1)   # the last: no stop
        best = int(rng.integers(low, high))
        test_best = int(rng.choice([e for e in range(1, epochs - 1) if abs(e - best) > 1]))
        ties = bool(k % 2 == 0) and best + 1 < epochs
        cases.append(Case(f"test {k + 1} ({epochs} epochs, patience {patience})",
                          (_history(rng, epochs, best, test_best, ties), patience)))
    return cases


def _stop_right(history, patience, ties_improve=False):
    """(kept, stopped): the first epoch of the best validation accuracy, and the epoch training stops after
    (``patience`` epochs later, or the last epoch). ``ties_improve``: what ``>=`` instead of ``>`` gives (the
    last of tied bests, the stop counted from it), a slip the judge recognises."""
    best, kept = -np.inf, 0
    for epoch, score in enumerate(history["val_accuracy"]):
        if score > best or (ties_improve and score == best):
            best, kept = score, epoch
        elif epoch - kept >= patience:
            return kept, epoch
    return kept, len(history["val_accuracy"]) - 1


def _stop_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        history, patience = case.args
        right = _stop_right(history, patience)
        try:
            out = returned(outcomes, k)
            if not isinstance(out, list) or len(out) != 2:
                raise StudentError("return (kept_epoch, stopped_epoch): two whole numbers", UNUSABLE)
            mine = tuple(_whole_number(name, v) for name, v in zip(("the kept epoch", "the stopping epoch"), out))
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        if mine == right:
            continue
        last = len(history["val_accuracy"]) - 1
        by_test = _stop_right({"val_accuracy": history["test_accuracy"]}, patience)
        by_loss = _stop_right({"val_accuracy": [-v for v in history["train_loss"]]}, patience)
        ties = _stop_right(history, patience, ties_improve=True)
        said = next((text for text, wrong in [
            ("you chose by the test set: the test accuracy is looked at once, at the very end; choose by the "
             "validation accuracy", by_test),
            ("you chose by the training loss, which keeps falling: stop when the validation accuracy stops "
             "improving", by_loss),
            ("the weights kept are the best epoch's, not the last one's: keep a copy at each new best and put it "
             "back when you stop", (right[1], right[1])),
            ("a tie with the best is no improvement: keep the first epoch that reached the best validation "
             "accuracy", ties),
            (f"stop when {patience} epochs have passed without a new best (at epoch kept + patience), not one "
             "epoch earlier", (right[0], right[1] - 1)),
            (f"stop when {patience} epochs have passed without a new best (at epoch kept + patience), not one "
             "epoch later", (right[0], min(right[1] + 1, last))),
            ("training never stopped early: stop once patience epochs have passed without a new best",
             (right[0], last)),
        ] if wrong == mine and wrong != right), None)
        problems.append(Problem(case.label, WRONG, said or f"you kept epoch {mine[0]} and stopped after epoch "
                                f"{mine[1]}: count epochs from 0, and stop {patience} epochs after the best one"))
    return problems


register("early_stopping", "early stopping", _stop_cases, _stop_judge)


def early_stopping(f, strict=False, points=1, time_limit=None):
    """f(history, patience) -> (kept_epoch, stopped_epoch) from the validation accuracy per epoch."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("early_stopping", f, strict, points, time_limit)
