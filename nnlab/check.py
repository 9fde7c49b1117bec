"""Checks for exercises: call one with your function and read the diagnosis.

    from nnlab import check
    check.sigmoid(my_sigmoid)            # shows a short report in the notebook
    check.backprop(my_backprop, strict=True)   # raises AssertionError with the diagnosis (for graders)

Every check calls your function on seeded float64 inputs (kept away from ReLU kinks), compares
with an independent oracle (a closed form, PyTorch autograd, central differences), and names
the mistake when it recognises one: a sign error, a missing or extra 1/N, transposed shapes,
overflow in exp, inputs changed in place, integer arrays, a function that ignores its inputs.
A check never crashes on your code: exceptions, wrong types, NaNs and endless loops (a time
limit per call) become messages; warnings are captured, never printed.
"""
from __future__ import annotations

import html
import signal
import sys
import threading
import time
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

TIME_LIMIT = 10.0  # seconds per call of the student's function


@dataclass
class CheckResult:
    """The outcome of one check: passed, a score in [0, 1] and messages (the first one is the diagnosis)."""

    name: str
    passed: bool
    score: float
    messages: list = field(default_factory=list)

    def __str__(self):
        head = f"{self.name}: {'passed' if self.passed else 'not yet'} (score {self.score:.2f})"
        return "\n".join([head] + [f"  - {m}" for m in self.messages])

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        colour = "#009E73" if self.passed else "#D55E00"
        mark = "✔" if self.passed else "✘"
        items = "".join(f"<li>{html.escape(m)}</li>" for m in self.messages)
        return (f'<div class="nnlab-check" role="status" style="border-left:4px solid {colour};padding:4px 10px">'
                f"<b>{mark} {html.escape(self.name)}</b>: {'passed' if self.passed else 'not yet'} "
                f"(score {self.score:.2f})<ul>{items}</ul></div>")

    def raise_if_failed(self):
        if not self.passed:
            raise AssertionError(self.messages[0] if self.messages else f"{self.name} failed")
        return self


class StudentError(Exception):
    """The student's function raised, hung, or returned something unusable; the message says which."""


