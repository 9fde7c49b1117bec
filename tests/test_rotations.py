"""nnlab.rotations against scipy (orthogonal_procrustes, spatial.transform.Rotation), torch autograd's Jacobian, and
a search over 10,000 random rotations; the projection never returns a reflection, and warns exactly where it is
unstable."""
import warnings

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.linalg import orthogonal_procrustes
from scipy.spatial.transform import Rotation

from nnlab import rotations as rot


def close(a, b, tol=1e-12):
    b = np.asarray(b, float)
    assert np.shape(a) == b.shape
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * max(1.0, float(np.max(np.abs(b), initial=0.0))))


def matrices(n=1000, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 3, 3))


def with_singular_values(s, det_sign, seed=0):
    """U diag(s) V^T with random orthogonal U, V chosen so that det M has the sign asked for."""
    U, V = (Rotation.random(random_state=seed + i).as_matrix() for i in (0, 1))
    return U @ np.diag(s) @ V.T * (1 if det_sign > 0 else -1)     # -M: the same s, det negated


# ------------------------------------------------------------------------------ quaternions


def test_normalization_and_its_jacobian_equal_torch_autograd():
    rng = np.random.default_rng(1)
    for q_star in rng.normal(scale=3.0, size=(20, 4)):
        q = rot.normalize_quaternion(q_star)
        close(q, q_star / np.linalg.norm(q_star))
        J = torch.autograd.functional.jacobian(lambda v: v / v.norm(), torch.tensor(q_star))
        close(rot.normalization_jacobian(q_star), J.numpy())
        close(q @ rot.normalization_jacobian(q_star), np.zeros(4), 1e-15)   # the radial direction is removed
    stack = rng.normal(size=(2, 5, 4))
    close(rot.normalization_jacobian(stack)[1, 3], rot.normalization_jacobian(stack[1, 3]))


def test_quaternion_distance_is_sign_invariant_and_gives_the_angle():
    rng = np.random.default_rng(2)
    q, t = rot.normalize_quaternion(rng.normal(size=(200, 4))), rot.normalize_quaternion(rng.normal(size=(200, 4)))
    dist = rot.quaternion_distance(q, t)
    close(dist, np.minimum(np.linalg.norm(q - t, axis=1), np.linalg.norm(q + t, axis=1)))
    close(rot.quaternion_distance(q, -t), dist)
    close(rot.quaternion_distance(q, -q), np.zeros(200))
    angle = (Rotation.from_quat(q).inv() * Rotation.from_quat(t)).magnitude()
    close(dist, 2 * np.sin(angle / 4), 1e-12)


def test_quaternion_to_matrix_equals_scipy():
    q = np.random.default_rng(3).normal(size=(50, 4))
    close(rot.quaternion_to_matrix(q), Rotation.from_quat(q).as_matrix())
    close(rot.quaternion_to_matrix(-q), Rotation.from_quat(q).as_matrix())


# ------------------------------------------------------------------------------ projection onto SO(3)


def test_never_a_reflection_on_1000_random_matrices():
    M = matrices()
    P = rot.project_to_so3(M)
    close(np.linalg.det(P.R), np.ones(1000))
    close(rot.orthogonality_error(P.R), np.zeros(1000))
    reflected = P.d < 0
    assert 400 < reflected.sum() < 600                            # half the closest orthogonal matrices reflect
    close(np.linalg.det(rot.project_to_so3(M, fix_det=False).R), np.where(reflected, -1.0, 1.0))
    np.testing.assert_array_equal(reflected, np.linalg.det(M) < 0)


def test_without_the_fix_equals_scipy_orthogonal_procrustes():
    M = matrices(40, seed=4)
    ours = rot.project_to_so3(M, fix_det=False).R
    assert (np.linalg.det(ours) < 0).sum() > 10
    for m, r in zip(M, ours):
        close(r, orthogonal_procrustes(np.eye(3), m)[0])        # argmin |I Omega - M| over orthogonal Omega


