"""Checks of lecture 9's exercise: ridge regression in closed form with an unpenalised bias, standardisation
inside k folds without leakage, and the gradient of an L2 penalty (weight decay).

The oracles are scikit-learn's ``Ridge``, ``KFold`` and ``StandardScaler``, and PyTorch's autograd; never
``nnlab.generalization``, the lecture's own model, which the exercise rules out as a shortcut."""
from __future__ import annotations

import numpy as np

from .harness import RAISED, WRONG, Case, Problem, StudentError
from .registry import as_array, describe_difference, diagnose, in_place, register, returned, run_check


def _close(a, b, rtol=1e-9):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=rtol * max(1.0, np.abs(b).max(initial=0))))


def _eye_but_bias(p):
    D = np.eye(p)
    D[0, 0] = 0.0
    return D


def _ridge_slips(n, lam):
    """The penalties c of the slips the judge names by their factor, each solving (X^T X + c D) w = X^T y."""
    return [0.0, -lam, n * lam, lam / n, 2 * lam, lam / 2, lam * lam]


def _ridge_cases(rng):
    """Five problems drawn anew for each student: features whose means are far from 0 (so a penalised bias
    shows), a sizeable intercept, and a lam at which every slip the judge names gives a clearly other answer."""
    cases = []
    for k, (n, p) in enumerate([(12, 3), (25, 4), (40, 6), (18, 2), (60, 8)]):
        while True:
            X = np.c_[np.ones(n), rng.uniform(-3, 3, p - 1)
                      + rng.uniform(0.5, 2.5, p - 1) * rng.standard_normal((n, p - 1))]
            y = rng.choice([-1, 1]) * rng.uniform(2, 6) + X[:, 1:] @ rng.normal(0, 1.5, p - 1) \
                + rng.normal(0, 0.5, n)
            Xc = X[:, 1:] - X[:, 1:].mean(axis=0)
            lam = float(f"{rng.uniform(0.2, 0.7) * np.linalg.eigvalsh(Xc.T @ Xc).min():.3g}")
            A, b, D = X.T @ X, X.T @ y, _eye_but_bias(p)
            slips = _ridge_slips(n, lam) + [lam]
            apart = all(abs(c - e) > 0.01 * max(abs(c), abs(e)) for i, c in enumerate(slips) for e in slips[i + 1:])
            systems = [A + c * D for c in slips[:-1]] + [A + c * np.eye(p) for c in slips] + [A + lam]
            if not apart or max(np.linalg.cond(M) for M in systems) > 1e8:
                continue
            right = np.linalg.solve(A + lam * D, b)
            others = [np.linalg.solve(M, b) for M in systems] + [(A + lam * D) @ b, np.r_[y.mean(), right[1:]]]
            if all(np.abs(o - right).max() > 1e-3 * np.abs(right).max() for o in others):
                break
        cases.append(Case(f"test {k + 1} ({n} examples, {p} columns, lam = {lam:g})", (X, y, lam)))
    return cases


def _weights(out, n, p):
    """The returned w as a float array of shape (p,), or StudentError naming the shape's likely cause."""
    shape = out.shape if isinstance(out, np.ndarray) else None
    hints = {(p - 1,): f"return one weight per column of X, the bias w[0] included ({p} in all)",
             (p + 1,): "X already holds the constant in column 0: do not add another column of ones",
             (n,): "that is one number per example, like the dual form's alpha = (X X^T + lam I)^-1 y; w has one "
                   "entry per column of X: solve (X^T X + lam D) w = X^T y",
             (p, 1): f"return a 1-D array of {p} weights (w.ravel())",
             (1, p): f"return a 1-D array of {p} weights (w.ravel())",
             (p, p): "you divided X^T y by a matrix entry by entry; solve the linear system instead "
                     "(np.linalg.solve(X.T @ X + lam * D, X.T @ y))"}
    if shape in hints:
        raise StudentError(f"w has shape {shape}, expected ({p},): {hints[shape]}")
    return as_array("w", out, (p,))


