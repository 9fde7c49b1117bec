"""nnlab.rnn against torch.nn.RNN and autograd (float64, 1e-12), and the gradients sent back through time against
their closed form (W_hh^T)^k g in the linear case."""
import numpy as np
import pytest
import torch

from nnlab import rnn


def close(a, b, tol=1e-12):
    """|a - b| <= tol relative to the larger of |b|'s largest entry and 1."""
    b = np.asarray(b, float)
    assert np.shape(a) == b.shape
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * max(1.0, float(np.max(np.abs(b), initial=0.0))))


def torch_rnn(p, nonlinearity, seed):
    """torch.nn.RNN and an output nn.Linear holding p's weights; b split at random between torch's two biases."""
    H, D = p.W_hx.shape
    K = p.W_yh.shape[0]
    cell = torch.nn.RNN(D, H, nonlinearity=nonlinearity, dtype=torch.float64)
    out = torch.nn.Linear(H, K, bias=p.c is not None, dtype=torch.float64)
    b_ih = np.random.default_rng(seed).normal(size=H)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.tensor(p.W_hx))
        cell.weight_hh_l0.copy_(torch.tensor(p.W_hh))
        cell.bias_ih_l0.copy_(torch.tensor(b_ih))
        cell.bias_hh_l0.copy_(torch.tensor(p.b - b_ih))
        out.weight.copy_(torch.tensor(p.W_yh))
        if p.c is not None:
            out.bias.copy_(torch.tensor(p.c))
    return cell, out


def case(seed, batched, output_bias=True):
    rng = np.random.default_rng(seed)
    T, N, D, H, K = (int(v) for v in rng.integers(1, 7, 5))
    p = rnn.init_params(D, H, K, seed=seed, output_bias=output_bias)
    p = p._replace(W_hh=1.5 * p.W_hh, W_hx=2.0 * p.W_hx)     # relu units that switch on and off
    lead = (N,) if batched else ()
    x, h0 = rng.normal(size=(T,) + lead + (D,)), rng.normal(size=lead + (H,))
    return p, x, h0


CASES = [(nl, batched, seed) for nl in ("tanh", "relu") for batched in (False, True) for seed in range(5)]


@pytest.mark.parametrize("nonlinearity, batched, seed", CASES)
def test_forward_equals_torch_rnn(nonlinearity, batched, seed):
    p, x, h0 = case(seed, batched, output_bias=seed % 2 == 0)
    fw = rnn.forward(p, x, h0, nonlinearity)
    cell, out = torch_rnn(p, nonlinearity, seed)
    with torch.no_grad():
        hs, h_last = cell(torch.tensor(x), torch.tensor(h0[None]))
        y = out(hs)
    close(fw.h[1:], hs.numpy())
    close(fw.h[-1], h_last.numpy()[0])
    close(fw.h[0], h0)
    close(fw.y, y.numpy())


@pytest.mark.parametrize("nonlinearity, batched, seed", CASES)
def test_bptt_equals_torch_autograd(nonlinearity, batched, seed):
    p, x, h0 = case(50 + seed, batched, output_bias=seed % 2 == 1)
    fw = rnn.forward(p, x, h0, nonlinearity)
    cell, out = torch_rnn(p, nonlinearity, seed)
    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0[None], requires_grad=True)
    y_hat = out(cell(xt, h0t)[0])
    target = np.random.default_rng(seed).normal(size=fw.y.shape)
    loss = 0.5 * ((y_hat - torch.tensor(target)) ** 2).sum()
    loss.backward()
    L, dy = rnn.squared_error(fw.y, target)
    assert L == pytest.approx(loss.item(), rel=1e-12)
    g = rnn.bptt(p, fw, dy)
    close(g.W_hx, cell.weight_ih_l0.grad.numpy())
    close(g.W_hh, cell.weight_hh_l0.grad.numpy())
    close(g.b, cell.bias_ih_l0.grad.numpy())
    close(g.b, cell.bias_hh_l0.grad.numpy())
    close(g.W_yh, out.weight.grad.numpy())
    if p.c is None:
        assert g.c is None
    else:
        close(g.c, out.bias.grad.numpy())
    close(g.h0, h0t.grad.numpy()[0])
    close(g.x, xt.grad.numpy())


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_dh_is_the_whole_gradient_of_each_hidden_state(nonlinearity):
    """dh[t] = dL/dh_t through y^_t and every later step: autograd's gradient of each h_t of an unrolled loop."""
    p, x, h0 = case(7, True)
    fw = rnn.forward(p, x, h0, nonlinearity)
    sigma = torch.tanh if nonlinearity == "tanh" else torch.relu
    W_hx, W_hh, b, W_yh, c = (torch.tensor(a) for a in p)
    hs = [torch.tensor(h0, requires_grad=True)]
    for t in range(len(x)):
        hs.append(sigma(torch.tensor(x[t]) @ W_hx.T + hs[-1] @ W_hh.T + b))
        hs[-1].retain_grad()
    G = np.random.default_rng(1).normal(size=fw.y.shape)
    sum(((h @ W_yh.T + c) * torch.tensor(g)).sum() for h, g in zip(hs[1:], G)).backward()
    g = rnn.bptt(p, fw, G)
    close(g.dh, np.stack([h.grad.numpy() for h in hs]))
    close(rnn.gradient_norms(g), np.linalg.norm(g.dh, axis=-1))
    assert rnn.gradient_norms(g).shape == (len(x) + 1, x.shape[1])


