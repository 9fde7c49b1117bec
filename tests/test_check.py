"""nnlab.check: right answers pass, common mistakes are named, broken code never crashes a check."""
import numpy as np
import pytest

from nnlab import check


def good_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


@pytest.mark.parametrize("fn, words", [
    (lambda z: 1 / (1 + np.exp(-z)), ["overflow", "stable form"]),
    (lambda z: 1 / (1 + np.exp(z)), ["sigma(-z)", "sign"]),
    (lambda z: None, ["None", "return"]),
    (lambda z: z.T, ["transposed"]),
    (lambda z: (z > 0).astype(int), ["integer dtype"]),
    (lambda z: 1 / 0, ["ZeroDivisionError"]),
    (lambda z: (_ for _ in ()).throw(NotImplementedError()), ["NotImplementedError", "stub"]),
])
def test_sigmoid_mistakes_are_named(fn, words):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a check never lets a warning through
        r = check.sigmoid(fn)
    assert not r.passed and r.score < 1
    text = " ".join(r.messages)
    for w in words:
        assert w in text, text


def test_sigmoid_passes_and_detects_in_place_changes_and_globals():
    assert check.sigmoid(good_sigmoid).passed
    assert check.sigmoid(good_sigmoid, strict=True).passed

    def in_place(z):
        z *= -1
        return good_sigmoid(-z)

    assert "in place" in " ".join(check.sigmoid(in_place).messages)
    frozen = np.linspace(-6, 6, 13)

    def ignores_input(z):
        return good_sigmoid(np.resize(frozen, z.shape))

    assert "global" in " ".join(check.sigmoid(ignores_input).messages)


def test_strict_mode_raises_with_the_diagnosis_first():
    with pytest.raises(AssertionError, match="sigma\\(-z\\)"):
        check.sigmoid(lambda z: 1 / (1 + np.exp(z)), strict=True)


def test_hanging_code_hits_the_time_limit():
    def forever(z):
        while True:
            pass

    r = check.sigmoid(forever, time_limit=0.3)
    assert "did not return within 0.3 s" in r.messages[0]


def relu_forward(X, W1, b1, W2, b2):
    return good_sigmoid(np.maximum(X @ W1 + b1, 0) @ W2 + b2)


def test_forward_check_and_its_diagnoses():
    assert check.forward(relu_forward).passed
    cases = {
        "sigmoid in the hidden layer": lambda X, W1, b1, W2, b2: good_sigmoid(good_sigmoid(X @ W1 + b1) @ W2 + b2),
        "logits": lambda X, W1, b1, W2, b2: np.maximum(X @ W1 + b1, 0) @ W2 + b2,
        "biases are missing": lambda X, W1, b1, W2, b2: good_sigmoid(np.maximum(X @ W1, 0) @ W2),
        "transposed": lambda X, W1, b1, W2, b2: relu_forward(X, W1, b1, W2, b2).T,
    }
    for words, fn in cases.items():
        r = check.forward(fn)
        assert not r.passed and words in " ".join(r.messages), (words, r.messages)


def good_backprop(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    A2 = good_sigmoid(A1 @ W2 + b2)
    dZ2 = A2 - Y
    dW2, db2 = A1.T @ dZ2, dZ2.sum(0)
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    return X.T @ dZ1, dZ1.sum(0), dW2, db2


def test_backprop_check_against_autograd_and_numerical_structure():
    assert check.backprop(good_backprop).passed

    def averaged(*a):
        N = a[0].shape[0]
        return tuple(g / N for g in good_backprop(*a))

    def wrong_sign(*a):
        return tuple(-g for g in good_backprop(*a))

    def one_unit_wrong(*a):
        dW1, db1, dW2, db2 = good_backprop(*a)
        dW1 = dW1.copy()
        dW1[:, 1] *= 1.5
        return dW1, db1, dW2, db2

    assert "1/N" in " ".join(check.backprop(averaged).messages)
    assert "wrong sign" in " ".join(check.backprop(wrong_sign).messages)
    text = " ".join(check.backprop(one_unit_wrong).messages)
    assert "dW1 column 1 (hidden unit 2) differs from autograd" in text and "other columns agree to" in text
    assert "tuple" in check.backprop(lambda *a: good_backprop(*a)[0]).messages[0]


def test_result_renders_as_html():
    html = check.sigmoid(good_sigmoid)._repr_html_()
    assert "nnlab-check" in html and "passed" in html


def test_perceptron_update_check():
    def good(w, b, x, y):
        return (w + y * x, b + y) if y * (w @ x + b) <= 0 else (w, b)

    assert check.perceptron_update(good).passed
    always = lambda w, b, x, y: (w + y * x, b + y)  # noqa: E731
    assert "update only on mistakes" in " ".join(check.perceptron_update(always).messages)
    strict_less = lambda w, b, x, y: (w + y * x, b + y) if y * (w @ x + b) < 0 else (w, b)  # noqa: E731
    assert "exactly 0 counts as a mistake" in " ".join(check.perceptron_update(strict_less).messages)
    minus = lambda w, b, x, y: (w - y * x, b - y) if y * (w @ x + b) <= 0 else (w, b)  # noqa: E731
    assert "wrong sign" in " ".join(check.perceptron_update(minus).messages)


def test_momentum_check_names_the_other_form():
    good = lambda x, v, g, lr, rho: (x - lr * (rho * v + g), rho * v + g)  # noqa: E731
    assert check.momentum(good).passed
    other = lambda x, v, g, lr, rho: (x + (rho * v - lr * g), rho * v - lr * g)  # noqa: E731
    assert "other form" in check.momentum(other).messages[0]
    plain = lambda x, v, g, lr, rho: (x - lr * g, v)  # noqa: E731
    assert "plain gradient descent" in check.momentum(plain).messages[0]


def test_adam_check_names_missing_bias_correction_and_t_from_zero():
    def good(x, m, v, g, t, lr, b1, b2, eps):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        return x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps), m, v

    def no_correction(x, m, v, g, t, lr, b1, b2, eps):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        return x - lr * m / (np.sqrt(v) + eps), m, v

    def from_zero(x, m, v, g, t, lr, b1, b2, eps):
        return good(x, m, v, g, t - 1, lr, b1, b2, eps)

    assert check.adam(good).passed
    assert "bias correction" in check.adam(no_correction).messages[0]
    assert "t starting at 0" in check.adam(from_zero).messages[0]


