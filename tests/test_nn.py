"""nnlab.nn against independent oracles: PyTorch autograd, finite differences, closed forms."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnlab import data, nn

RTOL = 1e-10


def t(a, grad=False):
    return torch.tensor(np.asarray(a, float), dtype=torch.float64, requires_grad=grad)


# ------------------------------------------------------------- activations

@pytest.mark.parametrize("name, torch_fn", [("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", torch.relu)])
def test_activation_and_derivative_match_autograd(name, torch_fn):
    rng = np.random.default_rng(0)
    z = rng.normal(0, 4, 200)
    z = z[np.abs(z) > 1e-3]  # away from the ReLU kink
    g, dg = nn.activation(name)
    zt = t(z, grad=True)
    out = torch_fn(zt)
    out.sum().backward()
    np.testing.assert_allclose(g(z), out.detach().numpy(), rtol=RTOL, atol=1e-300)
    # 1 - tanh^2 cancels in the tails, in torch as here: compare absolutely there
    np.testing.assert_allclose(dg(z), zt.grad.numpy(), rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("name, torch_fn", [("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", torch.relu),
                                           ("linear", lambda z: z)])
def test_activations_keep_float32_and_make_the_rest_float64(name, torch_fn):
    """float32 in, float32 out (PyTorch's float32 values and derivatives); integers are computed in float64."""
    z = np.random.default_rng(1).normal(0, 4, 200).astype(np.float32)
    z = z[np.abs(z) > 1e-3]
    g, dg = nn.activation(name)
    zt = torch.tensor(z, requires_grad=True)
    torch_fn(zt).sum().backward()
    assert g(z).dtype == dg(z).dtype == np.float32
    np.testing.assert_allclose(g(z), torch_fn(torch.tensor(z)).numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dg(z), zt.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert g(np.array([-2, 3])).dtype == dg(np.array([-2, 3])).dtype == np.float64


def test_sigmoid_and_softmax_stable_for_huge_inputs():
    z = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = nn.sigmoid(z)
        ds = nn.sigmoid_grad(z)
        p = nn.softmax(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]]))
        ce = nn.softmax_cross_entropy(np.array([[1e4, -1e4, 0.0]]), np.array([1]))
        bce = nn.binary_cross_entropy_with_logits(z, np.ones_like(z))
    assert np.all(np.isfinite(s)) and s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    assert np.all(np.isfinite(ds)) and np.all(ds <= 0.25)
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])
    assert ce == pytest.approx(2e4)
    assert bce == pytest.approx(np.mean(np.logaddexp(0, z) - z))
    # sigmoid keeps full relative precision far in the tail, where 1 - s would cancel
    assert nn.sigmoid(np.array([-30.0]))[0] == pytest.approx(np.exp(-30) / (1 + np.exp(-30)), rel=1e-14)


def test_softmax_jacobian_matches_autograd():
    z = np.random.default_rng(1).normal(size=(3, 4))
    J = nn.softmax_grad(z)
    for n in range(3):
        Jt = torch.autograd.functional.jacobian(lambda x: torch.softmax(x, -1), t(z[n]))
        np.testing.assert_allclose(J[n], Jt.numpy(), rtol=RTOL, atol=1e-15)


def test_sigmoid_derivative_at_most_a_quarter():
    z = np.linspace(-20, 20, 4001)
    assert nn.sigmoid_grad(z).max() == pytest.approx(0.25)


# ----------------------------------------------------------------- losses