# ------------------------------------------------------------------------------ back through time


def linear_case(rho, kind, T=40, H=16, seed=0):
    W_hh = rnn.recurrent_matrix(H, rho, seed=seed, kind=kind)
    rng = np.random.default_rng(seed)
    p = rnn.make_params(rng.normal(size=(H, 3)), W_hh, rng.normal(size=H), rng.normal(size=(2, H)))
    return p, rng.normal(size=(T, 3)), rng.normal(size=2)


@pytest.mark.parametrize("rho", [0.5, 0.9, 1.1, 1.3])
@pytest.mark.parametrize("kind", ["gaussian", "orthogonal"])
def test_linear_gradients_back_through_time_are_the_closed_form(rho, kind):
    """Loss on the last step only, sigma linear: dh_{T-k} = (W_hh^T)^k W_yh^T dy_T."""
    p, x, dy_T = linear_case(rho, kind)
    T = len(x)
    fw = rnn.forward(p, x, nonlinearity="linear")
    dy = np.zeros_like(fw.y)
    dy[-1] = dy_T
    g = rnn.bptt(p, fw, dy)
    g_T = p.W_yh.T @ dy_T
    for k in range(T + 1):
        close(g.dh[T - k], np.linalg.matrix_power(p.W_hh.T, k) @ g_T, 1e-11)
    norms = rnn.last_step_gradient_norms(p, x, nonlinearity="linear", dy_T=dy_T)
    close(norms, [np.linalg.norm(np.linalg.matrix_power(p.W_hh.T, T - t) @ g_T) for t in range(T + 1)], 1e-11)


@pytest.mark.parametrize("rho", [0.7, 0.95, 1.05, 1.4])
def test_norms_shrink_or_grow_geometrically_by_rho(rho):
    """W_hh = rho Q (Q orthogonal): each step back multiplies |dh| by exactly rho in the linear case; a tanh network
    kept near its linear regime (tiny inputs) by rho to 1e-6; a generic W_hh (gaussian) by rho in the long run."""
    p, x, dy_T = linear_case(rho, "orthogonal", T=30)
    norms = rnn.last_step_gradient_norms(p, x, nonlinearity="linear", dy_T=dy_T)
    ratios = norms[:-1] / norms[1:]                 # |dh_{t-1}| / |dh_t|
    close(ratios, np.full(30, rho), 1e-12)
    assert (norms[0] < norms[-1]) == (rho < 1)
    near = rnn.last_step_gradient_norms(p._replace(b=np.zeros(16)), 1e-9 * x, nonlinearity="tanh", dy_T=dy_T)
    np.testing.assert_allclose(near[:-1] / near[1:], rho, rtol=1e-6)
    q, xq, dq = linear_case(rho, "gaussian", T=300, H=32, seed=3)
    long_run = rnn.last_step_gradient_norms(q, xq, nonlinearity="linear", dy_T=dq)
    assert (long_run[0] / long_run[100]) ** (1 / 100) == pytest.approx(rho, rel=2e-3)   # steps 200 to 300 back


def test_tanh_never_sends_back_more_than_rho_per_step():
    """|sigma'| <= 1 for tanh: with W_hh = rho Q, |dh_{t-1}| <= rho |dh_t| whatever the inputs (no loss before T)."""
    p, x, dy_T = linear_case(0.9, "orthogonal", T=30)
    norms = rnn.last_step_gradient_norms(p, 3.0 * x, nonlinearity="tanh", dy_T=dy_T)
    assert np.all(norms[:-1] <= 0.9 * norms[1:] * (1 + 1e-12))
    assert norms[0] < 0.9 ** 30 * norms[-1]        # saturated units shrink it further


def test_recurrent_matrix_has_the_spectral_radius_asked_for():
    for kind in ("gaussian", "orthogonal"):
        for rho in (0.0, 0.5, 1.0, 2.5):
            W = rnn.recurrent_matrix(20, rho, seed=4, kind=kind)
            assert np.max(np.abs(np.linalg.eigvals(W))) == pytest.approx(rho, abs=1e-12)
            np.testing.assert_array_equal(W, rnn.recurrent_matrix(20, rho, seed=4, kind=kind))
    s = np.linalg.svd(rnn.recurrent_matrix(12, 0.8, seed=1, kind="orthogonal"), compute_uv=False)
    close(s, np.full(12, 0.8))
    assert not np.array_equal(rnn.recurrent_matrix(5, 1.0, seed=1), rnn.recurrent_matrix(5, 1.0, seed=2))


