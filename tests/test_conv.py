"""nnlab.conv against torch.nn.functional.conv1d/conv2d and autograd (float64, 1e-12), scipy.signal's correlate2d
and convolve2d, the lecture's 6x6 example, torch's output shapes, a brute-force receptive field and the parameter
counts of torch.nn.Conv2d and torch.nn.Linear."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import signal

from nnlab import conv


def close(a, b, tol=1e-12):
    """|a - b| <= tol relative to the larger of |b|'s largest entry and 1."""
    b = np.asarray(b, float)
    assert np.shape(a) == b.shape
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * max(1.0, float(np.max(np.abs(b), initial=0.0))))


def random_case(seed, dims):
    """A random layer: shapes (non-square), stride, padding, dilation per axis, a batch or not, a bias or not;
    redrawn until the kernel fits in the padded input."""
    rng = np.random.default_rng(seed)
    while True:
        spatial = tuple(int(v) for v in rng.integers(1, 13, dims))
        kernel = tuple(int(v) for v in rng.integers(1, 5, dims))
        stride, padding, dilation = (tuple(int(v) for v in rng.integers(lo, hi, dims))
                                     for lo, hi in ((1, 4), (0, 3), (1, 4)))
        if all(n + 2 * p >= d * (k - 1) + 1 for n, k, p, d in zip(spatial, kernel, padding, dilation)):
            break
    c_in, c_out = (int(v) for v in rng.integers(1, 4, 2))
    batch = int(rng.integers(0, 4))               # 0: one unbatched input (C_in, ...)
    x = rng.normal(size=((batch,) if batch else ()) + (c_in,) + spatial)
    w = rng.normal(size=(c_out, c_in) + kernel)
    b = rng.normal(size=c_out) if rng.random() < 0.7 else None
    args = dict(stride=stride, padding=padding, dilation=dilation)
    if rng.random() < 0.5 and all(len(set(v)) == 1 for v in args.values()):   # one integer for all axes
        args = {name: v[0] for name, v in args.items()}
    return x, w, b, args


def torch_conv(dims, x, w, b, args, grad=False):
    fn = F.conv1d if dims == 1 else F.conv2d
    xt, wt = torch.tensor(x, requires_grad=grad), torch.tensor(w, requires_grad=grad)
    bt = None if b is None else torch.tensor(b, requires_grad=grad)
    return fn(xt, wt, bt, **args), xt, wt, bt


# ------------------------------------------------------------------------------ forward


@pytest.mark.parametrize("seed", range(30))
def test_conv2d_equals_torch(seed):
    x, w, b, args = random_case(seed, 2)
    close(conv.conv2d(x, w, b, **args), torch_conv(2, x, w, b, args)[0].numpy())


@pytest.mark.parametrize("seed", range(30))
def test_conv1d_equals_torch(seed):
    x, w, b, args = random_case(100 + seed, 1)
    close(conv.conv1d(x, w, b, **args), torch_conv(1, x, w, b, args)[0].numpy())


def test_the_cases_cover_what_they_should():
    """The 30 random cases include non-square inputs and kernels, stride > 1, padding, dilation, several channels,
    batches and unbatched inputs."""
    cases = [random_case(seed, 2) for seed in range(30)]
    per_axis = [dict(zip(a, (v if isinstance(v, tuple) else (v, v) for v in a.values()))) for *_, a in cases]
    assert any(x.shape[-1] != x.shape[-2] for x, *_ in cases) and any(w.shape[-1] != w.shape[-2] for _, w, *_ in cases)
    assert any(max(a["stride"]) > 1 for a in per_axis) and any(max(a["padding"]) > 0 for a in per_axis)
    assert any(max(a["dilation"]) > 1 for a in per_axis)
    assert any(w.shape[0] > 1 and w.shape[1] > 1 for _, w, *_ in cases)
    assert {x.ndim for x, *_ in cases} == {3, 4} and any(b is None for _, _, b, _ in cases)


@pytest.mark.parametrize("shape, kernel", [((6, 6), (2, 2)), ((7, 11), (3, 2)), ((5, 9), (5, 1)), ((4, 4), (4, 4))])
def test_single_channel_equals_scipy_correlate2d_and_convolve2d(shape, kernel):
    rng = np.random.default_rng(sum(shape) + sum(kernel))
    x, w = rng.normal(size=shape), rng.normal(size=kernel)
    close(conv.conv2d(x, w), signal.correlate2d(x, w, mode="valid"))
    close(conv.conv2d(x, w, flip=True), signal.convolve2d(x, w, mode="valid"))
    close(conv.conv1d(x[0], w[0]), np.correlate(x[0], w[0], mode="valid"))
    close(conv.conv1d(x[0], w[0], flip=True), np.convolve(x[0], w[0], mode="valid"))


