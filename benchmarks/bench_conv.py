"""Convolution in NumPy against PyTorch: one 28x28 image through 16 filters of 3x3 (a first conv layer on MNIST).

Run:  python benchmarks/bench_conv.py [--repeats 5] [--threads 1]

Target (issue 31): ``nnlab.conv.conv2d`` (float64, its argument checks included) within 5x of
``torch.nn.functional.conv2d`` on the same input, measured in this run. Printed: the median time per call of each
(a median over repeats of many calls, after untimed warm-up calls), against torch in float32 (its default) and in
float64, and the ratios; then the same for a batch of 64 images and for the backward pass (nnlab's
``conv2d_backward`` against torch autograd's backward of the same layer), for scale. Both run on one thread by
default (torch's and the BLAS's): on a shared machine under load, torch's second thread waits on the others and
its single-image time jumps from tens of microseconds to milliseconds.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from nnlab import conv

TARGET = 5.0


def per_call_us(fn, repeats, calls):
    """Median over ``repeats`` of the mean time of ``calls`` calls of fn(), in microseconds, after 20 untimed."""
    for _ in range(20):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times) * 1e6


def case(batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, 28, 28) if batch is None else (batch, 1, 28, 28))
    return x, rng.normal(size=(16, 1, 3, 3)), rng.normal(size=16)


def forward(batch, repeats, calls):
    import torch
    import torch.nn.functional as F

    x, w, b = case(batch)
    ours = per_call_us(lambda: conv.conv2d(x, w, b), repeats, calls)
    theirs = {}
    for dtype in (torch.float32, torch.float64):
        xt, wt, bt = (torch.tensor(a, dtype=dtype) for a in (x, w, b))
        xt = xt if batch else xt[None]
        theirs[dtype] = per_call_us(lambda: F.conv2d(xt, wt, bt), repeats, calls)
    return ours, theirs[torch.float32], theirs[torch.float64]


def backward(batch, repeats, calls):
    import torch
    import torch.nn.functional as F

    x, w, b = case(batch)
    dz = np.random.default_rng(1).normal(size=conv.conv2d(x, w, b).shape)
    ours = per_call_us(lambda: conv.conv2d_backward(dz, x, w), repeats, calls)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    dzt = torch.tensor(dz)

    def step():
        xt.grad = wt.grad = bt.grad = None
        F.conv2d(xt, wt, bt).backward(dzt)

    return ours, per_call_us(step, repeats, calls)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="threads for torch and NumPy's BLAS")
    args = parser.parse_args()
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)

    print(f"conv2d, 16 filters of 3x3, torch {torch.__version__}, {args.threads} thread(s) "
          f"(target: nnlab within {TARGET:g}x of torch)")
    print(f"{'input':<22}{'nnlab (us)':>12}{'torch f32 (us)':>16}{'ratio':>8}{'torch f64 (us)':>16}{'ratio':>8}")
    for label, batch, calls in (("one 28x28 image", None, 2000), ("batch of 64", 64, 100)):
        ours, f32, f64 = forward(batch, args.repeats, calls)
        print(f"{label:<22}{ours:12.1f}{f32:16.1f}{ours / f32:8.2f}{f64:16.1f}{ours / f64:8.2f}")
    print(f"{'backward (float64)':<22}{'nnlab (us)':>12}{'autograd (us)':>16}{'ratio':>8}")
    for label, batch, calls in (("one 28x28 image", None, 1000), ("batch of 64", 64, 50)):
        ours, theirs = backward(batch, args.repeats, calls)
        print(f"{label:<22}{ours:12.1f}{theirs:16.1f}{ours / theirs:8.2f}")


if __name__ == "__main__":
    main()