@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_losses_and_gradients_match_torch(reduction):
    rng = np.random.default_rng(2)
    N, K = 7, 4
    Yr = rng.normal(size=(N, K))
    Pb = rng.uniform(0.05, 0.95, size=(N, K))
    Yb = rng.integers(0, 2, size=(N, K)).astype(float)
    Z = rng.normal(0, 3, size=(N, K))
    labels = rng.integers(0, K, N)
    onehot = np.eye(K)[labels]
    P = nn.softmax(Z)

    cases = [
        (nn.mean_squared_error, nn.mean_squared_error_grad, Z, Yr,
         lambda a: F.mse_loss(a, t(Yr), reduction=reduction)),
        (nn.binary_cross_entropy, nn.binary_cross_entropy_grad, Pb, Yb,
         lambda a: F.binary_cross_entropy(a, t(Yb), reduction=reduction)),
        (nn.binary_cross_entropy_with_logits, nn.binary_cross_entropy_with_logits_grad, Z, Yb,
         lambda a: F.binary_cross_entropy_with_logits(a, t(Yb), reduction=reduction)),
        (nn.softmax_cross_entropy, nn.softmax_cross_entropy_grad, Z, labels,
         lambda a: F.cross_entropy(a, torch.tensor(labels), reduction=reduction)),
        (nn.categorical_cross_entropy, nn.categorical_cross_entropy_grad, P, onehot,
         lambda a: F.nll_loss(torch.log(a), torch.tensor(labels), reduction=reduction)),
    ]
    for f, df, A, Y, oracle in cases:
        at = t(A, grad=True)
        L = oracle(at)
        L.backward()
        assert f(A, Y, reduction=reduction) == pytest.approx(L.item(), rel=RTOL), f.__name__
        np.testing.assert_allclose(df(A, Y, reduction=reduction), at.grad.numpy(), rtol=RTOL, err_msg=f.__name__)


# -------------------------------------------------------------------- MLP

def _torch_loss(net, out, Yt):
    red = net.reduction
    if net.loss_name == "bce":
        return F.binary_cross_entropy(out, Yt, reduction=red)
    if net.loss_name == "cross_entropy":
        return F.nll_loss(torch.log(out), Yt.argmax(1), reduction=red)
    return F.mse_loss(out, Yt, reduction=red)


CONFIGS = [
    # sizes, hidden, output, extra
    ([3, 5, 1], "relu", "sigmoid", {}),
    ([4, 6, 5, 3], "tanh", "softmax", {}),
    ([2, 7, 7, 7, 2], "sigmoid", "linear", {}),
    ([5, 20, 3], "relu", "softmax", {"reduction": "sum"}),
    ([1, 4, 1], "tanh", "linear", {"l2": 0.3}),
    ([6, 8, 4, 2], "sigmoid", "sigmoid", {"l2": 0.1, "reduction": "sum"}),
    ([3, 3, 3, 3, 3, 3, 2], "relu", "tanh", {"init": "xavier_uniform"}),
    ([4, 9, 2], "sigmoid", "relu", {"init": "he"}),
]


@pytest.mark.parametrize("sizes, hidden, output, extra", CONFIGS)
@pytest.mark.parametrize("seed", [0, 1])
def test_mlp_matches_torch_autograd(sizes, hidden, output, extra, seed):
    rng = np.random.default_rng(100 + seed)
    extra = dict(extra)  # the parametrisation shares one dict between seeds: never change it
    net = nn.MLP(sizes, hidden=hidden, output=output, init=extra.pop("init", "torch"), seed=seed, **extra)
    N = int(rng.integers(3, 12))
    X = rng.normal(size=(N, sizes[0]))
    k = sizes[-1]
    if net.loss_name == "bce":
        Y = rng.integers(0, 2, size=(N, k)).astype(float)
    elif net.loss_name == "cross_entropy":
        Y = np.eye(k)[rng.integers(0, k, N)]
    else:
        Y = rng.normal(size=(N, k))
    model = net.to_torch()
    out = model(t(X))
    L = _torch_loss(net, out, t(Y)) + sum(0.5 * net.l2 * (m.weight ** 2).sum()
                                          for m in model if isinstance(m, torch.nn.Linear))
    L.backward()
    np.testing.assert_allclose(net.forward(X), out.detach().numpy(), rtol=RTOL, atol=1e-14)
    assert net.loss(X, Y) == pytest.approx(L.item(), rel=RTOL)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for (dW, db), m in zip(net.gradients(X, Y), linears):
        np.testing.assert_allclose(dW, m.weight.grad.numpy().T, rtol=RTOL, atol=1e-13)
        np.testing.assert_allclose(db, m.bias.grad.numpy(), rtol=RTOL, atol=1e-13)


