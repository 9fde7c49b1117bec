"""Seeded datasets for the course.

Every generator takes ``n`` and ``seed`` and returns ``(X, y)`` with ``X`` of shape
(n, d) and ``y`` of shape (n,). Class labels are 0/1 (or 0..K-1); use
``to_pm1(y)`` for the perceptron's -1/+1 labels.
"""
from __future__ import annotations

import gzip
import os
import struct
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from . import _validate as valid


def _rng(seed):
    return np.random.default_rng(seed)


def _n(n, low=1):
    return valid.integer("n", n, low=low)


def to_pm1(y):
    """Map labels {0, 1} to {-1, +1}."""
    y = np.asarray(y)
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError(f"y: expected labels in {{0, 1}}, got values {np.unique(y)[:5]}")
    return 2 * y.astype(int) - 1


def circle(n=200, radius=1.0, seed=None, noise=0.0):
    """x ~ N(0, I_2); label 1 inside the circle of the given radius (curriculum L04).
    ``noise`` > 0 then moves every point by N(0, noise^2) after labelling (labels near the circle blur)."""
    rng = _rng(seed)
    X = rng.standard_normal((_n(n), 2))
    y = (np.sum(X**2, axis=1) < valid.real("radius", radius, low=0.0, low_open=True) ** 2).astype(int)
    if valid.real("noise", noise, low=0.0) > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return X, y


def gauss(n=200, noise=0.5, seed=None):
    """Two Gaussian clouds N((1, 1), noise^2 I) (label 1) and N((-1, -1), noise^2 I) (label 0), half each."""
    rng = _rng(seed)
    n = _n(n, low=2)
    y = np.arange(n) % 2
    rng.shuffle(y)
    X = (2 * y - 1)[:, None] * np.ones(2) + valid.real("noise", noise, low=0.0) * rng.standard_normal((n, 2))
    return X, y


def xor(n=200, noise=0.1, seed=None):
    """Four clusters at the corners of [-1, 1]^2; label 1 where x1 and x2 have opposite signs."""
    rng = _rng(seed)
    n = _n(n)
    corners = np.array([[-1, -1], [1, 1], [-1, 1], [1, -1]], float)
    idx = np.arange(n) % 4
    rng.shuffle(idx)
    X = corners[idx] + valid.real("noise", noise, low=0.0) * rng.standard_normal((n, 2))
    return X, (idx >= 2).astype(int)


def blobs(n=100, margin=1.0, spread=1.0, seed=None):
    """Two linearly separable clouds on either side of the line x1 + x2 = 0.

    Points lie at distance >= margin/2 from that line, so the best separator has
    margin at least ``margin / 2`` and the classes never overlap.
    """
    rng = _rng(seed)
    n = _n(n, low=2)
    margin = valid.real("margin", margin, low=0.0)
    spread = valid.real("spread", spread, low=0.0, low_open=True)
    y = np.arange(n) % 2
    rng.shuffle(y)
    normal = np.array([1.0, 1.0]) / np.sqrt(2.0)
    along = np.array([1.0, -1.0]) / np.sqrt(2.0)
    dist = margin / 2 + np.abs(rng.normal(0.0, spread, n))
    t = rng.normal(0.0, 2 * spread, n)
    X = (2 * y - 1)[:, None] * dist[:, None] * normal + t[:, None] * along
    return X, y


def moons(n=200, noise=0.1, seed=None):
    """Two interleaving half circles (label 0 upper, label 1 lower)."""
    rng = _rng(seed)
    n = _n(n, low=2)
    y = np.arange(n) % 2
    rng.shuffle(y)
    t = rng.uniform(0.0, np.pi, n)
    X = np.where(y[:, None] == 0,
                 np.c_[np.cos(t), np.sin(t)],
                 np.c_[1.0 - np.cos(t), 0.5 - np.sin(t)])
    return X + valid.real("noise", noise, low=0.0) * rng.standard_normal((n, 2)), y


def spirals(n=300, classes=2, turns=1.5, noise=0.05, seed=None):
    """``classes`` interleaved spiral arms, labels 0..classes-1."""
    rng = _rng(seed)
    n = _n(n, low=1)
    classes = valid.integer("classes", classes, low=2, high=10)
    turns = valid.real("turns", turns, low=0.0, low_open=True)
    y = np.arange(n) % classes
    rng.shuffle(y)
    r = rng.uniform(0.05, 1.0, n)
    angle = 2 * np.pi * (turns * r + y / classes)
    X = r[:, None] * np.c_[np.cos(angle), np.sin(angle)]
    return X + valid.real("noise", noise, low=0.0) * rng.standard_normal((n, 2)), y


def sine(n=100, noise=0.1, seed=None):
    """x ~ U[0, 1], y = sin(2 pi x) + N(0, noise^2) (curriculum L05); X has shape (n, 1)."""
    rng = _rng(seed)
    n = _n(n)
    x = rng.uniform(0.0, 1.0, n)
    y = np.sin(2 * np.pi * x) + valid.real("noise", noise, low=0.0) * rng.standard_normal(n)
    return x[:, None], y


DATASETS = {"circle": circle, "gauss": gauss, "xor": xor, "blobs": blobs, "moons": moons, "spirals": spirals,
            "sine": sine}


