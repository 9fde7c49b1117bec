"""TrainingPlayground in plain Python (no browser): controls, stepping, live changes, state, the figure's
numbers against independent oracles (torch autograd and forward passes, scikit-learn's confusion matrix),
and the asyncio Play loop driven in a test event loop."""
import asyncio
import json

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix

from nnlab import playground
from nnlab.views.playground import TrainingPlayground
from nnlab.views.testing import is_active, other_value, valued_controls

EXAMPLE = {"dataset": "spirals", "classes": 3, "layers": 6, "optimizer": "momentum", "regularization": "l2",
           "n": 200, "seed": 4}


def test_every_control_changes_the_state_and_the_image():
    for start in ({}, EXAMPLE):
        p = TrainingPlayground(**start)
        for name, control in valued_controls(p):
            if not is_active(control):
                continue
            before, n = p.image.value, p.n_renders
            control.value = other_value(control)
            assert p.state[name] == control.value and p.n_renders == n + 1, name
            assert p.image.value != before, f"{name}: the image did not change"
            assert not p.errors, p.errors


def test_every_setting_has_a_control_active_somewhere():
    names = {n for n, c in valued_controls(TrainingPlayground()) if is_active(c)}
    names |= {n for n, c in valued_controls(TrainingPlayground(**EXAMPLE)) if is_active(c)}
    assert names == set(TrainingPlayground.defaults()) - {"points"}


def test_step_step_epoch_and_run_count_iterations_epochs_and_samples():
    p = TrainingPlayground(n=200, test_share=0.3, batch_size=16)
    N = 200 - round(0.3 * 200)                      # 140 training points: ceil(140 / 16) = 9 batches
    p.controls["step"].click()
    tr = p.trainer
    assert (tr.iteration, tr.epoch, tr.samples_seen) == (1, 0, 16)
    p.controls["step_epoch"].click()                # the rest of epoch 1
    assert (tr.iteration, tr.epoch, tr.samples_seen) == (9, 1, N)
    p.controls["step_epoch"].click()
    assert (tr.iteration, tr.epoch, tr.samples_seen) == (18, 2, 2 * N)
    assert p.run(20) == 20 and tr.iteration == 38 and tr.samples_seen == 4 * N + 2 * 16
    assert "epoch 4" in p.readout.get_text() and "iteration 38" in p.readout.get_text()
    p.controls["reset"].click()
    assert p.trainer.iteration == 0 and p.trainer is not tr


def _torch_gradient(params, X, T, output):
    layers = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)) for W, b in params]
    A = torch.tensor(X)
    for i, (W, b) in enumerate(layers):
        Z = A @ W + b
        A = torch.tanh(Z) if i < len(layers) - 1 else Z
    loss = torch.nn.functional.binary_cross_entropy_with_logits(Z, torch.tensor(T))
    loss.backward()
    return [(W.grad.numpy(), b.grad.numpy()) for W, b in layers]


def test_a_new_learning_rate_takes_effect_at_the_next_update_without_a_reset():
    p = TrainingPlayground(optimizer="sgd", lr=0.01, n=100)
    p.run(7)
    tr = p.trainer
    p.controls["lr"].value = 0.5
    assert p.trainer is tr and tr.iteration == 7
    before = [(W.copy(), b.copy()) for W, b in tr.net.params]
    p.run(1)
    idx = tr.last_batch
    grads = _torch_gradient(before, tr.X[idx], tr.Y[idx], "sigmoid")
    for (W0, b0), (gW, gb), (W1, b1) in zip(before, grads, tr.net.params):
        np.testing.assert_allclose(W1, W0 - 0.5 * gW, atol=1e-12)
        np.testing.assert_allclose(b1, b0 - 0.5 * gb, atol=1e-12)


def test_regularisation_and_dropout_change_live_and_architecture_changes_reset():
    p = TrainingPlayground()
    p.run(30)
    tr = p.trainer
    p.set(regularization="l1", reg_rate=0.01, dropout=0.3)
    assert p.trainer is tr and tr.iteration == 30 and tr.net.l1 == 0.01 and tr.net.l2 == 0 and tr.dropout == 0.3
    for change in ({"units1": 7}, {"layers": 3}, {"activation": "relu"}, {"dataset": "xor"}, {"use_x1x2": True},
                   {"batch_size": 5}, {"optimizer": "sgd"}, {"seed": 9}):
        p.run(5)
        p.set(**change)
        assert p.trainer.iteration == 0, change
    assert p.trainer.net.sizes == [3, 7, 4, 2, 1]


def test_the_state_repeats_the_run_step_for_step():
    p = TrainingPlayground(dataset="moons", layers=3, units3=5, optimizer="momentum", batch_size=7,
                           schedule="exponential (×0.98 per epoch)", points=[[0.1, 0.2, 1]])
    p.run(200)
    q = TrainingPlayground(**json.loads(p.to_json()))
    assert q.state == p.state and q.trainer.iteration == 0
    q.run(120)
    q.run(80)
    for column in ("train_loss", "test_loss", "train_accuracy"):
        np.testing.assert_array_equal(q.trainer.history[column], p.trainer.history[column])
    for (W, b), (V, c) in zip(p.trainer.net.params, q.trainer.net.params):
        np.testing.assert_array_equal(W, V)
    assert "TrainingConfig(dataset='moons'" in p.to_pytorch()