def _penalty(X, y, w):
    """(c, bias): w solves (X^T X + c D) w = X^T y (bias False) or (X^T X + c I) w = X^T y (bias True), or None."""
    A, b = X.T @ X, X.T @ y
    r, tol = b - A @ w, 1e-7 * max(np.abs(b).max(), np.abs(A).max() * np.abs(w).max())
    for bias, v, rest in ((False, w[1:], r[0]), (True, w, 0.0)):
        if v @ v > 0 and abs(rest) <= tol:
            c = (r[-len(v):] @ v) / (v @ v)
            if np.allclose(r[-len(v):], c * v, rtol=0, atol=tol):
                return c, bias
    return None


BIAS = "your ridge penalises the bias w[0]: the first column is the constant and stays unpenalised (lam D, with D " \
       "the identity but D[0, 0] = 0, not lam I)"


def _penalty_said(c, bias, lam, n):
    near = lambda v: abs(c - v) <= 1e-6 * max(abs(c), abs(v), 1e-3 * lam)  # noqa: E731
    if near(lam):
        return BIAS
    if near(0.0):
        text = ("your weights are plain least squares: the penalty is missing; solve (X^T X + lam D) w = X^T y, "
                "D the identity but D[0, 0] = 0")
    elif near(-lam):
        text = ("the penalty has the wrong sign: solve (X^T X + lam D) w = X^T y, not (X^T X - lam D) w = X^T y "
                "(the penalty adds to the loss, so lam D adds to X^T X)")
    elif near(n * lam):
        text = (f"your penalty is n lam = {n} lam: you averaged the squared error, (1/n) |y - X w|^2; here the loss "
                "is the sum |y - X w|^2 + lam |w[1:]|^2")
    elif near(lam / n):
        text = f"your penalty is lam / n (n = {n}): the loss is |y - X w|^2 + lam |w[1:]|^2, lam as it is given"
    elif near(2 * lam) or near(lam / 2):
        text = (f"your penalty is {'2 lam' if near(2 * lam) else 'lam / 2'}: the gradient 2 X^T (X w - y) + "
                "2 lam D w has a factor 2 in both terms, and they cancel: (X^T X + lam D) w = X^T y")
    elif near(lam * lam):
        text = ("your penalty is lam^2: in the augmented system [X; sqrt(lam) D] w = [y; 0] the extra rows are "
                "sqrt(lam) D, not lam D")
    else:
        text = (f"your weights solve (X^T X + c {'I' if bias else 'D'}) w = X^T y with c = {c:.6g}, not lam = "
                f"{lam:g}: the penalty lam |w[1:]|^2 adds lam D to X^T X, and nothing else")
    return f"{BIAS}; and {text}" if bias else text


def _ridge_said(X, y, lam, w, right):
    if not np.all(np.isfinite(w)):
        return (f"w holds {'nan' if np.isnan(w).any() else 'inf'}: a division by zero, or a singular matrix? "
                "X^T X + lam D is invertible for lam > 0 (only D[0, 0] is 0)")
    A, b, D = X.T @ X, X.T @ y, _eye_but_bias(X.shape[1])
    said = diagnose(w, [
        ("you added lam to every entry of X^T X (X.T @ X + lam): the penalty adds lam on the diagonal only, "
         "lam D = lam * np.eye(p) with D[0, 0] = 0", np.linalg.solve(A + lam, b)),
        ("you multiplied X^T y by X^T X + lam D instead of solving with it: w = (X^T X + lam D)^-1 X^T y, "
         "np.linalg.solve(X.T @ X + lam * D, X.T @ y)", (A + lam * D) @ b),
        ("w[1:] is right but w[0] is not: after centring X[:, 1:] and y, the bias is w[0] = mean(y) - "
         "mean(X[:, 1:], axis=0) @ w[1:], not mean(y)", np.r_[y.mean(), right[1:]]),
    ], rtol=1e-7, atol=1e-9 * np.abs(right).max())
    if said:
        return said
    found = _penalty(X, y, w)
    if found:
        return _penalty_said(*found, lam, len(X))
    where = describe_difference(w, right, "w", "scikit-learn's Ridge", rtol=1e-7, atol=1e-9 * np.abs(right).max())
    if _close(w[1:], right[1:], 1e-7):
        return f"w[1:] is right but w[0] is not: {where}"
    return f"{where}: w should solve (X^T X + lam D) w = X^T y, D the identity but D[0, 0] = 0"


