"""nnlab.data: seeded generators, the bundled digits, and MNIST parsing on IDX files we write."""
import gzip
import struct

import numpy as np
import pytest

from nnlab import data


@pytest.mark.parametrize("name", sorted(data.DATASETS))
def test_generators_are_seeded_and_shaped(name):
    X1, y1 = data.make(name, n=60, seed=3)
    X2, y2 = data.make(name, n=60, seed=3)
    X3, _ = data.make(name, n=60, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.shape[0] == 60 and y1.shape == (60,) and X1.ndim == 2


def test_circle_labels_are_inside_the_unit_circle():
    X, y = data.circle(500, seed=0)
    np.testing.assert_array_equal(y, (np.hypot(X[:, 0], X[:, 1]) < 1).astype(int))
    # P(|x| < 1) for x ~ N(0, I_2) is 1 - e^{-1/2} = 0.393
    assert abs(y.mean() - (1 - np.exp(-0.5))) < 0.06


def test_blobs_are_separable_with_the_requested_margin():
    from sklearn.svm import LinearSVC

    X, y = data.blobs(200, margin=1.0, seed=1)
    dist = (X @ np.array([1.0, 1.0]) / np.sqrt(2)) * (2 * y - 1)
    assert dist.min() >= 0.5 - 1e-12
    assert LinearSVC(C=1e4, max_iter=100_000).fit(X, y).score(X, y) == 1.0


def test_xor_is_not_linearly_separable_but_balanced():
    from sklearn.linear_model import LogisticRegression

    X, y = data.xor(400, seed=0)
    assert y.mean() == 0.5
    assert LogisticRegression().fit(X, y).score(X, y) < 0.7
    np.testing.assert_array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(int))


def test_sine_regression_matches_its_definition():
    X, y = data.sine(2000, noise=0.1, seed=0)
    assert X.shape == (2000, 1) and 0 <= X.min() and X.max() <= 1
    resid = y - np.sin(2 * np.pi * X[:, 0])
    assert abs(resid.std() - 0.1) < 0.01


def test_spirals_have_all_classes():
    X, y = data.spirals(300, classes=3, seed=0)
    assert set(y) == {0, 1, 2}


def test_to_pm1_and_its_error():
    np.testing.assert_array_equal(data.to_pm1([0, 1, 1]), [-1, 1, 1])
    with pytest.raises(ValueError, match=r"y: expected labels in \{0, 1\}"):
        data.to_pm1([-1, 1])


def test_load_digits_is_the_offline_8x8_set():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,) and set(y) == set(range(10))
    assert X.min() == 0 and X.max() == 1
    assert data.load_digits(flatten=False)[0].shape == (1797, 8, 8)


def test_load_digits_reads_scikit_learns_file_as_scikit_learn_does(monkeypatch):
    """load_digits reads the bundled file itself (no scikit-learn in the kernel, tests/test_memory.py); the
    numbers are scikit-learn's, and scikit-learn's loader serves, the same, when the file is not found."""
    from sklearn.datasets import load_digits

    d = load_digits()
    assert data._digits_file() is not None
    for found in (True, False):
        if not found:
            monkeypatch.setattr(data, "_digits_file", lambda: None)
        X, y = data.load_digits()
        np.testing.assert_array_equal(X, d.data / 16.0)
        np.testing.assert_array_equal(y, d.target)
        assert y.dtype == int


def _write_idx(path, array, code):
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as fh:
            fh.write(body)
    else:
        path.write_bytes(body)


def test_read_idx_round_trips_all_types(tmp_path):
    rng = np.random.default_rng(0)
    for code, dtype in [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32),
                        (0x0D, np.float32), (0x0E, np.float64)]:
        a = (rng.normal(size=(3, 4, 2)) * 50).astype(dtype)
        for name in ("a.idx", "a.idx.gz"):
            _write_idx(tmp_path / name, a, code)
            np.testing.assert_array_equal(data.read_idx(tmp_path / name), a)


def test_read_idx_rejects_garbage(tmp_path):
    (tmp_path / "bad").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="path: expected an IDX file"):
        data.read_idx(tmp_path / "bad")
    a = np.zeros((2, 3), np.uint8)
    _write_idx(tmp_path / "short", a, 0x08)
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-1])
    with pytest.raises(ValueError, match=r"declares shape \(2, 3\)"):
        data.read_idx(tmp_path / "short")


def test_load_mnist_parses_cached_files(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(5, 28, 28)).astype(np.uint8)
    labels = np.array([7, 2, 1, 0, 4], np.uint8)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images, 0x08)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels, 0x08)  # an unzipped copy works too
    X, y = data.load_mnist("test", root=tmp_path, download=False)
    assert X.shape == (5, 784) and y.tolist() == [7, 2, 1, 0, 4]
    np.testing.assert_allclose(X[0], (images[0].ravel() / 255 - 0.1307) / 0.3081, rtol=1e-6)
    X01, _ = data.load_mnist("test", root=tmp_path, normalize=False, flatten=False, download=False)
    assert X01.shape == (5, 28, 28) and X01.max() <= 1


def test_load_mnist_offline_says_to_use_load_digits(tmp_path):
    # a closed local port stands in for an unreachable network
    with pytest.raises(data.MNISTUnavailableError, match="load_digits"):
        data.load_mnist("train", root=tmp_path, mirrors=("http://127.0.0.1:9/",), timeout=2)
    with pytest.raises(data.MNISTUnavailableError, match="load_digits"):
        data.load_mnist("train", root=tmp_path, download=False)
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize("call, words", [
    (lambda: data.circle(n=0), ["n", "integer in [1"]),
    (lambda: data.circle(n=2.5), ["n", "integer", "2.5"]),
    (lambda: data.xor(noise=-1), ["noise", ">= 0"]),
    (lambda: data.make("swirl"), ["name", "'moons'", "swirl"]),
    (lambda: data.load_mnist("val"), ["split", "'train'"]),
])
def test_bad_input(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for w in words:
        assert w in str(info.value)
