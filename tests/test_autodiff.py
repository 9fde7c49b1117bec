"""nnlab.autodiff against independent oracles: torch.autograd and torch.func in float64, central
differences, closed forms and the curriculum's worked numbers (L04)."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch.func import jacfwd, jacrev, jvp, vjp

from nnlab import autodiff as ad
from nnlab import graphs

pytestmark = pytest.mark.usefixtures("float64_tensors")


AD = SimpleNamespace(exp=ad.exp, log=ad.log, sin=ad.sin, cos=ad.cos, tanh=ad.tanh, sigmoid=ad.sigmoid,
                     relu=ad.relu, square_loss=ad.square_loss)
TORCH = SimpleNamespace(exp=torch.exp, log=torch.log, sin=torch.sin, cos=torch.cos, tanh=torch.tanh,
                        sigmoid=torch.sigmoid, relu=torch.relu, square_loss=lambda y, t: (y - t) ** 2)

# every operation, in forms that stay inside their domains: (name, arity, rule over an engine E)
INSTRUCTIONS = [
    ("add", 2, lambda E, a, b: a + b),
    ("sub", 2, lambda E, a, b: a - b),
    ("mul", 2, lambda E, a, b: a * b),
    ("div", 2, lambda E, a, b: a / (1.5 + b * b)),
    ("neg", 1, lambda E, a: -a),
    ("exp", 1, lambda E, a: E.exp(E.tanh(a))),
    ("log", 1, lambda E, a: E.log(1.0 + a * a)),
    ("sin", 1, lambda E, a: E.sin(a)),
    ("cos", 1, lambda E, a: E.cos(a)),
    ("tanh", 1, lambda E, a: E.tanh(a)),
    ("sigmoid", 1, lambda E, a: E.sigmoid(a)),
    ("relu", 1, lambda E, a: E.relu(a)),
    ("pow", 1, lambda E, a: (1.0 + a * a) ** 1.5),
    ("square_loss", 2, lambda E, a, b: E.square_loss(a, b)),
    ("reuse", 1, lambda E, a: a * a + a),  # one value used three times
]


def random_program(rng, n_inputs, n_ops):
    """Instructions over a growing list of values; inputs are picked at random, so values are reused."""
    program = []
    for k in range(n_ops):
        i = rng.integers(len(INSTRUCTIONS))
        arity = INSTRUCTIONS[i][1]
        program.append((i, tuple(int(j) for j in rng.integers(0, n_inputs + k, arity))))
    return program


def run(program, E, inputs, n_outputs=1):
    values = list(inputs)
    for i, args in program:
        values.append(INSTRUCTIONS[i][2](E, *(values[j] for j in args)))
    return values[-n_outputs:]


@pytest.mark.parametrize("seed", range(60))
def test_reverse_mode_equals_torch_autograd_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5))
    program = random_program(rng, n, int(rng.integers(3, 40)))
    xs = rng.normal(size=n)
    value, grads = ad.gradient(lambda *v: run(program, AD, v)[0], *xs)
    xt = torch.tensor(xs, requires_grad=True)
    yt = run(program, TORCH, list(xt))[0]
    (gt,) = torch.autograd.grad(yt, xt, allow_unused=True)
    gt = np.zeros(n) if gt is None else gt.numpy()
    assert value == pytest.approx(float(yt.detach()), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(grads, gt, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_forward_mode_equals_torch_jvp_and_reverse_equals_vjp(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 5))
    program = random_program(rng, n, int(rng.integers(3, 30)))
    xs, direction = rng.normal(size=n), rng.normal(size=n)

    def f(x):
        return run(program, TORCH, list(x))[0]

    _, jt = jvp(f, (torch.tensor(xs),), (torch.tensor(direction),))
    _, dy = ad.derivative(lambda *v: run(program, AD, v)[0], xs, direction)
    assert dy == pytest.approx(float(jt), rel=1e-10, abs=1e-12)
    _, pullback = vjp(f, torch.tensor(xs))
    (g,) = pullback(torch.tensor(1.0))
    np.testing.assert_allclose(ad.gradient(lambda *v: run(program, AD, v)[0], *xs)[1], g.numpy(),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_jacobians_both_ways_equal_jacfwd_and_jacrev(seed):
    rng = np.random.default_rng(200 + seed)
    n, m = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    program = random_program(rng, n, int(rng.integers(m + 2, 25)))
    xs = rng.normal(size=n)

    def f(x):
        return torch.stack(run(program, TORCH, list(x), m))

    x = torch.tensor(xs)
    J_rev, _ = ad.jacobian(lambda *v: run(program, AD, v, m), xs, "reverse")
    J_fwd, _ = ad.jacobian(lambda *v: run(program, AD, v, m), xs, "forward")
    np.testing.assert_allclose(J_rev, jacrev(f)(x).numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(J_fwd, jacfwd(f)(x).numpy(), rtol=1e-10, atol=1e-12)


def test_central_differences_agree():
    def f(x1, x2, x3):
        return ad.tanh(x1 * x2) + ad.exp(ad.sin(x3)) / (1.0 + x1 * x1) - x2 ** 3

    xs = np.array([0.3, -1.2, 0.7])
    _, grads = ad.gradient(f, *xs)
    h = 1e-5
    for j in range(3):
        e = np.eye(3)[j] * h
        fd = (f(*map(ad.Var, xs + e)).value - f(*map(ad.Var, xs - e)).value) / (2 * h)
        assert grads[j] == pytest.approx(fd, rel=1e-8)


def test_the_lecture_trace():
    """f(x1, x2) = ln x1 + x1 x2 − sin x2 at (2, 5): the curriculum's forward values and adjoints."""
    x1, x2 = ad.Var(2.0, "x1"), ad.Var(5.0, "x2")
    v1 = ad.log(x1)
    v2 = x1 * x2
    v3 = ad.sin(x2)
    v4 = v1 + v2
    y = v4 - v3
    t = ad.trace(y)
    values = {name: round(value, 3) for name, _, _, value in t.forward}
    assert values == {"x1": 2.0, "x2": 5.0, "v1": 0.693, "v2": 10.0, "v3": -0.959, "v4": 10.693, "y": 11.652}
    assert [written for _, written, _, _ in t.forward][2:] == ["ln x1", "x1 · x2", "sin x2", "v1 + v2", "v4 − v3"]
    assert t.gradient["x1"] == pytest.approx(1 / 2 + 5) and round(t.gradient["x1"], 3) == 5.5
    assert t.gradient["x2"] == pytest.approx(2 - math.cos(5)) and round(t.gradient["x2"], 3) == 1.716
    # x1 and x2 are each used twice: their second contribution is a "+="
    assert [(r.receives, r.sends) for r in t.rows if not r.first] == [("x2", "v2"), ("x1", "v1")]
    assert [r.sends for r in t.rows] == ["y", "y", "v4", "v4", "v3", "v2", "v2", "v1"]  # output to inputs
    assert [n.depth for n in t.nodes] == [0, 0, 1, 1, 1, 2, 3]