def test_l1_penalty_gradient_matches_torch():
    rng = np.random.default_rng(5)
    net = nn.MLP([3, 4, 2], hidden="tanh", output="linear", init="torch", l1=0.05, seed=3)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    model = net.to_torch()
    lin = [m for m in model if isinstance(m, torch.nn.Linear)]
    L = F.mse_loss(model(t(X)), t(Y)) + 0.05 * sum(m.weight.abs().sum() for m in lin)
    L.backward()
    assert net.loss(X, Y) == pytest.approx(L.item(), rel=RTOL)
    for (dW, db), m in zip(net.gradients(X, Y), lin):
        np.testing.assert_allclose(dW, m.weight.grad.numpy().T, rtol=RTOL)
        np.testing.assert_allclose(db, m.bias.grad.numpy(), rtol=RTOL, atol=1e-15)


def test_from_torch_round_trip_computes_the_same_function():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3), torch.nn.Softmax(dim=-1))
    net = nn.MLP.from_torch(model)
    assert net.sizes == [4, 6, 3] and net.hidden == "tanh" and net.output == "softmax"
    X = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_allclose(net.forward(X), model.double()(t(X)).detach().numpy(), rtol=1e-10)


def test_init_schemes():
    rng_sizes = [64, 64]
    W, b = nn.init_layer(*rng_sizes, init="normal", rng=0)
    assert abs(W.std() - 0.01) < 0.001 and not b.any()
    W, _ = nn.init_layer(*rng_sizes, init="uniform", rng=0)
    assert W.max() <= 0.7 and W.min() >= -0.7 and W.max() > 0.65
    W, _ = nn.init_layer(*rng_sizes, init="xavier_uniform", rng=0)
    assert np.abs(W).max() <= np.sqrt(6 / 128) and W.var() == pytest.approx(2 / 128, rel=0.1)
    W, _ = nn.init_layer(*rng_sizes, init="he", rng=0)
    assert W.var() == pytest.approx(2 / 64, rel=0.1)
    W, _ = nn.init_layer(3, 3, init="identity", scale=2.0)
    np.testing.assert_array_equal(W, 2 * np.eye(3))


FAN_IN, FAN_OUT = 300, 200      # 60,000 weights: sample variances within 3 % of the truth (>= 5 sigma)


def moments(W):
    """Mean, variance and kurtosis E[w^4] / Var^2 (3 for a normal, 9/5 for a uniform) of a draw."""
    w = np.asarray(W, float).ravel()
    var = w.var()
    return w.mean(), var, np.mean((w - w.mean()) ** 4) / var**2


@pytest.mark.parametrize("init, variance, kurtosis, bound", [
    ("xavier_uniform", 2 / (FAN_IN + FAN_OUT), 9 / 5, np.sqrt(6 / (FAN_IN + FAN_OUT))),   # U(-a, a): a^2 / 3
    ("xavier_normal", 2 / (FAN_IN + FAN_OUT), 3.0, None),
    ("he_normal", 2 / FAN_IN, 3.0, None),
    ("normal", 0.01**2, 3.0, None),
    ("uniform", 0.7**2 / 3, 9 / 5, 0.7),
    ("torch", 1 / (3 * FAN_IN), 9 / 5, 1 / np.sqrt(FAN_IN)),
])
def test_init_draws_have_the_closed_form_distribution(init, variance, kurtosis, bound):
    W, b = nn.init_layer(FAN_IN, FAN_OUT, init=init, rng=0)
    assert W.shape == (FAN_IN, FAN_OUT) and b.shape == (FAN_OUT,)
    mean, var, kurt = moments(W)
    assert var == pytest.approx(variance, rel=0.03)
    assert abs(mean) < 0.03 * np.sqrt(variance) and kurt == pytest.approx(kurtosis, abs=0.1)
    if bound is not None:
        assert np.abs(W).max() <= bound and np.abs(W).max() > 0.99 * bound
    assert (np.abs(b).max() <= bound) if init == "torch" else not b.any()