def test_the_lectures_2x2_filter_on_a_6x6_image_gives_5x5():
    x = np.arange(36.0).reshape(6, 6)
    w = np.array([[1.0, 0.0], [0.0, -1.0]])       # x_ij - x_{i+1, j+1}: -7 everywhere on this ramp
    z = conv.conv2d(x, w)
    assert z.shape == (5, 5)
    np.testing.assert_array_equal(z, np.full((5, 5), -7.0))
    assert conv.output_size(6, 2) == (5, True, 0)
    assert conv.parameter_counts((1, 6, 6), 1, 2, bias=False) == (4, 36 * 25, (1, 5, 5))


# ------------------------------------------------------------------------------ backward


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("seed", range(12))
def test_backward_equals_torch_autograd(dims, seed):
    x, w, b, args = random_case(200 + 20 * dims + seed, dims)
    z, xt, wt, bt = torch_conv(dims, x, w, b, args, grad=True)
    dz = np.random.default_rng(seed).normal(size=tuple(z.shape))
    z.backward(torch.tensor(dz))
    backward = conv.conv1d_backward if dims == 1 else conv.conv2d_backward
    g = backward(dz, x, w, **args, bias=b is not None)
    close(g.dx, xt.grad.numpy())
    close(g.dw, wt.grad.numpy())
    if b is None:
        assert g.db is None
    else:
        close(g.db, bt.grad.numpy())


@pytest.mark.parametrize("seed", range(4))
def test_backward_with_the_flipped_kernel_equals_autograd(seed):
    x, w, b, args = random_case(300 + seed, 2)
    flipped = np.ascontiguousarray(w[..., ::-1, ::-1])
    wt = torch.tensor(w, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    z = F.conv2d(xt, torch.flip(wt, (-2, -1)), **args)
    dz = np.random.default_rng(seed).normal(size=tuple(z.shape))
    z.backward(torch.tensor(dz))
    close(conv.conv2d(x, flipped, **args, flip=True), conv.conv2d(x, w, **args))
    g = conv.conv2d_backward(dz, x, w, **args, flip=True)
    close(g.dx, xt.grad.numpy())
    close(g.dw, wt.grad.numpy())


def test_single_channel_backward_keeps_the_shapes():
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(6, 7)), rng.normal(size=(2, 3))
    xt, wt = torch.tensor(x[None, None], requires_grad=True), torch.tensor(w[None, None], requires_grad=True)
    z = F.conv2d(xt, wt, stride=2, padding=1)
    dz = rng.normal(size=tuple(z.shape[2:]))
    z.backward(torch.tensor(dz[None, None]))
    g = conv.conv2d_backward(dz, x, w, stride=2, padding=1)
    close(g.dx, xt.grad.numpy()[0, 0])
    close(g.dw, wt.grad.numpy()[0, 0])


def test_backward_is_convolution_again():
    """At stride 1 on one channel: dL/dx is the full convolution of dz with w, dL/dw the correlation of x with dz
    (scipy.signal)."""
    rng = np.random.default_rng(9)
    x, w = rng.normal(size=(8, 6)), rng.normal(size=(3, 2))
    dz = rng.normal(size=(6, 5))
    g = conv.conv2d_backward(dz, x, w)
    close(g.dx, signal.convolve2d(dz, w, mode="full"))
    close(g.dw, signal.correlate2d(x, dz, mode="valid"))
    assert g.db == pytest.approx(dz.sum(), abs=1e-12)


# ------------------------------------------------------------------------------ sizes


def test_output_size_equals_torchs_output_shape():
    rng = np.random.default_rng(7)
    seen = {True: 0, False: 0}
    for _ in range(300):
        n, k, s, p, d = (int(rng.integers(lo, hi)) for lo, hi in ((1, 20), (1, 6), (1, 5), (0, 4), (1, 4)))
        if n + 2 * p < d * (k - 1) + 1:
            with pytest.raises(ValueError, match="^k: "):
                conv.output_size(n, k, s, p, d)
            continue
        size, exact, dropped = conv.output_size(n, k, s, p, d)
        assert F.conv1d(torch.ones(1, 1, n), torch.ones(1, 1, k), stride=s, padding=p, dilation=d).shape[-1] == size
        # the cells no window reaches: the trailing cells of the padded input that get no gradient
        xt = torch.ones(1, 1, n + 2 * p, requires_grad=True)
        F.conv1d(xt, torch.ones(1, 1, k), stride=s, dilation=d).sum().backward()
        grad = xt.grad[0, 0].numpy()
        assert dropped == len(grad) - 1 - np.flatnonzero(grad).max()
        assert exact == (dropped == 0)
        seen[exact] += 1
    assert min(seen.values()) > 40


