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

E02_ATTACKS = {
    "sigmoid": {
        "torch.sigmoid": '''
import numpy as np
import torch
def my_sigmoid(z):
    return torch.sigmoid(torch.as_tensor(np.asarray(z, dtype=float))).numpy()
''',
        "nnlab.nn.sigmoid under another name": '''
from nnlab.nn import sigmoid as logistic
def my_sigmoid(z):
    return logistic(z)
''',
    },
    "backprop": {
        "autograd in a thread": '''
import threading
import numpy as np
def my_backprop(X, Y, W1, b1, W2, b2):
    import torch
    box = {}
    def work():
        P = [torch.tensor(p, requires_grad=True) for p in (W1, b1, W2, b2)]
        A1 = torch.relu(torch.tensor(X) @ P[0] + P[1])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(A1 @ P[2] + P[3], torch.tensor(Y),
                                                                    reduction="sum")
        torch.autograd.backward(loss)
        box["out"] = tuple(p.grad.numpy() for p in P)
    t = threading.Thread(target=work); t.start(); t.join()
    return box["out"]
''',
        "nnlab's training-step rules (function_rules)": '''
from nnlab import function_rules as step
def my_backprop(X, Y, W1, b1, W2, b2):
    Z1 = step.dense(X, W1, b1)
    A1 = step.activation(1, Z1)
    Z2 = step.dense(A1, W2, b2)
    dZ2 = step.loss_delta(0, 3, Z2, Z2, Y, 1.0)
    dZ1 = step.delta(1, Z1, A1, dZ2 @ W2.T)
    return step.weight_grad(X, dZ1, W1, 0.0, 0.0), dZ1.sum(0), step.weight_grad(A1, dZ2, W2, 0.0, 0.0), dZ2.sum(0)
''',
    },
}

E07_ATTACKS = {
    "gradient_norms": {
        "nnlab.nn's backprop under another name": '''
import numpy as np
from nnlab import nn as reference
backward_pass = reference._backprop
def gradient_norms(X, Y, Ws, bs):
    A, Z = [X], [None]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        z = A[-1] @ W + b
        Z.append(z)
        A.append(z if l == len(Ws) - 1 else 1 / (1 + np.exp(-z)))
    grads, _ = backward_pass(list(zip(Ws, bs)), reference.Forward(Z=Z, A=A), A[-1] - Y,
                             ["sigmoid"] * (len(Ws) - 1))
    return np.array([np.linalg.norm(g[0]) for g in grads])
''',
        "torch autograd": '''
import numpy as np
import torch
def gradient_norms(X, Y, Ws, bs):
    W = [torch.tensor(w, requires_grad=True) for w in Ws]
    A = torch.tensor(X)
    for l, (w, b) in enumerate(zip(W, bs)):
        A = A @ w + torch.tensor(b)
        A = A if l == len(W) - 1 else torch.sigmoid(A)
    (0.5 * ((A - torch.tensor(Y)) ** 2).sum()).backward()
    return np.array([float(torch.linalg.norm(w.grad)) for w in W])
''',
    },
}

E09_ATTACKS = {
    "ridge": {
        "scikit-learn's Ridge": '''
import numpy as np
from sklearn.linear_model import Ridge
def ridge(X, y, lam):
    model = Ridge(alpha=lam).fit(X[:, 1:], y)
    return np.r_[model.intercept_, model.coef_]
''',
        "nnlab.generalization.ridge under another name": '''
from nnlab.generalization import ridge as closed_form
def ridge(X, y, lam):
    return closed_form(X, y, lam)
''',
    },
    "standardise_folds": {
        "KFold and StandardScaler": '''
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler
def standardise_folds(X, k):
    folds = []
    for train, val in KFold(n_splits=k).split(X):
        scaler = StandardScaler().fit(X[train])
        folds.append((scaler.transform(X[train]), scaler.transform(X[val])))
    return folds
''',
        "nnlab.generalization.kfold": '''
from nnlab import generalization
def standardise_folds(X, k):
    folds = []
    for train, val in generalization.kfold(len(X), k):
        mu, sigma = X[train].mean(axis=0), X[train].std(axis=0)
        folds.append(((X[train] - mu) / sigma, (X[val] - mu) / sigma))
    return folds
''',
    },
    "penalised_gradient": {
        "Tensor.backward": '''
import torch
def penalised_gradient(w, grad_loss, lam):
    W = torch.tensor(w, requires_grad=True)
    ((torch.tensor(grad_loss) * W).sum() + lam / 2 * (W[1:] ** 2).sum()).backward()
    return W.grad.numpy()
''',
        "torch.autograd.grad": '''
import torch
def penalised_gradient(w, grad_loss, lam):
    W = torch.tensor(w, requires_grad=True)
    loss = (torch.tensor(grad_loss) * W).sum() + lam / 2 * (W[1:] ** 2).sum()
    return torch.autograd.grad(loss, W)[0].numpy()
''',
    },
}

