"""Check of lecture 10's exercise, part 3: the rotation nearest to a 3 x 3 matrix, by the SVD with the
determinant fix, R = U diag(1, 1, d) V^T with d = det(U V^T).

The oracle is scipy's ``Rotation.align_vectors`` (the Kabsch solution: the rotation that best maps the unit
vectors onto M's columns is the one nearest M in the Frobenius norm); never ``nnlab.rotations``, the lecture's own
model, which the exercise rules out as a shortcut. The cases include matrices with det M < 0, whose nearest
orthogonal matrix is a reflection. A wrong R is named by its signature, as in ``convolution``; what no known slip
explains is read through the SVD: U^T R V shows which singular vectors a sign change or a wrong pairing touched.
"""
from __future__ import annotations

import numpy as np

from .harness import UNUSABLE, WRONG, Case, Problem, StudentError
from .registry import as_array, consistent, fits, in_place, register, returned, run_check


def _rotation(rng):
    """A rotation drawn uniformly: Q of the QR decomposition of a Gaussian matrix, signs fixed, det +1."""
    Q, R = np.linalg.qr(rng.standard_normal((3, 3)))
    Q = Q * np.sign(np.diag(R))
    return Q * np.linalg.det(Q)


# (what the case is, the sign of det M, ranges of the three singular values, largest first)
_SO3_KINDS = [("a noisy rotation", 1, ((1.15, 1.35), (0.9, 1.05), (0.6, 0.8))),
              ("det M < 0", -1, ((1.6, 3.0), (0.9, 1.4), (0.1, 0.5))),
              ("a general matrix", 1, ((2.0, 4.0), (1.0, 1.8), (0.3, 0.8))),
              ("det M < 0, a mirrored rotation", -1, ((1.2, 1.4), (0.9, 1.05), (0.5, 0.7))),
              ("det M < 0, large entries", -1, ((6.0, 9.0), (3.0, 5.0), (0.5, 2.0)))]


def _so3_cases(rng):
    """Five matrices drawn anew for each student, M = U diag(s1, s2, +-s3) V^T with U and V random rotations: three
    with det M < 0, where the fix matters, and singular values far enough apart that the nearest rotation is
    well defined ((s2 - s3) / s1 > 0.1)."""
    cases = []
    for t, (what, sign, ranges) in enumerate(_SO3_KINDS):
        s = [rng.uniform(low, high) for low, high in ranges]
        M = _rotation(rng) @ np.diag([s[0], s[1], sign * s[2]]) @ _rotation(rng).T
        cases.append(Case(f"test {t + 1} ({what})", (M,)))
    return cases


def _right(M):
    """The oracle: the rotation mapping the unit vectors e_i best onto M's columns M e_i (maximising tr(R^T M))."""
    from scipy.spatial.transform import Rotation

    rotation, _ = Rotation.align_vectors(M.T, np.eye(3))
    return rotation.as_matrix()


FIX = "R = U diag(1, 1, d) V^T with d = det(U V^T)"
SO3_SAID = {
    "no_fix": "det R = -1: your R is a reflection (U V^T, the nearest orthogonal matrix), not a rotation. Where "
              "det(U V^T) = -1, flip the singular vector of the smallest singular value: " + FIX + " (flipping both "
              "U's last column and V^T's last row cancels out)",
    "negated": "you negated the whole matrix: -U V^T has det +1 in 3-D, but it is far from M. Flip only the singular "
               f"vector of the smallest singular value: {FIX}",
    "flip_first": "you flipped the singular vector of the largest singular value (the first): flip the one of the "
                  "smallest, the last column of U or the last row of V^T (np.linalg.svd sorts the singular values "
                  f"largest first): {FIX}",
    "flip_middle": "you flipped the singular vector of the middle singular value: flip the one of the smallest, the "
                   f"last column of U or the last row of V^T: {FIX}",
    "always_fix": "you flipped the last singular vector although det(U V^T) = +1 here, which makes R a reflection: "
                  "multiply it by d = det(U V^T), +1 or -1, not by -1 always",
    "transposed": "your R is the transpose of the right one (V U^T in place of U V^T: the SVD of M.T, or Vt.T @ U.T?): "
                  f"with M = U S V^T, {FIX}",
    "det_value": "you put det(M) itself on the diagonal: d is only its sign, +1 or -1 (np.sign(np.linalg.det(U @ Vt)))"
                 ", so that R stays orthogonal",
    "vt_T": "np.linalg.svd returns V^T already (its third output, often named Vt or vh): R = U @ np.diag([1, 1, d]) "
            "@ Vt, with no .T on Vt",
    "gram_schmidt": "Gram-Schmidt (or a QR decomposition) makes the columns orthonormal, but it keeps the direction "
                    "of the first column and is not the rotation nearest to M: take the SVD M = U S V^T and " + FIX,
    "normalised": "unit-length columns (or rows) are not enough: a rotation's columns are also orthogonal to one "
                  f"another (R^T R = I). Take the SVD M = U S V^T and {FIX}",
    "echo": f"you returned M itself (U diag(s) V^T): replace the singular values by 1, 1 and d: {FIX}",
    "scaled": "scaling M cannot make its columns orthogonal: take the SVD M = U S V^T and " + FIX,
    "permuted": "your R pairs the columns of U with the wrong rows of V^T: column i of U goes with row i of V^T, "
                "both in the order of decreasing singular values (np.linalg.eigh sorts eigenvalues increasing)",
}


