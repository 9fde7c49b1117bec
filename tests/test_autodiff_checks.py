"""Exercise e04's checks: adjoints by hand, the tape engine's backward rules, the gradient check.

The right answers pass; each wrong answer, written as a student would write it, is refused with a
first feedback line that names its mistake (these rows are e04's part of the diagnoses corpus).
"""
import json

import numpy as np
import pytest
import torch

from nnlab import check
from nnlab.checks import autodiff as checks


# ------------------------------------------------------------------ (a) adjoints of the graph
def adjoints_with(slip=None):
    def graph_adjoints(x1, x2):
        v1 = x1 * x2
        v2 = np.exp(v1)
        v3 = v1 + v2
        v3_bar = 1.0 if slip == "no 1/x2" else 1.0 / x2
        x2_bar = (v3 if slip == "div sign" else -v3) / x2**2
        v1_bar = v3_bar
        v2_bar = v3_bar
        if slip == "v1 assign":
            v1_bar = v2_bar * v2
        elif slip == "v1 no chain":
            v1_bar += v2
        elif slip == "exp local":
            v1_bar += v2_bar * v1
        elif slip != "v1 forgot exp":
            v1_bar += v2_bar * v2
        x1_bar = v1_bar * x2
        if slip == "x2 assign":
            x2_bar = v1_bar * x1
        else:
            x2_bar += v1_bar * x1
        if slip == "swap":
            x1_bar, x2_bar = x2_bar, x1_bar
        if slip == "four":
            return x1_bar, x2_bar, v1_bar, v2_bar
        return x1_bar, x2_bar, v1_bar, v2_bar, v3_bar
    return graph_adjoints


def test_the_check_uses_autograd_and_the_lecture_numbers():
    # y = (x1 x2 + e^{x1 x2}) / x2: dy/dx1 = 1 + e^{x1 x2}, dy/dx2 = -e^{x1 x2}/x2^2 + x1 e^{x1 x2}/x2
    x1, x2 = 0.5, 1.5
    e = np.exp(x1 * x2)
    closed = [1 + e, -e / x2**2 + x1 * e / x2]
    assert np.allclose(checks._graph_autograd(x1, x2)[:2], closed, rtol=1e-14)
    assert np.allclose(adjoints_with()(x1, x2)[:2], closed, rtol=1e-14)
    assert check.adjoints(adjoints_with()).passed


ADJOINT_SLIPS = [
    ("v1 assign", ["only the contribution through v2", "+="]),
    ("v1 forgot exp", ["only the contribution through v3", "used twice"]),
    ("v1 no chain", ["chain factor v̄2"]),
    ("exp local", ["local derivative of exp"]),
    ("x2 assign", ["x̄2 has only the contribution through v1", "+="]),
    ("div sign", ["sign", "−v3/x2²"]),
    ("no 1/x2", ["v̄3", "1/x2"]),
    ("swap", ["swapped"]),
    ("four", ["five adjoints"]),
]


@pytest.mark.parametrize("slip, words", ADJOINT_SLIPS)
def test_adjoint_slips_are_named(slip, words):
    r = check.adjoints(adjoints_with(slip))
    assert not r.passed and r.score == 0, r
    for w in words:
        assert w in r.messages[0], r.messages[0]


def test_an_unrecognised_adjoint_names_the_first_wrong_node_of_the_sweep():
    def almost(x1, x2):
        out = list(adjoints_with()(x1, x2))
        out[0] *= 1.000001  # x̄1 slightly off
        return tuple(out)

    r = check.adjoints(almost)
    assert not r.passed and "x̄1" in r.messages[0] and "v̄3, v̄2, v̄1" in r.messages[0], r.messages[0]
    assert "agree to 6 significant digits" in r.messages[0], r.messages[0]