E10_ATTACKS = {
    "output_size": {
        "nnlab.conv.output_size under another name": '''
from nnlab.conv import output_size as lecture_size
def output_size(n, k, stride=1, padding=0, dilation=1):
    return lecture_size(n, k, stride, padding, dilation).size
''',
        "a convolution of zeros measured": '''
import torch
def output_size(n, k, stride=1, padding=0, dilation=1):
    z = torch.nn.functional.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=stride, padding=padding,
                                   dilation=dilation)
    return z.shape[-1]
''',
    },
    "conv2d": {
        "torch.nn.functional.conv2d": '''
import torch
def conv2d(x, w, stride=1, padding=0):
    z = torch.nn.functional.conv2d(torch.tensor(x)[None, None], torch.tensor(w)[None, None], stride=stride,
                                   padding=padding)
    return z[0, 0].numpy()
''',
        "torch.nn.Conv2d, weights set": '''
import torch
def conv2d(x, w, stride=1, padding=0):
    layer = torch.nn.Conv2d(1, 1, w.shape, stride=stride, padding=padding, bias=False, dtype=torch.float64)
    with torch.no_grad():
        layer.weight[:] = torch.tensor(w)
        return layer(torch.tensor(x)[None, None])[0, 0].numpy()
''',
        "scipy's correlate2d": '''
import numpy as np
from scipy.signal import correlate2d
def conv2d(x, w, stride=1, padding=0):
    return correlate2d(np.pad(x, padding), w, mode="valid")[::stride, ::stride]
''',
        "scipy's convolve2d with the kernel flipped back": '''
import numpy as np
import scipy.signal
def conv2d(x, w, stride=1, padding=0):
    return scipy.signal.convolve2d(np.pad(x, padding), w[::-1, ::-1], mode="valid")[::stride, ::stride]
''',
        "scipy.ndimage.correlate, its centre cut off": '''
import numpy as np
from scipy import ndimage
def conv2d(x, w, stride=1, padding=0):
    xp = np.pad(x, padding)
    full = ndimage.correlate(xp, w, mode="constant")
    (kh, kw), (H, W) = w.shape, xp.shape
    return full[kh // 2:kh // 2 + H - kh + 1:stride, kw // 2:kw // 2 + W - kw + 1:stride]
''',
        "torch's unfold": '''
import torch
def conv2d(x, w, stride=1, padding=0):
    kh, kw = w.shape
    H, W = x.shape[0] + 2 * padding, x.shape[1] + 2 * padding
    cols = torch.nn.functional.unfold(torch.tensor(x)[None, None], w.shape, padding=padding, stride=stride)
    z = torch.tensor(w).reshape(1, -1) @ cols[0]
    return z.reshape((H - kh) // stride + 1, (W - kw) // stride + 1).numpy()
''',
        "nnlab.conv.conv2d under another name": '''
from nnlab import conv as lecture
def conv2d(x, w, stride=1, padding=0):
    return lecture.conv2d(x, w, stride=stride, padding=padding)
''',
    },
    "project_to_so3": {
        "scipy's Rotation.align_vectors": '''
import numpy as np
from scipy.spatial.transform import Rotation
def project_to_so3(M):
    rotation, _ = Rotation.align_vectors(M.T, np.eye(3))
    return rotation.as_matrix()
''',
        "scipy's orthogonal_procrustes, then the fix": '''
import numpy as np
from scipy.linalg import orthogonal_procrustes
def project_to_so3(M):
    R, _ = orthogonal_procrustes(np.eye(3), M)
    if np.linalg.det(R) < 0:
        U, s, Vt = np.linalg.svd(M)
        R = U @ np.diag([1.0, 1.0, -1.0]) @ Vt
    return R
''',
        "nnlab.rotations.project_to_so3 under another name": '''
from nnlab import rotations as lecture
def project_to_so3(M):
    return lecture.project_to_so3(M).R
''',
    },
}

