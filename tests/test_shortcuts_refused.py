"""Getting points without the work, tried as a student would, under ``nnlab grade``: every route earns 0.

Each attack is the exercise's solution notebook with one function replaced (and, where the attack needs it,
a cell before it). The routes: autograd by another entry point or in a thread, nnlab's own engine or
gradient check, nnlab's source pasted into the notebook, the hidden answer read from what the check hands
over, patches of torch made in an earlier cell or during the call, and records switched off. The right
solution, graded in the same run, earns full marks (so a 0 is the attack's, not a broken sandbox's).
"""
import inspect

import nbformat
import pytest

from nnlab import authoring, grading

LIMITS = grading.Limits(wall=90, cpu=60, cell=20, call=5, memory=2**32)

E04_ATTACKS = {
    "adjoints": {
        "torch.autograd.backward": '''
import torch
def graph_adjoints(x1, x2):
    X1, X2 = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x1, x2))
    v1 = X1 * X2; v2 = torch.exp(v1); v3 = v1 + v2
    for v in (v1, v2, v3):
        v.retain_grad()
    torch.autograd.backward(v3 / X2)
    return tuple(float(t.grad) for t in (X1, X2, v1, v2, v3))
''',
        "backward in a thread": '''
import threading
def graph_adjoints(x1, x2):
    import torch
    box = {}
    def work():
        X1, X2 = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x1, x2))
        v1 = X1 * X2; v2 = torch.exp(v1); v3 = v1 + v2
        for v in (v1, v2, v3):
            v.retain_grad()
        (v3 / X2).backward()
        box["out"] = tuple(float(t.grad) for t in (X1, X2, v1, v2, v3))
    t = threading.Thread(target=work); t.start(); t.join()
    return box["out"]
''',
        "nnlab.autodiff's forward mode": '''
from nnlab import autodiff
def graph_adjoints(x1, x2):
    _, g = autodiff.gradient(lambda a, b: (a * b + autodiff.exp(a * b)) / b, x1, x2)
    v1 = x1 * x2
    return (g[0], g[1], 1 / x2 * (1 + __import__("math").exp(v1)), 1 / x2, 1 / x2)
''',
        "torch imported earlier, used through an alias": '''
import torch as _t
_backward = _t.Tensor.backward
def graph_adjoints(x1, x2):
    X1, X2 = (_t.tensor(v, dtype=_t.float64, requires_grad=True) for v in (x1, x2))
    v1 = X1 * X2; v2 = _t.exp(v1); v3 = v1 + v2
    for v in (v1, v2, v3):
        v.retain_grad()
    _backward(v3 / X2)
    return tuple(float(t.grad) for t in (X1, X2, v1, v2, v3))
''',
        "sympy differentiates": '''
import sympy
def graph_adjoints(x1, x2):
    a, b = sympy.symbols("a b")
    y = (a * b + sympy.exp(a * b)) / b
    at = {a: x1, b: x2}
    v1 = x1 * x2
    return (float(sympy.diff(y, a).subs(at)), float(sympy.diff(y, b).subs(at)),
            (1 + __import__("math").exp(v1)) / x2, 1 / x2, 1 / x2)
''',
    },
    "reverse_sweep": {
        "nnlab's engine pasted one line lower": None,  # built from nnlab.autodiff's source below
    },
    "gradient_check": {
        "one coordinate evaluated, the rest read from the closure": '''
import numpy as np
def gradient_check(f, grad, x):
    e = np.zeros(len(x)); e[0] = 1e-5
    f(x + e); f(x - e)
    cells = [c.cell_contents for c in (getattr(grad, "__closure__", None) or ())]
    return float(next((np.linalg.norm(c) for c in cells if isinstance(c, np.ndarray) and c.any()), 0.0))
''',
        "the harness's frames read during the call": '''
import sys
import numpy as np
def gradient_check(f, grad, x):
    e = np.zeros(len(x)); e[0] = 1e-5
    f(x + e); f(x - e)
    frame = sys._getframe(1)
    while frame is not None:
        for key in ("error", "want", "expected"):
            if key in frame.f_locals:
                value = np.asarray(frame.f_locals[key], dtype=float)
                g = np.asarray(grad(x), dtype=float)
                return float(np.linalg.norm(value) / (2 * np.linalg.norm(g)))
        frame = frame.f_back
    return 0.0
''',
        "nnlab.gradcheck does the work": '''
from nnlab.gradcheck import numerical_gradient, relative_error
import numpy as np
def gradient_check(f, grad, x):
    x = np.array(x, dtype=float)
    return float(relative_error(np.asarray(grad(x)), numerical_gradient(lambda: f(x), x)))
''',
        "a constant": '''
def gradient_check(f, grad, x):
    return 0.0
''',
    },
}

