"""The exported PyTorch script repeats the run: written to a file, run by ``python`` in a subprocess,
its losses per epoch equal the Trainer's (the oracle is torch: autograd, torch.optim, its schedulers)."""
import json
import subprocess
import sys

import numpy as np
import pytest

from nnlab import export, playground
from nnlab.training import TrainingConfig

SETUPS = {
    "adam, sigmoid + BCE, L2": TrainingConfig(n=120, hidden=(5, 3), l2=0.01, seed=3),
    "momentum, tanh + squared error, dropout, step schedule, L1, features": TrainingConfig(
        dataset="xor", n=100, hidden=(4,), output="tanh", optimizer="momentum", lr=0.05, dropout=0.2, l1=0.003,
        schedule=("step", 2, 0.5), features=("x1", "x2", "x1x2", "sin x1"), batch_size=7, init="uniform 0.7"),
    "sgd, softmax, 3 spirals, cosine, relu, patience, no test set, drop_last": TrainingConfig(
        dataset="spirals", classes=3, n=90, hidden=(6, 6), activation="relu", output="softmax", optimizer="sgd",
        lr=0.2, schedule=("cosine", 4), patience=2, test_share=0.0, drop_last=True, batch_size=16, seed=7),
}


def run_script(text, tmp_path):
    path = tmp_path / "run.py"
    path.write_text(text)
    out = subprocess.run([sys.executable, str(path), "--json"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("config", SETUPS.values(), ids=SETUPS.keys())
def test_the_exported_script_repeats_the_run(config, tmp_path):
    points = [[0.5, -0.5, 1], [-1.0, 2.0, 0]]
    epochs = 6
    got = run_script(export.pytorch_script(config, points, epochs=epochs), tmp_path)
    tr = playground.trainer(config, points)
    tr.fit(epochs)
    h = tr.history
    assert got["epoch"] == h["epoch"].astype(int).tolist()
    for column in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
        mine = h[column]
        if np.all(np.isnan(mine)):
            assert got[column] == [], column
            continue
        np.testing.assert_allclose(got[column], mine, rtol=0, atol=1e-8, err_msg=column)
    assert len(got["train_loss"]) > 2


def test_a_stopped_run_stops_at_the_same_epoch(tmp_path):
    config = SETUPS["sgd, softmax, 3 spirals, cosine, relu, patience, no test set, drop_last"].replace(
        lr=3.0, schedule=None, patience=1)
    tr = playground.trainer(config)
    tr.fit(12)
    assert tr.stopped
    got = run_script(export.pytorch_script(config, epochs=12), tmp_path)
    assert got["epoch"][-1] == tr.epoch
    np.testing.assert_allclose(got["train_loss"], tr.history["train_loss"], atol=1e-8)


def test_bad_epochs_are_named():
    with pytest.raises(ValueError, match="^epochs: "):
        export.pytorch_script(TrainingConfig(), epochs=-1)


@pytest.mark.slow
def test_the_playgrounds_script_repeats_the_playgrounds_run(tmp_path):
    from nnlab.views.playground import TrainingPlayground

    p = TrainingPlayground(dataset="moons", n=150, layers=2, units1=6, units2=3, optimizer="momentum", lr=0.05,
                           regularization="l2", dropout=0.1, points=[[0.0, 0.0, 1]],
                           schedule="cosine (over 200 epochs)")
    path = tmp_path / "playground_run.py"
    text = p.to_pytorch(epochs=4, path=path)
    assert path.read_text() == text
    out = subprocess.run([sys.executable, str(path), "--json"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    for _ in range(4):
        p.run_epoch()
    for column in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        np.testing.assert_allclose(got[column], p.trainer.history[column], rtol=0, atol=1e-8, err_msg=column)
    table = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300).stdout
    assert len(table.strip().splitlines()) == 5     # a row per epoch, epoch 0 included


def test_the_exported_data_is_readable():
    """The data and starting weights are written a row to a line, wrapped within 88 characters (not lines of
    several thousand characters), and still exactly (the run above repeats to 1e-8)."""
    script = export.pytorch_script(TrainingConfig(n=200), epochs=1)
    data = ("X_train_raw" + script.split("\nX_train_raw")[1].split(export.END)[0]).splitlines()
    assert len(data) > 100 and max(map(len, data)) <= 88, max(data, key=len)


@pytest.mark.parametrize("config", SETUPS.values(), ids=SETUPS.keys())
def test_the_script_is_the_template_with_the_runs_block_and_lint_clean(config, tmp_path):
    """Only the marked block of the template (itself a runnable program) changes, and the script passes ruff
    with the project's rules, as the template does."""
    template = export.TEMPLATE.read_text()
    script = export.pytorch_script(config, epochs=3)
    head, rest = template.split(export.BEGIN)
    assert script.startswith(head + export.BEGIN) and script.endswith(rest.split(export.END)[1])
    assert f"SIZES = {list(config.build(*playground.data(config, ())).net.sizes)!r}" in script
    path = tmp_path / "run.py"
    path.write_text(script)
    root = export.TEMPLATE.parents[2]
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--config", str(root / "pyproject.toml"),
                           "--output-format", "concise", str(path), str(export.TEMPLATE)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