def test_init_params_draws_as_torch_and_takes_a_spectral_radius():
    p = rnn.init_params(3, 50, 2, seed=0)
    assert (p.W_hx.shape, p.W_hh.shape, p.b.shape, p.W_yh.shape, p.c.shape) == ((50, 3), (50, 50), (50,), (2, 50),
                                                                                   (2,))
    assert max(np.abs(a).max() for a in p) <= 1 / np.sqrt(50)
    assert np.abs(p.W_hh).max() > 0.9 / np.sqrt(50)
    q = rnn.init_params(3, 50, 2, seed=0, spectral_radius=0.7, output_bias=False)
    assert np.max(np.abs(np.linalg.eigvals(q.W_hh))) == pytest.approx(0.7, abs=1e-12) and q.c is None


def test_an_overflowing_run_returns_inf_without_warnings():
    """A network with a huge W_hh overflows: inf and nan come back as values, the loss too (RuntimeWarnings are
    errors in this test suite)."""
    p = rnn.make_params(np.ones((4, 1)), rnn.recurrent_matrix(4, 1e30, kind="orthogonal"), np.ones(4),
                        np.ones((1, 4)))
    fw = rnn.forward(p, np.ones((40, 1)), nonlinearity="linear")
    assert not np.all(np.isfinite(fw.y))
    g = rnn.bptt(p, fw, np.ones_like(fw.y))
    assert not np.all(np.isfinite(rnn.gradient_norms(g)))
    assert not np.isfinite(rnn.squared_error(fw.y, np.zeros_like(fw.y))[0])


def test_bad_inputs_raise_errors_naming_the_argument():
    p = rnn.init_params(3, 4, 2)
    fw = rnn.forward(p, np.ones((5, 3)))
    bad = [
        (lambda: rnn.forward(p, np.ones((5, 2))), "^x: expected shape \\(T, 3\\)"),
        (lambda: rnn.forward(p, np.ones((0, 3))), "^x: "),
        (lambda: rnn.forward(p, np.ones(3)), "^x: "),
        (lambda: rnn.forward(p, np.ones((5, 2, 3)), h0=np.ones(4)), "^h0: expected shape \\(2, 4\\)"),
        (lambda: rnn.forward(p, np.ones((5, 3)), nonlinearity="sigmoid"), "^nonlinearity: "),
        (lambda: rnn.forward(p[:4], np.ones((5, 3))), "^params: "),
        (lambda: rnn.forward(p._replace(b=np.ones(3)), np.ones((5, 3))), "^b: expected shape \\(4\\)"),
        (lambda: rnn.make_params(np.ones((4, 3)), np.ones((4, 3)), np.ones(4), np.ones((2, 4))), "^W_hh: "),
        (lambda: rnn.make_params(np.ones((3, 3)), np.ones((4, 4)), np.ones(4), np.ones((2, 4))), "^W_hx: "),
        (lambda: rnn.make_params(np.ones((4, 3)), np.ones((4, 4)), np.ones(4), np.ones((2, 3))), "^W_yh: "),
        (lambda: rnn.make_params(np.ones((4, 3)), np.ones((4, 4)), np.ones(4), np.ones((2, 4)), np.ones(3)), "^c: "),
        (lambda: rnn.make_params(np.ones((4, 3)), np.full((4, 4), np.inf), np.ones(4), np.ones((2, 4))),
         "^W_hh: expected finite"),
        (lambda: rnn.bptt(p, fw, np.ones((4, 2))), "^dy: expected shape \\(5, 2\\)"),
        (lambda: rnn.bptt(p, (1, 2), np.ones((5, 2))), "^fw: "),
        (lambda: rnn.bptt(rnn.init_params(3, 5, 2), fw, np.ones((5, 2))), "^fw: .*H = 5"),
        (lambda: rnn.squared_error(np.ones((5, 2)), np.ones((5, 1))), "^y: "),
        (lambda: rnn.gradient_norms(fw), "^grads: "),
        (lambda: rnn.recurrent_matrix(4, -1.0), "^spectral_radius: "),
        (lambda: rnn.recurrent_matrix(0, 1.0), "^n: "),
        (lambda: rnn.recurrent_matrix(4, 1.0, kind="unitary"), "^kind: "),
        (lambda: rnn.init_params(0, 4, 2), "^input_size: "),
        (lambda: rnn.last_step_gradient_norms(p, np.ones((5, 3)), dy_T=np.ones(3)), "^dy_T: "),
    ]
    for call, message in bad:
        with pytest.raises(ValueError, match=message):
            call()