def test_the_forward_mode_trace_gives_the_partial_derivative_along_one_input():
    x1, x2 = ad.Var(2.0, "x1"), ad.Var(5.0, "x2")
    y = (ad.log(x1) + x1 * x2) - ad.sin(x2)
    for wrt, expected in (("x1", 5.5), ("x2", 2 - math.cos(5))):
        t = ad.trace(y, mode="forward", wrt=wrt)
        assert t.result["y"] == pytest.approx(expected) and t.wrt == wrt
        assert t.rows[0].sends == wrt  # the sweep starts at the seeded input
    with pytest.raises(ValueError, match="^wrt: expected one of the inputs"):
        ad.trace(y, mode="forward", wrt="v2")


def test_a_reused_value_gets_both_contributions():
    a = ad.Var(3.0, "a")
    b = a + a
    c = b * b          # c = 4 a², dc/da = 8 a
    c.backward()
    assert a.grad == 24.0 and b.grad == 12.0
    t = torch.tensor(3.0, requires_grad=True)
    ((t + t) * (t + t)).backward()
    assert a.grad == float(t.grad)


def test_backward_twice_gives_the_same_gradients_unlike_torch_which_accumulates():
    x = ad.Var(0.5, "x")
    y = ad.sigmoid(x * x)
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == first
    t = torch.tensor(0.5, requires_grad=True)
    z = torch.sigmoid(t * t)
    z.backward(retain_graph=True)
    z.backward()
    assert float(t.grad) == pytest.approx(2 * first, rel=1e-12)


def test_a_chain_of_ten_thousand_nodes_needs_no_recursion():
    """Iterated sine: dz/dx is the product of cos of every intermediate value (a closed form)."""
    x = ad.Var(0.5, "x")
    z, product, value = x, 1.0, 0.5
    for _ in range(10_000):
        z = ad.sin(z)
        product *= math.cos(value)
        value = math.sin(value)
    z.backward()
    assert z.value == value and x.grad == pytest.approx(product, rel=1e-9)


