"""Structured outputs for robotics (lecture 10): a network's raw output made into a rotation.

A quaternion. The network outputs any q* in R^4; the rotation is its normalisation

    q = q* / |q*|,     dq/dq* = (I - q q^T) / |q*|

(defined wherever q* != 0: it removes the radial part of a gradient and scales the rest by 1/|q*|). q and -q are
the same rotation, so a loss compares q with the target up to sign: min(|q - q_t|, |q + q_t|). Quaternions are
written (x, y, z, w), scalar last, as scipy.spatial.transform.Rotation writes them.

A matrix. The network outputs any 3x3 M; the closest rotation in the Frobenius norm is, with M = U diag(s) V^T
(s1 >= s2 >= s3),

    C = U diag(1, 1, d) V^T,     d = det(U V^T) = sign(det M)

Without the determinant fix (d = 1) U V^T is the closest orthogonal matrix, which is a reflection (det -1) when
det M < 0. The projection is smooth in M while s2 + d s3 > 0 and moves by about |dM| / (s2 + d s3): when det M < 0
and the two smallest singular values nearly coincide, which axis to flip is all but undecided and C can jump
(``UnstableProjection`` is warned). Without the fix the measure is s3 (a nearly singular M).

Every function takes one quaternion (4,) or matrix (3, 3), or a stack (..., 4) or (..., 3, 3).
"""
from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from . import _validate as valid


class UnstableProjection(UserWarning):
    """The projection onto SO(3) is ill-conditioned: s2 + d s3 (s3 without the fix) is tiny next to s1, so a small
    change of M can move the result far."""


class Projection(NamedTuple):
    R: np.ndarray     # the rotation (or, with fix_det=False, the closest orthogonal matrix)
    s: np.ndarray     # singular values of M, s1 >= s2 >= s3
    d: np.ndarray     # det(U V^T): -1 where the closest orthogonal matrix is a reflection
    gap: np.ndarray   # (s2 + d s3) / s1 with the fix, s3 / s1 without: the projection's relative margin


def _quaternions(name, q):
    q = valid.as_array(name, q)
    if q.ndim < 1 or q.shape[-1] != 4:
        raise ValueError(f"{name}: expected a quaternion (4,) or a stack (..., 4), got shape {q.shape}")
    return q


def _matrices(name, M):
    M = valid.as_array(name, M)
    if M.ndim < 2 or M.shape[-2:] != (3, 3):
        raise ValueError(f"{name}: expected a 3x3 matrix or a stack (..., 3, 3), got shape {M.shape}")
    return M


def _first_zero(values):
    return "0" if values.ndim == 0 else f"a zero at index {tuple(int(i) for i in np.argwhere(values == 0)[0])}"


def _norm(name, q):
    n = np.linalg.norm(q, axis=-1, keepdims=True)
    if np.any(n == 0):
        raise ValueError(f"{name}: expected a non-zero quaternion (its normalisation divides by |{name}|), got "
                         f"{_first_zero(n[..., 0])}")
    return n


# ------------------------------------------------------------------------------ quaternions


def normalize_quaternion(q_star):
    """q = q* / |q*|, a unit quaternion."""
    q_star = _quaternions("q_star", q_star)
    return q_star / _norm("q_star", q_star)


def normalization_jacobian(q_star):
    """dq/dq* = (I - q q^T) / |q*|, (4, 4) (or one per quaternion of a stack): symmetric, q^T J = 0."""
    q_star = _quaternions("q_star", q_star)
    n = _norm("q_star", q_star)
    q = q_star / n
    return (np.eye(4) - q[..., :, None] * q[..., None, :]) / n[..., None]


def quaternion_distance(q, q_target):
    """min(|q - q_t|, |q + q_t|): q and -q are the same rotation, so neither sign is penalised. For unit
    quaternions it is 2 sin(theta / 4), theta the angle between the two rotations."""
    q = _quaternions("q", q)
    q_target = _quaternions("q_target", q_target)
    try:
        diff, total = q - q_target, q + q_target
    except ValueError:
        raise ValueError(f"q_target: expected a shape that matches q's {q.shape}, got {q_target.shape}") from None
    return np.minimum(np.linalg.norm(diff, axis=-1), np.linalg.norm(total, axis=-1))


def quaternion_to_matrix(q):
    """The rotation matrix of q = (x, y, z, w) (normalised first; scipy's Rotation.from_quat(q).as_matrix())."""
    q = _quaternions("q", q)
    x, y, z, w = np.moveaxis(q / _norm("q", q), -1, 0)
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], axis=-1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], axis=-1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], axis=-1)], axis=-2)