def test_with_the_fix_equals_scipy_align_vectors():
    """Wahba's problem: max tr(C^T sum a_i b_i^T) over rotations; with b_i = e_i and a_i the columns of M it is
    the closest rotation to M."""
    M = matrices(40, seed=5)
    P = rot.project_to_so3(M)
    assert (P.d < 0).sum() > 10
    for m, r in zip(M, P.R):
        close(r, Rotation.align_vectors(m.T, np.eye(3))[0].as_matrix(), 1e-10)


def test_a_rotation_projects_to_itself_and_scipy_agrees():
    R = Rotation.random(20, random_state=6).as_matrix()
    close(rot.project_to_so3(R).R, R)
    noisy = R + 1e-3 * np.random.default_rng(6).normal(size=R.shape)
    P = rot.project_to_so3(noisy)
    close(P.R, Rotation.from_matrix(P.R).as_matrix())
    assert np.all(rot.rotation_angle(P.R, R) < 3e-3)


@pytest.mark.parametrize("seed", range(4))
def test_closer_than_any_of_10000_random_rotations(seed):
    M = matrices(1, seed=10 + seed)[0]
    if seed % 2 == 0 and np.linalg.det(M) > 0:
        M = -M                                    # two of the four: the closest orthogonal matrix is a reflection
    R = rot.project_to_so3(M).R
    others = Rotation.random(10_000, random_state=seed).as_matrix()
    assert np.linalg.norm(R - M) <= np.linalg.norm(others - M, axis=(1, 2)).min()


def test_the_warning_fires_where_two_smallest_singular_values_nearly_coincide_and_the_fix_flips():
    flipped = with_singular_values([3.0, 1.0, 1.0 - 1e-9], det_sign=-1)
    with pytest.warns(rot.UnstableProjection, match="s2 ~ s3"):
        P = rot.project_to_so3(flipped)
    assert P.d == -1 and P.gap < 1e-6
    with pytest.warns(rot.UnstableProjection, match="1 of the 3 matrices"):
        rot.project_to_so3(np.stack([np.eye(3), flipped, 2 * np.eye(3)]))
    with pytest.warns(rot.UnstableProjection, match="nearly singular"):
        rot.project_to_so3(with_singular_values([3.0, 1.0, 1e-9], det_sign=1), fix_det=False)
    with pytest.warns(rot.UnstableProjection):
        rot.project_to_so3(with_singular_values([3.0, 1e-9, 1e-9], det_sign=1))      # rank 1