@contextmanager
def _time_limit(seconds):
    """SIGALRM-based limit in the main thread (where notebook cells run); no limit elsewhere."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def handler(signum, frame):
        raise TimeoutError(f"your function did not return within {seconds:g} s (an endless loop?)")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextmanager
def _watch_calls(forbidden, used):
    """Record which of the ``forbidden`` functions run (however the student imported them)."""
    if not forbidden:
        yield
        return
    codes = {getattr(f, "__code__", None): name for name, f in forbidden.items() if hasattr(f, "__code__")}
    builtins = {id(f): name for name, f in forbidden.items() if not hasattr(f, "__code__")}

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            used.add(codes[frame.f_code])
        elif event == "c_call" and id(arg) in builtins:
            used.add(builtins[id(arg)])

    old = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(old)


def shortcuts(kind):
    """Functions a "write it yourself" exercise may not call, by exercise kind."""
    from . import nn as reference

    found = {}
    if kind in ("sigmoid", "forward", "backprop"):
        found["nnlab.nn.sigmoid"] = reference.sigmoid
        found["nnlab.nn.MLP.forward"] = reference.MLP.forward
    if kind == "backprop":
        found["nnlab.nn.MLP.gradients"] = reference.MLP.gradients
        found["nnlab.nn.MLP.backward"] = reference.MLP.backward
    try:
        import torch
    except ImportError:
        return found
    found["torch.sigmoid"] = torch.sigmoid
    if kind == "backprop":
        found["torch.Tensor.backward (autograd)"] = torch.Tensor.backward
        found["torch.autograd.grad"] = torch.autograd.grad
    return found


def call(fn, *args, time_limit=None, forbid=None):
    """Call the student's function on copies of ``args``; returns (result, warnings, mutated arg indices).
    ``forbid`` maps names to functions the exercise asks the student not to use."""
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    used = set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with _time_limit(time_limit or TIME_LIMIT), np.errstate(all="warn"), _watch_calls(forbid, used):
                out = fn(*copies)
        except NotImplementedError:
            raise StudentError("your function raises NotImplementedError: replace the stub with your code") from None
        except TimeoutError as exc:
            raise StudentError(str(exc)) from None
        except Exception as exc:  # the student's bug, reported, never re-raised
            tb = traceback.extract_tb(exc.__traceback__)
            where = f" (line {tb[-1].lineno}: {tb[-1].line})" if tb else ""
            raise StudentError(f"your function raised {type(exc).__name__}: {exc}{where}") from None
    if used:
        raise StudentError(f"this exercise asks you to write it yourself, but your function called "
                           f"{', '.join(sorted(used))}")
    mutated = [i for i, (a, c) in enumerate(zip(args, copies))
               if isinstance(a, np.ndarray) and not np.array_equal(a, c, equal_nan=True)]
    return out, [str(w.message) for w in caught], mutated


def _as_array(name, out, shape):
    if out is None:
        raise StudentError(f"{name} is None: did you forget to return it?")
    try:
        arr = np.asarray(out)
    except Exception:
        raise StudentError(f"{name} should be a NumPy array, got {type(out).__name__}") from None
    if arr.dtype == object:
        raise StudentError(f"{name} should be an array of numbers, got {type(out).__name__}")
    if arr.shape != shape:
        if arr.shape == shape[::-1] and len(shape) == 2:
            raise StudentError(f"{name} has shape {arr.shape}, expected {shape}: transposed? (batch-first: rows "
                               "are examples, W has shape (fan_in, fan_out))")
        raise StudentError(f"{name} has shape {arr.shape}, expected {shape}")
    if arr.dtype.kind in "iub":
        raise StudentError(f"{name} has integer dtype {arr.dtype}: use floats (np.exp, / and 1.0 keep float64)")
    return arr.astype(float)


def _ratio_hint(mine, ref):
    """Recognise a constant factor between the student's answer and the right one."""
    m, r = mine.ravel(), ref.ravel()
    ok = np.abs(r) > 1e-12 * max(1.0, np.abs(r).max())
    if not ok.any():
        return None
    ratios = m[ok] / r[ok]
    k = np.median(ratios)
    if np.allclose(ratios, k, rtol=1e-6):
        return float(k)
    return None


def _result(name, problems, total, notes=()):
    """Score = the share of the ``total`` test cases without a problem. Problems are prefixed with
    their case ("test 2: ...", "on large values: ..."); several problems in one case count once."""
    passed = not problems
    failed = len({p.split(":", 1)[0] for p in problems})
    score = 1.0 if passed else max(0.0, 1.0 - failed / max(total, 1))
    msgs = list(problems) + list(notes)
    if passed:
        msgs.insert(0, "all tests agree with the oracle")
    return CheckResult(name, passed, round(score, 3), msgs)


def _finish(result, strict):
    return result.raise_if_failed() if strict else result


# ------------------------------------------------------------------------ sigmoid


def _sigmoid_ref(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid(f, strict=False):
    """sigma(z) = 1/(1 + e^-z), elementwise, without overflow warnings for |z| up to 1000."""
    name = "sigmoid"
    rng = np.random.default_rng(0)
    tests = [("small values", rng.normal(0, 2, (4, 5))), ("a vector", np.linspace(-6, 6, 13)),
             ("large values", np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0]))]
    problems, notes = [], []
    outputs = []
    for label, z in tests:
        try:
            out, warns, mutated = call(f, z, forbid=shortcuts("sigmoid"))
            y = _as_array("the result", out, z.shape)
        except StudentError as exc:
            problems.append(f"on {label}: {exc}")
            outputs.append(None)
            continue
        outputs.append(y)
        ref = _sigmoid_ref(z)
        if mutated:
            problems.append(f"on {label}: your function changed its input array in place; compute a new array")
        if any("overflow" in w for w in warns):
            problems.append(f"on {label}: np.exp overflowed (RuntimeWarning). Use a stable form: for z < 0 write "
                            "e^z / (1 + e^z), for z >= 0 write 1 / (1 + e^-z)")
        if not np.all(np.isfinite(y)):
            problems.append(f"on {label}: the result contains nan or inf")
        elif np.allclose(y, 1 - ref, rtol=1e-9, atol=1e-12) and not np.allclose(y, ref):
            problems.append(f"on {label}: you computed 1 / (1 + e^z), which is sigma(-z): check the sign of z")
        elif not np.allclose(y, ref, rtol=1e-9, atol=1e-12):
            i = np.unravel_index(np.argmax(np.abs(y - ref)), z.shape)
            problems.append(f"on {label}: at z = {z[i]:.4g} you return {y[i]:.6g}, expected {ref[i]:.6g}")
    if outputs[0] is not None and outputs[1] is not None and outputs[0].size and np.allclose(
            np.ravel(outputs[0])[:5], np.ravel(outputs[1])[:5]) and not np.allclose(tests[0][1].ravel()[:5],
                                                                                     tests[1][1][:5]):
        problems.append("your function returns the same numbers for different inputs: does it use a global "
                        "variable instead of its argument?")
    return _finish(_result(name, problems, len(tests), notes), strict)