# ------------------------------------------------------------------ (b) the tape engine
def sweep_with(slip=None):
    """A student's reverse sweep, right or with one slip."""
    def reverse_sweep(tape, values):
        adjoint = np.zeros(len(values))
        adjoint[-1] = 0.0 if slip == "no seed" else 1.0
        for op, out, a, b in (tape if slip == "forward walk" else reversed(tape)):
            g = adjoint[out]
            if slip == "no chain mul" and op == "mul":
                g = 1.0
            contributions = {
                "add": (g, g),
                "sub": (g, g if slip == "sub sign" else -g),
                "mul": (g * values[a], g * values[b]) if slip == "mul own" else (g * values[b], g * values[a]),
                "div": (g / values[b], -g * values[a] / values[b] ** (1 if slip == "div square" else 2)),
                "exp": (g * (values[a] if slip == "exp input" else values[out]), 0),
                "sin": (g * (-1 if slip == "sin sign" else 1) * np.cos(values[a]), 0),
                "tanh": (g * (1 - (values[a] if slip == "tanh input" else values[out]) ** 2), 0),
            }[op]
            if slip == "assign" and op != "add":
                adjoint[a] = contributions[0]
                if b >= 0:
                    adjoint[b] = contributions[1]
            else:
                adjoint[a] += contributions[0]
                if b >= 0:
                    adjoint[b] += contributions[1]
        if slip == "in place":
            values[:] = 0.0
        return adjoint
    return reverse_sweep


def test_tape_cases_reuse_values_and_autograd_agrees_with_central_differences():
    cases = checks._tape_cases(np.random.default_rng(3))
    ops = {row[0] for c in cases for row in c.args[0]}
    assert ops >= set(checks.OPS)
    for case in cases:
        tape, values = case.args
        uses = np.bincount([i for row in tape for i in row[2:] if i >= 0], minlength=len(values))
        assert uses.max() >= 2, case.label  # some node feeds two rows (or one row twice)
        inputs = len(values) - len(tape)
        ref = checks._tape_autograd(tape, values)
        for i in range(inputs):
            h = np.zeros(inputs)
            h[i] = 1e-6
            central = (checks._forward(tape, values[:inputs] + h)[-1]
                       - checks._forward(tape, values[:inputs] - h)[-1]) / 2e-6
            assert abs(central - ref[i]) <= 1e-6 * max(1, abs(ref[i])), case.label
    assert check.reverse_sweep(sweep_with()).passed


TAPE_SLIPS = [
    ("assign", ["= instead of +="]),
    ("sub sign", ["rule for sub"]),
    ("mul own", ["rule for mul"]),
    ("div square", ["rule for div", "not −a/b"]),
    ("exp input", ["rule for exp", "values[out]"]),
    ("sin sign", ["rule for sin", "+cos"]),
    ("tanh input", ["rule for tanh", "not 1 − values[a]²"]),
    ("no chain mul", ["rule for mul forgets the chain factor"]),
    ("no seed", ["never seeded", "adjoint[-1] = 1"]),
    ("forward walk", ["walked the tape forward", "reversed(tape)"]),
]


@pytest.mark.parametrize("slip, words", TAPE_SLIPS)
def test_tape_engine_slips_are_named_on_every_case_they_get_wrong(slip, words):
    student, right = sweep_with(slip), sweep_with()
    r = check.reverse_sweep(student)
    assert not r.passed and r.score < 1, r
    for w in words:
        assert w in r.messages[0], r.messages[0]
    cases = checks._tape_cases(np.random.default_rng(0))
    wrong = {c.label for c in cases
             if not np.allclose(student(*c.args), right(*c.args), rtol=1e-12, atol=1e-14)}
    assert wrong and wrong == {p.case for p in r.problems}, (wrong, r.problems)


def test_tape_engine_in_place_change_and_an_unknown_slip():
    r = check.reverse_sweep(sweep_with("in place"))
    assert not r.passed and "in place" in r.messages[0], r.messages

    def two_slips(tape, values):
        out = sweep_with("sub sign")(tape, values) + sweep_with("tanh input")(tape, values)
        return out - sweep_with()(tape, values)

    r = check.reverse_sweep(two_slips)
    assert not r.passed and "look at the rules of row" in " ".join(r.messages), r.messages


