"""TrainingPlayground frames: one frame (all panels) against the plain reference Agg draw, and frames
per second while Play trains a 2-8-8-1 network on 500 points.

Run:  python benchmarks/bench_playground.py [--seconds 5] [--repeats 30]

Printed, all measured in this run (medians; the machine is shared and noisy):
- the reference: one plain Agg draw of a 500-point line plot (bench_foundation's);
- a frame's drawing: the model's snapshot (region, every neuron, links, curves, confusion matrix), the
  artist updates and the PNG, after an epoch of training changed everything (training time excluded);
- an epoch of training alone (500 points, batch 10: 50 updates);
- frames per second of Play itself (the asyncio task: an epoch, a frame, yield), over ``--seconds``.
Targets (issue 15): frame <= 3 x reference; Play >= 10 frames per second.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_foundation import reference_line_plot  # noqa: E402

SETUP = dict(dataset="circle", n=1000, test_share=0.5, layers=2, units1=8, units2=8, activation="tanh",
             batch_size=10)   # 500 training points (and 500 test points), a 2-8-8-1 network


def playground():
    from nnlab import training
    from nnlab.views.playground import TrainingPlayground

    training.warm_up()
    p = TrainingPlayground(**SETUP)
    assert p.trainer.net.sizes == [2, 8, 8, 1] and len(p.trainer.X) == 500
    return p


def frame_times(p, repeats):
    """(drawing, training) seconds per frame, medians: each frame follows an epoch of training."""
    draw, train = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        p.trainer.run_epoch()
        t1 = time.perf_counter()
        p.result = p.compute(p.state)
        p.draw(p.result)
        p.image.value = p.render_png()
        t2 = time.perf_counter()
        train.append(t1 - t0)
        draw.append(t2 - t1)
    return statistics.median(draw), statistics.median(train)


def play_fps(p, seconds):
    async def scenario():
        start, t0 = p.frames, time.perf_counter()
        task = p.play()
        await asyncio.sleep(seconds)
        p.pause()
        await task
        return (p.frames - start) / (time.perf_counter() - t0)

    return asyncio.run(scenario())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    reference = reference_line_plot(args.repeats)
    p = playground()
    frame_times(p, 3)   # warm: the first frames lay out and draw everything
    draw, train = frame_times(p, args.repeats)
    fps = play_fps(p, args.seconds)
    print(f"reference Agg draw (500-point line plot)   {1000 * reference:7.1f} ms")
    print(f"playground frame, all panels, PNG included  {1000 * draw:7.1f} ms   "
          f"ratio {draw / reference:4.2f}  (target <= 3)")
    print(f"one epoch of training (500 points, B 10)    {1000 * train:7.1f} ms")
    print(f"Play: frames per second                     {fps:7.1f}      (target >= 10)")
    print(f"renderer: {p.renderer.n_full} full draws, {p.renderer.n_partial} partial; figure "
          f"{int(p.fig.bbox.width)} x {int(p.fig.bbox.height)} px")


if __name__ == "__main__":
    main()