def _so3_slips(M, right):
    """(key, what the slip gives) for each slip ``SO3_SAID`` names; slips that cannot show here are left out."""
    U, s, Vt = np.linalg.svd(M)
    d = np.sign(np.linalg.det(U @ Vt))
    flip = lambda *signs: U @ np.diag(signs) @ Vt  # noqa: E731
    Q, T = np.linalg.qr(M)
    Qr, Tr = np.linalg.qr(M.T)
    slips = [("transposed", right.T), ("transposed", (U @ Vt).T), ("det_value", flip(1, 1, np.linalg.det(M))),
             ("vt_T", U @ Vt.T), ("vt_T", U @ np.diag([1, 1, d]) @ Vt.T), ("echo", M),
             ("gram_schmidt", Q), ("gram_schmidt", Q * np.sign(np.diag(T))), ("gram_schmidt", Qr.T),
             ("gram_schmidt", (Qr * np.sign(np.diag(Tr))).T),
             ("normalised", M / np.linalg.norm(M, axis=0)), ("normalised", M / np.linalg.norm(M, axis=1)[:, None]),
             ("scaled", M / np.linalg.norm(M)), ("scaled", M / s[0]), ("scaled", M / np.cbrt(abs(np.linalg.det(M))))]
    if d < 0:
        slips += [("no_fix", U @ Vt), ("negated", -(U @ Vt)), ("negated", -right), ("flip_first", flip(-1, 1, 1)),
                  ("flip_middle", flip(1, -1, 1))]
        G = Q * np.sign(np.diag(T))
        G[:, -1] *= -1
        slips += [("gram_schmidt", G)]
    else:
        slips += [("always_fix", flip(1, 1, -1))]
    return slips


def _matrix(out):
    """The returned R as a 3 x 3 float array, or StudentError saying why it is not one."""
    if isinstance(out, list) and out and isinstance(out[0], np.ndarray) and np.shape(out[0]) == (3, 3):
        raise StudentError("return R alone, as one 3 x 3 array, not in a tuple with other things", UNUSABLE)
    return as_array("R", out, (3, 3))


def _signed_permutation(R, M):
    """(signs, order) with U^T R V = the permutation ``order`` with ``signs`` (R built from M's singular vectors,
    each perhaps flipped or paired with another), or None."""
    U, _, Vt = np.linalg.svd(M)
    P = U.T @ R @ Vt.T
    order = np.argmax(np.abs(P), axis=1)
    signs = np.sign(P[np.arange(3), order])
    exact = np.zeros((3, 3))
    exact[np.arange(3), order] = signs
    if sorted(order) != [0, 1, 2] or not np.allclose(P, exact, atol=1e-7):
        return None
    return signs, order


def _so3_unknown(R, M, right):
    """The diagnosis of a wrong R that no known slip explains: what kind of matrix it is, and how far from M."""
    if not np.all(np.isfinite(R)):
        return "R holds nan or inf: a division by a zero singular value, or a zero determinant?"
    apart = np.abs(R.T @ R - np.eye(3)).max()
    if apart > 1e-6:
        return (f"R is not orthogonal: R^T R differs from the identity by up to {apart:.2g}, so R is no rotation. "
                f"Take the SVD M = U S V^T and {FIX}")
    mine, best = np.linalg.norm(M - R), np.linalg.norm(M - right)
    found = _signed_permutation(R, M)
    if found is not None:
        signs, order = found
        if list(order) != [0, 1, 2]:
            return SO3_SAID["permuted"]
        pattern = ", ".join(f"{v:+.0f}" for v in signs)
        return (f"your R is U diag({pattern}) V^T: the nearest rotation keeps +1 for the two largest singular values "
                f"and puts d = det(U V^T) on the smallest (a flipped sign or two? separate eigendecompositions of "
                f"M M^T and M^T M do not agree on the signs; use one SVD): {FIX}")
    if np.linalg.det(R) < 0:
        return (f"det R = -1: R is orthogonal but a reflection, not a rotation (|M - R|_F = {mine:.6g}). Take the "
                f"SVD M = U S V^T and {FIX}")
    return (f"R is a rotation, but not the one nearest to M: |M - R|_F = {mine:.6g}, while the nearest rotation's is "
            f"{best:.6g}. Take the SVD M = U S V^T and {FIX}")


def _so3_judge(cases, outcomes):
    problems, pending = [], []
    for k, case in enumerate(cases):
        (M,) = case.args
        try:
            R = _matrix(returned(outcomes, k))
        except StudentError as exc:
            problems.append((k, exc.problem(case.label)))
            continue
        right = _right(M)
        changed = in_place(outcomes[k], ("M",), "M / 2 is a new array; M /= 2 or M[...] = write into M")
        if changed:
            problems.append((k, Problem(case.label, WRONG, changed)))
        if fits(R, right, 1e-8):
            continue
        found = [key for key, predicted in _so3_slips(M, right) if fits(R, predicted, 1e-8)]
        pending.append((k, case.label, found, R, M, right))
    keys = consistent([found for _, _, found, _, _, _ in pending])
    for (k, label, _, R, M, right), key in zip(pending, keys):
        problems.append((k, Problem(label, WRONG, SO3_SAID[key] if key else _so3_unknown(R, M, right))))
    return [problem for _, problem in sorted(problems, key=lambda kp: kp[0])]


register("project_to_so3", "the rotation nearest to a matrix", _so3_cases, _so3_judge, forbid="project_to_so3")


def project_to_so3(f, strict=False, points=1, time_limit=None):
    """f(M) -> the rotation R (R^T R = I, det R = +1) nearest to the 3 x 3 matrix M in the Frobenius norm:
    R = U diag(1, 1, det(U V^T)) V^T from the SVD M = U S V^T."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("project_to_so3", f, strict, points, time_limit)
