"""Gradient checking: a model's backward pass against central differences of its loss.

Works with any model that has ``params`` (a list of (W, b)), ``loss(X, Y)`` and ``gradients(X, Y)``
shaped like ``params``, such as ``nnlab.nn.MLP``; ``nnlab.nn`` exports these names too (``nn.gradient_check``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as valid


def numerical_gradient(f, x, eps=1e-5):
    """Central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), perturbing ``x`` in place."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        grad[i] = (fp - fm) / (2.0 * eps)
    return grad


@dataclass
class GradientCheckEntry:
    """One parameter array: relative error ||a - n|| / (||a|| + ||n||) and the worst entry."""

    name: str
    rel_error: float
    index: tuple
    analytic: float
    numerical: float


@dataclass
class GradientCheck:
    """Result of a gradient check: one entry per parameter array."""

    entries: list

    @property
    def max_rel_error(self):
        return max(e.rel_error for e in self.entries)

    def __str__(self):
        lines = [f"{'array':>6}  {'rel. error':>10}  worst entry (analytic vs numerical)"]
        for e in self.entries:
            lines.append(f"{e.name:>6}  {e.rel_error:10.2e}  {str(e.index):8} ({e.analytic:.8g} vs {e.numerical:.8g})")
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


def relative_error(a, n, floor=1e-12):
    """||a - n|| / max(||a|| + ||n||, floor): the usual gradient-check measure for one array."""
    a, n = np.asarray(a, float), np.asarray(n, float)
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), floor))


def gradient_check(model, X, Y, eps=1e-5):
    """Compare ``model.gradients(X, Y)`` with central differences of ``model.loss(X, Y)``.

    For each W_l and b_l it reports the relative error ||a - n|| / (||a|| + ||n||)
    (below about 1e-7 means the backward pass is right, in float64) and the index
    of the entry where analytic and numerical gradients differ most.
    """
    if not hasattr(model, "params") or not hasattr(model, "gradients"):
        raise ValueError(f"model: expected an object with .params, .loss and .gradients (an nnlab MLP), got {model!r}")
    analytic = model.gradients(X, Y)
    entries = []
    for l, ((W, b), (dW, db)) in enumerate(zip(model.params, analytic), start=1):
        for name, p, a in ((f"W{l}", W, dW), (f"b{l}", b, db)):
            n = numerical_gradient(lambda: model.loss(X, Y), p, eps)
            i = np.unravel_index(np.argmax(np.abs(a - n)), a.shape)
            entries.append(GradientCheckEntry(name, relative_error(a, n), tuple(int(k) for k in i),
                                              float(a[i]), float(n[i])))
    return GradientCheck(entries)


def difference_quotient(f, x, h, kind="central"):
    """(f(x + h) - f(x)) / h ("forward", one-sided) or (f(x + h) - f(x - h)) / (2h) ("central"),
    computed in the dtype of ``x`` (a NumPy scalar: float32 or float64)."""
    kind = valid.choice("kind", kind, ("forward", "central"))
    x = np.asarray(x)[()]
    h = x.dtype.type(h)
    if kind == "forward":
        return (f(x + h) - f(x)) / h
    return (f(x + h) - f(x - h)) / (h + h)


def error_against_h(f, df, x, hs, dtype=np.float64, kind="central"):
    """|difference quotient - f'(x)| for each step h in ``hs``, with f evaluated in ``dtype``.

    The error falls with h (truncation: ∝ h one-sided, ∝ h² central) until rounding takes over
    (∝ ε/h, ε the machine epsilon of ``dtype``): a V on a log-log plot whose bottom lies near
    h = ε^(1/2) (one-sided) and h = ε^(1/3) (central)."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype: expected float32 or float64, got {dtype}")
    x = dtype.type(x)
    exact = float(df(float(x)))
    return np.array([abs(float(difference_quotient(f, x, h, kind)) - exact) for h in np.asarray(hs, float)])


def best_step(hs, errors, window=9):
    """The step where the error curve is lowest once each point is replaced by the median of its
    ``window`` neighbours: rounding makes single steps lucky (an error far below the curve), and
    the median ignores them."""
    errors = np.asarray(errors, float)
    half = valid.integer("window", window, low=1) // 2
    smooth = [np.median(errors[max(0, i - half): i + half + 1]) for i in range(len(errors))]
    return float(np.asarray(hs, float)[int(np.argmin(smooth))])
