"""Checks for lecture 4's exercise: a reverse sweep by hand, backward rules of a tiny engine, and a
central-difference gradient check.

- ``adjoints``: the student sweeps the graph v1 = x1·x2, v2 = exp v1, v3 = v1 + v2, y = v3 / x2
  backward by hand; compared with PyTorch autograd (``retain_grad`` on every node).
- ``reverse_sweep``: the student writes the backward rules of a tape engine (rows ``(op, out, a, b)``);
  compared with autograd on graphs that reuse values, and each known slip (``=`` for ``+=``, a missing
  chain factor, a sign, a wrong local derivative) is recognised by the adjoints it would give.
- ``gradient_check``: the student estimates a gradient by central differences and returns the
  relative error; the run records where the student evaluated f, so the judge sees the step h, a
  one-sided difference or an x that was not put back.
"""
from __future__ import annotations

import numpy as np

from .harness import TIMEOUT, WRONG, Case, Outcome, Problem, StudentError, call, plain
from .registry import as_array, describe_difference, diagnose, parts, register, returned, run_check

ADJOINT_NAMES = ("x̄1", "x̄2", "v̄1", "v̄2", "v̄3")


# ---------------------------------------------------------------- (a) adjoints of a given graph
def _graph_cases(rng):
    points = [(rng.uniform(-1.2, 1.2), rng.choice([-1, 1]) * rng.uniform(0.6, 1.6)) for _ in range(4)]
    return [Case(f"at x1 = {x1:.4g} and x2 = {x2:.4g}", (float(x1), float(x2))) for x1, x2 in points]


def _graph_autograd(x1, x2):
    """Every node's adjoint ∂y/∂node by PyTorch autograd (the oracle), as ADJOINT_NAMES orders them."""
    import torch

    X1, X2 = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x1, x2))
    v1 = X1 * X2
    v2 = torch.exp(v1)
    v3 = v1 + v2
    for v in (v1, v2, v3):
        v.retain_grad()
    (v3 / X2).backward()
    return np.array([float(t.grad) for t in (X1, X2, v1, v2, v3)])


def _graph_mistakes(x1, x2, ref):
    """(message, predicted adjoints) for the slips of a hand-written sweep, one slip at a time."""
    v1 = x1 * x2
    v2 = np.exp(v1)
    v3 = v1 + v2
    v3b = 1.0 / x2
    from_y = -v3 / x2**2                       # x̄2's contribution through y = v3 / x2

    def sweep(v1b, from_y=from_y, v3b=v3b, v2b=None, x1b=None, x2b=None):
        v2b = v3b if v2b is None else v2b
        return np.array([v1b * x2 if x1b is None else x1b, from_y + v1b * x1 if x2b is None else x2b,
                         v1b, v2b, v3b])

    twice = "v1 is used twice (in v2 = exp v1 and in v3 = v1 + v2), so v̄1 = v̄3 + v̄2·exp(v1)"
    return [
        (f"v̄1 has only the contribution through v2: {twice}; with = instead of += the second "
         "contribution replaced the first", sweep(v3b * v2)),
        (f"v̄1 has only the contribution through v3: {twice}", sweep(v3b)),
        ("v̄1's contribution through v2 lacks the chain factor v̄2: it should be v̄2·exp(v1), not "
         "exp(v1)", sweep(v3b + v2)),
        ("the local derivative of exp: ∂v2/∂v1 = exp(v1) (the node's value v2), not v1",
         sweep(v3b + v3b * v1)),
        ("x̄2 has only the contribution through v1 = x1·x2: x2 is used twice (in v1 and in y = v3/x2), "
         "so x̄2 = −v3/x2² + v̄1·x1; with = instead of += one contribution replaced the other",
         sweep(ref[2], x2b=ref[2] * x1)),
        ("x̄2 has only the contribution through y = v3/x2: x2 is used twice (in v1 = x1·x2 and in y), "
         "so x̄2 = −v3/x2² + v̄1·x1", sweep(ref[2], x2b=from_y)),
        ("the sign of ∂y/∂x2 through y = v3/x2: it is −v3/x2², not +v3/x2²", sweep(ref[2], from_y=-from_y)),
        ("∂(v3/x2)/∂x2 is −v3/x2², not −v3/x2", sweep(ref[2], from_y=-v3 / x2)),
        ("v̄3 = ȳ·∂y/∂v3 = 1/x2, not 1: the chain factor of the division is missing",
         sweep(1.0 + v2, v3b=1.0, from_y=from_y)),
        ("x̄1 lacks the chain factor v̄1: x̄1 = v̄1·x2, not x2", sweep(ref[2], x1b=x2)),
        ("x̄1 and x̄2 are swapped: ∂v1/∂x1 = x2 and ∂v1/∂x2 = x1",
         np.array([ref[1], ref[0], *ref[2:]])),
    ]