# ---------------------------------------------------------------- 2-layer network


def _two_layer_inputs(seed=0, N=7, d=3, h=5):
    """Seeded inputs for the 2-layer exercises, with every hidden pre-activation away from the ReLU kink."""
    rng = np.random.default_rng(seed)
    while True:
        X = rng.normal(size=(N, d))
        W1, b1 = rng.normal(size=(d, h)), rng.normal(0, 0.5, h)
        W2, b2 = rng.normal(size=(h, 1)), rng.normal(0, 0.5, 1)
        Y = rng.integers(0, 2, (N, 1)).astype(float)
        if np.abs(X @ W1 + b1).min() > 0.05:
            return X, Y, W1, b1, W2, b2


def _forward_ref(X, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    return _sigmoid_ref(A1 @ W2 + b2), A1


def forward(f, strict=False):
    """f(X, W1, b1, W2, b2) -> A2: ReLU hidden layer, sigmoid output, batch-first (X @ W + b)."""
    name = "forward pass"
    problems = []
    for seed in range(3):
        X, _, W1, b1, W2, b2 = _two_layer_inputs(seed)
        args = (X, W1, b1, W2, b2)
        try:
            out, warns, mutated = call(f, *args, forbid=shortcuts("forward"))
            A2 = _as_array("A2", out, (X.shape[0], 1))
        except StudentError as exc:
            problems.append(f"test {seed + 1}: {exc}")
            continue
        ref, _ = _forward_ref(*args)
        if mutated:
            names = ["X", "W1", "b1", "W2", "b2"]
            problems.append(f"test {seed + 1}: your function changed {', '.join(names[i] for i in mutated)} in place")
        if np.allclose(A2, ref, rtol=1e-9, atol=1e-12):
            continue
        alternatives = {
            "sigmoid in the hidden layer instead of ReLU": _sigmoid_ref(_sigmoid_ref(X @ W1 + b1) @ W2 + b2),
            "no output sigmoid (you returned the logits)": np.maximum(X @ W1 + b1, 0) @ W2 + b2,
            "the biases are missing": _sigmoid_ref(np.maximum(X @ W1, 0) @ W2),
            "no ReLU on the hidden layer": _sigmoid_ref((X @ W1 + b1) @ W2 + b2),
        }
        hint = next((k for k, alt in alternatives.items() if np.allclose(A2, alt, rtol=1e-9, atol=1e-12)), None)
        if hint:
            problems.append(f"test {seed + 1}: your output matches a network with {hint}")
        else:
            i = int(np.argmax(np.abs(A2 - ref)))
            problems.append(f"test {seed + 1}: example {i} gives {A2[i, 0]:.6g}, expected {ref[i, 0]:.6g}")
    return _finish(_result(name, problems, 3), strict)


def _backprop_ref(X, Y, W1, b1, W2, b2):
    """Gradients of the summed BCE by PyTorch autograd (the oracle)."""
    import torch

    T = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (W1, b1, W2, b2)]
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    logits = torch.relu(Xt @ T[0] + T[1]) @ T[2] + T[3]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, Yt, reduction="sum")
    loss.backward()
    return [t.grad.numpy() for t in T]


