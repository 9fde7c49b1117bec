"""Handwritten digits (lecture 6): one split for the 8x8 digits and MNIST, the lecture's two networks and their
parameter counts, the training recipe with early stopping, and the changes of the test images that show what
each network relies on.

Images are NumPy arrays (N, side, side) with ink from 0 to 1; ``tensors`` normalises them with the training
part's statistics into PyTorch's (N, 1, side, side), float32. Both networks take that shape (the MLP flattens
it) and are float32 whatever PyTorch's default dtype is (a script run in the same kernel may change it).

    MLP:  side^2 -> hidden (ReLU or sigmoid) -> classes;  (side^2 + 1) hidden + (hidden + 1) classes parameters
    CNN:  filters k x k convolutions (no padding), ReLU, 2 x 2 max-pool, -> hidden (ReLU) -> classes;
          filters (k^2 + 1) + (filters p^2 + 1) hidden + (hidden + 1) classes, p = (side - k + 1) // 2
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as valid
from .memo import memo


class Split(NamedTuple):
    """Images and labels of the training, validation and test parts."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def split(X, y, val=0.15, test=0.2, seed=0):
    """Stratified parts: ``test`` of the images for the test set, ``val`` for validation, the rest for training,
    each with the classes in the proportions of the whole (scikit-learn's ``train_test_split``). ``test`` may
    instead be a test set of its own, (images, labels), as MNIST has: then only validation is split off."""
    from sklearn.model_selection import train_test_split

    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"y: expected one label per image ({len(X)}), got {len(y)}")
    val = valid.real("val", val, low=0.0, high=0.5, low_open=True)
    if isinstance(test, tuple):
        if len(test) != 2 or len(test[0]) != len(test[1]):
            raise ValueError("test: expected a fraction or (images, labels) of equal length, got a tuple of "
                             f"{len(test)} items")
        (X_test, y_test), rest_X, rest_y, left = test, X, y, 1.0
    else:
        test = valid.real("test", test, low=0.0, high=0.5, low_open=True)
        rest_X, X_test, rest_y, y_test = train_test_split(X, y, test_size=test, stratify=y, random_state=seed)
        left = 1.0 - test
    X_train, X_val, y_train, y_val = train_test_split(rest_X, rest_y, test_size=val / left, stratify=rest_y,
                                                      random_state=seed)
    return Split(X_train, y_train, X_val, y_val, np.asarray(X_test), np.asarray(y_test))


def pixel_stats(images):
    """(mean, std) over every pixel of ``images``: the normalisation, taken from the training part only."""
    images = np.asarray(images, dtype=np.float64)
    return float(images.mean()), float(images.std())


def tensors(images, stats):
    """``images`` (N, side, side) as a float32 tensor (N, 1, side, side), normalised: (x - mean) / std."""
    import torch

    mean, std = stats
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3 or images.shape[1] != images.shape[2]:
        raise ValueError(f"images: expected shape (N, side, side), got {images.shape}")
    return torch.from_numpy((images - np.float32(mean)) / np.float32(std))[:, None]


# ------------------------------------------------------------------------------ the two networks


def mlp(side, hidden=128, classes=10, activation="relu"):
    """The fully connected network side^2 -> hidden -> classes (logits out)."""
    import torch

    activation = valid.choice("activation", activation, ("relu", "sigmoid"))
    g = torch.nn.ReLU() if activation == "relu" else torch.nn.Sigmoid()
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(side * side, hidden), g,
                               torch.nn.Linear(hidden, classes)).float()      # float32 whatever the default


def cnn(side, filters=16, kernel=3, hidden=20, classes=10):
    """The small convolutional network: ``filters`` k x k filters (no padding), ReLU, 2 x 2 max-pool, a fully
    connected layer of ``hidden`` ReLU units, then ``classes`` logits."""
    import torch

    pooled = _pooled(side, kernel)
    return torch.nn.Sequential(torch.nn.Conv2d(1, filters, kernel), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Flatten(), torch.nn.Linear(filters * pooled * pooled, hidden),
                               torch.nn.ReLU(), torch.nn.Linear(hidden, classes)).float()


