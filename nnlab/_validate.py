"""Input checks for public entry points.

Every error names the argument, says what was expected and shows what came.
Inside nnlab, code that has passed these checks trusts its inputs.
"""
from __future__ import annotations

import numbers

import numpy as np


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def as_array(name: str, value, *, ndim=None, shape=None, finite=True, dtype=float) -> np.ndarray:
    """Convert ``value`` to a float array and check its dimensions and values.

    ``ndim`` may be an int or a tuple of allowed ints; ``shape`` may contain
    ``None`` for "any size" in that axis.
    """
    if value is None:
        raise ValueError(f"{name}: expected an array, got None")
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected an array of numbers, got {_describe(value)}") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name}: expected a {want} array, got shape {arr.shape}")
    if shape is not None:
        ok = arr.ndim == len(shape) and all(s is None or s == a for s, a in zip(shape, arr.shape))
        if not ok:
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name}: expected shape {want}, got shape {arr.shape}")
    if finite and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name}: expected finite numbers, got {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)}"
        )
    return arr


def choice(name: str, value, choices) -> str:
    """Check that ``value`` is one of ``choices`` (case-insensitive for strings)."""
    key = value.lower() if isinstance(value, str) else value
    if key not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}: expected one of {options}, got {_describe(value)}")
    return key


def integer(name: str, value, *, low=None, high=None) -> int:
    """Check that ``value`` is an integer in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: expected an integer, got {_describe(value)}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name}: expected an integer in [{lo}, {hi}], got {value}")
    return value


def real(name: str, value, *, low=None, high=None, low_open=False) -> float:
    """Check that ``value`` is a finite real number in the given range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {_describe(value)}")
    value = float(value)
    if low is not None and (value < low or (low_open and value == low)):
        op = ">" if low_open else ">="
        raise ValueError(f"{name}: expected a number {op} {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name}: expected a number <= {high}, got {value}")
    return value


def hex_digits(name: str, value, *, length: int, empty=False) -> str:
    """Check that ``value`` is a string of ``length`` hex digits (or "" if ``empty``); returned in lower case."""
    if not isinstance(value, str):
        raise ValueError(f"{name}: expected a string of {length} hex digits, got {_describe(value)}")
    if empty and value == "":
        return value
    text = value.lower()
    if len(text) != length or text.strip("0123456789abcdef"):
        raise ValueError(f"{name}: expected {length} hex digits (0-9, a-f){' or an empty string' if empty else ''}, "
                         f"got {len(text)} characters starting {text[:12]!r}")
    return text


def same_rows(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_b}: expected {a.shape[0]} rows (one per row of {name_a}), got shape {b.shape}"
        )
