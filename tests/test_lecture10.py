"""Lecture 10's worked numbers (nnlab/authoring/lectures/10_beyond_fully_connected.py) against PyTorch, scipy,
brute force and closed forms, and the claims its text makes about them."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.linalg import orthogonal_procrustes
from scipy.spatial.transform import Rotation

from nnlab import conv, mpc, rnn, rotations

X = np.array([[1, 2, 0, 1, 3, 0], [0, 1, 3, 2, 1, 1], [2, 0, 1, 0, 2, 3], [3, 1, 0, 1, 0, 2], [1, 3, 2, 0, 1, 0],
              [0, 2, 1, 3, 2, 1]], dtype=float)
W = np.array([[1.0, -1.0], [1.0, -1.0]])


def test_section1_the_two_by_two_filter_gives_pytorchs_five_by_five():
    theirs = F.conv2d(torch.tensor(X)[None, None], torch.tensor(W)[None, None])[0, 0].numpy()
    z = conv.conv2d(X, W)
    assert z.shape == theirs.shape == (5, 5)
    np.testing.assert_array_equal(z, theirs)
    assert z[0, 0] == 1 * 1 - 1 * 2 + 1 * 0 - 1 * 1 == -2


@pytest.mark.parametrize("n, k, s, p, d, dropped", [(6, 2, 1, 0, 1, 0), (28, 3, 1, 1, 1, 0), (28, 3, 2, 0, 1, 1),
                                                    (28, 3, 1, 0, 2, 0)])
def test_section1_output_sizes_are_pytorchs_and_the_dropped_cells_are_never_read(n, k, s, p, d, dropped):
    x = torch.zeros(1, 1, n, n, dtype=torch.float64, requires_grad=True)
    out = F.conv2d(x, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s, padding=p, dilation=d)
    size = conv.output_size(n, k, s, p, d)
    assert size.size == out.shape[-1] and size.dropped == dropped
    out.sum().backward()
    read = (x.grad[0, 0] != 0).any(dim=0).numpy()   # the columns of the input some window reads
    assert int(np.sum(~read)) == max(0, dropped - p)   # with p = 0 the dropped cells are image cells


def test_section1_parameter_counts_are_pytorchs_layers():
    counts = conv.parameter_counts((1, 28, 28), out_channels=16, kernel_size=3)
    conv_layer, dense = torch.nn.Conv2d(1, 16, 3), torch.nn.Linear(28 * 28, 16 * 26 * 26)
    assert counts.conv == sum(p.numel() for p in conv_layer.parameters()) == 160
    assert counts.dense == sum(p.numel() for p in dense.parameters()) == 8_490_560
    assert counts.dense // counts.conv == 53_066 and round(counts.dense / 1e6, 1) == 8.5   # "8.5 million"


@pytest.mark.parametrize("layers, size", [([(3, 1, 1)] * 3, 7), ([(3, 2, 1)] * 3, 15),
                                          ([(3, 1, 1), (3, 1, 2), (3, 1, 4)], 15)])
def test_section1_receptive_fields_are_what_autograd_reaches(layers, size):
    x = torch.zeros(1, 1, 64, 64, dtype=torch.float64, requires_grad=True)
    h = x
    for k, s, d in layers:
        h = F.conv2d(h, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s, dilation=d)
    h[0, 0, h.shape[2] // 2, h.shape[3] // 2].backward()
    rows = np.flatnonzero((x.grad[0, 0] != 0).any(dim=1).numpy())
    assert conv.receptive_field(layers).size == rows[-1] - rows[0] + 1 == size


def test_section2_the_gradient_through_time_is_rho_to_the_40th():
    for rho in (0.5, 0.9, 1.0, 1.1, 1.5):
        p = rnn.init_params(1, 16, 1, seed=0, spectral_radius=rho)
        x = torch.tensor(np.random.default_rng(0).normal(size=(40, 1)))
        h = [torch.zeros(16, dtype=torch.float64, requires_grad=True)]
        Wx, Wh, b, Wy = (torch.tensor(a) for a in (p.W_hx, p.W_hh, p.b, p.W_yh))
        for t in range(40):
            h.append(Wx @ x[t] + Wh @ h[-1] + b)
            h[-1].retain_grad()
        (Wy @ h[-1]).sum().backward()
        ratio = float(h[0].grad.norm() / h[-1].grad.norm())
        ours = rnn.last_step_gradient_norms(p, x.numpy(), nonlinearity="linear")
        assert ours[0] / ours[-1] == pytest.approx(ratio, rel=1e-9) == pytest.approx(rho ** 40, rel=1e-9)
    assert f"{0.9 ** 40:.1%}" == "1.5%" and round(1.1 ** 40) == 45   # the text's "1.5 %" and "by 45"


def test_section3_the_quaternion_jacobian_is_autograds():
    q_star = torch.tensor([0.3, -1.2, 0.4, 2.0], dtype=torch.float64)
    theirs = torch.autograd.functional.jacobian(lambda q: q / q.norm(), q_star).numpy()
    np.testing.assert_allclose(rotations.normalization_jacobian(q_star.numpy()), theirs, atol=1e-14)


def test_section3_the_noisy_matrix_is_a_reflection_case_and_the_fix_gives_the_closest_rotation():
    R_true = Rotation.from_rotvec([0, 0, np.deg2rad(30)]).as_matrix()
    np.testing.assert_allclose(rotations.rotation_from_axis_angle([0, 0, 1], np.deg2rad(30)), R_true, atol=1e-15)
    M = R_true + np.random.default_rng(3).normal(scale=0.8, size=(3, 3))
    assert round(float(np.linalg.det(M)), 3) == -0.096
    mirror = rotations.project_to_so3(M, fix_det=False).R
    np.testing.assert_allclose(mirror, orthogonal_procrustes(np.eye(3), M)[0], atol=1e-12)
    assert np.linalg.det(mirror) == pytest.approx(-1)
    R = rotations.project_to_so3(M).R
    assert np.linalg.det(R) == pytest.approx(1)
    others = Rotation.random(10_000, random_state=0).as_matrix()
    assert np.linalg.norm(R - M) <= np.linalg.norm(others - M, axis=(1, 2)).min()


@pytest.mark.slow
def test_section4_the_network_imitates_the_solver_closely_and_answers_faster():
    problem = mpc.problem(horizon=10, u_max=1.0)
    learned = mpc.imitate(problem, n_train=1000, n_test=300, seed=0)
    assert learned.rms_error < 0.02 and learned.max_error < 0.1
    assert mpc.timings(problem, learned).ratio > 5