def _pooled(side, kernel):
    side = valid.integer("side", side, low=2)
    kernel = valid.integer("kernel", kernel, low=1, high=side - 1)
    return (side - kernel + 1) // 2


def mlp_parameters(sizes):
    """Weights and biases of fully connected layers of these sizes: the sum of (fan_in + 1) fan_out."""
    return int(sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))


def cnn_parameters(side, filters=16, kernel=3, hidden=20, classes=10):
    """``cnn``'s parameters: each filter's k^2 weights and a bias, then the fully connected layers on the
    filters x p x p pooled maps (p = (side - k + 1) // 2)."""
    pooled = _pooled(side, kernel)
    return filters * (kernel * kernel + 1) + mlp_parameters([filters * pooled * pooled, hidden, classes])


# ------------------------------------------------------------------------------ training


class Run(NamedTuple):
    """A trained network (its best weights on the validation set), the accuracy per epoch, and when it stopped."""

    model: object
    history: dict          # "train_loss", "train_accuracy", "val_accuracy": one value per epoch
    best_epoch: int        # 0-based: the weights kept are the ones after this epoch
    epochs: int            # epochs run


def accuracy(model, X, y):
    """The share of ``X`` (a tensor) classified as ``y``, in eval mode without gradients."""
    import torch

    model.eval()
    with torch.no_grad():
        return float((model(X).argmax(1) == torch.as_tensor(y)).float().mean())


def probabilities(model, X):
    """softmax of the model's logits for ``X`` (a tensor), as a NumPy array (N, classes)."""
    import torch

    model.eval()
    with torch.no_grad():
        return torch.softmax(model(X), dim=1).numpy()


def fit(model, data, stats, epochs=80, lr=1e-3, batch_size=32, patience=10, seed=0, progress=True, name="epochs"):
    """Lecture 5's recipe for ``model`` on ``data`` (a ``Split``, normalised with ``stats``): Adam on the mean
    cross-entropy, mini-batches of a reshuffled order each epoch, the validation accuracy after every epoch.
    Training stops ``patience`` epochs after the best validation accuracy so far and keeps that epoch's
    weights (early stopping; ``patience=None`` trains every epoch and still keeps the best). ``seed`` fixes
    the initial weights and the orders: a run repeats exactly on one machine. A ``tqdm`` bar called ``name``
    shows the epochs unless ``progress`` is False."""
    import torch
    from tqdm.auto import tqdm

    epochs = valid.integer("epochs", epochs, low=1)
    batch_size = valid.integer("batch_size", batch_size, low=1)
    lr = valid.real("lr", lr, low=0.0, low_open=True)
    torch.manual_seed(seed)
    for layer in model.modules():
        if hasattr(layer, "reset_parameters"):
            layer.reset_parameters()            # the seed decides the initial weights
    X, y = tensors(data.X_train, stats), torch.as_tensor(data.y_train)
    X_val, y_val = tensors(data.X_val, stats), data.y_val
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)
    history = {"train_loss": [], "train_accuracy": [], "val_accuracy": []}
    best, best_epoch, kept = -1.0, 0, None
    bar = tqdm(range(epochs), desc=name, disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        total = 0.0
        for idx in torch.randperm(len(X), generator=order).split(batch_size):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        history["train_loss"].append(total / len(X))
        history["train_accuracy"].append(accuracy(model, X, y))
        history["val_accuracy"].append(accuracy(model, X_val, y_val))
        bar.set_postfix(val=f"{history['val_accuracy'][-1]:.3f}")
        if history["val_accuracy"][-1] > best:
            best, best_epoch = history["val_accuracy"][-1], epoch
            kept = {k: v.clone() for k, v in model.state_dict().items()}
        elif patience is not None and epoch - best_epoch >= patience:
            break
    bar.close()
    model.load_state_dict(kept)
    return Run(model, history, best_epoch, epoch + 1)


# ------------------------------------------------------------------------------ what the test set shows


def confusion(truth, predicted, classes=10):
    """C[i, j]: how many images of class i were classified as j."""
    C = np.zeros((classes, classes), dtype=int)
    np.add.at(C, (np.asarray(truth, int), np.asarray(predicted, int)), 1)
    return C


def shifted(images, right=0, down=0):
    """The images moved ``right`` and ``down`` pixels (negative: left, up), blank where nothing moved in."""
    images = np.asarray(images)
    out = np.zeros_like(images)
    h, w = images.shape[1:]
    rows, cols = slice(max(down, 0), h + min(down, 0)), slice(max(right, 0), w + min(right, 0))
    src_rows, src_cols = slice(max(-down, 0), h - max(down, 0)), slice(max(-right, 0), w - max(right, 0))
    out[:, rows, cols] = images[:, src_rows, src_cols]
    return out


def rotated(images, degrees):
    """The images turned by ``degrees`` (anticlockwise) about their centre, bilinear, ink kept in [0, 1]."""
    from scipy import ndimage

    turned = ndimage.rotate(np.asarray(images, dtype=np.float64), degrees, axes=(2, 1), reshape=False, order=1)
    return np.clip(turned, 0.0, 1.0)


def noised(images, std, seed=0):
    """The images with Gaussian noise of standard deviation ``std`` added to every pixel, kept in [0, 1]."""
    rng = np.random.default_rng(seed)
    images = np.asarray(images, dtype=np.float64)
    return np.clip(images + rng.normal(0.0, std, images.shape), 0.0, 1.0)


# ------------------------------------------------------------------------------ a digit drawn by hand

#: The drawing pad's grid: 32 x 32 cells, as the scans behind the 8x8 digits were (each 8x8 pixel counts the
#: ink of a 4 x 4 block of such a scan, 0 to 16).
PAD = 32
BLOCK = PAD // 8
# 4 x 4 ordered-dither thresholds (Bayer): a block with c cells inked, c = 0..16, inks the c cells numbered below c
_BAYER = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]])