def _graph_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        try:
            out = parts(returned(outcomes, k), 5, "the five adjoints (x1_bar, x2_bar, v1_bar, v2_bar, v3_bar) "
                                                  "as a tuple")
            mine = np.array([as_array(n, o, ()) for n, o in zip(ADJOINT_NAMES, out)])
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        ref = _graph_autograd(*case.args)
        if np.allclose(mine, ref, rtol=1e-9, atol=1e-12):
            continue
        hint = diagnose(mine, _graph_mistakes(*case.args, ref))
        if hint is None:  # the first adjoint of the sweep (v̄3, v̄2, v̄1, x̄1, x̄2) that differs
            order = (4, 3, 2, 0, 1)
            first = next(i for i in order if not np.isclose(mine[i], ref[i], rtol=1e-9, atol=1e-12))
            right = [ADJOINT_NAMES[i] for i in order[:order.index(first)]]
            hint = describe_difference(mine[first], ref[first], ADJOINT_NAMES[first], "autograd") + \
                (f"; {', '.join(right)} before it in the sweep {'is' if len(right) == 1 else 'are'} right"
                 if right else "")
        problems.append(Problem(case.label, WRONG, hint))
    return problems


register("adjoints", "adjoints of the graph", _graph_cases, _graph_judge, forbid="autodiff")


