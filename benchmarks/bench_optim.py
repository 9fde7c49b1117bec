"""Optimiser race throughput: six optimisers x 1,000 steps on each 2-D surface.

Run:  python benchmarks/bench_optim.py
Target (issue 6): under 10 ms per surface for all six. Prints the median of 5 runs of
``surfaces.race`` (compiled with numba, ``nnlab/_race_kernel.py``) and its ratio to the target, the
NumPy path (one ``trajectory`` per optimiser, what the race falls back to), torch.optim on the same
problem, and the one-off cost of the first race in a process (numba import + compile or cache load).
"""
from __future__ import annotations

import statistics
import time

import numpy as np

from nnlab import optim, surfaces

TARGET_MS = 10.0


def race_ms(surface, repeats=5, numpy_path=False):
    opts = optim.race_optimizers(lr=1e-3, lr_adaptive=1e-2)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        if numpy_path:
            for opt in opts.values():
                surfaces.trajectory(opt, surface, surface.start, 1000, 0.0, 0)
        else:
            surfaces.race(opts, surface, surface.start, 1000)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def torch_race_ms(surface, repeats=3):
    import torch

    makers = [lambda p: torch.optim.SGD(p, lr=1e-3), lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9),
              lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9, nesterov=True),
              lambda p: torch.optim.Adagrad(p, lr=1e-2), lambda p: torch.optim.RMSprop(p, lr=1e-2, alpha=0.999),
              lambda p: torch.optim.Adam(p, lr=1e-2)]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for make in makers:
            x = torch.tensor(np.array(surface.start, float), requires_grad=True)
            o = make([x])
            for _ in range(1000):
                o.zero_grad()
                x.grad = torch.as_tensor(surface.grad(x.detach().numpy()))
                o.step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main():
    t0 = time.perf_counter()
    surfaces.race(optim.race_optimizers(), surfaces.quadratic(), (1.0, 1.0), 10)
    print(f"first race in this process (numba import + compile or cache load): {time.perf_counter() - t0:.2f} s")
    print(f"six optimisers x 1,000 steps (target < {TARGET_MS:g} ms)")
    print(f"{'surface':<14}{'race (ms)':>11}{'/ target':>10}{'NumPy path (ms)':>17}{'torch.optim (ms)':>18}")
    for name in surfaces.SURFACES:
        s = surfaces.make(name)
        ours = race_ms(s)
        print(f"{name:<14}{ours:11.2f}{ours / TARGET_MS:10.2f}{race_ms(s, 3, numpy_path=True):17.1f}"
              f"{torch_race_ms(s):18.1f}")


if __name__ == "__main__":
    main()