def backprop(f, strict=False):
    """f(X, Y, W1, b1, W2, b2) -> (dW1, db1, dW2, db2) for the curriculum's network (ReLU hidden, sigmoid
    output) and the binary cross-entropy summed over the batch (dZ2 = A2 - Y, no 1/N)."""
    name = "backprop"
    problems = []
    names = ["dW1", "db1", "dW2", "db2"]
    for seed in range(3):
        X, Y, W1, b1, W2, b2 = _two_layer_inputs(seed)
        try:
            out, warns, mutated = call(f, X, Y, W1, b1, W2, b2, forbid=shortcuts("backprop"))
            if not isinstance(out, (tuple, list)) or len(out) != 4:
                raise StudentError(f"return the four gradients (dW1, db1, dW2, db2) as a tuple, got "
                                   f"{type(out).__name__}{'' if not hasattr(out, '__len__') else f' of length {len(out)}'}")
            shapes = [W1.shape, b1.shape, W2.shape, b2.shape]
            grads = [_as_array(n, o, s) for n, o, s in zip(names, out, shapes)]
        except StudentError as exc:
            problems.append(f"test {seed + 1}: {exc}")
            continue
        refs = _backprop_ref(X, Y, W1, b1, W2, b2)
        if mutated:
            problems.append(f"test {seed + 1}: your function changed its inputs in place")
        N = X.shape[0]
        for n, g, r in zip(names, grads, refs):
            if np.allclose(g, r, rtol=1e-7, atol=1e-10):
                continue
            k = _ratio_hint(g, r)
            if k is not None and abs(k - 1 / N) < 1e-6:
                problems.append(f"test {seed + 1}: {n} is 1/N = 1/{N} of the right value: this exercise sums the "
                                "loss over the batch, so do not divide by N")
            elif k is not None and abs(k - N) < 1e-6:
                problems.append(f"test {seed + 1}: {n} is N = {N} times too large")
            elif k is not None and abs(k + 1) < 1e-6:
                problems.append(f"test {seed + 1}: {n} has the wrong sign (dZ2 = A2 - Y, not Y - A2)")
            elif g.ndim == 2:
                bad = [j for j in range(g.shape[1]) if not np.allclose(g[:, j], r[:, j], rtol=1e-7, atol=1e-10)]
                good = [j for j in range(g.shape[1]) if j not in bad]
                unit = "hidden unit" if n == "dW1" else "output"
                msg = f"test {seed + 1}: {n} column{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} " \
                      f"({unit} {', '.join(str(j + 1) for j in bad)}) differ{'' if len(bad) > 1 else 's'} from autograd"
                if good:
                    err = max(np.abs(g[:, good] - r[:, good]).max(), 1e-16)
                    msg += f"; the other columns agree to {err:.0e}"
                problems.append(msg)
            else:
                i = int(np.argmax(np.abs(g - r)))
                problems.append(f"test {seed + 1}: {n}[{i}] is {g[i]:.6g}, autograd says {r[i]:.6g}")
    return _finish(_result(name, problems, 3), strict)


# ------------------------------------------------------------------ perceptron


