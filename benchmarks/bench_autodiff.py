"""Scalar autodiff: nnlab.autodiff against micrograd on the same graph, in one run.

Run:  python benchmarks/bench_autodiff.py [--points 100] [--repeats 5]
The graph (issue 14): a 2-16-16-1 MLP (ReLU hidden units, a linear output) on 100 points, the
summed squared error, built node by node from scalars by each engine with the same weights, the
same order of operations and the same number of nodes. It times the backward sweep (the figure
the issue asks about; the target is nnlab at least as fast as micrograd) and, for information, the
forward pass that builds the graph. ``tests/test_autodiff.py`` checks that both engines give the
same loss and the same gradient of every weight on this graph.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from nnlab import autodiff

SIZES = (2, 16, 16, 1)


def problem(points=100, seed=0):
    """Weights (per layer, per unit: its incoming weights and its bias), inputs and targets."""
    rng = np.random.default_rng(seed)
    layers = [[(rng.uniform(-1, 1, m).tolist(), 0.0) for _ in range(n)] for m, n in zip(SIZES, SIZES[1:])]
    X = rng.normal(size=(points, SIZES[0]))
    Y = np.where((X**2).sum(axis=1) < 1.0, 1.0, -1.0)
    return layers, X.tolist(), Y.tolist()


def _network(layers, X, Y, number, relu):
    """The loss graph in any engine: ``number(v)`` makes a leaf, ``relu(v)`` a ReLU node. Each unit
    sums its bias and then w_i·x_i in order (micrograd's Neuron does exactly this)."""
    params = [[([number(w) for w in ws], number(b)) for ws, b in layer] for layer in layers]
    loss = 0
    for x, y in zip(X, Y):
        a = x
        for depth, layer in enumerate(params):
            out = []
            for ws, b in layer:
                act = b
                for w, xi in zip(ws, a):
                    act = act + w * xi
                out.append(relu(act) if depth < len(params) - 1 else act)
            a = out
        loss = loss + (a[0] - y) ** 2
    return loss, [p for layer in params for ws, b in layer for p in (*ws, b)]


def nnlab_graph(layers, X, Y):
    return _network(layers, X, Y, autodiff.Var, autodiff.relu)


def micrograd_graph(layers, X, Y):
    from micrograd.engine import Value

    return _network(layers, X, Y, Value, lambda v: v.relu())


def grads(engine, loss, params):
    """Run the engine's backward sweep and read every parameter's gradient."""
    if engine == "micrograd":
        for p in params:
            p.grad = 0.0
    loss.backward()
    return [p.grad for p in params]


def interleaved(fns, repeats):
    """Median ms of each function, the functions taking turns in every round (so a busy moment of
    the machine falls on both engines alike)."""
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args(argv)
    import micrograd

    data = problem(args.points)
    build = {"nnlab": nnlab_graph, "micrograd": micrograd_graph}
    forward = interleaved({name: (lambda b=b: b(*data)) for name, b in build.items()}, max(3, args.repeats // 3))
    graphs = {name: b(*data) for name, b in build.items()}
    backward = interleaved({name: (lambda n=name: grads(n, *graphs[n])) for name in build}, args.repeats)
    print(f"2-16-16-1 MLP on {args.points} points, summed squared error "
          f"({len(autodiff.graph(graphs['nnlab'][0]))} nodes); micrograd "
          f"{getattr(micrograd, '__version__', '0.1.0')}; medians, the engines taking turns")
    for name in build:
        print(f"  {name:9}  backward {backward[name]:7.1f} ms   forward (builds the graph) {forward[name]:7.1f} ms")
    print(f"  backward: nnlab takes {backward['nnlab'] / backward['micrograd']:.2f} of micrograd's time "
          "(target: at most 1)")


if __name__ == "__main__":
    main()