def pad_from_hex(text, side=PAD):
    """A drawing as the pad sends it (``side`` x ``side`` cells, row by row, four to a hex digit, the first cell the
    highest bit; "" is a blank pad) as a boolean array."""
    text = valid.hex_digits("drawing", text, length=side * side // 4, empty=True)
    if not text:
        return np.zeros((side, side), dtype=bool)
    nibbles = np.array([int(ch, 16) for ch in text], dtype=np.uint8)
    return ((nibbles[:, None] >> np.array([3, 2, 1, 0])) & 1).astype(bool).reshape(side, side)


def hex_from_pad(cells):
    """``pad_from_hex``'s inverse: the cells (side x side booleans) as hex digits, "" when no cell is inked."""
    cells = np.asarray(cells, dtype=bool)
    if not cells.any():
        return ""
    bits = cells.reshape(-1, 4).astype(np.uint8) @ np.array([8, 4, 2, 1], dtype=np.uint8)
    return "".join("0123456789abcdef"[b] for b in bits)


def pad_from_image(image):
    """An 8x8 image (ink 0 to 1) as pad cells whose 4 x 4 blocks hold its ink counts (ordered dithering): the
    test images can be loaded onto the pad, and ``seen_by_network`` gives them back."""
    counts = np.rint(np.clip(np.asarray(image, dtype=float), 0, 1) * BLOCK * BLOCK).astype(int)
    return np.kron(counts, np.ones((BLOCK, BLOCK), dtype=int)) > np.tile(_BAYER, (8, 8))


def pad_from_photo(data):
    """A photo of a digit written on paper (PNG, JPEG or any format Pillow reads, as bytes) as pad cells: grey
    levels, the ink taken to be whatever differs from the paper (the photo's border), its contrast stretched so
    that uneven light counts for little, cropped to the ink and scaled, shape kept, to fill the pad; a cell is
    inked where at least half of it is ink. ``seen_by_network`` then prepares it as it prepares a drawing."""
    import io

    from PIL import Image, UnidentifiedImageError

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"photo: expected the bytes of an image file, got {type(data).__name__}")
    try:
        grey = np.asarray(Image.open(io.BytesIO(bytes(data))).convert("L"), dtype=float) / 255.0
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"photo: expected an image file (PNG, JPEG, ...), got {len(data)} bytes that are not "
                         f"one ({exc})") from None
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    paper = np.median(border)
    ink = np.abs(grey - paper)                         # dark ink on light paper, or light chalk on a board
    lo, hi = np.percentile(ink, [50, 99.5])
    if hi - lo < 0.1:
        raise ValueError("photo: expected a digit that stands out from its paper, got an image of almost one shade")
    ink = np.clip((ink - lo) / (hi - lo), 0.0, 1.0)
    rows, cols = np.flatnonzero((ink > 0.5).any(axis=1)), np.flatnonzero((ink > 0.5).any(axis=0))
    ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = ink.shape
    scale = PAD / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray((ink * 255).astype(np.uint8)).resize(size, Image.Resampling.BOX), float) / 255
    cells = np.zeros((PAD, PAD), dtype=bool)
    top, left = (PAD - small.shape[0]) // 2, (PAD - small.shape[1]) // 2
    cells[top:top + small.shape[0], left:left + small.shape[1]] = small >= 0.5
    return cells