def test_the_confusion_matrix_is_scikit_learns():
    p = TrainingPlayground(dataset="spirals", classes=3, n=300, layers=2, units1=8, units2=8)
    p.run(150)
    _, _, X_test, y_test = p.config().data()
    predicted = p.trainer.predict(X_test)
    expected = confusion_matrix(y_test, predicted, labels=[0, 1, 2])
    np.testing.assert_array_equal(p.result.confusion, expected)
    assert [t.get_text() for t in p.conf_texts] == [str(v) for v in expected.ravel()]
    assert p.result.confusion.sum() == len(y_test) and "test set" in p.ax_conf.get_title()
    assert p.state["output"] == "softmax" and p.controls["output"].disabled


def test_each_neuron_tile_is_its_activation_over_the_grid_by_torch():
    p = TrainingPlayground(use_x1x2=True, layers=2, units1=3, units2=2)
    p.run(40)
    r, tr = p.result, p.trainer
    lo, hi = r.extent
    xs = np.linspace(lo, hi, r.probs.shape[0])
    G = np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)
    A = torch.tensor(tr.inputs(G))
    for layer, (W, b) in enumerate(tr.net.params, start=1):
        A = torch.nn.functional.linear(A, torch.tensor(W.T), torch.tensor(b))
        A = torch.tanh(A) if layer < len(tr.net.params) else torch.sigmoid(A)
        for j in range(A.shape[1]):
            a = A[:, j].numpy()
            want = (2 * a - 1) if layer == len(tr.net.params) else a
            tile = (want / np.abs(want).max()).reshape(len(xs), len(xs))[::2, ::2]   # every other grid point
            np.testing.assert_allclose(r.tiles[layer][j], tile, atol=1e-12)
    np.testing.assert_allclose(r.probs[..., 1].ravel(), A[:, 0].numpy(), atol=1e-12)


def test_links_are_as_wide_as_their_weight_and_coloured_by_sign():
    p = TrainingPlayground()
    p.run(50)
    W = np.concatenate([W.ravel() for W, _ in p.trainer.net.params])
    widths = p.links.get_linewidths()
    np.testing.assert_allclose(widths, 0.3 + 3.7 * np.abs(W) / np.abs(W).max())
    colours = p.links.get_colors()
    blue = np.array([0, 0x72, 0xB2]) / 255
    assert np.all(np.isclose(colours[:, :3], blue).all(axis=1) == (W > 0))


def test_curves_show_the_history_and_stay_bounded():
    p = TrainingPlayground(n=100)
    p.run(600)
    x, y = p.curves["train_loss"].get_data()
    np.testing.assert_array_equal(y, p.trainer.history["train_loss"])
    assert x[-1] == p.trainer.epoch
    n = np.arange(5000)
    (thinned,) = playground.thin(n, most=300)
    assert len(thinned) <= 301 and thinned[-1] == 4999 and thinned[0] == 0


def test_clicks_and_the_add_point_control_add_training_points():
    p = TrainingPlayground(n=100, test_share=0.5)
    p.set(add_class=0)
    px, py = p.pixel(p.ax_region, 1.5, -0.5)
    assert p.click(px, py) == {"points": [[1.5, -0.5, 0]]}
    assert len(p.trainer.X) == 51
    p.set(add_x1=-2.0, add_x2=2.5, add_class=1)
    p.controls["add_point"].click()
    assert p.state["points"] == [[1.5, -0.5, 0], [-2.0, 2.5, 1]]
    X, y, _, _ = playground.data(p.config(), p.state["points"])
    assert len(X) == 52 and y[-1] == 1 and tuple(X[-1]) == (-2.0, 2.5)
    px, py = p.pixel(p.ax_net, 0.5, 0.5)
    assert p.click(px, py) is None


def test_describe_says_epoch_losses_accuracy_and_regions():
    p = TrainingPlayground(dataset="gauss", noise=0.3, layers=0)
    p.run(100)
    text = p.describe()
    ev = p.trainer.evaluation
    assert f"Epoch {p.trainer.epoch} " in text and f"training loss {ev['train_loss']:.3f}" in text
    assert f"test loss {ev['test_loss']:.3f}" in text and f"{100 * ev['test_accuracy']:.0f}% on the test set" in text
    # gauss: class 1 is the cloud at (1, 1), class 0 at (-1, -1); a linear model splits the square
    share = np.mean(np.argmax(p.result.probs, axis=2) == 1)
    assert f"class 1 (blue) on {100 * share:.0f}% of the plot" in text
    cx = float(text.split("class 1 (blue) on")[1].split("centred near (")[1].split(",")[0])
    assert cx > 0
    assert p.caption.value.count("Epoch") == 1