TORCH_INIT = {   # torch.nn.init on a weight of shape (fan_out, fan_in), as nn.Linear stores it
    "xavier_uniform": torch.nn.init.xavier_uniform_,
    "xavier_normal": torch.nn.init.xavier_normal_,
    "he_normal": lambda w: torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu"),
    "normal": lambda w: torch.nn.init.normal_(w, std=0.01),
    "uniform": lambda w: torch.nn.init.uniform_(w, -0.7, 0.7),
    "torch": lambda w: torch.nn.Linear(FAN_IN, FAN_OUT, dtype=torch.float64).weight.data,
}


@pytest.mark.parametrize("init", TORCH_INIT)
def test_init_draws_match_torch_nn_init_in_distribution(init):
    torch.manual_seed(0)
    theirs = TORCH_INIT[init](torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64)).numpy()
    ours = nn.init_layer(FAN_IN, FAN_OUT, init=init, rng=1)[0]
    (m1, v1, k1), (m2, v2, k2) = moments(ours), moments(theirs)
    assert v1 == pytest.approx(v2, rel=0.04) and k1 == pytest.approx(k2, abs=0.15)
    assert abs(m1 - m2) < 0.05 * np.sqrt(v2)


def test_lecture_names_are_the_normal_draws():
    """'xavier' and 'he' (lecture 7, the gradient-flow explorer) are xavier_normal and he_normal: variance
    2/(fan_in + fan_out) and 2/fan_in, normal tails (kurtosis 3), in nn.MLP and gradflow alike."""
    from nnlab import gradflow

    for short, variance in (("xavier", 2 / (FAN_IN + FAN_OUT)), ("he", 2 / FAN_IN)):
        _, var, kurt = moments(nn.init_layer(FAN_IN, FAN_OUT, init=short, rng=2)[0])
        assert var == pytest.approx(variance, rel=0.03) and kurt == pytest.approx(3.0, abs=0.1)
        _, var, kurt = moments(nn.MLP([FAN_IN, FAN_OUT, 1], init=short, seed=2).params[0][0])
        assert var == pytest.approx(variance, rel=0.03) and kurt == pytest.approx(3.0, abs=0.1)
    net = gradflow.build(30, 128, "relu", "xavier", seed=0)
    _, var, kurt = moments(np.stack([W for W, _ in net.layers]))      # 30 layers of 128 x 128
    assert var == pytest.approx(2 / 256, rel=0.03) and kurt == pytest.approx(3.0, abs=0.1)
    net = gradflow.build(30, 128, "relu", "he", seed=0)
    assert moments(np.stack([W for W, _ in net.layers]))[1] == pytest.approx(2 / 128, rel=0.03)


# ------------------------------------------------------------ gradient check

@pytest.mark.parametrize("hidden, output", [("sigmoid", "sigmoid"), ("tanh", "softmax"), ("relu", "linear")])
def test_gradient_check_is_below_1e7(hidden, output):
    rng = np.random.default_rng(7)
    net = nn.MLP([3, 5, 4, 2], hidden=hidden, output=output, init="torch", seed=4, l2=0.01)
    X = rng.normal(size=(8, 3))
    Y = np.eye(2)[rng.integers(0, 2, 8)] if output != "linear" else rng.normal(size=(8, 2))
    if hidden == "relu":  # keep every pre-activation away from the kink
        for Z in net.forward_pass(X).Z[1:-1]:
            assert np.abs(Z).min() > 1e-4
    report = nn.gradient_check(net, X, Y)
    assert report.max_rel_error < 1e-7, str(report)
    assert [e.name for e in report.entries] == ["W1", "b1", "W2", "b2", "W3", "b3"]