def test_tower_check():
    good = lambda x, l, r, w: good_sigmoid(w * (x - l)) - good_sigmoid(w * (x - r))  # noqa: E731
    assert check.tower(good).passed
    assert "points down" in check.tower(lambda x, l, r, w: -good(x, l, r, w)).messages[0]
    shifted = lambda x, l, r, w: good_sigmoid(w * x + w * l) - good_sigmoid(w * x + w * r)  # noqa: E731
    assert "-w s" in check.tower(shifted).messages[0]


def good_epoch(X, Y, w, grad_fn, lr, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        w = w - lr * grad_fn(w, X[idx], Y[idx])
    return w


def test_sgd_epoch_check_and_its_diagnoses():
    assert check.sgd_epoch(good_epoch).passed

    def no_shuffle(X, Y, w, grad_fn, lr, B, rng):
        for s in range(0, len(X), B):
            w = w - lr * grad_fn(w, X[s:s + B], Y[s:s + B])
        return w

    def drops_last(X, Y, w, grad_fn, lr, B, rng):
        order = rng.permutation(len(X))
        for s in range(0, len(X) - B + 1, B):
            w = w - lr * grad_fn(w, X[order[s:s + B]], Y[order[s:s + B]])
        return w

    def fixed_seed(X, Y, w, grad_fn, lr, B, rng):
        return good_epoch(X, Y, w, grad_fn, lr, B, np.random.default_rng(0))

    def once_per_epoch(X, Y, w, grad_fn, lr, B, rng):
        order = rng.permutation(len(X))
        total = sum(grad_fn(w, X[order[s:s + B]], Y[order[s:s + B]]) for s in range(0, len(X), B))
        return w - lr * total

    def uphill(X, Y, w, grad_fn, lr, B, rng):
        return good_epoch(X, Y, w, grad_fn, -lr, B, rng)

    expectations = {no_shuffle: "original order", drops_last: "last 3 examples were never used",
                    fixed_seed: "same order", once_per_epoch: "update after every batch", uphill: "uphill"}
    for fn, words in expectations.items():
        r = check.sgd_epoch(fn)
        assert not r.passed and words in " ".join(r.messages), (fn.__name__, r.messages)


def test_write_it_yourself_exercises_refuse_shortcuts():
    import torch

    from nnlab import nn
    from nnlab.nn import sigmoid as imported_early  # a reference taken before the check runs

    r = check.sigmoid(lambda z: nn.sigmoid(z))
    assert "write it yourself" in r.messages[0] and "nnlab.nn.sigmoid" in r.messages[0]
    assert "nnlab.nn.sigmoid" in check.sigmoid(lambda z: imported_early(z)).messages[0]
    from nnlab.function_rules import sigmoid as the_rule  # the one definition behind nn.sigmoid and the kernels
    assert "nnlab.function_rules.sigmoid" in check.sigmoid(lambda z: the_rule(np.asarray(z, float))).messages[0]
    assert "torch.sigmoid" in check.sigmoid(lambda z: torch.sigmoid(torch.tensor(z)).numpy()).messages[0]

    def autograd_backprop(X, Y, W1, b1, W2, b2):
        T = [torch.tensor(a, requires_grad=True) for a in (W1, b1, W2, b2)]
        logits = torch.relu(torch.tensor(X) @ T[0] + T[1]) @ T[2] + T[3]
        torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(Y), reduction="sum").backward()
        return tuple(t.grad.numpy() for t in T)

    assert "autograd" in check.backprop(autograd_backprop).messages[0]
    assert check.backprop(good_backprop).passed and check.sigmoid(good_sigmoid).passed

    def backprop_from_nnlab(X, Y, W1, b1, W2, b2):  # the private backprop behind nn.MLP, called directly
        params = [(W1, b1), (W2, b2)]
        fw = nn._forward_layers(params, X, ["relu", "sigmoid"])
        grads, _ = nn._backprop(params, fw, fw.A[-1] - Y, ["relu", "sigmoid"])
        return grads[0][0], grads[0][1], grads[1][0], grads[1][1]

    message = check.backprop(backprop_from_nnlab).messages[0]
    assert "nnlab.nn._backprop" in message and "nnlab.nn._forward_layers" in message