def test_explanation_gives_the_numbers_and_says_what_is_dropped():
    text = conv.explain_output_size(7, 2, stride=2)
    assert "(7 + 2*0 - 1*(2-1) - 1)/2 + 1" in text and "5/2" in text and "not an integer" in text
    assert "3 windows" in text and "last 1 cell " in text and "dropped" in text
    text = conv.explain_output_size(6, 2)
    assert text.endswith("= 5: the 5 windows fit exactly.")
    assert "last 2 cells" in conv.explain_output_size(9, 3, stride=3, padding=1)


def _brute_force_field(layers_h, layers_w):
    """The input cells on which output cell (0, 0) of the stack depends: a one-hot gradient sent back through
    torch's conv2d with positive kernels, by autograd."""
    rf_h = conv.receptive_field(layers_h).size
    rf_w = conv.receptive_field(layers_w).size
    x = torch.ones(1, 1, rf_h + 9, rf_w + 7, requires_grad=True)
    z = x
    for (kh, sh, dh), (kw, sw, dw) in zip(layers_h, layers_w):
        z = F.conv2d(z, torch.ones(1, 1, kh, kw), stride=(sh, sw), dilation=(dh, dw))
    z[0, 0, 0, 0].backward()
    return x.grad[0, 0].numpy() != 0


@pytest.mark.parametrize("seed", range(12))
def test_receptive_field_equals_a_brute_force_count(seed):
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 5))
    holes = seed % 2 == 1          # even seeds: no dilation, no stride over the kernel: the field is a full block
    layers = [[(k, int(rng.integers(1, 4 if holes else k + 1)), int(rng.integers(1, 3)) if holes else 1)
               for k in rng.integers(1, 5, depth).tolist()] for _ in range(2)]
    seen = _brute_force_field(*layers)
    rows, cols = np.flatnonzero(seen.any(axis=1)), np.flatnonzero(seen.any(axis=0))
    rf_h, rf_w = conv.receptive_field(layers[0]), conv.receptive_field(layers[1])
    assert (rows.min(), rows.max() + 1) == (0, rf_h.size)
    assert (cols.min(), cols.max() + 1) == (0, rf_w.size)
    if not holes:
        assert seen.sum() == rf_h.size * rf_w.size
    assert rf_h.jump == np.prod([s for _, s, _ in layers[0]])


def test_receptive_field_of_known_stacks():
    assert conv.receptive_field([3, 3, 3]) == (7, 1, [3, 5, 7], [1, 1, 1])     # three 3x3 layers see 7x7
    assert conv.receptive_field([(3, 2), (3, 2)]).size == 7
    assert conv.receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)]).size == 15   # dilations 1, 2, 4


@pytest.mark.parametrize("in_shape, c_out, k, args", [
    ((1, 28, 28), 16, 3, {}), ((3, 32, 20), 8, (5, 3), dict(stride=2, padding=1)),
    ((2, 9, 9), 4, 2, dict(dilation=2)), ((1, 6, 6), 1, 2, {}), ((4, 12, 7), 5, (1, 3), dict(stride=(1, 2)))])
@pytest.mark.parametrize("bias", [True, False])
def test_parameter_counts_equal_torch_modules(in_shape, c_out, k, args, bias):
    counts = conv.parameter_counts(in_shape, c_out, k, bias=bias, **args)
    layer = torch.nn.Conv2d(in_shape[0], c_out, k, bias=bias, device="meta", **args)
    out = layer(torch.empty((1,) + in_shape, device="meta")).shape[1:]
    assert counts.out_shape == tuple(out)
    assert counts.conv == sum(p.numel() for p in layer.parameters())
    dense = torch.nn.Linear(int(np.prod(in_shape)), int(np.prod(out)), bias=bias, device="meta")
    assert counts.dense == sum(p.numel() for p in dense.parameters())


def test_parameter_counts_in_1d_equal_torch():
    counts = conv.parameter_counts((3, 50), 6, 5, stride=2)
    layer = torch.nn.Conv1d(3, 6, 5, stride=2, device="meta")
    assert counts.conv == sum(p.numel() for p in layer.parameters()) and counts.out_shape == (6, 23)
    assert counts.dense == 150 * 138 + 138


# ------------------------------------------------------------------------------ one cell written out