# ------------------------------------------------------------------------------ projection onto SO(3)


def project_to_so3(M, fix_det=True, rtol=1e-6):
    """The closest rotation to M in the Frobenius norm, C = U diag(1, 1, det(U V^T)) V^T; with fix_det=False the
    closest orthogonal matrix U V^T (a reflection where det M < 0). Warns ``UnstableProjection`` where the margin
    (s2 + d s3) / s1 (s3 / s1 without the fix) is below ``rtol``. Returns R, the singular values, d and the margin."""
    M = _matrices("M", M)
    rtol = valid.real("rtol", rtol, low=0.0)
    U, s, Vt = np.linalg.svd(M)
    if np.any(s[..., 0] == 0):
        raise ValueError(f"M: expected a non-zero matrix (a zero matrix is equally far from every rotation), got "
                         f"{_first_zero(s[..., 0])}")
    d = np.where(np.linalg.det(U) * np.linalg.det(Vt) < 0, -1.0, 1.0)
    if fix_det:
        R = (U * np.stack([np.ones_like(d), np.ones_like(d), d], axis=-1)[..., None, :]) @ Vt
        gap = (s[..., 1] + d * s[..., 2]) / s[..., 0]
    else:
        R = U @ Vt
        gap = s[..., 2] / s[..., 0]
    unstable = gap <= rtol
    if np.any(unstable):
        where = "" if M.ndim == 2 else f" for {int(np.sum(unstable))} of the {unstable.size} matrices"
        why = ("det M < 0 and s2 ~ s3: which axis to flip is undecided" if fix_det else "M is nearly singular")
        warnings.warn(f"project_to_so3: unstable projection{where}: margin {float(np.min(gap)):.3g} <= rtol "
                      f"{rtol:g} ({why}); a small change of M can move R far", UnstableProjection, stacklevel=2)
    return Projection(R, s, d, gap)


# ------------------------------------------------------------------------------ rotations


def rotation_from_axis_angle(axis, angle):
    """Rodrigues: R = I + sin(theta) K + (1 - cos(theta)) K^2, K the cross-product matrix of the unit axis."""
    axis = valid.as_array("axis", axis)
    if axis.ndim < 1 or axis.shape[-1] != 3:
        raise ValueError(f"axis: expected a 3-vector or a stack (..., 3), got shape {axis.shape}")
    n = np.linalg.norm(axis, axis=-1)
    if np.any(n == 0):
        raise ValueError("axis: expected a non-zero vector (the axis of the rotation), got a zero vector")
    angle = valid.as_array("angle", angle)
    x, y, z = np.moveaxis(axis / n[..., None], -1, 0)
    o = np.zeros_like(x)
    K = np.stack([np.stack([o, -z, y], -1), np.stack([z, o, -x], -1), np.stack([-y, x, o], -1)], -2)
    try:
        theta = np.broadcast_to(angle, x.shape)[..., None, None]
    except ValueError:
        raise ValueError(f"angle: expected one angle or one per axis {x.shape}, got shape {angle.shape}") from None
    return np.eye(3) + np.sin(theta) * K + (1 - np.cos(theta)) * (K @ K)


def random_rotation(seed=0, n=None):
    """A rotation drawn uniformly (Haar measure): the matrix of a normalised Gaussian quaternion. ``n`` rotations
    (n, 3, 3) when n is given."""
    shape = () if n is None else (valid.integer("n", n, low=1),)
    return quaternion_to_matrix(np.random.default_rng(seed).standard_normal(shape + (4,)))


def rotation_angle(R1, R2=None):
    """The angle (radians, in [0, pi]) of R1^T R2, the rotation taking R1 to R2 (of R1 itself without R2):
    atan2(|R - R^T|_F / (2 sqrt 2), (tr R - 1) / 2), accurate near 0 and near pi."""
    R1 = _matrices("R1", R1)
    R = R1 if R2 is None else np.swapaxes(R1, -1, -2) @ _matrices("R2", R2)
    sin = np.linalg.norm(R - np.swapaxes(R, -1, -2), axis=(-2, -1)) / (2 * np.sqrt(2))
    cos = (np.trace(R, axis1=-2, axis2=-1) - 1) / 2
    return np.arctan2(sin, cos)


def orthogonality_error(R):
    """|R^T R - I|_F: 0 for an orthogonal matrix (rotation or reflection)."""
    R = _matrices("R", R)
    return np.linalg.norm(np.swapaxes(R, -1, -2) @ R - np.eye(3), axis=(-2, -1))