def test_cases_that_fail_the_same_way_share_one_message_and_still_count_each():
    r = check.perceptron_update(lambda w, b, x, y: (_ for _ in ()).throw(NotImplementedError()))
    assert r.score == 0 and len(r.messages) == 1
    assert r.messages[0].startswith("case 1, case 2, case 3, case 4, case 5, case 6, case 7, case 8: ")


def test_an_endless_loop_costs_one_time_limit_not_one_per_case():
    import time

    calls = []

    def forever(*args):
        calls.append(1)
        while True:
            pass

    t0 = time.monotonic()
    r = check.perceptron_update(forever, time_limit=0.3)  # eight cases
    assert len(calls) == 1 and time.monotonic() - t0 < 3
    assert r.score == 0 and r.messages[0].startswith("case 1: your function did not return within 0.3 s")
    assert [p.kind for p in r.problems] == [check.TIMEOUT] + [check.NOT_RUN] * 7


def test_points_travel_with_the_question():
    r = check.sigmoid(lambda z: 1 / (1 + np.exp(z)), points=3)
    assert r.points == 3 and r.earned == 0 and "0 of 3 points" in str(r)
    assert check.sigmoid(good_sigmoid, points=2).earned == 2
    assert "points" not in str(check.sigmoid(good_sigmoid))  # worth the default 1 point: not mentioned


def test_lecture10_checks_refuse_the_lectures_models_and_the_libraries_convolutions():
    """Every function of nnlab.conv and nnlab.rotations (private ones too, "module:*"), and the libraries' own
    convolutions and projections, are refused by name."""
    import scipy.linalg
    import scipy.ndimage
    import scipy.signal
    import torch
    from scipy.spatial.transform import Rotation

    from nnlab import conv, rotations

    def refused(result, name):
        return not result.passed and "write it yourself" in result.messages[0] and name in result.messages[0]

    assert refused(check.output_size(lambda n, k, s, p, d: conv.output_size(n, k, s, p, d).size),
                   "nnlab.conv.output_size")
    assert refused(check.output_size(lambda n, k, s, p, d: conv._size(n, k, s, p, d).size), "nnlab.conv._size")
    assert refused(check.output_size(lambda n, k, s, p, d: torch.nn.functional.conv1d(
        torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]),
        "torch.nn.functional.conv1d")
    assert refused(check.conv2d(lambda x, w, s, p: conv.conv2d(x, w, stride=s, padding=p)), "nnlab.conv.conv2d")
    assert refused(check.conv2d(lambda x, w, s, p: scipy.signal.correlate2d(np.pad(x, p), w, "valid")[::s, ::s]),
                   "scipy.signal.correlate2d")
    assert refused(check.conv2d(lambda x, w, s, p: scipy.ndimage.correlate(np.pad(x, p), w, mode="constant")),
                   "scipy.ndimage.correlate")

    def torch_module(x, w, s, p):
        layer = torch.nn.Conv2d(1, 1, w.shape, stride=s, padding=p, bias=False, dtype=torch.float64)
        with torch.no_grad():
            layer.weight[:] = torch.tensor(w)
            return layer(torch.tensor(x)[None, None])[0, 0].numpy()

    assert refused(check.conv2d(torch_module), "torch.nn.functional.conv2d")
    assert refused(check.project_to_so3(lambda M: rotations.project_to_so3(M).R), "nnlab.rotations.project_to_so3")
    assert refused(check.project_to_so3(lambda M: Rotation.align_vectors(M.T, np.eye(3))[0].as_matrix()),
                   "scipy.spatial.transform.Rotation.align_vectors")
    assert refused(check.project_to_so3(lambda M: scipy.linalg.orthogonal_procrustes(np.eye(3), M)[0]),
                   "scipy.linalg.orthogonal_procrustes")
