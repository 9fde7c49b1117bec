"""Foundation benchmarks: import time, explorer latency, MLP training speed against PyTorch.

Run:  python benchmarks/bench_foundation.py [--quick]

Prints figures and ratios; targets (see the foundation issue and "Explorers that hold up"):
  import nnlab                                    < 0.3 s
  every control's median update / plain draw      <= 2.0
  nnlab MLP / PyTorch, circle problem             <= 1.0
The reference is the foundation issue's: ONE plain Agg draw of a 500-point line plot (no
layout engine, no PNG). An explorer update is measured from setting a control's value to a
new PNG in the Image widget, over the control's whole range: a drag in small steps, typed
values and jumps across the range (seeded). Each explorer's time is also split into its
phases (model, artist updates, constrained layout, Agg drawing, PNG encoding), and its frames
are counted by how they were drawn (whole, in part, or only the blitted artists over the kept
picture), so the slow part is visible.
Machines are shared and noisy: each figure is a median over repeats.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_import(repeats):
    code = "import time; t = time.perf_counter(); import nnlab, nnlab.nn, nnlab.data; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(repeats)]
    return statistics.median(runs)


def reference_line_plot(repeats):
    """The reference: one plain Agg draw of a 500-point line plot with labelled axes (no layout
    engine, no PNG encoding)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.6), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = np.linspace(0, 1, 500)
    (line,) = ax.plot(x, np.sin(x))
    ax.set(xlabel="x", ylabel="y", title="reference")
    phase = [0.0]

    def draw():
        phase[0] += 0.1
        line.set_ydata(np.sin(6 * x + phase[0]))
        fig.canvas.draw()

    draw()
    return median_time(draw, repeats)


def range_values(control, rng, n=12, jumps=8):
    """What people produce with one control over its whole range: a slider dragged across it in
    small steps, then typed values and jumps to random places; a dropdown stepped through its
    options and then jumped between; a checkbox toggled."""
    import ipywidgets as widgets

    from nnlab.views.logslider import LogSlider
    from nnlab.views.testing import other_value

    if isinstance(control, LogSlider):  # dragged across its grid, then typed values anywhere in its range
        grid = np.asarray(control.grid)
        typed = np.exp(rng.uniform(np.log(control.low), np.log(control.high), jumps))
        return [float(v) for v in grid[np.linspace(0, len(grid) - 1, n).round().astype(int)]] + [
            float(f"{v:.3g}") for v in np.clip(typed, control.low, control.high)]
    if isinstance(control, (widgets.IntSlider, widgets.FloatSlider)):
        vals = np.r_[np.linspace(control.min, control.max, n), rng.uniform(control.min, control.max, jumps)]
        return [type(control.value)(round(v / control.step) * control.step) for v in vals]
    if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons)):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return options + [options[i] for i in rng.integers(0, len(options), jumps)]
    return [other_value(control), control.value] * 2


class Phases:
    """Seconds spent in each phase of an explorer's updates: the model (compute), artist updates
    (draw), constrained layout, the Agg drawing (whole, in part or blitted), and PNG encoding."""

    PHASES = ("model", "artists", "layout", "draw", "PNG")

    def __init__(self, explorer):
        from nnlab.views.fastpath import render

        self.seconds = dict.fromkeys(self.PHASES, 0.0)
        self._render = render
        self._encode = render.encode_png
        self.renderer = explorer.renderer
        self._counts = (explorer.n_renders, getattr(explorer.renderer, "n_full", 0),
                        getattr(explorer.renderer, "n_partial", 0))
        self._explorer = explorer
        self._wrap(explorer, "compute", "model")
        self._wrap(explorer, "draw", "artists")
        self._wrap(explorer.renderer, "png", "draw")
        self._wrap(explorer.renderer._layout_engine, "execute", "layout", inside="draw")
        self._wrap(render, "encode_png", "PNG", inside="draw")

    def _wrap(self, obj, name, phase, inside=None):
        inner = getattr(obj, name)

        def timed(*args, **kw):
            t0 = time.perf_counter()
            try:
                return inner(*args, **kw)
            finally:
                dt = time.perf_counter() - t0
                self.seconds[phase] += dt
                if inside:  # taken out of the phase it runs in
                    self.seconds[inside] -= dt

        setattr(obj, name, timed)

    def close(self):
        self._render.encode_png = self._encode

    def shares(self):
        total = sum(self.seconds.values()) or 1.0
        frames = self._explorer.n_renders - self._counts[0]
        whole = getattr(self.renderer, "n_full", 0) - self._counts[1]
        part = getattr(self.renderer, "n_partial", 0) - self._counts[2]
        return (", ".join(f"{k} {100 * v / total:.0f}%" for k, v in self.seconds.items())
                + f"; frames: {whole} whole, {part} in part, {frames - whole - part} blitted only")