def seen_by_network(cells):
    """What the networks see of a drawing, prepared as the 8x8 digits were: cropped to its ink, scaled (keeping
    its shape) so that its taller side fills the 32-cell box, centred by its centre of ink, and each 4 x 4 block's
    inked cells counted (0 to 16, here 0 to 1). A blank pad gives a blank image."""
    from scipy import ndimage

    cells = np.asarray(cells, dtype=float)
    rows, cols = np.flatnonzero(cells.any(axis=1)), np.flatnonzero(cells.any(axis=0))
    if not rows.size:
        return np.zeros((8, 8))
    ink = cells[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    zoom = PAD / max(ink.shape)
    scaled = ndimage.zoom(ink, zoom, order=0, grid_mode=True, mode="grid-constant") > 0.5
    box = np.zeros((PAD, PAD))
    h, w = min(scaled.shape[0], PAD), min(scaled.shape[1], PAD)
    cy, cx = ndimage.center_of_mass(scaled[:h, :w]) if scaled[:h, :w].any() else (h / 2, w / 2)
    top = int(np.clip(round(PAD / 2 - cy - 0.5), 0, PAD - h))
    left = int(np.clip(round(PAD / 2 - cx - 0.5), 0, PAD - w))
    box[top:top + h, left:left + w] = scaled[:h, :w]
    return box.reshape(8, BLOCK, 8, BLOCK).sum(axis=(1, 3)) / (BLOCK * BLOCK)


def nearest(image, images, k=3):
    """The indices of the ``k`` images nearest to ``image`` (Euclidean distance over the pixels), nearest first."""
    d = np.sum((np.asarray(images, dtype=float) - np.asarray(image, dtype=float)) ** 2, axis=(1, 2))
    return np.argsort(d, kind="stable")[:k]


def pad_parts():
    """The 8x8 digits split as lecture 6 splits them (seed 0)."""
    from .data import load_digits

    images, labels = load_digits(flatten=False)
    return split(images, labels, val=0.15, test=0.2, seed=0)


def trained(seed=0):
    """Lecture 6's two networks trained on the 8x8 digits with its split and recipe (Adam, learning rate 0.001,
    batches of 32, early stopping with patience 10) from ``seed``: a dict with "MLP" and "CNN" (each a ``Run``),
    "parts" (the split) and "stats" (its normalisation). Trained once (a few seconds) and remembered by
    ``memo``: the lecture's runs and its DigitPad are the same networks."""
    return memo(_trained, seed)


def _trained(seed):
    parts = pad_parts()
    stats = pixel_stats(parts.X_train)
    runs = {name: fit(make(8), parts, stats, lr=1e-3, batch_size=32, patience=10, seed=seed, progress=False)
            for name, make in (("MLP", mlp), ("CNN", cnn))}
    return {**runs, "parts": parts, "stats": stats}
