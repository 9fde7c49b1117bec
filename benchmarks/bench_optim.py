"""Optimiser race throughput: six optimisers x 1,000 steps on each 2-D surface.

Run:  python benchmarks/bench_optim.py
Target (issue 6): under 10 ms per surface for all six. Prints the median of 5 runs and the
ratio to the target, and the same for torch.optim on the same problem for comparison.
"""
from __future__ import annotations

import statistics
import time

import numpy as np

from nnlab import optim, surfaces

TARGET_MS = 10.0


def race_ms(surface, repeats=5):
    opts = optim.race_optimizers(lr=1e-3, lr_adaptive=1e-2)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
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
    print(f"six optimisers x 1,000 steps (target < {TARGET_MS:g} ms)")
    print(f"{'surface':<14}{'nnlab (ms)':>12}{'/ target':>10}{'torch.optim (ms)':>18}")
    for name in surfaces.SURFACES:
        s = surfaces.make(name)
        ours = race_ms(s)
        print(f"{name:<14}{ours:12.1f}{ours / TARGET_MS:10.1f}{torch_race_ms(s):18.1f}")


if __name__ == "__main__":
    main()