def random_use_latency(quick):
    """Seeded random use of every explorer (``views.testing.random_use``: every control at its ends and
    between, in combination with the others, options, buttons, Play then Pause, clicks), each action timed
    from the change to the new PNG, as a student meets it: work that an explorer does later (GradientFlow's
    training) runs in the background after that frame, and is waited for before the next action, untimed.
    Median and 90th percentile against the reference draw (targets 2x and 4x). Play's own time (it trains
    while it runs) is left out."""
    from nnlab.views import EXPLORERS
    from nnlab.views.base import Explorer
    from nnlab.views.testing import random_use

    Explorer.background = True
    print(f"\nrandom use ({'2 x 15' if quick else '4 x 30'} actions per explorer, seeded): each action to its PNG")
    print(f"{'explorer':<24}{'median':>8}{'p90':>8}   {'ratio':>6}{'p90':>6}   slowest action")
    for cls in EXPLORERS:
        ref = reference_line_plot(7)
        times = []
        for seed in range(2 if quick else 4):
            e = cls()
            rng = np.random.default_rng(seed)
            clock = [time.perf_counter()]

            def acted(what, clock=clock):
                if "then pause" not in what:
                    times.append((time.perf_counter() - clock[0], what))

            for _ in random_use(e, rng, 15 if quick else 30, acted):
                clock[0] = time.perf_counter()
        values = np.array([t for t, _ in times])
        med, p90 = np.median(values), np.percentile(values, 90)
        slow = max(times)
        print(f"{cls.__name__:<24}{med * 1000:8.1f}{p90 * 1000:8.1f}   {med / ref:6.2f}{p90 / ref:6.2f}   "
              f"{slow[1][:40]} ({slow[0] * 1000:.0f} ms)")


def explorer_latency(cls, repeats, seed=0):
    """Every control's median update time over its whole range, and where the time went.

    Returns (median over all changes, {control: median}, phase shares)."""
    from nnlab.views.base import memo
    from nnlab.views.testing import is_active, valued_controls

    rng = np.random.default_rng(seed)
    e = cls()
    phases = Phases(e)
    per_control = {}
    try:
        for _ in range(repeats):
            memo.cache_clear()  # every repeat meets each value for the first time: no model result kept
            for name, control in valued_controls(e):
                if not is_active(control):
                    continue
                start = control.value
                for new in range_values(control, rng) + [start]:
                    if new == control.value:
                        continue
                    t0 = time.perf_counter()
                    control.value = new
                    per_control.setdefault(name, []).append(time.perf_counter() - t0)
                    e.settle()  # work done after the frame (``later``): finished, untimed, before the next change
    finally:
        phases.close()
    overall = statistics.median([t for ts in per_control.values() for t in ts])
    return overall, {n: statistics.median(ts) for n, ts in per_control.items()}, phases.shares()


def frame_times(e, control, value):
    """Seconds from setting ``control`` to each new image of the explorer, until ``later``'s work is done."""
    times, render = [], e.render_png

    def timed():
        png = render()
        times.append(time.perf_counter() - t0)
        return png
    e.render_png = timed
    t0 = time.perf_counter()
    e.controls[control].value = value
    e.settle()
    del e.render_png
    return times