def test_gradient_check_locates_a_wrong_gradient():
    rng = np.random.default_rng(8)
    net = nn.MLP([2, 3, 1], hidden="tanh", init="torch", seed=1)
    X, Y = rng.normal(size=(5, 2)), rng.integers(0, 2, (5, 1))
    good = net.gradients

    def bad(X, Y):
        g = good(X, Y)
        g[0][0][1, 2] += 0.1
        return g

    net.gradients = bad
    report = nn.gradient_check(net, X, Y)
    worst = max(report.entries, key=lambda e: e.rel_error)
    assert worst.name == "W1" and worst.index == (1, 2) and worst.rel_error > 1e-3
    assert "W1" in str(report)


# ------------------------------------------------------------ curriculum numbers

def test_parameter_counts_from_the_curriculum():
    assert nn.count_parameters([5, 20, 3]) == 183
    assert nn.count_parameters([3, 4, 2]) == 26
    assert nn.count_parameters([784, 128, 10]) == 101_770
    net = nn.MLP([3, 4, 2])
    assert net.n_parameters == 26 and sum(W.size for W, _ in net.params) == 20
    assert sum(p.numel() for p in nn.MLP([784, 128, 10]).to_torch().parameters()) == 101_770


def test_shapes_for_a_batch():
    net = nn.MLP([5, 20, 3], output="softmax", seed=0)
    fw = net.forward_pass(np.zeros((100, 5)))
    assert [a.shape for a in fw.A] == [(100, 5), (100, 20), (100, 3)]


def test_circle_problem_reaches_95_percent_median_over_10_seeds():
    """Curriculum L04: N=200, 2-8-1, ReLU/sigmoid, 0.01 randn, zero biases, lr 0.05,
    1000 full-batch iterations, gradients summed over the batch."""
    accs = []
    for seed in range(10):
        X, y = data.circle(200, seed=seed)
        net = nn.MLP([2, 8, 1], hidden="relu", output="sigmoid", init="normal", init_scale=0.01,
                     seed=seed, reduction="sum")
        hist = net.fit(X, y, lr=0.05, iterations=1000)
        assert hist.diverged is None
        accs.append(net.accuracy(X, y))
    assert np.median(accs) >= 0.95, accs


def test_fit_reports_divergence_instead_of_warning():
    X, y = data.sine(50, seed=0)
    net = nn.MLP([1, 16, 1], hidden="relu", output="linear", init="he", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hist = net.fit(X, y, lr=50.0, iterations=200)
    assert hist.diverged is not None and "diverged at iteration" in hist.diverged


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("call, words", [
    (lambda: nn.MLP([2, 3, 1], hidden="swish"), ["hidden", "'relu'", "swish"]),
    (lambda: nn.MLP([2]), ["sizes", "at least two"]),
    (lambda: nn.MLP([2, 0, 1]), ["sizes[1]", "integer in [1"]),
    (lambda: nn.MLP([2, 3, 1], init="magic"), ["init", "'xavier'", "magic"]),
    (lambda: nn.MLP([2, 3, 1]).forward(np.zeros((4, 3))), ["X", "(n_samples, 2)", "(4, 3)"]),
    (lambda: nn.MLP([2, 3, 1]).forward(np.array([[1.0, np.nan]])), ["X", "finite", "nan"]),
    (lambda: nn.MLP([2, 3, 1]).loss(np.zeros((4, 2)), np.zeros(5)), ["Y", "(4, 1)", "(5, 1)"]),
    (lambda: nn.MLP([2, 3, 1]).loss(np.zeros((2, 2)), np.array([-1, 1])), ["Y", "[0, 1]", "(y + 1) / 2"]),
    (lambda: nn.MLP([2, 3, 3], output="softmax").loss(np.zeros((2, 2)), np.array([0, 5])), ["Y", "0..2"]),
    (lambda: nn.MLP([2, 3, 1], output="linear", loss="cross_entropy"), ["loss", "softmax"]),
    (lambda: nn.count_parameters(5), ["sizes", "list"]),
    (lambda: nn.gradient_check("net", 1, 2), ["model", "MLP"]),
])
def test_bad_input_gives_clear_value_errors(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for w in words:
        assert w in str(info.value), (w, str(info.value))