# ------------------------------------------------------------------ (c) the gradient check
def checker(h=1e-5, one_sided=False, error="relative", restore=True, halve=True):
    def gradient_check(f, grad, x):
        g = grad(x)
        n = np.zeros(len(x))
        for i in range(len(x)):
            if one_sided:
                up = x.copy()
                up[i] += h
                fu, fd = f(up), f(x)
            elif restore:
                up, down = x.copy(), x.copy()
                up[i] += h
                down[i] -= h
                fu, fd = f(up), f(down)
            else:
                x[i] += h
                fu = f(x)
                x[i] -= 2 * h
                fd = f(x)
            n[i] = (fu - fd) / ((h if one_sided else 2 * h) if halve else h)
        diff = np.linalg.norm(g - n)
        if error == "absolute":
            return diff
        if error == "max":
            return diff / max(np.linalg.norm(g), np.linalg.norm(n))
        if error == "squared":
            return diff**2 / (np.linalg.norm(g) + np.linalg.norm(n)) ** 2
        if error == "vector":
            return np.abs(g - n)
        return diff / (np.linalg.norm(g) + np.linalg.norm(n))
    return gradient_check


def test_gradient_check_cases_have_exact_gradients_by_autograd():
    """Each case: one function, the exact gradient (autograd's) and a wrong one, in either order."""
    for case in checks._check_cases(np.random.default_rng(1)):
        a, c, Q, scale, x, g1, g2 = case.args
        xt = torch.tensor(x, requires_grad=True)
        y = scale * (torch.sum(torch.tensor(c) * torch.sin(torch.tensor(a) * xt))
                     + 0.5 * xt @ torch.tensor(Q) @ xt)
        y.backward()
        exact = [np.allclose(g, xt.grad.numpy(), rtol=1e-13) for g in (g1, g2)]
        assert sorted(exact) == [False, True]
        assert checks.Objective(a, c, Q, scale)(x) == pytest.approx(float(y.detach()), rel=1e-13)
        assert checks.GivenGradient(x, g1)(x.copy()).tolist() == g1.tolist()
        with pytest.raises(ValueError, match="given at the x"):
            checks.GivenGradient(x, g1)(x + 1e-3)
    for h in (1e-3, 1e-4, 1e-5, 1e-6, 1e-7):  # every sensible step tells right from wrong
        assert check.gradient_check(checker(h=h)).passed, h


GRADIENT_CHECK_SLIPS = [
    (dict(one_sided=True), ["one-sided", "grows like h"]),
    (dict(one_sided=True, h=1e-8), ["one-sided"]),
    (dict(h=1e-12), ["h = 1e-12 is too small"]),
    (dict(h=0.1), ["h = 1e-01 is too large"]),
    (dict(error="absolute"), ["absolute error"]),
    (dict(error="max"), ["not by the larger"]),
    (dict(error="squared"), ["squared"]),
    (dict(restore=False), ["did not put it back"]),
    (dict(halve=False), ["twice the derivative", "2h"]),
    (dict(error="vector"), ["the relative error", "shape"]),
]


@pytest.mark.parametrize("kw, words", GRADIENT_CHECK_SLIPS)
def test_gradient_check_slips_are_named(kw, words):
    r = check.gradient_check(checker(**kw))
    assert not r.passed and r.score < 1, r
    for w in words:
        assert w in r.messages[0], r.messages[0]


def test_a_constant_or_half_done_answer_earns_nothing():
    """Each case holds a right and a wrong gradient of one function: a constant is wrong on one of them, and
    a function that differentiates one coordinate only (the recorded points of an attack that reads the
    answer elsewhere) is told so."""
    for constant in (0.0, 1.0, 1e-10):
        assert check.gradient_check(lambda f, grad, x, c=constant: c).score == 0

    def one_coordinate(f, grad, x):
        e = np.zeros(len(x))
        e[0] = 1e-5
        f(x + e), f(x - e)
        return 0.0

    r = check.gradient_check(one_coordinate)
    assert r.score == 0 and "every coordinate" in r.messages[0], r.messages

    def all_at_once(f, grad, x):
        g, h = grad(x), 1e-5
        n = (f(x + h) - f(x - h)) / (2 * h) * np.ones(len(x))
        return np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n))

    r = check.gradient_check(all_at_once)
    assert r.score == 0 and "every coordinate at once" in r.messages[0], r.messages


