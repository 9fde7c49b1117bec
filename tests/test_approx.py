"""Universal-approximation constructions against closed forms and PyTorch."""
import numpy as np
import pytest
import torch

from nnlab import approx

A, B = approx.TARGETS["bumpy"][1]
f = approx.bumpy


def test_step_is_at_minus_b_over_w_and_sharpens():
    x = np.array([0.3 - 1e-3, 0.3, 0.3 + 1e-3])
    np.testing.assert_allclose(approx.step(x, 0.3, 1e5), [0, 0.5, 1], atol=1e-12)
    assert approx.step(0.31, 0.3, 10)[()] < approx.step(0.31, 0.3, 100)[()]
    t = approx.tower(np.array([0.0, 0.5, 1.0]), 0.25, 0.75, 200)
    np.testing.assert_allclose(t, [0, 1, 0], atol=1e-10)


@pytest.mark.parametrize("units", approx.UNITS)
def test_constructed_networks_are_real_networks(units):
    net = approx.network_for(units, f, 12, (A, B))
    x = np.linspace(A, B, 301)[:, None]
    model = net.to_torch()
    np.testing.assert_allclose(net.forward(x), model(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-14)
    assert net.sizes == ([1, 24, 1] if units == "sigmoid" else [1, 12, 1])


def test_tower_network_equals_the_sum_of_towers_formula():
    n, s = 5, 10.0
    net = approx.tower_network(f, n, (A, B), steepness=s)
    w = s * n / (B - A)
    edges = np.linspace(A, B, n + 1)
    edges[0] -= (B - A) / (2 * n)
    edges[-1] += (B - A) / (2 * n)
    centres = A + (np.arange(n) + 0.5) * (B - A) / n
    x = np.linspace(A, B, 101)
    direct = sum(f(c) * (1 / (1 + np.exp(-w * (x - l))) - 1 / (1 + np.exp(-w * (x - r))))
                 for c, l, r in zip(centres, edges[:-1], edges[1:]))
    np.testing.assert_allclose(net.forward(x[:, None])[:, 0], direct, rtol=1e-12)


def test_error_falls_as_towers_are_added():
    e8 = approx.approximation_error(approx.tower_network(f, 8, (A, B)), f, (A, B))
    e64 = approx.approximation_error(approx.tower_network(f, 64, (A, B)), f, (A, B))
    assert e64.max * 4 <= e8.max and e64.mean < e8.mean
    for target in ("sin", "abs"):
        g, iv = approx.TARGETS[target]
        ns, mx, mean = approx.error_against_n(g, iv, ns=(2, 8, 32, 100))
        assert np.all(np.diff(mx) < 0) and np.all(np.diff(mean) < 0)


def test_steeper_steps_help_until_the_towers_are_sharp():
    # blurred towers: steeper is better for a smooth target (max and mean error)
    errs = [approx.approximation_error(approx.tower_network(f, 16, (A, B), steepness=s), f, (A, B))
            for s in (0.5, 1, 2, 4)]
    assert all(e1.max > e2.max and e1.mean > e2.mean for e1, e2 in zip(errs, errs[1:]))
    # the network tends to the staircase of its tower heights as the steps sharpen: against that
    # staircase the error falls for every increase in steepness
    n = 16
    heights = f(approx.tower_centres(n, (A, B)))
    stair = lambda x: heights[np.clip(((np.asarray(x) - A) / (B - A) * n).astype(int), 0, n - 1)]  # noqa: E731
    means = [approx.approximation_error(approx.tower_network(f, n, (A, B), steepness=s), stair, (A, B),
                                        n_grid=20001).mean for s in (1, 4, 16, 64, 256)]
    assert np.all(np.diff(means) < 0)


@pytest.mark.parametrize("n", [3, 4, 6, 8, 20])
def test_relu_network_is_the_linear_spline(n):
    g, (a, b) = approx.TARGETS["sin"]
    net = approx.relu_network(g, n, (a, b))
    knots = np.linspace(a, b, n + 1)
    x = np.linspace(a, b, 997)
    np.testing.assert_allclose(net.forward(x[:, None])[:, 0], np.interp(x, knots, g(knots)), atol=1e-12)


def test_relu_fit_improves_with_pieces_and_matches_lstsq():
    g, (a, b) = approx.TARGETS["sin"]
    x = np.linspace(a, b, 400)
    errs = []
    for n in (3, 4, 6, 8, 20):
        net = approx.fit_relu_output(x, g(x), n, (a, b))
        errs.append(np.abs(net.forward(x[:, None])[:, 0] - g(x)).max())
    assert np.all(np.diff(errs) < 0)
    # the fitted output layer is the least-squares solution: residual orthogonal to the features
    net = approx.fit_relu_output(x, g(x), 6, (a, b))
    H = np.c_[net.forward_pass(x[:, None]).A[1], np.ones(len(x))]
    r = net.forward(x[:, None])[:, 0] - g(x)
    np.testing.assert_allclose(H.T @ r, 0, atol=1e-9)


def test_2d_tower_is_one_on_the_rectangle():
    net = approx.tower_2d_network((0.2, 0.6, 0.3, 0.5))
    inside, strip, corner = net.forward(np.array([[0.4, 0.4], [0.1, 0.4], [0.9, 0.9]]))[:, 0]
    assert inside > 0.999 and strip < 1e-3 and corner < 1e-3
    assert net.sizes == [2, 4, 1]


def test_2d_towers_approximate_a_function_better_as_cells_shrink():
    g = lambda x, y: np.sin(3 * x) * np.cos(2 * y)  # noqa: E731
    X = np.random.default_rng(0).uniform(0, 1, (20000, 2))
    means = []
    for k in (4, 8, 16):
        net = approx.tower_network_2d(g, k)
        assert net.sizes == [2, 2 * (k + 1), k * k, 1]
        means.append(np.abs(net.forward(X)[:, 0] - g(X[:, 0], X[:, 1])).mean())
    assert means[0] > means[1] > means[2] and means[2] < 0.05
    # at the centre of every cell the network returns that cell's height
    net = approx.tower_network_2d(g, 5)
    c = (np.arange(5) + 0.5) / 5
    CX, CY = np.meshgrid(c, c, indexing="ij")
    np.testing.assert_allclose(net.forward(np.c_[CX.ravel(), CY.ravel()])[:, 0], g(CX, CY).ravel(), atol=1e-3)
    x = np.c_[np.linspace(0, 1, 50), np.linspace(1, 0, 50)]
    np.testing.assert_allclose(net.forward(x), net.to_torch()(torch.tensor(x)).detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("call, words", [
    (lambda: approx.tower_network(f, 0), ["n", "integer in [1"]),
    (lambda: approx.tower_network(f, 4, interval=(1, 0)), ["interval", "a < b"]),
    (lambda: approx.tower_network(f, 4, steepness=-1), ["steepness", "> 0"]),
    (lambda: approx.tower_network(lambda x: "x", 4), ["f", "failed"]),
    (lambda: approx.tower_network(lambda x: x[:2], 4), ["f", "same shape"]),
    (lambda: approx.network_for("gelu", f, 3, (0, 1)), ["units", "'relu'"]),
    (lambda: approx.tower_2d_network((0.5, 0.2, 0, 1)), ["rect", "x1 > x0"]),
])
def test_bad_input(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for w in words:
        assert w in str(info.value), str(info.value)


def test_steeper_walls_shrink_the_seams_of_2d_towers():
    g = lambda x, y: np.sin(3 * x) * np.cos(2 * y)  # noqa: E731
    X = np.random.default_rng(1).uniform(0, 1, (20000, 2))
    bad = [np.mean(np.abs(approx.tower_network_2d(g, 8, steepness=s).forward(X)[:, 0] - g(X[:, 0], X[:, 1])) > 0.2)
           for s in (10, 50, 200)]
    assert bad[0] > bad[1] > bad[2]
    corner = np.array([[0.5, 0.5]])  # four cells meet here: no threshold unit fires, at any steepness
    assert abs(approx.tower_network_2d(g, 8, steepness=1000).forward(corner)[0, 0]) < 0.01
