"""A training run as a PyTorch script: ``pytorch_script(config)`` writes a runnable program that repeats
the run of a ``training.TrainingConfig`` (with your own points) in PyTorch, step for step.

The script holds the data and nnlab's initial weights as numbers, so it needs only NumPy and torch.
It computes the features and the standardisation itself, walks epoch e in the order
``numpy.random.default_rng([seed, e]).permutation(N)`` (then draws the dropout masks from the same
generator, batch by batch, as nnlab does), and uses torch.optim and torch.optim.lr_scheduler (stepped
once per epoch). Its losses per epoch equal the Trainer's to rounding (float64 throughout).
"""
from __future__ import annotations

import textwrap

import numpy as np

from . import _validate as check_arg
from . import playground

FEATURE_CODE = {"x1": "X[:, 0]", "x2": "X[:, 1]", "x1^2": "X[:, 0] ** 2", "x2^2": "X[:, 1] ** 2",
                "x1x2": "X[:, 0] * X[:, 1]", "sin x1": "np.sin(X[:, 0])", "sin x2": "np.sin(X[:, 1])"}
OPTIMIZERS = {"sgd": "torch.optim.SGD(model.parameters(), lr=LR)",
              "momentum": "torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)",
              "adam": "torch.optim.Adam(model.parameters(), lr=LR)"}
LOSSES = {"sigmoid": "torch.nn.functional.binary_cross_entropy_with_logits(Z, target)",
          "softmax": "torch.nn.functional.cross_entropy(Z, target)",
          "tanh": "torch.nn.functional.mse_loss(torch.tanh(Z), target)   # the anchor's squared error"}
PREDICT = {"sigmoid": "(torch.sigmoid(Z[:, 0]) >= 0.5).long()", "softmax": "Z.argmax(dim=1)",
           "tanh": "(torch.tanh(Z[:, 0]) >= 0).long()"}
TARGETS = {"sigmoid": "torch.tensor({y}, dtype=torch.float64)[:, None]", "softmax": "torch.tensor({y})",
           "tanh": "torch.tensor(2.0 * {y} - 1.0)[:, None]"}


def _scheduler(schedule):
    if schedule is None:
        return "None"
    name, *args = schedule
    if name == "step":
        return f"torch.optim.lr_scheduler.StepLR(optimizer, step_size={args[0]!r}, gamma={args[1]!r})"
    if name == "exponential":
        return f"torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma={args[0]!r})"
    return f"torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max={args[0]!r})"


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
    set) for ``epochs`` epochs and prints the losses and accuracies per epoch (``--json``: as JSON)."""
    epochs = check_arg.integer("epochs", epochs, low=0)
    X, y, X_test, y_test = playground.data(config, points)
    tr = config.build(X, y, X_test, y_test)
    net = tr.net
    weights = "\n".join(f"    ({_array(W)},\n     {_array(b)})," for W, b in net.params)
    features = ", ".join(FEATURE_CODE[f] for f in config.features)
    hidden = {"tanh": "torch.tanh", "relu": "torch.relu", "sigmoid": "torch.sigmoid",
              "linear": "lambda z: z"}[config.activation]
    return f'''"""Repeats an nnlab training run in PyTorch, step for step (written by nnlab.export.pytorch_script).

The setup: {textwrap.fill(repr(config), 100, subsequent_indent="    ")}
with {len(points)} point(s) of your own added to the training set.
Run:  python this_file.py          (a table of the losses per epoch)
      python this_file.py --json   (the history as JSON)
"""
import json
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

SEED, EPOCHS, BATCH_SIZE, DROP_LAST = {config.seed!r}, {epochs!r}, {config.batch_size!r}, {config.drop_last!r}
LR, MOMENTUM, L1, L2, DROPOUT = {config.lr!r}, {config.momentum!r}, {config.l1!r}, {config.l2!r}, {config.dropout!r}
PATIENCE = {config.patience!r}       # early stopping on the test loss (training loss without a test set)
SIZES = {list(net.sizes)!r}

# ---- the data: {config.dataset}, drawn and split by nnlab with seed {config.seed}
X_train_raw = {_array(X)}
y_train = {_array(y)}
X_test_raw = {_array(X_test).replace("np.array([])", "np.empty((0, 2))")}
y_test = {_array(y_test).replace("np.array([])", "np.empty(0, int)")}


def features(X):
    """The network's inputs {list(config.features)!r} from 2-D points."""
    return np.column_stack([{features}])