def perceptron_update(f, strict=False):
    """f(w, b, x, y) -> (w, b) after presenting one point with label y in {-1, +1}: on a mistake
    (y (w.x + b) <= 0) w <- w + y x and b <- b + y; otherwise nothing changes."""
    name = "perceptron update"
    rng = np.random.default_rng(3)
    problems, cases = [], []
    for k in range(8):
        w, b, x = rng.normal(size=3), float(rng.normal()), rng.normal(size=3)
        y = 1 if k % 2 else -1
        if k == 6:  # a point exactly on the line counts as a mistake
            w, b = np.zeros(3), 0.0
        cases.append((w, b, x, y))
    for k, (w, b, x, y) in enumerate(cases):
        mistake = y * (w @ x + b) <= 0
        want_w, want_b = (w + y * x, b + y) if mistake else (w, b)
        try:
            out, warns, mutated = call(f, w, b, x, y)
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise StudentError(f"return the pair (w, b), got {type(out).__name__}")
            new_w = _as_array("w", out[0], (3,))
            new_b = float(np.asarray(out[1], float).reshape(-1)[0]) if np.size(out[1]) == 1 else None
            if new_b is None:
                raise StudentError(f"b should be a number, got shape {np.shape(out[1])}")
        except StudentError as exc:
            problems.append(f"case {k + 1}: {exc}")
            continue
        if mutated:
            problems.append(f"case {k + 1}: you changed w in place; return a new array (w + y * x)")
        if np.allclose(new_w, want_w) and np.isclose(new_b, want_b):
            continue
        if not mistake and not np.allclose(new_w, w):
            problems.append(f"case {k + 1}: the point was classified correctly (y (w.x + b) = "
                            f"{y * (w @ x + b):.3g} > 0) but you changed w: update only on mistakes")
        elif mistake and np.allclose(new_w, w) and np.isclose(new_b, b):
            problems.append(f"case {k + 1}: this point is a mistake (y (w.x + b) = {y * (w @ x + b):.3g} <= 0) "
                            "but nothing changed" + (" (a score of exactly 0 counts as a mistake)" if k == 6 else ""))
        elif mistake and np.allclose(new_w, w - y * x):
            problems.append(f"case {k + 1}: wrong sign: the update is w + y x, not w - y x")
        elif mistake and np.allclose(new_w, w + (y + 1) / 2 * x):
            problems.append(f"case {k + 1}: you used labels in {{0, 1}}; the perceptron rule needs y in {{-1, +1}}")
        else:
            problems.append(f"case {k + 1}: got w = {np.round(new_w, 4)}, b = {new_b:.4g}; expected "
                            f"w = {np.round(want_w, 4)}, b = {want_b:.4g}")
    return _finish(_result(name, problems, len(cases)), strict)


# ------------------------------------------------------------------- optimisers


def momentum(f, strict=False):
    """f(x, v, grad, lr, rho) -> (x, v): v <- rho v + grad, x <- x - lr v (torch.optim.SGD's form)."""
    import torch

    name = "momentum step"
    problems = []
    rng = np.random.default_rng(4)
    x0, g_seq = rng.normal(size=4), [rng.normal(size=4) for _ in range(5)]
    lr, rho = 0.1, 0.9
    xt = torch.tensor(x0.copy(), requires_grad=True)
    topt = torch.optim.SGD([xt], lr=lr, momentum=rho)
    x, v = x0.copy(), np.zeros(4)
    for k, g in enumerate(g_seq):
        xt.grad = torch.tensor(g)
        topt.step()
        try:
            out, warns, mutated = call(f, x, v, g, lr, rho)
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise StudentError(f"return the pair (x, v), got {type(out).__name__}")
            new_x, new_v = _as_array("x", out[0], (4,)), _as_array("v", out[1], (4,))
        except StudentError as exc:
            problems.append(f"step {k + 1}: {exc}")
            break
        want = xt.detach().numpy()
        want_v = topt.state[xt]["momentum_buffer"].numpy()
        if not (np.allclose(new_x, want, rtol=1e-10, atol=1e-12) and np.allclose(new_v, want_v, rtol=1e-10,
                                                                                 atol=1e-12)):
            other_v = rho * v - lr * g
            if np.allclose(new_v, other_v):
                problems.append(f"step {k + 1}: you used the other form, v <- rho v - lr grad, x <- x + v: the same "
                                "method (your x is right), but this exercise keeps v <- rho v + grad, x <- x - lr v "
                                "(as torch.optim.SGD), so v differs by the factor -lr")
            elif np.allclose(new_x, x - lr * g) and np.allclose(new_v, v):
                problems.append(f"step {k + 1}: your step ignores the velocity: that is plain gradient descent")
            elif np.allclose(new_v, v + g) or np.allclose(new_v, rho * v + (1 - rho) * g):
                problems.append(f"step {k + 1}: the velocity update should be v <- rho v + grad")
            else:
                problems.append(f"step {k + 1}: x = {np.round(new_x, 5)}, torch.optim.SGD gives {np.round(want, 5)}")
            break
        x, v = new_x, new_v
    return _finish(_result(name, problems, 1), strict)