def test_bad_arguments_name_themselves():
    for kwargs, name in (({"lr": -1}, "lr"), ({"layers": 7}, "layers"), ({"dataset": "nope"}, "dataset"),
                         ({"points": [[0, 0, 2]]}, "points"), ({"use_x1": False, "use_x2": False}, "use_x1"),
                         ({"units1": 0}, "units1"), ({"batch_size": 0}, "batch_size")):
        with pytest.raises(ValueError, match=f"^{name}: "):
            TrainingPlayground(**kwargs)
    with pytest.raises(ValueError, match="unknown setting"):
        TrainingPlayground(speed=3)


def test_three_outputs_and_the_anchors_tanh_choice_train():
    for output in ("sigmoid", "softmax", "tanh"):
        p = TrainingPlayground(output=output, dataset="xor", noise=0.05, units1=6, units2=6)
        p.run(300)
        assert p.trainer.net.output == output
        assert p.trainer.evaluation["test_accuracy"] > 0.85, output


def test_text_is_at_least_9_points_and_inside_the_figure():
    p = TrainingPlayground(**EXAMPLE)
    p.run(10)
    fig = p.fig
    renderer = fig.canvas.get_renderer()
    texts = list(fig.texts) + [t for lg in fig.legends for t in lg.get_texts()]
    for ax in fig.axes:       # what is drawn: titles, labels, texts, the tick labels of axes that show them
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        if ax.axison:
            texts += [tick.label1 for axis in (ax.xaxis, ax.yaxis) for tick in axis.get_major_ticks()
                      if tick.get_loc() is not None and axis.get_view_interval().min() <= tick.get_loc()
                      <= axis.get_view_interval().max()]
    texts = [t for t in texts if t.get_visible() and t.get_text().strip()]
    assert len(texts) > 20
    for t in texts:
        assert t.get_fontsize() >= 9, t.get_text()
        bb = t.get_window_extent(renderer)
        assert bb.x0 >= -1 and bb.y0 >= -1 and bb.x1 <= fig.bbox.width + 1 and bb.y1 <= fig.bbox.height + 1, \
            t.get_text()


def run_in_a_loop_of_its_own(scenario, timeout=60):
    """asyncio.run(scenario()) in a thread of its own, as a kernel runs its loop: the browser tests'
    Playwright keeps an event loop running in the main thread for the rest of the session."""
    import threading

    result = {}

    def target():
        try:
            result["value"] = asyncio.run(asyncio.wait_for(scenario(), timeout))
        except BaseException as exc:  # re-raised in the test's thread
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout + 10)
    assert not thread.is_alive(), "the scenario did not finish"
    if "error" in result:
        raise result["error"]
    return result.get("value")


def test_play_runs_in_the_event_loop_and_pause_stops_it():
    p = TrainingPlayground(n=200)

    async def scenario():
        task = p.play()
        assert p.playing and p.controls["play"].disabled and not p.controls["pause"].disabled
        while p.frames < 5:
            await asyncio.sleep(0.005)            # other work runs between frames
        p.controls["lr"].value = 0.1              # a slider while playing: at once, no reset
        assert p.trainer.iteration > 0 and p.trainer.lr == 0.1
        p.controls["pause"].click()
        await task
        stopped = p.frames
        await asyncio.sleep(0.1)
        return stopped

    stopped = run_in_a_loop_of_its_own(scenario)
    assert stopped >= 5 and p.frames == stopped and not p.playing
    assert p.trainer.epoch == stopped and not p.controls["play"].disabled
    assert p.shell.description == p.describe()


def test_play_stops_by_itself_when_the_run_stops_early():
    p = TrainingPlayground(n=100, patience=2, lr=0.5)

    async def scenario():
        await p.play()

    run_in_a_loop_of_its_own(scenario)
    assert p.trainer.stopped and not p.playing and "stopped early" in p.describe()


@pytest.mark.fast_renderer
def test_frames_drawn_in_part_equal_a_whole_redraw():
    """Play redraws only what changed; the oracle is a full redraw of the same figure."""
    import io

    from PIL import Image

    pixels = lambda png: np.asarray(Image.open(io.BytesIO(png)))
    p = TrainingPlayground(dataset="spirals", classes=3, n=200, layers=3)
    for _ in range(25):
        p.frame()
    assert p.renderer.n_full < 5        # the other 20-odd frames were drawn in part or only blitted
    shown = p.image.value
    p.static_changed()
    np.testing.assert_array_equal(pixels(shown), pixels(p.render_png()))


def test_the_export_tab_offers_the_runs_script_as_a_file():
    """Export: a button writes this run's PyTorch script and offers it as nnlab_run.py to download; the file is
    what ``to_pytorch`` writes (a runnable script, tested in test_export.py), for the epochs asked."""
    import base64
    import re

    p = TrainingPlayground()
    p.layout()
    assert p.export_link.value == ""
    p.export_button.click()
    link = re.search(r'download="nnlab_run.py" href="data:text/x-python;base64,([^"]+)"', p.export_link.value)
    assert link, p.export_link.value
    assert base64.b64decode(link.group(1)).decode() == p.to_pytorch(epochs=20)
    assert "python nnlab_run.py" in p.export_link.value