def adjoints(f, strict=False, points=1, time_limit=None):
    """f(x1, x2) -> (x̄1, x̄2, v̄1, v̄2, v̄3) for v1 = x1·x2, v2 = exp v1, v3 = v1 + v2, y = v3 / x2,
    each adjoint ∂y/∂node, compared with PyTorch autograd."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("adjoints", f, strict, points, time_limit)


# ---------------------------------------------------------------- (b) backward rules of a tape engine
UNARY = ("exp", "sin", "tanh")
BINARY = ("add", "sub", "mul", "div")
OPS = BINARY + UNARY
_FORWARD = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
            "exp": np.exp, "sin": np.sin, "tanh": np.tanh}


def _local(op, a, b, v, slip=None):
    """∂out/∂a and ∂out/∂b of one row (``b`` unused, 1, for unary ops), or those of a known ``slip``."""
    right = {"add": (1.0, 1.0), "sub": (1.0, -1.0), "mul": (b, a), "div": (1.0 / b, -a / b**2),
             "exp": (v, 0.0), "sin": (np.cos(a), 0.0), "tanh": (1.0 - v**2, 0.0)}[op]
    wrong = {("sub", "sign"): (1.0, 1.0), ("mul", "own"): (a, b), ("div", "sign"): (1.0 / b, a / b**2),
             ("div", "square"): (1.0 / b, -a / b), ("exp", "input"): (a, 0.0),
             ("sin", "sign"): (-np.cos(a), 0.0), ("sin", "value"): (np.sin(a), 0.0),
             ("tanh", "input"): (1.0 - a**2, 0.0), ("tanh", "square"): (1.0 - v, 0.0)}
    return wrong.get((op, slip), right)


SLIPS = {  # (op, slip): what the message says; "*" applies to every op
    ("*", "assign"): "= instead of +=: a node used by several rows (or twice by one row) must add up all "
                     "its contributions, adjoint[a] += ...",
    ("*", "chain"): "the rule for {op} forgets the chain factor: each contribution is adjoint[out] times "
                    "the local derivative",
    ("*", "seed"): "the output's adjoint was never seeded: set adjoint[-1] = 1 (ȳ = 1) before the sweep, or "
                   "every adjoint stays 0",
    ("*", "forward"): "you walked the tape forward: the sweep visits the rows in reverse (for row in "
                      "reversed(tape)), so that a node's adjoint is complete before it is passed on",
    ("sub", "sign"): "the rule for sub: ∂(a − b)/∂b = −1, so adjoint[b] -= adjoint[out]",
    ("mul", "own"): "the rule for mul: ∂(a·b)/∂a = b and ∂(a·b)/∂b = a (each input gets the other's value)",
    ("div", "sign"): "the rule for div: ∂(a/b)/∂b = −a/b², with a minus sign",
    ("div", "square"): "the rule for div: ∂(a/b)/∂b = −a/b², not −a/b",
    ("exp", "input"): "the rule for exp: ∂e^a/∂a = e^a, the node's own value values[out], not values[a]",
    ("sin", "sign"): "the rule for sin: ∂ sin a/∂a = +cos a",
    ("sin", "value"): "the rule for sin: ∂ sin a/∂a = cos a, not sin a",
    ("tanh", "input"): "the rule for tanh: ∂ tanh a/∂a = 1 − tanh² a = 1 − values[out]², not 1 − values[a]²",
    ("tanh", "square"): "the rule for tanh: ∂ tanh a/∂a = 1 − values[out]², not 1 − values[out]",
}


def _sweep(tape, values, ops=(), slip=None, seed=1.0, forward=False):
    """The adjoints of every node (seeded with ``seed``, 1, at the last) by the rules above; the rules of the
    ops named in ``ops`` carry the known ``slip`` (what a student's sweep with that slip would give);
    ``forward`` visits the rows in the tape's order instead of in reverse."""
    adj = np.zeros(len(values))
    adj[-1] = seed
    for name, out, a, b in (tape if forward else reversed(tape)):
        here = name in ops
        da, db = _local(name, values[a], values[b] if b >= 0 else 1.0, values[out], slip if here else None)
        g = 1.0 if here and slip == "chain" else adj[out]
        if here and slip == "assign":
            adj[a] = g * da
            if b >= 0:
                adj[b] = g * db
        else:
            adj[a] += g * da
            if b >= 0:
                adj[b] += g * db
    return adj


def _tape(rng, inputs, rows):
    """A random tape that reuses values: a chain through the newest node, where every other row is a
    binary op whose second operand is an input (more binary rows than inputs: some input serves twice)."""
    values = list(rng.uniform(-1.5, 1.5, inputs))
    tape = []
    for row in range(rows):
        out = len(values)
        op, a = str(rng.choice(BINARY[1:] if row % 2 == 0 else UNARY)), out - 1
        b = int(rng.integers(0, inputs)) if op in BINARY else -1
        if op == "div" and abs(values[b]) < 0.5:
            op = "mul"
        if op == "exp" and values[a] > 2:
            op = "tanh"
        tape.append([op, out, a, b])
        values.append(float(_FORWARD[op](values[a], values[b]) if b >= 0 else _FORWARD[op](values[a])))
    return tape, np.array(values)


def _forward(tape, x):
    values = list(x)
    for op, out, a, b in tape:
        values.append(float(_FORWARD[op](values[a], values[b]) if b >= 0 else _FORWARD[op](values[a])))
    return np.array(values)


def _tape_cases(rng):
    x = rng.uniform(0.6, 1.4, 2) * rng.choice([-1, 1], 2)
    fixed = [("x·x (one value twice in one row)", [["mul", 1, 0, 0]], x[:1])]
    for op in ("sub", "mul", "div", "exp", "sin", "tanh"):
        tape = [[op, 2, 0, 1 if op in BINARY else -1], ["mul", 3, 2, 0], ["add", 4, 3, 1]]
        fixed.append((f"{op} (x0 and x1 used again)", tape, x))
    cases = [Case(label, (tape, _forward(tape, x0))) for label, tape, x0 in fixed]
    for k in range(3):
        tape, values = _tape(rng, 3, 8)
        cases.append(Case(f"random graph {k + 1} ({len(tape)} rows)", (tape, values)))
    return cases


def _tape_autograd(tape, values):
    import torch

    inputs = len(values) - len(tape)
    nodes = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values[:inputs]]
    ops = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
           "exp": torch.exp, "sin": torch.sin, "tanh": torch.tanh}
    for op, out, a, b in tape:
        node = ops[op](nodes[a], nodes[b]) if b >= 0 else ops[op](nodes[a])
        node.retain_grad()
        nodes.append(node)
    nodes[-1].backward()
    return np.array([float(n.grad) if n.grad is not None else 0.0 for n in nodes])