def adam(f, strict=False):
    """f(x, m, v, grad, t, lr, beta1, beta2, eps) -> (x, m, v) for Adam's step number t (t = 1 first),
    with bias correction m / (1 - beta1^t), v / (1 - beta2^t) (torch.optim.Adam)."""
    import torch

    name = "Adam step"
    problems = []
    rng = np.random.default_rng(5)
    x0, g_seq = rng.normal(size=3), [rng.normal(size=3) for _ in range(6)]
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    xt = torch.tensor(x0.copy(), requires_grad=True)
    topt = torch.optim.Adam([xt], lr=lr, betas=(b1, b2), eps=eps, foreach=False)
    x, m, s = x0.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(g_seq, start=1):
        xt.grad = torch.tensor(g)
        topt.step()
        try:
            out, warns, mutated = call(f, x, m, s, g, t, lr, b1, b2, eps)
            if not isinstance(out, (tuple, list)) or len(out) != 3:
                raise StudentError(f"return (x, m, v), got {type(out).__name__}")
            new_x = _as_array("x", out[0], (3,))
            new_m, new_s = _as_array("m", out[1], (3,)), _as_array("v", out[2], (3,))
        except StudentError as exc:
            problems.append(f"step {t}: {exc}")
            break
        want = xt.detach().numpy()
        if not np.allclose(new_x, want, rtol=1e-9, atol=1e-12):
            m_ok = b1 * m + (1 - b1) * g
            s_ok = b2 * s + (1 - b2) * g * g
            raw = x - lr * m_ok / (np.sqrt(s_ok) + eps)
            t0 = t - 1
            if not np.all(np.isfinite(new_x)):
                problems.append(f"step {t}: x is not finite: with t starting at 0 the correction 1 - beta^0 is "
                                "0 and you divide by zero; the first step has t = 1")
            elif np.allclose(new_x, raw, rtol=1e-9):
                problems.append(f"step {t}: you skipped the bias correction: divide m by (1 - beta1^t) and v by "
                                "(1 - beta2^t); without it the first steps are about 3 times too large")
            elif t0 > 0 and np.allclose(new_x, x - lr * (m_ok / (1 - b1**t0)) /
                                        (np.sqrt(s_ok / (1 - b2**t0)) + eps), rtol=1e-9):
                problems.append(f"step {t}: your bias correction uses t - 1: the first step has t = 1")
            else:
                problems.append(f"step {t}: x = {np.round(new_x, 6)}, torch.optim.Adam gives {np.round(want, 6)}")
            break
        x, m, s = new_x, new_m, new_s
    return _finish(_result(name, problems, 1), strict)


# ------------------------------------------------------------------------ towers


def tower(f, strict=False):
    """f(x, left, right, w) -> sigma(w (x - left)) - sigma(w (x - right)): about 1 on [left, right]."""
    name = "tower"
    problems = []
    x = np.linspace(-1, 2, 61)
    for k, (left, right, w) in enumerate([(0.2, 0.7, 30.0), (-0.5, 1.5, 8.0), (1.0, 1.2, 100.0)]):
        ref = _sigmoid_ref(w * (x - left)) - _sigmoid_ref(w * (x - right))
        try:
            out, warns, mutated = call(f, x, left, right, w)
            y = _as_array("the tower", out, x.shape)
        except StudentError as exc:
            problems.append(f"tower {k + 1}: {exc}")
            continue
        if np.allclose(y, ref, rtol=1e-9, atol=1e-12):
            continue
        if np.allclose(y, -ref, rtol=1e-9, atol=1e-12):
            problems.append(f"tower {k + 1}: your tower points down: subtract the step at right from the step at left")
        elif np.allclose(y, _sigmoid_ref(w * x + w * left) - _sigmoid_ref(w * x + w * right), rtol=1e-9):
            problems.append(f"tower {k + 1}: your steps sit at -left and -right: the bias of a step at s is -w s")
        else:
            i = int(np.argmax(np.abs(y - ref)))
            problems.append(f"tower {k + 1}: at x = {x[i]:.3g} you return {y[i]:.4g}, expected {ref[i]:.4g}")
    return _finish(_result(name, problems, 3), strict)


# --------------------------------------------------------------- mini-batch SGD


