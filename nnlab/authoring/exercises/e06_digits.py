# %% [markdown]
# # Exercise (lecture 6): counting, confusing and stopping
#
# Three small pieces of the digits lecture, written by you: how many parameters a
# convolutional network has, the confusion matrix of a classifier, and the rule that
# decides when training stops and which weights to keep. Each check under a piece runs
# your function on cases of its own and names the slip it recognises.

# %%
import numpy as np

from nnlab import check

# %% [markdown]
# ## 1. The small CNN's parameters
#
# The lecture's CNN: `filters` filters of `kernel` × `kernel` weights (and one bias each)
# slide over a `side` × `side` image without padding, a ReLU, a 2 × 2 max-pool (which keeps
# the whole 2 × 2 blocks: an odd-sized map loses its last row and column), then a fully
# connected layer of `hidden` units and one of `classes` outputs. Return its number of
# weights and biases. The lecture's network on 28 × 28 images has 54,470.

# %%
def cnn_parameters(side, filters, kernel, hidden, classes):
    ### BEGIN SOLUTION
    pooled = (side - kernel + 1) // 2
    conv = filters * (kernel * kernel + 1)
    dense = (filters * pooled * pooled + 1) * hidden
    out = (hidden + 1) * classes
    return conv + dense + out
    ### END SOLUTION


check.cnn_parameters(cnn_parameters)

# %% [markdown]
# ## 2. A confusion matrix
#
# `truth` and `predicted` are arrays of class labels (whole numbers from 0 to
# `classes - 1`), one per image. Return the `classes` × `classes` array `C` in which
# `C[i, j]` counts the images of class `i` that were predicted as class `j` (rows: the
# truth; columns: the prediction). A class that never occurs still has its row and column.

# %%
def confusion(truth, predicted, classes):
    ### BEGIN SOLUTION
    C = np.zeros((classes, classes), dtype=int)
    for t, p in zip(truth, predicted):
        C[t, p] += 1
    return C
    ### END SOLUTION


check.confusion(confusion)

# %% [markdown]
# ## 3. When to stop, and which weights to keep
#
# `history` holds one number per epoch (epochs counted from 0) under three keys:
# `"train_loss"`, `"val_accuracy"` and `"test_accuracy"`. Early stopping, as in the
# lecture, watches the **validation** accuracy: an epoch is a new best only when it beats
# every earlier one (a tie is no improvement); training stops after the epoch at which
# `patience` epochs have passed since the last new best, or at the last epoch if that never
# happens; and the weights kept are the ones of the best epoch. Return
# `(kept_epoch, stopped_epoch)`.

# %%
def early_stopping(history, patience):
    ### BEGIN SOLUTION
    best, kept = -np.inf, 0
    scores = history["val_accuracy"]
    for epoch, score in enumerate(scores):
        if score > best:
            best, kept = score, epoch
        elif epoch - kept >= patience:
            return kept, epoch
    return kept, len(scores) - 1
    ### END SOLUTION


check.early_stopping(early_stopping)

# %% [markdown]
# ## 4. Put them together
#
# A run's history, as lecture 6's `digits.fit` records it: where would your rule stop, and
# is the test accuracy there what the test set will say about the network? (It is the one
# number you may look at only once, after choosing.)

# %%
history = {"train_loss": [0.9, 0.5, 0.35, 0.27, 0.21, 0.17, 0.14, 0.12, 0.1, 0.09],
           "val_accuracy": [0.81, 0.9, 0.93, 0.94, 0.95, 0.95, 0.94, 0.95, 0.94, 0.95],
           "test_accuracy": [0.8, 0.89, 0.92, 0.95, 0.94, 0.96, 0.94, 0.95, 0.95, 0.94]}
try:
    kept, stopped = early_stopping(history, patience=3)
    print(f"stopped after epoch {stopped}, kept the weights of epoch {kept}:"
          f" test accuracy {history['test_accuracy'][kept]:.0%}")
    print("parameters of the lecture's CNN on 28 x 28 images:",
          cnn_parameters(28, 16, 3, 20, 10))
except NotImplementedError:
    print("write cnn_parameters and early_stopping first")