def _tape_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        tape, values = case.args
        try:
            mine = as_array("the adjoints", returned(outcomes, k), values.shape)
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        if outcomes[k].mutated:
            problems.append(Problem(case.label, WRONG, "your function changed tape or values in place"))
        ref = _tape_autograd(tape, values)
        if np.allclose(mine, ref, rtol=1e-9, atol=1e-12):
            continue
        used = sorted({row[0] for row in tape})
        slips = [(SLIPS[("*", "assign")], _sweep(tape, values, OPS, "assign")),
                 (SLIPS[("*", "assign")] + " (all your rules but the given one for add use =)",
                  _sweep(tape, values, OPS[1:], "assign"))]
        slips += [(text, _sweep(tape, values, [op], slip)) for (op, slip), text in SLIPS.items() if op in used]
        slips += [(f"{SLIPS[('*', 'assign')]} (in the rule for {op})", _sweep(tape, values, [op], "assign"))
                  for op in used]
        slips += [(SLIPS[("*", "chain")].format(op=op), _sweep(tape, values, [op], "chain")) for op in used]
        slips += [(SLIPS[("*", "seed")], _sweep(tape, values, seed=0.0)),
                  (SLIPS[("*", "forward")], _sweep(tape, values, forward=True))]
        hint = diagnose(mine, [(t, p) for t, p in slips if not np.allclose(p, ref)])
        if hint is None:
            node = max(i for i in range(len(ref)) if not np.isclose(mine[i], ref[i], rtol=1e-9, atol=1e-12))
            rows = [f"row {r} ({row[0]})" for r, row in enumerate(tape) if node in row[2:]]
            where = f"; the later nodes' adjoints are right, so look at the rules of {', '.join(rows)}, which use " \
                f"node {node}" if rows else "; this is the output: its adjoint is the seed of the sweep, 1"
            hint = describe_difference(mine[node], ref[node], f"adjoint[{node}]", "autograd") + where
        problems.append(Problem(case.label, WRONG, hint))
    return problems


register("reverse_sweep", "backward rules of the tape engine", _tape_cases, _tape_judge, forbid="autodiff")