SHAPE_ERRORS = ("mismatch", "broadcast", "shapes", "aligned", "dimension")


def _ridge_judge(cases, outcomes):
    from sklearn.linear_model import Ridge

    problems = []
    for k, case in enumerate(cases):
        X, y, lam = case.args
        n, p = X.shape
        try:
            w = _weights(returned(outcomes, k), n, p)
        except StudentError as exc:
            text = str(exc)
            if exc.kind == RAISED and any(word in text for word in SHAPE_ERRORS):
                text += (f"; X has shape ({n}, {p}), rows the examples and column 0 the constant, so X.T @ X is "
                         f"({p}, {p}) and X.T @ y has {p} entries")
            problems.append(Problem(case.label, exc.kind, text))
            continue
        model = Ridge(alpha=lam, fit_intercept=True, solver="cholesky").fit(X[:, 1:], y)
        right = np.r_[model.intercept_, model.coef_]
        changed = in_place(outcomes[k], ("X", "y"), "X[:, 1:] - m is a new array; X[:, 1:] -= m writes into X")
        if changed:
            problems.append(Problem(case.label, WRONG, changed))
        if not _close(w, right, 1e-7):
            problems.append(Problem(case.label, WRONG, _ridge_said(X, y, lam, w, right)))
    return problems


register("ridge", "ridge regression", _ridge_cases, _ridge_judge, forbid="ridge")