def test_no_warning_where_the_projection_is_stable():
    quiet = [with_singular_values([3.0, 1.0, 0.5], det_sign=-1), with_singular_values([3.0, 1.0, 1.0 - 1e-2], -1),
             with_singular_values([3.0, 1.0, 1.0], det_sign=1),    # s2 = s3 but det > 0: C = U V^T, smooth here
             with_singular_values([3.0, 1.0, 1e-9], det_sign=-1), *matrices(200, seed=7)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for M in quiet:
            rot.project_to_so3(M)
        rot.project_to_so3(matrices(200, seed=7))
    rot.project_to_so3(with_singular_values([3.0, 1.0, 1.0 - 1e-9], det_sign=-1), rtol=1e-10)   # below rtol


def test_the_warning_marks_real_instability():
    """Where it warns, perturbations of 1e-8 move R by O(1); where s2 = s3 but det M > 0 (no warning) they move it
    by O(1e-8)."""
    rng = np.random.default_rng(8)
    kicks = 1e-8 * rng.normal(size=(50, 3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rot.UnstableProjection)
        for det_sign, moved in ((-1, lambda m: m > 0.1), (1, lambda m: m < 1e-6)):
            M = with_singular_values([3.0, 1.0, 1.0], det_sign)
            R = rot.project_to_so3(M).R
            move = max(np.linalg.norm(rot.project_to_so3(M + k).R - R) for k in kicks)
            assert moved(move), (det_sign, move)


# ------------------------------------------------------------------------------ rotations


def test_axis_angle_equals_scipy_rotvec():
    rng = np.random.default_rng(9)
    axes, angles = rng.normal(size=(30, 3)), rng.uniform(-4, 4, 30)
    unit = axes / np.linalg.norm(axes, axis=1, keepdims=True)
    close(rot.rotation_from_axis_angle(axes, angles), Rotation.from_rotvec(unit * angles[:, None]).as_matrix())
    close(rot.rotation_from_axis_angle([0, 0, 2], np.pi / 2), [[0, -1, 0], [1, 0, 0], [0, 0, 1]])


def test_rotation_angle_equals_scipy_magnitude_near_0_and_pi_too():
    R1, R2 = rot.random_rotation(1, 200), rot.random_rotation(2, 200)
    close(rot.rotation_angle(R1, R2), (Rotation.from_matrix(R1).inv() * Rotation.from_matrix(R2)).magnitude())
    for theta in (1e-9, 1e-5, 0.3, np.pi - 1e-5, np.pi):
        R = rot.rotation_from_axis_angle([1.0, 2.0, -0.5], theta)
        assert rot.rotation_angle(R) == pytest.approx(theta, rel=1e-9)
        assert rot.rotation_angle(R1[0], R1[0] @ R) == pytest.approx(theta, rel=1e-6)


def test_random_rotations_are_seeded_proper_and_uniform():
    R = rot.random_rotation(seed=3, n=2000)
    close(np.linalg.det(R), np.ones(2000))
    close(rot.orthogonality_error(R), np.zeros(2000), 1e-14)
    np.testing.assert_array_equal(R, rot.random_rotation(seed=3, n=2000))
    assert rot.random_rotation(seed=3).shape == (3, 3)
    theirs = Rotation.random(2000, random_state=3).magnitude()
    assert stats.ks_2samp(rot.rotation_angle(R), theirs).pvalue > 1e-3     # the same law of angles as scipy's
    close(R.mean(axis=0), np.zeros((3, 3)), 0.05)                          # Haar: every entry averages 0


def test_orthogonality_error():
    R = rot.random_rotation(4)
    assert rot.orthogonality_error(R) < 1e-15
    assert rot.orthogonality_error(2 * R) == pytest.approx(3 * np.sqrt(3))        # |4 I - I|_F
    assert rot.orthogonality_error(np.diag([1.0, 1.0, -1.0])) == 0               # a reflection is orthogonal


def test_bad_inputs_raise_errors_naming_the_argument():
    bad = [
        (lambda: rot.normalize_quaternion(np.zeros(4)), "^q_star: expected a non-zero quaternion"),
        (lambda: rot.normalize_quaternion(np.ones(3)), "^q_star: expected a quaternion"),
        (lambda: rot.normalization_jacobian([[1, 0, 0, 0], [0, 0, 0, 0]]), "^q_star: .*index \\(1,\\)"),
        (lambda: rot.quaternion_distance(np.ones((2, 4)), np.ones((3, 4))), "^q_target: .*q's \\(2, 4\\)"),
        (lambda: rot.quaternion_distance(np.ones(4), [1, 2]), "^q_target: "),
        (lambda: rot.quaternion_to_matrix([np.nan, 0, 0, 1]), "^q: expected finite"),
        (lambda: rot.project_to_so3(np.ones((2, 3))), "^M: expected a 3x3 matrix"),
        (lambda: rot.project_to_so3(np.zeros((3, 3))), "^M: expected a non-zero matrix"),
        (lambda: rot.project_to_so3(np.eye(3), rtol=-1), "^rtol: "),
        (lambda: rot.rotation_from_axis_angle([0, 0, 0], 1.0), "^axis: expected a non-zero"),
        (lambda: rot.rotation_from_axis_angle([1, 0], 1.0), "^axis: "),
        (lambda: rot.rotation_from_axis_angle(np.ones((4, 3)), np.ones(3)), "^angle: "),
        (lambda: rot.random_rotation(n=0), "^n: "),
        (lambda: rot.rotation_angle(np.eye(3), np.eye(2)), "^R2: "),
        (lambda: rot.orthogonality_error(np.eye(4)), "^R: "),
    ]
    for call, message in bad:
        with pytest.raises(ValueError, match=message):
            call()