# Attacks that give right answers when nothing is refused (checked in a notebook with the watch off, so that
# a 0 under ``nnlab grade`` is the refusal's doing, not a wrong answer's).
WORK_WHEN_ALLOWED = [("adjoints", E04_ATTACKS, "torch.autograd.backward"), ("adjoints", E04_ATTACKS,
                     "backward in a thread"), ("adjoints", E04_ATTACKS, "nnlab.autodiff's forward mode"),
                     ("adjoints", E04_ATTACKS, "sympy differentiates"), ("gradient_check", E04_ATTACKS,
                     "nnlab.gradcheck does the work"), ("sigmoid", E02_ATTACKS, "torch.sigmoid"),
                     ("backprop", E02_ATTACKS, "autograd in a thread"),
                     ("backprop", E02_ATTACKS, "nnlab's training-step rules (function_rules)"),
                     ("gradient_norms", E07_ATTACKS, "nnlab.nn's backprop under another name"),
                     ("gradient_norms", E07_ATTACKS, "torch autograd"),
                     *[(check, E09_ATTACKS, route) for check, routes in E09_ATTACKS.items() for route in routes],
                     *[(check, E10_ATTACKS, route) for check, routes in E10_ATTACKS.items() for route in routes]]

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


@pytest.mark.parametrize("check, attacks, route", WORK_WHEN_ALLOWED, ids=[r for _, _, r in WORK_WHEN_ALLOWED])
def test_the_attacks_would_earn_points_if_nothing_were_refused(check, attacks, route, monkeypatch):
    from nnlab.checks import registry

    monkeypatch.setattr(registry.CHECKS[check], "forbid", None)
    namespace = {"__name__": "__main__"}
    exec(attacks[check][route], namespace)
    function = namespace[_defined(attacks[check][route])[-1]]
    result = registry.run_check(check, function)
    assert result.passed, result.messages


@pytest.mark.slow
@pytest.mark.parametrize("exercise, attacks", [("e02_forward_and_backprop", E02_ATTACKS),
                                               ("e04_backprop_autodiff", E04_ATTACKS),
                                               ("e05_training_loop", E05_ATTACKS),
                                               ("e07_gradient_norms", E07_ATTACKS),
                                               ("e09_regularisation", E09_ATTACKS),
                                               ("e10_convolution_and_rotations", E10_ATTACKS)])
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


def test_a_copy_of_nnlabs_source_is_found_with_its_locals_renamed_and_its_lines_moved():
    import re

    from nnlab import nn
    from nnlab.grading import capabilities

    source = inspect.getsource(nn._backprop)
    renamed = re.sub(r"\bgrads\b", "gradient_list", source).replace("\n", "\n\n", 3)  # and a few lines lower
    assert capabilities.copied(["import numpy as np\n", "# my own\n" + renamed], ("backprop",)) == "nnlab.nn._backprop"
    own = authoring.exercise_cells("e02_forward_and_backprop", solution=True)
    assert capabilities.copied([s for k, s in own if k == "code"], ("backprop",)) is None
    assert capabilities.copied([renamed], ()) is None  # nothing is ruled out: nothing to find


def test_taken_away_functions_raise_under_every_name_in_a_fresh_process():
    import subprocess
    import sys

    script = """
from nnlab.grading import capabilities
from nnlab import nn
alias = nn._backprop
capabilities.take_away(["backprop"])
import torch
for call in (lambda: alias(1, 2, 3, 4), lambda: nn.MLP.gradients(None, 1, 2), lambda: torch.tensor(1.0)):
    try:
        call()
    except Exception as exc:
        print(type(exc).__name__, exc)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    lines = out.stdout.splitlines()
    assert lines == ["Unavailable nnlab.nn._backprop (not available while grading this exercise)",
                     "Unavailable nnlab.nn.MLP.gradients (not available while grading this exercise)",
                     "Unavailable torch (not available while grading this exercise)"], out.stdout + out.stderr