def test_write_it_yourself():
    from nnlab import autodiff
    from nnlab.gradcheck import numerical_gradient

    def with_autograd(x1, x2):
        X1, X2 = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
        v1 = X1 * X2
        v1.retain_grad()
        (v1 + torch.exp(v1)).div(X2).backward()
        return float(X1.grad), float(X2.grad), float(v1.grad), 0.0, 0.0

    assert "autograd" in check.adjoints(with_autograd).messages[0]

    def with_engine(x1, x2):
        _, grads = autodiff.gradient(lambda p, q: (p * q + autodiff.exp(p * q)) / q, x1, x2)
        return (*grads, 0.0, 0.0, 0.0)

    assert "nnlab.autodiff" in check.adjoints(with_engine).messages[0]

    def borrowed(f, grad, x):
        xx = x.copy()
        n = numerical_gradient(lambda: f(xx), xx)
        return np.linalg.norm(grad(x) - n) / (np.linalg.norm(grad(x)) + np.linalg.norm(n))

    assert "numerical_gradient" in check.gradient_check(borrowed).messages[0]


# ------------------------------------------------------------------ graded by `nnlab grade`
def test_e04_is_graded_in_the_sandbox(tmp_path):
    import nbformat

    from nnlab import authoring, grading

    assignment = grading.load_assignment("e04_backprop_autodiff")
    assert [(q.check, q.function) for q in assignment.questions] == [
        ("adjoints", "graph_adjoints"), ("reverse_sweep", "reverse_sweep"), ("gradient_check", "gradient_check")]
    solution = authoring.exercise_cells("e04_backprop_autodiff", solution=True)
    slipped = [(k, s.replace("adjoint[a] += g * values[b]", "adjoint[a] = g * values[b]")
                .replace("adjoint[b] += g * values[a]", "adjoint[b] = g * values[a]")
                .replace("(f(x + step) - f(x - step)) / (2 * h)", "(f(x + step) - f(x)) / h"))
               for k, s in solution]
    assert slipped != solution
    subs = tmp_path / "submitted"
    subs.mkdir()
    paths = []
    for name, cells in [("right", solution), ("slipped", slipped),
                        ("stub", authoring.exercise_cells("e04_backprop_autodiff", solution=False))]:
        (subs / f"{name}.ipynb").write_text(nbformat.writes(authoring.to_notebook(cells)), encoding="utf-8")
        paths.append((name, subs / f"{name}.ipynb"))
    limits = grading.Limits(wall=60, cpu=40, cell=10, call=2, memory=2**31)
    right, slipped_row, stub = grading.grade(paths, assignment, jobs=1, limits=limits, hide=[subs])
    assert right.status == "ok" and sum(right.scores.values()) == 3, right
    assert slipped_row.status == "ok" and slipped_row.scores["adjoints"] == 1, slipped_row
    assert 0 < slipped_row.scores["reverse_sweep"] < 1 and slipped_row.scores["gradient_check"] == 0
    text = json.dumps(slipped_row.feedback)
    assert "instead of +=" in text and "one-sided" in text, text
    assert sum(stub.scores.values()) == 0 and "NotImplementedError" in json.dumps(stub.feedback)


def test_a_step_of_1e_3_on_a_well_scaled_function_is_judged_by_its_verdict(monkeypatch):
    """h = 1e-3 errs like h² (about 1e-7 relative), a thousand times below a 1 % error in one component:
    it tells right from wrong gradients, so it earns full marks (it used to score 0.67 as "too large")."""
    from nnlab.checks import registry

    for seed in range(8):
        monkeypatch.setattr(registry, "SEED", seed)
        r = check.gradient_check(checker(h=1e-3))
        assert r.passed, (seed, r.messages)
