"""Training throughput: samples per second through forward + backward + update.

Run:  python benchmarks/bench_training.py [--epochs 40] [--playground path/to/nn.js]

The task of issue 15: a 2-8-8-1 network with tanh units (the output too, squared error on labels -1/+1,
as TensorFlow Playground trains), 500 points of the circle data, batch size 10, plain SGD at lr 0.03.
Printed, all measured in this run (median of 3, after an untimed warm-up run):
- nnlab's loop (``training.Trainer.fit``, evaluating train loss and accuracy after every epoch), with its
  compiled steps (numba, ``_training_kernel``) and with NumPy steps only;
- a plain PyTorch loop, once as the lecture's recipe (DataLoader with shuffle) and once slicing a
  permuted tensor (float32, PyTorch's default, one thread);
- TensorFlow Playground's own engine (``src/nn.ts`` of tensorflow/playground, compiled to JavaScript with
  ``tsc --target es2017 --module commonjs src/nn.ts``) under node, trained sample by sample exactly as
  its ``oneStep`` does (forwardProp, backProp, updateWeights every 10 samples), when ``--playground``
  names the compiled nn.js and node is on the PATH; otherwise it says why it was skipped.
Target (issue 15): nnlab at least the playground's engine.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from nnlab import data, nn, optim, training

N, BATCH, LR, SIZES = 500, 10, 0.03, [2, 8, 8, 1]


def task():
    X, y = data.circle(N, seed=0)
    return X, 2.0 * y - 1.0


def median_rate(run, repeats=3):
    """Median samples per second of ``run()``, which returns (samples, seconds), after one untimed run
    (numba's compilation or cache load, PyTorch's first calls)."""
    run()
    rates = []
    for _ in range(repeats):
        samples, seconds = run()
        rates.append(samples / seconds)
    return statistics.median(rates)


def nnlab_run(epochs, compiled):
    X, Y = task()

    def run():
        net = nn.MLP(SIZES, hidden="tanh", output="tanh", init="xavier_uniform", seed=0)
        trainer = training.Trainer(net, X, Y, optimizer=optim.sgd(lr=LR), batch_size=BATCH, compiled=compiled)
        t0 = time.perf_counter()
        trainer.fit(epochs)
        return trainer.samples_seen, time.perf_counter() - t0

    return run


def torch_run(epochs, loader):
    import torch

    torch.set_num_threads(1)
    X, Y = task()
    Xt, Yt = torch.tensor(X, dtype=torch.float32), torch.tensor(Y[:, None], dtype=torch.float32)

    def run():
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                                    torch.nn.Linear(8, 1), torch.nn.Tanh())
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        data_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(Xt, Yt), batch_size=BATCH,
                                                  shuffle=True)
        seen = 0
        t0 = time.perf_counter()
        for _ in range(epochs):
            if loader:
                pairs = data_loader
            else:
                order = torch.randperm(N)
                pairs = ((Xt[i], Yt[i]) for i in order.split(BATCH))
            for Xb, Yb in pairs:
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(model(Xb), Yb)
                loss.backward()
                opt.step()
                seen += len(Xb)
        return seen, time.perf_counter() - t0

    return run


HARNESS = """
const nn = require(process.argv[2]);
const epochs = parseInt(process.argv[3]);
const points = JSON.parse(require("fs").readFileSync(process.argv[4], "utf8"));
function train() {  // as the playground's oneStep: sample by sample, an update every %BATCH% samples
  const net = nn.buildNetwork([2, 8, 8, 1], nn.Activations.TANH, nn.Activations.TANH, null, ["x1", "x2"], false);
  let seen = 0;
  for (let e = 0; e < epochs; e++) {
    for (let i = 0; i < points.length; i++) {
      nn.forwardProp(net, points[i].slice(0, 2));
      nn.backProp(net, points[i][2], nn.Errors.SQUARE);
      seen += 1;
      if (seen % %BATCH% === 0) nn.updateWeights(net, %LR%, 0);
    }
  }
  return seen;
}
train();  // untimed: the JIT warms up
const t0 = process.hrtime.bigint();
const seen = train();
console.log(JSON.stringify({samples: seen, seconds: Number(process.hrtime.bigint() - t0) / 1e9}));
"""


def playground_run(epochs, nn_js):
    """TensorFlow Playground's engine under node, or the reason it cannot run here."""
    if shutil.which("node") is None:
        return "skipped: node is not on the PATH"
    if nn_js is None or not Path(nn_js).exists():
        return "skipped: give --playground path/to/nn.js (tensorflow/playground's src/nn.ts compiled by tsc)"
    X, Y = task()
    folder = Path(tempfile.mkdtemp())
    (folder / "harness.js").write_text(HARNESS.replace("%BATCH%", str(BATCH)).replace("%LR%", str(LR)))
    (folder / "points.json").write_text(json.dumps(np.c_[X, Y].tolist()))

    def run():
        out = subprocess.run(["node", str(folder / "harness.js"), str(Path(nn_js).resolve()), str(epochs),
                              str(folder / "points.json")], capture_output=True, text=True, check=True)
        result = json.loads(out.stdout)
        return result["samples"], result["seconds"]

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--playground", help="TensorFlow Playground's nn.ts compiled to JavaScript")
    args = parser.parse_args()
    print(f"2-8-8-1 tanh, {N} points, batch {BATCH}, SGD lr {LR}, {args.epochs} epochs; samples per second "
          "(median of 3)")
    rows = [("nnlab Trainer (numba steps)", nnlab_run(args.epochs, True)),
            ("nnlab Trainer (NumPy steps only)", nnlab_run(args.epochs, False)),
            ("PyTorch, DataLoader(shuffle=True)", torch_run(args.epochs, True)),
            ("PyTorch, slicing a permuted tensor", torch_run(args.epochs, False)),
            ("TensorFlow Playground nn.ts (node)", playground_run(args.epochs, args.playground))]
    rates = {}
    for name, run in rows:
        if isinstance(run, str):
            print(f"  {name:38s} {run}")
            continue
        rates[name] = median_rate(run)
        print(f"  {name:38s} {rates[name]:12,.0f}")
    ours = rates[rows[0][0]]
    for name in list(rates)[2:]:
        print(f"  nnlab / {name}: {ours / rates[name]:.2f}   (NumPy steps only: "
              f"{rates[rows[1][0]] / rates[name]:.2f})")


if __name__ == "__main__":
    main()
