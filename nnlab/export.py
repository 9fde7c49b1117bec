"""A training run as a PyTorch script: ``pytorch_script(config)`` writes a runnable program that repeats
the run of a ``training.TrainingConfig`` (with your own points) in PyTorch, step for step.

The script is the template ``templates/pytorch_run.py`` (a runnable, lint-clean program of its own) with the
run's block filled in: the setup, the data and nnlab's initial weights as numbers, so it needs only NumPy and
torch. It computes the features and the standardisation itself, walks epoch e in the order
``numpy.random.default_rng([seed, e]).permutation(N)`` (then draws the dropout masks from the same
generator, batch by batch, as nnlab does), and uses torch.optim and torch.optim.lr_scheduler (stepped
once per epoch). Its losses per epoch equal the Trainer's to rounding (float64 throughout).
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from . import _validate as valid
from . import playground

TEMPLATE = Path(__file__).with_name("templates") / "pytorch_run.py"
BEGIN, END = "# ---- the run (nnlab fills in this block)\n", "# ---- end of the run\n"


def _array(a, indent=0, width=88):
    """``a`` as readable Python: ``np.array([...])`` with a matrix one row to a line and a long vector wrapped
    within ``width`` characters, every number written exactly (``repr``), so the script repeats the run."""
    a = np.asarray(a)
    if a.size <= 4 or a.ndim > 2:
        return "np.array(" + repr(a.tolist()) + ")"
    pad = " " * (indent + 4)
    if a.ndim == 2:
        lines = [pad + _packed(row, width - len(pad) - 1, pad) + "," for row in a.tolist()]
    else:
        lines = [pad + _packed(a.tolist(), width - len(pad), pad, brackets=False) + ","]
    return "np.array([\n" + "\n".join(lines) + "\n" + " " * indent + "])"


def _packed(values, width, pad, brackets=True):
    """Numbers separated by ", ", wrapped before ``width`` (continuation lines start with ``pad``)."""
    lines, line = [], ""
    for text in map(repr, values):
        if line and len(line) + 2 + len(text) > width - 2:
            lines.append(line + ",")
            line = text
        else:
            line = f"{line}, {text}" if line else text
    body = ("\n" + pad + (" " if brackets else "")).join(lines + [line])
    return f"[{body}]" if brackets else body


def pytorch_script(config, points=(), epochs=20):
    """The PyTorch program (a string) that trains ``config`` (with ``points`` added to the training
    set) for ``epochs`` epochs and prints the losses and accuracies per epoch (``--json``: as JSON): the
    template ``templates/pytorch_run.py`` (itself a runnable, lint-clean program) with this run's block."""
    epochs = valid.integer("epochs", epochs, low=0)
    X, y, X_test, y_test = playground.data(config, points)
    net = config.build(X, y, X_test, y_test).net
    weights = "\n".join(f"    ({_array(W, 4)},\n     {_array(b, 4)})," for W, b in net.params)
    setup = textwrap.fill(repr(config), 110, initial_indent="# the setup: ", subsequent_indent="#   ")
    block = f"""{setup}
# with {len(points)} point(s) of your own added to the training set; the data drawn and split by nnlab
SEED, EPOCHS, BATCH_SIZE, DROP_LAST = {config.seed!r}, {epochs!r}, {config.batch_size!r}, {config.drop_last!r}
LR, MOMENTUM, L1, L2, DROPOUT = {config.lr!r}, {config.momentum!r}, {config.l1!r}, {config.l2!r}, {config.dropout!r}
PATIENCE = {config.patience!r}        # early stopping on the test loss (the training loss without a test set)
SIZES = {list(net.sizes)!r}
FEATURES = {list(config.features)!r}
STANDARDIZE = {config.standardize!r}
ACTIVATION, OUTPUT, OPTIMIZER, SCHEDULE = {config.activation!r}, {config.output!r}, {config.optimizer!r}, \
    {config.schedule!r}
X_train_raw = {_array(X)}
y_train = {_array(y)}
X_test_raw = {_array(X_test).replace("np.array([])", "np.empty((0, 2))")}
y_test = {_array(y_test).replace("np.array([])", "np.empty(0, int)")}
INITIAL = [  # nnlab's initial weights (W: (inputs, outputs); torch's weight is W.T)
{weights}
]
"""
    text = TEMPLATE.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    return head + BEGIN + block + END + tail
