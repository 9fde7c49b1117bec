# %% [markdown]
# # Exercise (lecture 5): a PyTorch training loop that you can trust
#
# The loop every PyTorch program runs, in three pieces: a data loader that reshuffles,
# one training epoch, and an evaluation. Each is only a few lines, and each has a classic
# slip that still runs without an error and trains *something*: gradients that pile up,
# a fixed order of batches, dropout left on while measuring, an average over the wrong
# thing. The check under each piece runs your function on a small network, replays the
# right loop with PyTorch and tells you which slip it sees.
#
# The task throughout: binary classification; the model returns **logits** of shape
# (B, 1); the loss is `torch.nn.BCEWithLogitsLoss()` (the mean over a batch); labels have
# shape (B, 1) and are 0 or 1.

# %%
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from nnlab import check

_ = torch.manual_seed(0)  # the same run every time

# %% [markdown]
# ## 1. A loader that reshuffles every epoch
#
# Stochastic gradient descent walks through the data in batches, in a new random order
# every epoch (lecture 5). Return a `DataLoader` over the pairs `(X[i], y[i])` with
# batches of `batch_size`, reshuffled at the start of every epoch, that keeps the last
# partial batch (`50` examples in batches of `8` give six batches of 8 and one of 2).

# %%
def make_loader(X, y, batch_size):
    ### BEGIN SOLUTION
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)
    ### END SOLUTION


check.make_loader(make_loader)

# %% [markdown]
# ## 2. One training epoch
#
# For every batch: clear the old gradients, run the model, compute the loss, backpropagate,
# step. The model may arrive in evaluation mode (after an evaluation), so switch it to
# training mode first. Return the epoch's loss: the mean over its **examples**. Each
# batch's loss is already a mean over that batch, and the last batch may be smaller, so
# weight each batch by its size.

# %%
def train_epoch(model, loader, optimizer, loss_fn):
    ### BEGIN SOLUTION
    model.train()
    total, count = 0.0, 0
    for X_batch, y_batch in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(X_batch)
        count += len(X_batch)
    return total / count
    ### END SOLUTION


check.train_epoch(train_epoch)

# %% [markdown]
# ## 3. Evaluation
#
# Measuring is not training: switch dropout off (`model.eval()`), switch autograd off
# (`torch.no_grad()`), and average over examples. Return `(mean loss, accuracy)`; a
# logit above 0 predicts class 1.

# %%
def evaluate(model, loader, loss_fn):
    ### BEGIN SOLUTION
    model.eval()
    total, right, count = 0.0, 0.0, 0
    with torch.no_grad():
        for X_batch, y_batch in loader:
            logits = model(X_batch)
            total += loss_fn(logits, y_batch).item() * len(X_batch)
            right += ((logits > 0).double() == y_batch).sum().item()
            count += len(X_batch)
    return total / count, right / count
    ### END SOLUTION


check.evaluate(evaluate)

# %% [markdown]
# ## 4. Put them together
#
# A small network with dropout learns the XOR pattern of two noisy inputs. Watch the test
# accuracy: evaluated with dropout on, it would wobble from run to run; evaluated your way
# it is one number per epoch. (`EPOCHS` is kept small so the notebook runs in seconds;
# raise it to see the network finish learning.)

# %%
EPOCHS = 30
rng = np.random.default_rng(1)
X = rng.uniform(-1, 1, (600, 2))
y = ((X[:, 0] * X[:, 1] > 0) ^ (rng.random(600) < 0.05)).astype(float)[:, None]
X_train, y_train = torch.tensor(X[:400]), torch.tensor(y[:400])
X_test, y_test = torch.tensor(X[400:]), torch.tensor(y[400:])

model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(),
                            torch.nn.Dropout(0.2), torch.nn.Linear(16, 1)).double()
optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
loss_fn = torch.nn.BCEWithLogitsLoss()
try:
    train_loader = make_loader(X_train, y_train, 32)
    test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=100)
    for epoch in range(1, EPOCHS + 1):
        train_loss = train_epoch(model, train_loader, optimizer, loss_fn)
        test_loss, test_accuracy = evaluate(model, test_loader, loss_fn)
        if epoch % 10 == 0:
            print(f"epoch {epoch:3d}: train loss {train_loss:.2f}, "
                  f"test loss {test_loss:.2f}, test accuracy {test_accuracy:.0%}")
except NotImplementedError:
    print("write make_loader, train_epoch and evaluate first")