E05_ATTACKS = {
    "evaluate": {
        "torch.is_grad_enabled patched, no no_grad": '''
import torch
torch.is_grad_enabled = lambda: False
def evaluate(model, loader, loss_fn):
    model.eval()
    total, right, n = 0.0, 0.0, 0
    for X, y in loader:
        logits = model(X)
        total += loss_fn(logits, y).item() * len(X)
        right += ((logits > 0).double() == y).sum().item()
        n += len(X)
    return total / n, right / n
''',
        "training mode kept, hooks cleared": '''
import torch
def evaluate(model, loader, loss_fn):
    for m in model.modules():
        m._forward_pre_hooks.clear(); m._forward_hooks.clear()
    total, right, n = 0.0, 0.0, 0
    with torch.no_grad():
        for X, y in loader:
            logits = model(X)
            total += loss_fn(logits, y).item() * len(X)
            right += ((logits > 0).double() == y).sum().item()
            n += len(X)
    return total / n, right / n
''',
    },
    "train_epoch": {
        "SGD.step patched in an earlier cell to replay a missing zero_grad": '''
import torch
_step = torch.optim.SGD.step
def _zeroing_step(self, closure=None):
    out = _step(self, closure)
    self.zero_grad()
    return out
torch.optim.SGD.step = _zeroing_step
''' + '''
def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    total, n = 0.0, 0
    for X, y in loader:
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(X); n += len(X)
    return total / n
''',
        "Module.train patched to a no-op and hooks cleared": '''
import torch
torch.nn.Module.train = lambda self, mode=True: self
def train_epoch(model, loader, optimizer, loss_fn):
    for m in model.modules():
        m._forward_pre_hooks.clear()
    total, n = 0.0, 0
    for X, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(X); n += len(X)
    return total / n
''',
    },
    "make_loader": {
        "DataLoader.__init__ patched in an earlier cell; fixed batches served in a new order": '''
import torch
from torch.utils.data import DataLoader, TensorDataset
_init = DataLoader.__init__
def _patched(self, *args, **kwargs):
    kwargs["shuffle"] = True
    _init(self, *args, **kwargs)
DataLoader.__init__ = _patched

def make_loader(X, y, batch_size):
    batches = [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(X), batch_size)]
    class Batches:
        def __iter__(self):
            return iter([batches[int(i)] for i in torch.randperm(len(batches))])
    return Batches()
''',
    },
}


def _submission(name, replace, cells):
    """The solution's cells with the function ``replace`` defines swapped for ``replace``'s source."""
    out, done = [], False
    for kind, source in cells:
        if kind == "code" and not done and any(f"def {fn}(" in source for fn in _defined(replace)):
            out.append((kind, replace))
            done = True
        else:
            out.append((kind, source))
    assert done, name
    return out


def _defined(source):
    import ast

    return [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]


@pytest.mark.parametrize("exercise, attacks", [("e04_backprop_autodiff", E04_ATTACKS),
                                               ("e05_training_loop", E05_ATTACKS)])
def test_every_route_to_points_without_the_work_earns_nothing(tmp_path, exercise, attacks):
    assignment = grading.load_assignment(exercise)
    solution = authoring.exercise_cells(exercise, solution=True)
    subs = tmp_path / "subs"
    subs.mkdir()
    paths, expected = [], {}
    for k, (check, routes) in enumerate(attacks.items()):
        for j, (route, source) in enumerate(routes.items()):
            if source is None:
                source = _pasted_engine_sweep()
            student = f"attack-{k}-{j}"
            cells = _submission(route, source, solution)
            (subs / f"{student}.ipynb").write_text(nbformat.writes(authoring.to_notebook(cells)), encoding="utf-8")
            paths.append((student, subs / f"{student}.ipynb"))
            expected[student] = (check, route)
    (subs / "right.ipynb").write_text(nbformat.writes(authoring.to_notebook(solution)), encoding="utf-8")
    rows = grading.grade(paths + [("right", subs / "right.ipynb")], assignment, jobs=2, limits=LIMITS, hide=[subs])
    right = rows[-1]
    assert right.status == "ok" and all(v == 1 for v in right.scores.values()), right
    for row in rows[:-1]:
        check, route = expected[row.student]
        assert row.scores[check] == 0, (route, row.scores, row.feedback.get(check), row.message)
        assert row.feedback.get(check) or row.message, route


def _pasted_engine_sweep():
    """nnlab.autodiff pasted into the notebook one line lower (its relative import made absolute, as it must be
    to run there), and a sweep that builds the tape's nodes with it and calls its reverse mode."""
    from nnlab import autodiff

    source = inspect.getsource(autodiff).replace("from __future__ import annotations", "")
    return "\n" + source.replace("from . import _validate", "from nnlab import _validate") + '''

def reverse_sweep(tape, values):
    nodes = [Var(float(v)) for v in values[:len(values) - len(tape)]]
    for op, out, a, b in tape:
        nodes.append(apply(op, nodes[a], nodes[b]) if b >= 0 else apply(op, nodes[a]))
    adjoints(nodes[-1])
    return np.array([n.grad for n in nodes])
'''