X_train, X_test = features(X_train_raw), features(X_test_raw)
if {config.standardize!r}:   # standardise with the training set's mean and standard deviation
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    X_train, X_test = (X_train - mean) / std, (X_test - mean) / std
X_train, X_test = torch.tensor(X_train), torch.tensor(X_test)
T_train = {TARGETS[config.output].format(y="y_train")}
T_test = {TARGETS[config.output].format(y="y_test")}
has_test = len(X_test) > 0


# ---- the network: {"-".join(map(str, net.sizes))}, {config.activation} hidden units, {config.output} output
class Net(torch.nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x, masks=None):
        """The output layer's Z (logits); ``masks``: inverted-dropout masks of the hidden layers."""
        for l, layer in enumerate(self.layers[:-1]):
            x = ({hidden})(layer(x))
            if masks is not None:
                x = x * masks[l]
        return self.layers[-1](x)


model = Net(SIZES)
INITIAL = [   # nnlab's initial weights (W has shape (inputs, outputs): torch's weight is W.T)
{weights}
]
with torch.no_grad():
    for layer, (W, b) in zip(model.layers, INITIAL):
        layer.weight.copy_(torch.tensor(W).T)
        layer.bias.copy_(torch.tensor(b))


def data_loss(Z, target):
    return {LOSSES[config.output]}


def penalty():
    """L2/2 * sum W^2 + L1 * sum |W| over the weights (never the biases)."""
    return sum(L2 / 2 * (layer.weight ** 2).sum() + L1 * layer.weight.abs().sum() for layer in model.layers)


def evaluate(X, T, y):
    with torch.no_grad():
        Z = model(X)
        return data_loss(Z, T).item(), ({PREDICT[config.output]}.numpy() == y).mean()


optimizer = {OPTIMIZERS[config.optimizer]}
scheduler = {_scheduler(config.schedule)}
history = {{"epoch": [], "train_loss": [], "train_accuracy": [], "test_loss": [], "test_accuracy": []}}


def record(epoch):
    history["epoch"].append(epoch)
    for name, X, T, y in (("train", X_train, T_train, y_train), ("test", X_test, T_test, y_test)):
        if name == "train" or has_test:
            loss, accuracy = evaluate(X, T, y)
            history[name + "_loss"].append(loss)
            history[name + "_accuracy"].append(accuracy)


record(0)
best, wait, best_state = float("inf"), 0, None
N = len(X_train)
steps = N // BATCH_SIZE if DROP_LAST else -(-N // BATCH_SIZE)
for epoch in range(EPOCHS):
    rng = np.random.default_rng([SEED, epoch])     # this epoch's order, then its dropout masks
    order = rng.permutation(N)
    model.train()
    for i in range(steps):
        idx = order[i * BATCH_SIZE:(i + 1) * BATCH_SIZE]
        masks = None if DROPOUT == 0 else [torch.tensor((rng.random((len(idx), w)) >= DROPOUT) / (1 - DROPOUT))
                                           for w in SIZES[1:-1]]
        optimizer.zero_grad()
        loss = data_loss(model(X_train[idx], masks), T_train[idx]) + penalty()
        if not torch.isfinite(loss):
            print(f"diverged at epoch {{epoch}}: loss {{loss.item()}}")
            EPOCHS = epoch
            break
        loss.backward()
        optimizer.step()
    else:
        if scheduler is not None:
            scheduler.step()
        model.eval()
        record(epoch + 1)
        if PATIENCE:
            watched = history["test_loss" if has_test else "train_loss"][-1]
            if watched < best:
                best, wait = watched, 0
                best_state = {{k: v.clone() for k, v in model.state_dict().items()}}
            else:
                wait += 1
            if wait >= PATIENCE:
                print(f"stopped early at epoch {{epoch + 1}}", file=sys.stderr)
                model.load_state_dict(best_state)
                break
        continue
    break

if "--json" in sys.argv:
    print(json.dumps(history))
else:
    for row in zip(*(history[k] for k in history if history[k])):
        print("  ".join(f"{{v:10.6g}}" for v in row))
'''
