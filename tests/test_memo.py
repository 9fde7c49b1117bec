"""``nnlab.memo``, the one cache: least recently used out first, bounded by count and by bytes of arrays,
with results that grow (gradflow's draws and measured layers) counted as they grow."""
import threading

import numpy as np
import pytest

from nnlab import gradflow
from nnlab.memo import Memo, memo, nbytes


def test_results_are_remembered_and_the_least_recently_used_go_first():
    calls = []

    def square(x):
        calls.append(x)
        return x * x

    m = Memo(size=3, limit=2**30)
    assert [m(square, x) for x in (1, 2, 3, 1)] == [1, 4, 9, 1] and calls == [1, 2, 3]
    m(square, 4)                       # 2 is the least recently used now
    assert len(m) == 3
    m(square, 1), m(square, 3), m(square, 2)
    assert calls == [1, 2, 3, 4, 2]
    assert m(square, x=5) == 25 and m(square, x=5) == 25 and calls[-1] == 5 and calls.count(5) == 1


def test_bytes_of_arrays_bound_what_is_kept():
    m = Memo(size=100, limit=3 * 8000)
    for k in range(5):
        m(np.full, 1000, float(k))      # 8,000 bytes each
    assert len(m) == 3 and m.kept_bytes() == 24_000
    assert m(np.zeros, 10_000) is not m(np.zeros, 10_000)   # bigger than the limit alone: returned, not kept
    assert m.kept_bytes() <= 24_000


def test_nbytes_counts_arrays_inside_containers_and_objects_and_not_views_twice():
    class Box:
        def __init__(self):
            self.a, self.parts = np.zeros(10), {"b": [np.zeros(5), (np.zeros(3, np.float32),)]}

    a = np.zeros(100)
    assert nbytes(Box()) == 80 + 40 + 12
    assert nbytes((a, a[:10], "text", 3)) == 800


def test_a_growing_result_is_counted_as_it_grows_and_trimmed_by_its_own_call():
    class Growing:
        def __init__(self, key):
            self.parts, self.nbytes = [], 0

        def grow(self, m, n):
            self.parts.append(np.zeros(n))
            self.nbytes += 8 * n
            m.trim()

    m = Memo(size=10, limit=10_000)
    m(np.zeros, 500)                   # 4,000 bytes, the least recently used
    g = m(Growing, "a")
    g.grow(m, 500)
    assert len(m) == 2 and m.kept_bytes() == 8000
    g.grow(m, 500)                     # 12,000 bytes in all: the array goes
    assert len(m) == 1 and m(Growing, "a") is g and m.kept_bytes() == 8000


def test_threads_asking_at_once_get_equal_results():
    m = Memo(size=8, limit=2**30)
    out = []

    def ask():
        out.append(m(np.arange, 1000).sum())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [499500] * 8 and len(m) == 1


def test_gradflows_draws_and_measured_layers_live_in_memo_within_its_bytes():
    """The model layer's growing stores are memo's: a deep, wide network's draws and layers are counted,
    and a run of new seeds does not pile them up beyond memo's bound."""
    memo.cache_clear()
    for seed in range(6):
        gradflow.gradient_flow(40, 256, "relu", "he", batch=128, seed=seed)
    kinds = {type(result).__name__ for result, _ in memo._kept.values()}
    assert {"Draws", "Measured"} <= kinds
    assert 0 < memo.kept_bytes() <= memo.limit
    memo.cache_clear()


@pytest.mark.parametrize("seed", [0, 3])
def test_a_network_built_after_memo_forgot_is_the_same(seed):
    a = gradflow.build(6, 30, "tanh", "xavier", seed=seed)
    memo.cache_clear()
    b = gradflow.build(6, 30, "tanh", "xavier", seed=seed)
    for (W, _), (V, _) in zip(a.layers, b.layers):
        np.testing.assert_array_equal(W, V)
