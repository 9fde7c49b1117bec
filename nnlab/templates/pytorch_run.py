"""Repeats an nnlab training run in PyTorch, step for step.

nnlab.export.pytorch_script writes this file with the run's numbers in the block marked below (the setup,
the data, nnlab's initial weights); as it stands, the block holds a small example run. It needs only NumPy
and torch, computes the features and the standardisation itself, walks epoch e in the order
numpy.random.default_rng([SEED, e]).permutation(N) (then draws the dropout masks from the same generator,
batch by batch, as nnlab does), and uses torch.optim and torch.optim.lr_scheduler (stepped once per epoch).

Run:  python this_file.py          (a table of the losses and accuracies per epoch)
      python this_file.py --json   (the history as JSON)
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

# ---- the run (nnlab fills in this block)
# the setup: an example run of four points
SEED, EPOCHS, BATCH_SIZE, DROP_LAST = 0, 3, 2, False
LR, MOMENTUM, L1, L2, DROPOUT = 0.1, 0.9, 0.0, 0.0, 0.0
PATIENCE = None        # early stopping on the test loss (the training loss without a test set)
SIZES = [2, 3, 1]
FEATURES = ["x1", "x2"]
STANDARDIZE = True
ACTIVATION, OUTPUT, OPTIMIZER, SCHEDULE = "tanh", "sigmoid", "sgd", None
X_train_raw = np.array([[0.0, 1.0], [1.0, 0.0], [-1.0, 0.5], [0.5, -1.0]])
y_train = np.array([0, 1, 0, 1])
X_test_raw = np.empty((0, 2))
y_test = np.empty(0, int)
INITIAL = [  # nnlab's initial weights (W: (inputs, outputs); torch's weight is W.T)
    (np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]]), np.array([0.0, 0.0, 0.0])),
    (np.array([[0.7], [-0.2], [0.3]]), np.array([0.0])),
]
# ---- end of the run

FEATURE = {"x1": lambda X: X[:, 0], "x2": lambda X: X[:, 1], "x1^2": lambda X: X[:, 0] ** 2,
           "x2^2": lambda X: X[:, 1] ** 2, "x1x2": lambda X: X[:, 0] * X[:, 1],
           "sin x1": lambda X: np.sin(X[:, 0]), "sin x2": lambda X: np.sin(X[:, 1])}
HIDDEN = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda z: z}


def features(X):
    """The network's inputs (FEATURES) from 2-D points."""
    return np.column_stack([FEATURE[name](X) for name in FEATURES])


def targets(y):
    """What the loss compares the output with: the class (softmax), 0/1 (sigmoid) or -1/+1 (tanh)."""
    if OUTPUT == "softmax":
        return torch.tensor(y)
    if OUTPUT == "sigmoid":
        return torch.tensor(y, dtype=torch.float64)[:, None]
    return torch.tensor(2.0 * y - 1.0)[:, None]


X_train, X_test = features(X_train_raw), features(X_test_raw)
if STANDARDIZE:   # with the training set's mean and standard deviation
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    X_train, X_test = (X_train - mean) / std, (X_test - mean) / std
X_train, X_test = torch.tensor(X_train), torch.tensor(X_test)
T_train, T_test = targets(y_train), targets(y_test)
has_test = len(X_test) > 0


class Net(torch.nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x, masks=None):
        """The output layer's Z (logits); ``masks``: inverted-dropout masks of the hidden layers."""
        for i, layer in enumerate(self.layers[:-1]):
            x = HIDDEN[ACTIVATION](layer(x))
            if masks is not None:
                x = x * masks[i]
        return self.layers[-1](x)


model = Net(SIZES)
with torch.no_grad():
    for layer, (W, b) in zip(model.layers, INITIAL):
        layer.weight.copy_(torch.tensor(W).T)
        layer.bias.copy_(torch.tensor(b))


def data_loss(Z, target):
    if OUTPUT == "softmax":
        return F.cross_entropy(Z, target)
    if OUTPUT == "sigmoid":
        return F.binary_cross_entropy_with_logits(Z, target)
    return F.mse_loss(torch.tanh(Z), target)   # the anchor's squared error


def predict(Z):
    if OUTPUT == "softmax":
        return Z.argmax(dim=1)
    if OUTPUT == "sigmoid":
        return (torch.sigmoid(Z[:, 0]) >= 0.5).long()
    return (torch.tanh(Z[:, 0]) >= 0).long()


def penalty():
    """L2/2 * sum W^2 + L1 * sum |W| over the weights (never the biases)."""
    return sum(L2 / 2 * (layer.weight ** 2).sum() + L1 * layer.weight.abs().sum() for layer in model.layers)


def evaluate(X, T, y):
    with torch.no_grad():
        Z = model(X)
        return data_loss(Z, T).item(), (predict(Z).numpy() == y).mean()


def make_optimizer():
    if OPTIMIZER == "adam":
        return torch.optim.Adam(model.parameters(), lr=LR)
    return torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM if OPTIMIZER == "momentum" else 0)


def make_scheduler(optimizer):
    """The learning rate's schedule, stepped once per epoch: None, ("step", every, gamma),
    ("exponential", gamma) or ("cosine", epochs)."""
    if SCHEDULE is None:
        return None
    name, *args = SCHEDULE
    if name == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=args[0], gamma=args[1])
    if name == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=args[0])
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args[0])


optimizer = make_optimizer()
scheduler = make_scheduler(optimizer)
history = {"epoch": [], "train_loss": [], "train_accuracy": [], "test_loss": [], "test_accuracy": []}


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
            print(f"diverged at epoch {epoch}: loss {loss.item()}")
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
                best_state = {k: v.clone() for k, v in model.state_dict().items()}
            else:
                wait += 1
            if wait >= PATIENCE:
                print(f"stopped early at epoch {epoch + 1}", file=sys.stderr)
                model.load_state_dict(best_state)
                break
        continue
    break

if "--json" in sys.argv:
    print(json.dumps(history))
else:
    for row in zip(*(history[k] for k in history if history[k])):
        print("  ".join(f"{v:10.6g}" for v in row))