@pytest.mark.parametrize("seed", range(8))
def test_terms_add_up_to_the_output_cell(seed):
    dims = 1 + seed % 2
    x, w, b, args = random_case(400 + seed, dims)
    flip = seed % 3 == 0
    z = (conv.conv1d if dims == 1 else conv.conv2d)(x, w, b, **args, flip=flip)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        o = int(rng.integers(w.shape[0]))
        n = int(rng.integers(x.shape[0])) if x.ndim == dims + 2 else 0
        cell = tuple(int(rng.integers(s)) for s in z.shape[-dims:])
        found = conv.terms(x, w, cell, out_channel=o, sample=n, **args, flip=flip)
        assert len(found) == w.shape[1] * np.prod(w.shape[2:])
        total = sum(t.product for t in found) + (0.0 if b is None else b[o])
        lead = (n, o) if x.ndim == dims + 2 else (o,)
        assert total == pytest.approx(z[lead + cell], abs=1e-12)
        for t in found:
            inside = all(0 <= i < s for i, s in zip(t.x_index[-dims:], x.shape[-dims:]))
            assert t.x == (x[t.x_index] if inside else 0.0) and t.w == w[t.w_index] and t.product == t.x * t.w


def test_terms_of_the_lecture_example_and_of_a_flipped_kernel():
    x = np.arange(36.0).reshape(6, 6)
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    found = conv.terms(x, w, (1, 2))
    assert [(t.x_index, t.w_index, t.product) for t in found] == [
        ((1, 2), (0, 0), 8.0), ((1, 3), (0, 1), 18.0), ((2, 2), (1, 0), 42.0), ((2, 3), (1, 1), 60.0)]
    flipped = conv.terms(x, w, (1, 2), flip=True)
    assert [t.w_index for t in flipped] == [(1, 1), (1, 0), (0, 1), (0, 0)]
    assert sum(t.product for t in flipped) == signal.convolve2d(x, w, mode="valid")[1, 2]


# ------------------------------------------------------------------------------ bad inputs


def test_bad_inputs_raise_errors_naming_the_argument():
    x, w = np.ones((3, 5, 5)), np.ones((2, 3, 3, 3))
    bad = [
        (lambda: conv.conv2d(x, np.ones((2, 3, 6, 3))), "^w: .*kernel no wider than the padded input"),
        (lambda: conv.conv2d(x, np.ones((2, 3, 8, 3)), padding=1), "^w: .*5 \\+ 2\\*1 = 7 cells"),
        (lambda: conv.conv2d(x, w, stride=-1), "^stride: "),
        (lambda: conv.conv2d(x, w, stride=(1, 0)), "^stride\\[1\\]: "),
        (lambda: conv.conv2d(x, w, stride=(1, 1, 1)), "^stride: .*one per spatial axis"),
        (lambda: conv.conv2d(x, w, padding=-1), "^padding: "),
        (lambda: conv.conv2d(x, w, dilation=0), "^dilation: "),
        (lambda: conv.conv2d(x, w, stride=1.5), "^stride: expected an integer"),
        (lambda: conv.conv2d(np.ones((2, 5, 5)), w), "^w: expected 2 input channels"),
        (lambda: conv.conv2d(np.ones((5, 5)), w), "^x: "),
        (lambda: conv.conv2d(x, np.ones((3, 3))), "^x: "),
        (lambda: conv.conv2d(x, w, b=np.ones(3)), "^b: expected shape \\(2\\)"),
        (lambda: conv.conv2d(x, np.ones((2, 3, 3))), "^w: "),
        (lambda: conv.conv2d(np.full((3, 5, 5), np.nan), w), "^x: expected finite"),
        (lambda: conv.conv2d(np.ones((3, 0, 5)), w), "^x, w: expected non-empty"),
        (lambda: conv.conv1d(np.ones((3, 5)), np.ones((2, 4, 2))), "^w: expected 3 input channels"),
        (lambda: conv.conv2d_backward(np.ones((2, 2, 2)), x, w), "^dz: expected shape \\(2, 3, 3\\)"),
        (lambda: conv.output_size(0, 1), "^n: "),
        (lambda: conv.output_size(5, 1, stride=0), "^stride: "),
        (lambda: conv.output_size(3, 3, dilation=2), "^k: .*spanning d\\(k - 1\\) \\+ 1 = 5 cells"),
        (lambda: conv.receptive_field([]), "^layers: "),
        (lambda: conv.receptive_field([(3, 1, 1, 1)]), "^layers: "),
        (lambda: conv.receptive_field([(3, 0)]), "^layers\\[0\\]\\[1\\]: "),
        (lambda: conv.parameter_counts((1, 28), 0, 3), "^out_channels: "),
        (lambda: conv.parameter_counts((28, 28), 4, 3, stride=(1, 2)), "^stride: "),
        (lambda: conv.parameter_counts(28, 4, 3), "^in_shape: "),
        (lambda: conv.terms(x, w, (3, 0)), "^position\\[0\\]: .*\\[0, 2\\]"),
        (lambda: conv.terms(x, w, (0,)), "^position: "),
        (lambda: conv.terms(x, w, (0, 0), out_channel=2), "^out_channel: "),
    ]
    for call, message in bad:
        with pytest.raises(ValueError, match=message):
            call()
