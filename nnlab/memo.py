"""nnlab's one cache: ``memo(fn, *args, **kwargs)`` is ``fn(*args, **kwargs)``, remembered.

Explorers call their expensive model functions through it (a perceptron run, an optimiser race, a gradient
flow), so moving a slider back to where it was, or a second explorer with the same settings, costs nothing;
models call through it what they draw or train once (gradflow's weights, lecture 6's trained networks), and
the grader what it parses once. ``fn`` must be a pure function of hashable arguments, and callers must not
change what it returns.

Some results grow: gradflow's random draws for a seed (a wider network draws more of the same streams) and
the layers of the last network it measured (a deeper network computes only the layers it adds). Such a
result is an object that memo keeps like any other and that extends itself when asked for more, under its
own lock; what it has already handed out never changes, so it is still a pure function of its key. It
reports its size by an ``nbytes`` attribute, read whenever memo counts.

What is kept is bounded twice, least recently used out first: at most ``SIZE`` results, and at most
``BYTES`` bytes of NumPy arrays (counted inside tuples, lists, dicts and objects' attributes). A result
bigger than ``BYTES`` on its own is returned but not kept. Two threads asking for the same missing key may
both compute it (the result is pure; one copy is kept).
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

#: How many results are kept, over all callers together.
SIZE = 64
#: How many bytes of arrays are kept (a student's kernel is meant to stay small: README, "Memory per student").
BYTES = 256 * 2**20


def nbytes(value, _depth=0):
    """The bytes of the NumPy arrays in ``value``: an array, an object with ``nbytes`` (a growing result),
    or containers and plain objects holding them (four levels deep; anything else counts 0)."""
    if isinstance(value, np.ndarray):
        return value.nbytes if value.base is None else 0  # a view shares its base's memory
    if _depth > 4 or isinstance(value, (str, bytes, int, float, complex, bool, type(None))):
        return 0
    if hasattr(value, "nbytes"):
        return int(value.nbytes)
    if isinstance(value, dict):
        return sum(nbytes(v, _depth + 1) for v in value.values())
    if isinstance(value, (tuple, list, set, frozenset)):
        return sum(nbytes(v, _depth + 1) for v in value)
    attributes = getattr(value, "__dict__", None)
    return sum(nbytes(v, _depth + 1) for v in attributes.values()) if attributes else 0


def _growing(result):
    """A result that reports its own size, read live (an array's size is fixed, so it is counted once)."""
    return not isinstance(result, np.ndarray) and hasattr(result, "nbytes")


class Memo:
    """The cache behind ``memo`` (one instance per process)."""

    def __init__(self, size=SIZE, limit=BYTES):
        self.size, self.limit = size, limit
        self._kept = OrderedDict()      # key -> (result, its bytes, or None for a growing result read live)
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __call__(self, fn, *args, **kwargs):
        key = (fn, args, tuple(sorted(kwargs.items())))
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                self.hits += 1
                return self._kept[key][0]
            self.misses += 1
        result = fn(*args, **kwargs)
        growing = _growing(result)
        size = None if growing else nbytes(result)
        with self._lock:
            if key not in self._kept and (growing or size <= self.limit):
                self._kept[key] = (result, size)
            self._trim()
        return result

    def _bytes(self):
        return sum(result.nbytes if size is None else size for result, size in self._kept.values())

    def _trim(self):
        while len(self._kept) > self.size or (len(self._kept) > 1 and self._bytes() > self.limit):
            self._kept.popitem(last=False)

    def trim(self):
        """Drop the least recently used results until the bounds hold again (a growing result calls this
        after it grew)."""
        with self._lock:
            self._trim()

    def cache_clear(self):
        """Forget everything (tests start from nothing)."""
        with self._lock:
            self._kept.clear()
            self.hits = self.misses = 0

    def kept_bytes(self):
        """The bytes of arrays kept now."""
        with self._lock:
            return self._bytes()

    def __len__(self):
        return len(self._kept)


memo = Memo()