def circle_training(iterations):
    """Seconds per 1,000 full-batch iterations of the curriculum's 2-8-1 circle network."""
    import torch

    from nnlab import data, nn

    X, y = data.circle(200, seed=0)
    net = nn.MLP([2, 8, 1], hidden="relu", output="sigmoid", seed=0, reduction="sum")
    t0 = time.perf_counter()
    net.fit(X, y, lr=0.05, iterations=iterations)
    t_nnlab = (time.perf_counter() - t0) * 1000 / iterations
    acc = net.accuracy(X, y)

    results = {"nnlab (float64)": (t_nnlab, acc)}
    for dtype in (torch.float64, torch.float32):
        model = nn.MLP([2, 8, 1], hidden="relu", output="sigmoid", seed=0).to_torch(dtype=dtype)
        Xt = torch.tensor(X, dtype=dtype)
        yt = torch.tensor(y[:, None], dtype=dtype)
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        loss_fn = torch.nn.BCELoss(reduction="sum")
        t0 = time.perf_counter()
        for _ in range(iterations):
            opt.zero_grad()
            loss = loss_fn(model(Xt), yt)
            loss.backward()
            opt.step()
        t = (time.perf_counter() - t0) * 1000 / iterations
        with torch.no_grad():
            acc = float(((model(Xt) >= 0.5).to(dtype) == yt).to(dtype).mean())
        results[f"PyTorch ({str(dtype).split('.')[-1]})"] = (t, acc)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    args = parser.parse_args(argv)
    reps = 5 if args.quick else 30

    import torch

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads)")
    t_import = bench_import(3 if args.quick else 7)
    print(f"\nimport nnlab: {t_import * 1000:.0f} ms  (target < 300 ms)")

    from nnlab.views import EXPLORERS

    ref = reference_line_plot(reps)
    print(f"\nreference: one plain Agg draw of a 500-point line plot: {ref * 1000:.1f} ms (re-measured beside each "
          "explorer for its ratios)")
    print(f"{'explorer':<24}{'median (ms)':>12}{'ratio':>7}   {'slowest control':<22}{'(ms)':>7}{'ratio':>7}"
          "   where the time goes")
    failing = []
    for cls in EXPLORERS:
        ref = reference_line_plot(max(5, reps // 3))  # again beside each explorer: the machine is shared
        t, per_control, shares = explorer_latency(cls, 1 if args.quick else 2)
        slow = max(per_control, key=per_control.get)
        failing += [f"{cls.__name__}.{n} ({v / ref:.1f}x)" for n, v in per_control.items() if v / ref > 2.0]
        print(f"{cls.__name__:<24}{t * 1000:12.1f}{t / ref:7.2f}   {slow:<22}{per_control[slow] * 1000:7.1f}"
              f"{per_control[slow] / ref:7.2f}   {shares}")
    print(f"target: every control's median <= 2.0 x the plain draw; {len(failing)} controls above it"
          + (": " + ", ".join(failing) if failing else ""))

    random_use_latency(args.quick)

    from nnlab.views import GradientFlowExplorer

    e = GradientFlowExplorer(depth=50, width=64, batch=128)
    cycle = ["relu", "tanh", "sigmoid", "linear"]
    times = []
    for i in range(8 if args.quick else 20):
        t0 = time.perf_counter()
        e.controls["activation"].value = cycle[i % 4]
        times.append(time.perf_counter() - t0)
    t = statistics.median(times)
    ref = reference_line_plot(max(5, reps // 3))
    print(f"{'GradientFlow 50x64, b128':<24}{t * 1000:12.1f}{t / ref:7.2f}   (issue 5's setting: activation changes)")

    # the heaviest setting, with training: the first frame (the flow; "computing…" is said before it),
    # the frame with this network's training curve and the one with the reference's too, both drawn
    # from the background; a new scale retrains this network only, a new depth both
    e = GradientFlowExplorer(depth=100, width=256, train=True)
    e.settle()
    for control, values in (("scale", [1.0 + 0.05 * (i + 1) for i in range(5)]), ("depth", [99, 98, 97, 96, 95])):
        frames = []
        for value in values[:3 if args.quick else 5]:
            frames.append(frame_times(e, control, value))
        # (a new scale: this network's curve comes with the kept reference's, in the last frame)
        first, mine, both = (statistics.median(f[i] for f in frames) for i in (0, 1, -1))
        print(f"{'GradientFlow 100x256':<24}{control}: the flow {first * 1000:.0f} ms, this network's curve "
              f"{mine:.2f} s, with the reference's {both:.2f} s   (target: an answer within 1 s)")

    iters = 1000 if args.quick else 3000
    print(f"\ncircle problem, 2-8-1, N = 200, full batch ({iters} iterations timed)")
    results = circle_training(iters)
    base = results["nnlab (float64)"][0]
    for name, (t, acc) in results.items():
        print(f"{name:<20}{t:8.3f} s per 1,000 iterations   train acc {acc:.3f}   nnlab/this = {base / t:.2f}")
    print("target: nnlab / PyTorch <= 1.0")


if __name__ == "__main__":
    main()