def make(name, **kwargs):
    """Any generator by name: make('moons', n=100, seed=0)."""
    return DATASETS[valid.choice("name", name, tuple(DATASETS))](**kwargs)


FEATURES = {
    "x1": lambda X: X[:, 0], "x2": lambda X: X[:, 1],
    "x1^2": lambda X: X[:, 0] ** 2, "x2^2": lambda X: X[:, 1] ** 2, "x1x2": lambda X: X[:, 0] * X[:, 1],
    "sin x1": lambda X: np.sin(X[:, 0]), "sin x2": lambda X: np.sin(X[:, 1]),
}


def features(X, names):
    """The network's inputs from 2-D points: one column per name in FEATURES (TensorFlow Playground's seven)."""
    X = valid.as_array("X", X, shape=(None, 2))
    names = [valid.choice("features", f, tuple(FEATURES)) for f in names]
    if not names:
        raise ValueError("features: expected at least one feature name, got none")
    return np.column_stack([FEATURES[f](X) for f in names])


# ------------------------------------------------------------------ digits


def load_digits(flatten=True):
    """scikit-learn's bundled 8x8 digits (1,797 images, offline); pixels scaled to [0, 1].

    Returns (X, y) with X of shape (1797, 64), or (1797, 8, 8) with flatten=False.
    The numbers are read from scikit-learn's own file (``_digits_file``) without importing scikit-learn, which
    would add ~110 MiB to the kernel for the rest of the lecture; ``sklearn.datasets.load_digits`` serves when
    that file is not where scikit-learn keeps it.
    """
    path = _digits_file()
    if path is not None:
        table = np.loadtxt(path, delimiter=",")     # as scikit-learn reads it: 64 pixels (0-16), then the label
        images, target = table[:, :-1].reshape(-1, 8, 8), table[:, -1]
    else:
        from sklearn.datasets import load_digits as _sk_digits

        d = _sk_digits()
        images, target = d.images, d.target
    X = images / 16.0
    return (X.reshape(len(X), -1) if flatten else X), target.astype(int)


def _digits_file():
    """The path of scikit-learn's ``datasets/data/digits.csv.gz``, found without importing scikit-learn, or None."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return path
    return None


# ------------------------------------------------------------------- MNIST

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class MNISTUnavailableError(OSError):
    """MNIST is neither cached nor downloadable (no network)."""


def read_idx(path):
    """Read an IDX file (optionally gzipped) into a NumPy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"path: expected an IDX file (magic 0x0000TTDD), got {path} starting with {data[:4]!r}")
    dtype, ndim = np.dtype(_IDX_DTYPES[data[2]]), data[3]
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = data[4 + 4 * ndim:]
    if len(body) != dtype.itemsize * int(np.prod(shape)):
        raise ValueError(f"path: {path} declares shape {shape} but holds {len(body)} bytes of data")
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def default_cache():
    """Where downloaded data is kept: $NNLAB_DATA, else ~/.cache/nnlab."""
    return Path(os.environ.get("NNLAB_DATA", Path.home() / ".cache" / "nnlab"))


def _download(name, dest, mirrors, timeout):
    errors = []
    for base in mirrors:
        try:
            with urllib.request.urlopen(base + name, timeout=timeout) as r:
                payload = r.read()
            tmp = dest.with_suffix(".part")
            tmp.write_bytes(payload)
            tmp.replace(dest)
            return
        except (urllib.error.URLError, OSError, ValueError) as exc:
            errors.append(f"{base}: {exc}")
    raise MNISTUnavailableError(
        f"could not download MNIST file {name} (tried {len(mirrors)} mirrors; {errors[-1] if errors else ''}). "
        "This machine seems to be offline. Use nnlab.data.load_digits() (8x8 digits bundled with "
        f"scikit-learn, works offline), or copy the four MNIST .gz files into {dest.parent}."
    )


def load_mnist(split="train", root=None, normalize=True, flatten=True, download=True,
               mirrors=MNIST_MIRRORS, timeout=10.0):
    """Real MNIST (60,000 train / 10,000 test, 28x28), cached on disk after the first download.

    normalize=True maps pixels to (x/255 - 0.1307) / 0.3081, else to [0, 1].
    Offline and not cached: raises MNISTUnavailableError suggesting ``load_digits``.
    Returns (X, y): X of shape (N, 784) (or (N, 28, 28) with flatten=False), y of shape (N,).
    """
    split = valid.choice("split", split, tuple(MNIST_FILES))
    root = Path(root) if root is not None else default_cache() / "mnist"
    root.mkdir(parents=True, exist_ok=True)
    arrays = []
    for name in MNIST_FILES[split]:
        path = root / name
        raw = root / name[:-3]
        if not path.exists() and raw.exists():
            path = raw
        elif not path.exists():
            if not download:
                raise MNISTUnavailableError(
                    f"MNIST file {name} is not in {root} and download=False. "
                    "Use nnlab.data.load_digits() for the offline 8x8 digits.")
            _download(name, path, mirrors, timeout)
        arrays.append(read_idx(path))
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"MNIST files in {root}: expected images (N, 28, 28) and labels (N,), "
                         f"got {images.shape} and {labels.shape}")
    X = images.astype(np.float32) / 255.0
    if normalize:
        X = (X - MNIST_MEAN) / MNIST_STD
    return (X.reshape(len(X), -1) if flatten else X), labels.astype(int)