def sgd_epoch(f, strict=False):
    """f(X, Y, w, grad_fn, lr, batch_size, rng) -> w after one epoch of mini-batch SGD: shuffle the
    examples with ``rng.permutation(N)``, walk the shuffled order in batches of ``batch_size`` (the
    last batch may be smaller), and after each batch set w <- w - lr * grad_fn(w, X_batch, Y_batch).

    The oracle is the definition itself, checked by recording every call to ``grad_fn``: the batches
    must cover every example exactly once, in a random order that changes from epoch to epoch, and
    each step must start where the previous one ended."""
    name = "SGD epoch"
    rng_data = np.random.default_rng(6)
    N, d, B, lr = 23, 3, 5, 0.1
    X = rng_data.normal(size=(N, d))
    Y = rng_data.normal(size=(N, 1))
    w0 = rng_data.normal(size=(d, 1))
    problems = []
    orders = []
    rng = np.random.default_rng(100)  # one generator for both epochs, as a training loop would pass it
    for epoch in range(2):
        calls = []

        def grad_fn(w, Xb, Yb, calls=calls):
            w, Xb, Yb = np.array(w, float), np.array(Xb, float), np.array(Yb, float)
            g = Xb.T @ (Xb @ w - Yb)          # least-squares gradient, summed over the batch
            calls.append((w, Xb, g))
            return g

        try:
            out, warns, mutated = call(f, X, Y, w0, grad_fn, lr, B, rng)
            w = _as_array("w", out, w0.shape)
        except StudentError as exc:
            problems.append(f"epoch {epoch + 1}: {exc}")
            break
        if mutated:
            problems.append(f"epoch {epoch + 1}: your function changed X, Y or w in place")
        rows = {tuple(np.round(x, 12)): i for i, x in enumerate(X)}
        try:
            batches = [[rows[tuple(np.round(x, 12))] for x in Xb] for _, Xb, _ in calls]
        except KeyError:
            problems.append(f"epoch {epoch + 1}: grad_fn received rows that are not rows of X")
            break
        order = [i for b in batches for i in b]
        orders.append(order)
        sizes = [len(b) for b in batches]
        if sorted(order) != list(range(N)):
            missing = sorted(set(range(N)) - set(order))
            twice = sorted({i for i in order if order.count(i) > 1})
            if missing and len(missing) == N % B:
                problems.append(f"epoch {epoch + 1}: the last {len(missing)} examples were never used: keep the final, "
                                "smaller batch")
            else:
                problems.append(f"epoch {epoch + 1}: every example must be used exactly once per epoch; missing "
                                f"{missing[:5]}, used twice {twice[:5]}")
            break
        if any(s != B for s in sizes[:-1]) or sizes[-1] > B:
            problems.append(f"epoch {epoch + 1}: batch sizes were {sizes}; expected {B} each, the last one smaller")
        if order == list(range(N)):
            problems.append(f"epoch {epoch + 1}: the batches follow the original order: shuffle each epoch with "
                            "rng.permutation(N)")
        for k in range(1, len(calls)):
            w_prev, _, g_prev = calls[k - 1]
            if not np.allclose(calls[k][0], w_prev - lr * g_prev, rtol=1e-10, atol=1e-12):
                if np.allclose(calls[k][0], w_prev + lr * g_prev, rtol=1e-10):
                    problems.append(f"epoch {epoch + 1}: step {k}: you moved uphill: use w - lr * gradient")
                elif np.allclose(calls[k][0], w_prev):
                    problems.append(f"epoch {epoch + 1}: w did not change between batches: update after every batch, "
                                    "not once per epoch")
                else:
                    problems.append(f"epoch {epoch + 1}: batch {k + 1} did not start from w - lr * (the previous "
                                    "batch's gradient)")
                break
        else:
            w_last, _, g_last = calls[-1]
            if not np.allclose(w, w_last - lr * g_last, rtol=1e-10, atol=1e-12):
                problems.append(f"epoch {epoch + 1}: the returned w is not the result of the last step")
        if problems:
            break
    if not problems and len(orders) == 2 and orders[0] == orders[1]:
        problems.append("both epochs used the same order: draw a new permutation from rng every epoch "
                        "(do not create a new generator with a fixed seed inside the function)")
    return _finish(_result(name, problems, 1), strict)  # the two epochs are one test: the second continues