def reverse_sweep(f, strict=False, points=1, time_limit=None):
    """f(tape, values) -> the adjoint of every node, seeded with 1 at the last; a tape row is
    (op, out, a, b) with b = -1 for exp, sin and tanh; compared with PyTorch autograd."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("reverse_sweep", f, strict, points, time_limit)


# ---------------------------------------------------------------- (c) a central-difference gradient check
class Objective:
    """f(x) = scale·(Σ c_i sin(a_i x_i) + ½ xᵀQx), the function handed to the student, recording where it is
    evaluated. It holds only what is needed to evaluate f: no gradient, no error, no expected answer."""

    def __init__(self, a, c, Q, scale):
        self.a, self.c, self.Q, self.scale = a, c, Q, scale
        self.points = []

    def __call__(self, x):
        x = np.asarray(x, dtype=float)
        if x.shape != self.a.shape:
            raise ValueError(f"f expects an array of shape {self.a.shape}, got shape {x.shape}")
        if len(self.points) < 1000:
            self.points.append(np.array(x, copy=True))
        return float(self.scale * (np.sum(self.c * np.sin(self.a * x)) + 0.5 * x @ self.Q @ x))


class GivenGradient:
    """The gradient to be checked, known at one point only: ``grad(x)`` returns it (a copy) at the x the
    check passes in, and refuses any other point. It carries the array to check and nothing else."""

    def __init__(self, x, g):
        self.x, self.g = np.array(x, copy=True), np.array(g, copy=True)

    def __call__(self, z):
        z = np.asarray(z, dtype=float)
        if z.shape != self.x.shape or not np.array_equal(z, self.x):
            raise ValueError("grad is given at the x the check passes in only: call grad(x) before you nudge x "
                             "(or on a copy of it)")
        return self.g.copy()


def _exact_gradient(a, c, Q, scale, x):
    return scale * (c * a * np.cos(a * x) + Q @ x)


def _check_cases(rng):
    """Three functions, each with a right gradient and a wrong one, in an order drawn per case: a case counts
    only when both verdicts are right, so a constant answer never scores."""
    cases = []
    kinds = [("sign of one component flipped", 4, 1.0, "sign"), ("one component off by 1 % of |g|", 6, 1.0, "off"),
             ("a steep function (f ~ 1e4), one component off by 1 % of |g|", 5, 1e4, "off")]
    for k, (label, d, scale, bug) in enumerate(kinds):
        a, c = rng.uniform(0.5, 2.0, d), rng.uniform(0.5, 2.0, d)
        M = rng.normal(size=(d, d))
        Q = M @ M.T / d
        x = rng.uniform(-1.0, 1.0, d)
        g = _exact_gradient(a, c, Q, scale, x)
        j = int(np.argmax(np.abs(g))) if bug == "sign" else int(rng.integers(d))
        wrong = g.copy()
        wrong[j] = -g[j] if bug == "sign" else g[j] + rng.choice([-1, 1]) * 0.01 * np.linalg.norm(g)
        pair = (g, wrong) if rng.random() < 0.5 else (wrong, g)
        cases.append(Case(f"function {k + 1}, {label} (d = {d})", (a, c, Q, scale, x) + pair))
    return cases


def _run_checks(f, cases, forbid=None, time_limit=10.0):
    """Call ``f(objective, gradient, x)`` twice per case (the two gradients), recording where it evaluates f."""
    outcomes = []
    for case in cases:
        a, c, Q, scale, x = case.args[:5]
        values, records, warns, mutated = [], [], [], []
        for g in case.args[5:]:
            objective = Objective(a, c, Q, scale)
            try:
                out, w, m = call(f, objective, GivenGradient(x, g), x, time_limit=time_limit, forbid=forbid)
            except StudentError as exc:
                outcomes.append(Outcome(error=str(exc), kind=exc.kind))
                break
            values.append(plain(out))
            records.append(np.array(objective.points) if objective.points else np.zeros((0, len(x))))
            warns += w
            mutated += m
        else:
            outcomes.append(Outcome(values, None, warns, mutated, {"points": records}))
        if outcomes[-1].kind == TIMEOUT:
            break
    return outcomes


def _steps(points, x):
    """What the evaluation points say: (steps used, central, every coordinate nudged both ways, several
    coordinates moved at once, all of them moved together)."""
    offsets = points - x if len(points) else np.zeros((0, len(x)))
    moved = np.abs(offsets) > 1e-300
    count = moved.sum(axis=1)
    single = offsets[count == 1]
    steps = np.abs(offsets[moved])
    both_ways = bool((offsets[moved] < 0).any() and (offsets[moved] > 0).any())
    covered = bool(len(single)) and all((single[:, i] > 0).any() and (single[:, i] < 0).any()
                                        for i in range(len(x)))
    together = bool(len(x) > 1 and (count == len(x)).any() and not (count == 1).any())
    return steps, both_ways, covered, bool((count > 1).any()), together


def _relative(g, n):
    total = np.linalg.norm(g) + np.linalg.norm(n)
    return 0.0 if total == 0 else float(np.linalg.norm(g - n) / total)


def _central(a, c, Q, scale, x, h):
    f = Objective(a, c, Q, scale)
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])


def _check_judge(cases, outcomes):
    problems = []
    for k, case in enumerate(cases):
        a, c, Q, scale, x = case.args[:5]
        try:
            value = parts(returned(outcomes, k), 2, "a relative error for each gradient")
            rels = [float(as_array("the relative error", v, ())) for v in value]
        except StudentError as exc:
            problems.append(exc.problem(case.label))
            continue
        records = outcomes[k].record.get("points", [])
        if not isinstance(records, list) or len(records) != 2:
            records = [np.zeros((0, len(x)))] * 2
        records = [np.asarray(p, dtype=float).reshape(-1, len(x)) for p in records]
        hint = _points_hint(records, x) or _verdict_hint(case.args, rels, records)
        if hint:
            problems.append(Problem(case.label, WRONG, hint))
    return problems


def _points_hint(records, x):
    """What is wrong with where the student evaluated f, or None."""
    for points in records:
        steps, central, covered, several, together = _steps(points, x)
        if not len(steps):
            return "your function never evaluated f: estimate each ∂f/∂x_i from f(x + h e_i) and f(x − h e_i)"
        if together:
            return "you nudged every coordinate at once (x + h for the whole vector): that measures the slope " \
                   "along the diagonal, not ∂f/∂x_i; nudge one coordinate at a time, x + h e_i"
        if several:
            return "after nudging x[i] you did not put it back: later components were differentiated at a " \
                   "moved point (copy x, or restore x[i] after each pair of evaluations)"
        if not central:
            return "that is a one-sided difference (f(x + h) − f(x))/h: its error grows like h; the central " \
                   "difference (f(x + h) − f(x − h))/(2h) errs like h² and is what this check asks for"
        if not covered:
            return "you did not nudge every coordinate both ways: the estimate needs f(x + h e_i) and " \
                   "f(x − h e_i) for every i"
    return None


def _verdict_hint(args, rels, records):
    """Judge the two relative errors by what they decide: the wrong gradient's error as the exercise defines
    it (exactly, or as the central difference at the student's own h gives it), and the right gradient's
    error at least a thousand times below it. None when both hold."""
    a, c, Q, scale, x = args[:5]
    g_true = _exact_gradient(a, c, Q, scale, x)
    k_ok = 0 if np.array_equal(args[5], g_true) else 1
    r_ok, r_bad, g = rels[k_ok], rels[1 - k_ok], args[6 - k_ok]
    h = float(np.median(_steps(records[1 - k_ok], x)[0]))
    if not (np.isfinite(r_ok) and np.isfinite(r_bad)) or r_ok < 0 or r_bad < 0:
        return f"your relative errors ({r_ok:.3g} for the right gradient, {r_bad:.3g} for the wrong one) " \
               "should be finite numbers ≥ 0"
    want = _relative(g, g_true)
    at_h = _relative(g, _central(a, c, Q, scale, x, h))
    if not (abs(r_bad - want) <= 1e-3 * want or abs(r_bad - at_h) <= 1e-3 * at_h):
        diff = np.linalg.norm(g - g_true)
        hint = diagnose(r_bad, [
            ("your estimate is twice the derivative: the central difference divides by 2h, not h",
             _relative(g, 2 * g_true)),
            ("that is the absolute error ‖g − n‖: divide it by ‖g‖ + ‖n‖, or a steep function fails a check "
             "that a flat one passes", diff),
            ("the relative error of this exercise divides by ‖g‖ + ‖n‖, not by the larger of the two",
             diff / max(np.linalg.norm(g), np.linalg.norm(g_true))),
            ("that is the squared error ‖g − n‖²/(‖g‖ + ‖n‖)²: take the norms, not their squares", want**2)],
            rtol=1e-3)
        if hint is None and h > 1e-3:
            hint = f"your step h = {h:.0e} is too large: the central difference errs like h²·f'''/6, so even a " \
                   "wrong gradient's error comes out wrong; take h near 1e-5"
        if hint is None and h < 1e-8:
            hint = f"your step h = {h:.0e} is too small: f's rounding error (about 1e-16·|f|) divided by h swamps " \
                   "the derivative, so even a wrong gradient's error comes out wrong; take h near 1e-5"
        return hint or describe_difference(r_bad, want, "your relative error for the wrong gradient",
                                           "the exact one", rtol=1e-3)
    if r_ok > 1e-3 * r_bad:
        if h < 1e-8:
            return f"your step h = {h:.0e} is too small: f's rounding error (about 1e-16·|f|) divided by h swamps " \
                   f"the derivative, and a right gradient scores {r_ok:.1e}, too close to a wrong one's " \
                   f"{r_bad:.1e} to tell them apart; take h near 1e-5 (ε^(1/3) for central differences)"
        if h > 1e-3:
            return f"your step h = {h:.0e} is too large: the central difference errs like h²·f'''/6, and a right " \
                   f"gradient scores {r_ok:.1e}, too close to a wrong one's {r_bad:.1e} to tell them apart; take " \
                   "h near 1e-5"
        return f"you return {r_ok:.3g} for the right gradient, not far below the wrong one's {r_bad:.3g}: a right " \
               "gradient's relative error should be tiny (about 1e-10 with h near 1e-5)"
    return None


register("gradient_check", "central-difference gradient check", _check_cases, _check_judge, run=_run_checks,
         forbid="gradient_check")


def gradient_check(f, strict=False, points=1, time_limit=None):
    """f(objective, gradient, x) -> ‖g − n‖/(‖g‖ + ‖n‖) for g = gradient(x) and n the central-difference
    estimate of the gradient of objective at x, with a step of the student's choice. Each case hands your
    function a right gradient and a wrong one of the same f: it counts when the wrong one's error is right
    and the right one's is at least a thousand times smaller."""
    __tracebackhide__ = True  # noqa: F841
    return run_check("gradient_check", f, strict, points, time_limit)