def ridge(f, strict=False, points=1, time_limit=None):
    """f(X, y, lam) -> w minimising |y - X w|^2 + lam |w[1:]|^2: column 0 of X is the constant 1 and the bias
    w[0] is not penalised (scikit-learn's Ridge(alpha=lam) with its intercept as w[0])."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("ridge", f, strict, points, time_limit)


# ------------------------------------------------------------------ standardisation inside k folds


def _folds_cases(rng):
    """Five matrices drawn anew for each student: columns with their own means and spreads, drifting down the
    rows (so each fold's statistics differ); k contiguous blocks of 3 to 6 rows, plus a remainder in four."""
    cases = []
    for case, (k, extra, d) in enumerate([(4, 0, 3), (5, 3, 2), (3, 1, 4), (2, 1, 1), (5, 2, 3)]):
        n = k * int(rng.integers(3, 7)) + extra
        drift = np.linspace(-1, 1, n)[:, None] * rng.uniform(-3, 3, d)
        X = rng.uniform(-5, 5, d) + rng.uniform(0.5, 3, d) * rng.standard_normal((n, d)) + drift
        cases.append(Case(f"test {case + 1} ({n} rows, {d} column{'s' if d > 1 else ''}, k = {k})", (X, k)))
    return cases


def _folds_right(X, k):
    """[(train_idx, val_idx, X_train standardised, X_val standardised)] by scikit-learn (the oracle)."""
    from sklearn.model_selection import KFold
    from sklearn.preprocessing import StandardScaler

    out = []
    for train, val in KFold(n_splits=k).split(X):
        scaler = StandardScaler().fit(X[train])
        out.append((train, val, scaler.transform(X[train]), scaler.transform(X[val])))
    return out


def _fold_pairs(out, X, k, right):
    """The returned folds as [(X_train, X_val)] float arrays of the right shapes, or StudentError saying why not."""
    n, d = X.shape
    if out is None:
        raise StudentError("your function returned None: did you forget to return the list of folds?")
    if not isinstance(out, list):
        got = out.get("type") if isinstance(out, dict) else f"an array of shape {np.shape(out)}"
        raise StudentError(f"return a list of {k} pairs (X_train, X_val), one per fold, got {got}"
                           + (": a generator is used up once, return list(...)" if got == "generator" else ""))
    if len(out) != k:
        raise StudentError(f"return one pair (X_train, X_val) per fold: {k} pairs, got {len(out)}")
    pairs = []
    for i, (pair, (train, val, _, _)) in enumerate(zip(out, right)):
        if not isinstance(pair, list) or len(pair) != 2:
            raise StudentError(f"fold {i + 1}: expected a pair (X_train, X_val), got "
                               f"{'an array' if isinstance(pair, np.ndarray) else 'something else'}")
        shapes = [np.shape(z) if isinstance(z, np.ndarray) else None for z in pair]
        want = [(len(train), d), (len(val), d)]
        if shapes == want[::-1] and want[0] != want[1]:
            raise StudentError(f"fold {i + 1}: each pair is (X_train, X_val); yours is the other way round")
        if all(s is not None and len(s) == 2 for s in shapes) and shapes[0][0] + shapes[1][0] != n:
            raise StudentError(f"fold {i + 1}'s parts hold {shapes[0][0]} + {shapes[1][0]} rows, but X has {n}: "
                               "every row is either a training row or a validation row")
        if shapes[1] is not None and len(shapes[1]) == 2 and shapes[1][0] != len(val):
            raise StudentError(f"fold {i + 1}'s validation part has {shapes[1][0]} rows, expected {len(val)}: "
                               f"KFold(n_splits={k}) cuts the {n} rows into {k} contiguous blocks, the first n % k = "
                               f"{n % k} of them one row longer (np.array_split(np.arange(n), k) gives them)")
        for name, z, s in zip(("X_train", "X_val"), pair, want):
            if isinstance(z, np.ndarray) and z.shape != s:
                raise StudentError(f"fold {i + 1}'s {name} has shape {z.shape}, expected {s}: rows the examples, "
                                   "columns those of X")
        pairs.append(tuple(as_array(f"fold {i + 1}'s {name}", z, s) for name, z, s in zip(("X_train", "X_val"),
                                                                                        pair, want)))
    return pairs


def _undo(Xp, Z):
    """The per-column (mean, std) with Z = (Xp - mean) / std, or None when Z is no such map of Xp."""
    zc, xc = Z - Z.mean(axis=0), Xp - Xp.mean(axis=0)
    vz = (zc * zc).sum(axis=0)
    if np.any(vz <= 1e-300):
        return None
    s = (xc * zc).sum(axis=0) / vz
    m = Xp.mean(axis=0) - s * Z.mean(axis=0)
    return (m, s) if _close(m + s * Z, Xp, 1e-8) and np.all(s != 0) else None


def _source(value, sources, stat):
    """Where a mean (stat "mean") or std ("std") came from: (name, ddof, one number for all columns), a name
    "none" (0 subtracted, or divided by 1), or None."""
    d = len(value)
    if _close(value, np.full(d, 0.0 if stat == "mean" else 1.0)):
        return "none", 0, False
    for name, rows in sources:
        for ddof in ((0,) if stat == "mean" else (0, 1)):
            per_column = rows.mean(axis=0) if stat == "mean" else rows.std(axis=0, ddof=ddof)
            whole = rows.mean() if stat == "mean" else rows.std(ddof=ddof)
            if _close(value, per_column, 1e-8):
                return name, ddof, False
            if d > 1 and _close(value, np.full(d, whole), 1e-8):
                return name, ddof, True
    return None


def _fold_said(X, i, Z, right):
    """The diagnosis of fold i (0-based), Z its (X_train, X_val); the first part that differs is described."""
    train, val = right[i][0], right[i][1]
    own = f"fold {i + 1}'s training rows"
    sources = [(own, X[train]), ("all the rows of X", X), (f"fold {i + 1}'s validation rows", X[val])]
    sources += [(f"fold {j + 1}'s training rows", X[r[0]]) for j, r in enumerate(right) if j != i]
    sources += [(f"fold {j + 1}'s validation rows", X[r[1]]) for j, r in enumerate(right) if j != i]
    rows = [X[train], X[val]]
    bad = next((part for part, z in zip(("training", "validation"), Z) if not np.all(np.isfinite(z))), None)
    if bad:
        return (f"fold {i + 1}'s {bad} part holds nan or inf: a std of 0 divides by zero (take each column's std "
                "over the rows, axis=0)")
    if X.shape[1] > 1 and any(_close(z, (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True))
                              for z, x in zip(Z, rows)):
        return ("you standardised each row (axis=1): each column, a feature, has its own mean and std over the rows "
                "(axis=0)")
    found = []
    for part, z, x, ref in zip(("training", "validation"), Z, rows, right[i][2:]):
        undone = None if _close(z, ref) else _undo(x, z)
        if not _close(z, ref) and undone is None:
            where = (f"the rows of X outside X[{val[0]}:{val[-1] + 1}], in their order" if part == "training"
                     else f"X[{val[0]}:{val[-1] + 1}]")
            return (f"fold {i + 1}'s {part} part is not {where}, standardised column by column: the folds are "
                    "contiguous blocks of rows, in order, without shuffling")
        found.append(((own, 0, False), (own, 0, False)) if undone is None else
                     (_source(undone[0], sources, "mean"), _source(undone[1], sources, "std")))
    names = [(m and m[0], s and s[0]) for m, s in found]
    ddof = any(s and s[1] == 1 for _, s in found)
    also = "; and the std divides by the number of rows (ddof=0)" if ddof else ""
    leaked = {stat for pair in names for stat, src in zip(("mean", "std"), pair) if src == "all the rows of X"}
    if leaked:
        return (f"you standardised with the {' and '.join(sorted(leaked))} of all the rows of X, the validation rows "
                "among them, so they leak into the training: compute the mean and std on each fold's training rows "
                "only, and use them for both parts" + also)
    if names[0] == (own, own) and names[1] == (f"fold {i + 1}'s validation rows",) * 2:
        return ("the validation rows were standardised with their own mean and std: transform them with the "
                "training rows' mean and std (fit on the training part, then transform both)" + also)
    other = next((m for m, s in names if m == s and m and m.endswith("training rows") and m != own), None)
    if other:
        return (f"fold {i + 1} was standardised with the mean and std of {other}: compute them inside the loop, "
                "from each fold's own training rows" + also)
    if any(m and m[2] or s and s[2] for m, s in found):
        return ("you took one mean and one std over all the entries (no axis): each column, a feature, has its "
                "own mean and std (axis=0)")
    if all(n == (own, own) for n in names):
        return ("the std divides by n - 1 (ddof=1, as pandas' .std() does): here, as in StandardScaler, it divides "
                "by the number of rows n (ddof=0, np.std's default)")
    if names[0] == (own, own) and names[1] == ("none", "none"):
        return "the validation rows were not standardised: transform them with the training rows' mean and std too"
    if names[0] == names[1] == ("none", "none"):
        return "the rows are not standardised: subtract the training rows' mean and divide by their std"
    part, (mean, std) = next((p, n) for p, n in zip(("training", "validation"), names) if n != (own, own))
    if (mean, std) == ("none", own):
        return f"you divided the {part} rows by the std but did not subtract the mean" + also
    if (mean, std) == (own, "none"):
        return f"you subtracted the mean from the {part} rows but did not divide by the std"
    said = lambda s, what: (f"a {what} of rows the check cannot identify" if s is None else f"no {what}"  # noqa: E731
                            if s == "none" else f"the {what} of {s}")
    both = f"the mean and std of {mean}" if mean == std and mean not in (None, "none") else \
        f"{said(mean, 'mean')} and {said(std, 'std')}"
    return f"fold {i + 1}'s {part} rows were standardised with {both}: both should be those of {own}" + also


def _folds_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        X, folds = case.args
        right = _folds_right(X, folds)
        try:
            pairs = _fold_pairs(returned(outcomes, k), X, folds, right)
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        changed = in_place(outcomes[k], ("X",), "X - mu is a new array; X -= mu writes into X")
        if changed:
            problems.append(Problem(case.label, WRONG, changed))
        wrong = next((i for i, (z, r) in enumerate(zip(pairs, right))
                      if not (_close(z[0], r[2]) and _close(z[1], r[3]))), None)
        if wrong is not None:
            problems.append(Problem(case.label, WRONG, _fold_said(X, wrong, pairs[wrong], right)))
    return problems


register("standardise_folds", "standardisation inside k folds", _folds_cases, _folds_judge,
         forbid="standardise_folds")


def standardise_folds(f, strict=False, points=1, time_limit=None):
    """f(X, k) -> [(X_train, X_val)] for KFold(k)'s folds (contiguous, unshuffled), each part standardised with
    the mean and std (ddof=0) of that fold's training rows."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("standardise_folds", f, strict, points, time_limit)


# ------------------------------------------------------------------ the gradient of an L2 penalty


def _gradient_cases(rng):
    """Five weight arrays drawn anew for each student: vectors (w[0] the bias) and layers (row 0 the biases)."""
    cases = []
    for k, shape in enumerate([(5,), (4, 3), (8,), (6, 2), (3,)]):
        w, g = rng.normal(0, 1.5, shape), rng.normal(0, 1.0, shape)
        lam = float(f"{rng.uniform(0.05, 0.9):.3g}")
        cases.append(Case(f"test {k + 1} (w of shape {shape}, lam = {lam:g})", (w, g, lam)))
    return cases


def _autograd(w, g, lam):
    """The oracle: PyTorch's gradient of g . w + (lam / 2) |w[1:]|^2 (a loss whose gradient is g), at w."""
    import torch

    W = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    loss = (torch.tensor(g, dtype=torch.float64) * W).sum() + lam / 2 * (W[1:] ** 2).sum()
    loss.backward()
    return W.grad.numpy()


def _gradient_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        w, g, lam = case.args
        try:
            out = returned(outcomes, k)
            if isinstance(out, np.ndarray) and out.shape == (len(w) - 1,) + w.shape[1:]:
                raise StudentError(f"the gradient has shape {out.shape}, expected {w.shape}: return an entry for "
                                   "every weight, the bias's too (its penalty term is 0)")
            mine = as_array("the gradient", out, w.shape)
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        right = _autograd(w, g, lam)
        changed = in_place(outcomes[k], ("w", "grad_loss"), "lam * w is a new array; w[0] = 0 and += write "
                                                               "into the caller's")
        if changed:
            problems.append(Problem(case.label, WRONG, changed))
        if _close(mine, right):
            continue
        mask = np.ones_like(w)
        mask[0] = 0.0
        columns = np.ones_like(w)
        columns[..., 0] = 0.0
        decay = lam * w * mask
        said = diagnose(mine, [
            ("you penalised the bias w[0], and with 2 lam w, the gradient of lam |w|^2: here the penalty is "
             "(lam / 2) |w[1:]|^2, whose gradient is lam w on w[1:] and 0 on the bias", g + 2 * lam * w),
            ("you penalised the bias w[0]: its entry of the penalty's gradient is 0 (weight decay leaves the bias "
             "alone); add lam w to w[1:] only", g + lam * w),
            ("your penalty's gradient is 2 lam w, the gradient of lam |w|^2: here the penalty is (lam / 2) |w[1:]|^2, "
             "whose gradient is lam w", g + 2 * decay),
            ("your penalty's gradient is (lam / 2) w: the derivative of (lam / 2) w^2 is lam w (the 2 of the square "
             "cancels the 1/2)", g + decay / 2),
            ("the penalty's gradient has the wrong sign: add lam w, do not subtract it (weight decay pulls the "
             "weights towards 0)", g - decay),
            ("the penalty's gradient has the wrong sign, and you penalised the bias w[0]: add lam w to w[1:] only",
             g - lam * w),
            ("you returned grad_loss unchanged: the penalty's gradient lam w (0 for the bias) is missing", g),
            ("you returned the penalty's gradient alone: add it to grad_loss", decay),
            ("you added the penalty (lam / 2) w^2 itself, not its gradient lam w", g + lam / 2 * w * w * mask),
            ("the biases are the first row, w[0] (one per output), not the first column w[:, 0]: leave out row 0",
             g + lam * w * columns if w.ndim == 2 else None),
        ])
        problems.append(Problem(case.label, WRONG, said or describe_difference(mine, right, "the gradient",
                                                                               "PyTorch autograd")))
    return problems


register("penalised_gradient", "the gradient of an L2 penalty", _gradient_cases, _gradient_judge,
         forbid="penalised_gradient")


def penalised_gradient(f, strict=False, points=1, time_limit=None):
    """f(w, grad_loss, lam) -> the gradient of L(w) + (lam / 2) |w[1:]|^2, given grad_loss, that of L: w[0] (the
    first entry, or the first row of biases) is not penalised."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("penalised_gradient", f, strict, points, time_limit)