def test_the_scalar_network_worked_example():
    """y = w2·max(0, w1 x + b1) + b2, L = (y − t)²: h = 4, y = 3, L = 4, gradient (8, 8, 16, 4),
    one step with α = 1/4 gives (1, −1, −2, −6); PyTorch agrees."""
    def loss(w1, b1, w2, b2, E=AD):
        h = E.relu(w1 * 1.0 + b1)
        return E.square_loss(w2 * h + b2, 1.0), h

    params = (3.0, 1.0, 2.0, -5.0)
    variables = [ad.Var(p) for p in params]
    L, h = loss(*variables)
    L.backward()
    grads = [v.grad for v in variables]
    assert (h.value, L.value) == (4.0, 4.0) and grads == [8.0, 8.0, 16.0, 4.0]
    assert [p - 0.25 * g for p, g in zip(params, grads)] == [1.0, -1.0, -2.0, -6.0]
    pt = torch.tensor(params, requires_grad=True)
    Lt, _ = loss(*pt, E=TORCH)
    Lt.backward()
    assert pt.grad.tolist() == grads


@pytest.mark.parametrize("d, d1, d2, D", [(3, 4, 5, 2), (1, 6, 6, 1), (8, 3, 7, 1), (2, 2, 2, 9)])
def test_forward_and_reverse_cost_what_the_lecture_says(d, d1, d2, D):
    J_fwd, J_rev, mults_fwd, mults_rev, (J1, J2, J3) = graphs.jacobian_chain(d, d1, d2, D, seed=d + D)
    product = J3 @ J2 @ J1
    np.testing.assert_allclose(J_fwd, product, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(J_rev, product, rtol=1e-12, atol=1e-12)
    assert mults_fwd == d * (D * d2 + d2 * d1)
    assert mults_rev == D * (d2 * d1 + d1 * d)


def test_counts_skip_additions_and_count_every_other_product():
    x, w = ad.Var(2.0, "x"), ad.Var(3.0, "w")
    y = w * x + x        # reverse: ȳ·1 to the product and to x are free; the product costs 2
    assert ad.adjoints(y).multiplications == 2
    assert ad.tangents(y, seeds={x: 1.0}).multiplications == 1  # only x's path through w·x


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="^exponent: "):
        ad.Var(2.0) ** ad.Var(3.0)
    with pytest.raises(ValueError, match="^f: expected a function that returns a Var"):
        ad.gradient(lambda x: 3.0, 1.0)
    with pytest.raises(ValueError, match="^op: "):
        ad.apply("gelu", 1.0)
    with pytest.raises(ValueError, match="^mode: "):
        ad.jacobian(lambda x: x, [1.0], "sideways")


def test_the_micrograd_benchmark_times_the_same_graph_in_both_engines():
    """benchmarks/bench_autodiff.py: the 2-16-16-1 MLP's loss and every weight's gradient agree between
    nnlab and micrograd (an independent engine), so the two backward times are for the same work."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_autodiff.py"
    spec = importlib.util.spec_from_file_location("bench_autodiff", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    data = bench.problem(points=12, seed=3)
    ours, theirs = bench.nnlab_graph(*data), bench.micrograd_graph(*data)
    assert ours[0].value == pytest.approx(theirs[0].data, rel=1e-13)
    assert len(ours[1]) == len(theirs[1]) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    assert np.allclose(bench.grads("nnlab", *ours), bench.grads("micrograd", *theirs), rtol=1e-12, atol=1e-14)
    bench.main(["--points", "3", "--repeats", "1"])


def test_a_recorded_sweep_gives_the_same_adjoints_and_counts_as_a_plain_one():
    x, w = ad.Var(0.7, "x"), ad.Var(-1.3, "w")
    y = ad.tanh(w * x + x) * ad.exp(x) - 2.0 * w
    plain = ad.adjoints(y)
    grads = (x.grad, w.grad)
    recorded = ad.adjoints(y, record=True)
    assert (x.grad, w.grad) == grads and plain.multiplications == recorded.multiplications
    assert plain.steps == () and len(recorded.steps) > 0
    assert ad.adjoints(y, seeds={y: 1.0}).multiplications == plain.multiplications
    forward = ad.tangents(y, seeds={x: 1.0}), ad.tangents(y, seeds={x: 1.0}, record=True)
    assert forward[0].multiplications == forward[1].multiplications and forward[0].steps == ()
    assert [n.id for n in ad.graph(y, varied=True)] == [n.id for n in ad.graph(y) if n.varied]
