"""nnlab.training against independent oracles: a PyTorch loop (DataLoader with a sampler walking the same
permutations, torch.optim, autograd, the same dropout masks), torch.utils.data's batch counts, torch's
StepLR, scikit-learn's StandardScaler, torch.nn.init's distributions, and closed forms."""
import math
import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Sampler, TensorDataset

from nnlab import _training_kernel, data, nn, optim, training
from nnlab.optim import Divergence
from nnlab.training import EarlyStopping, History, Trainer, TrainingConfig

# ------------------------------------------------------------------ the PyTorch oracle


class GivenOrders(Sampler):
    """A sampler that walks orders[0] in the first epoch, orders[1] in the second, ..."""

    def __init__(self, orders):
        self.orders, self.epoch = [list(map(int, o)) for o in orders], 0

    def __iter__(self):
        order = self.orders[self.epoch]
        self.epoch += 1
        return iter(order)

    def __len__(self):
        return len(self.orders[0])


def torch_layers(params):
    """Fresh torch tensors W (out, in) and b for each nnlab layer (W, b) with W of shape (in, out)."""
    return [(torch.tensor(W.T.copy(), requires_grad=True), torch.tensor(b.copy(), requires_grad=True))
            for W, b in params]


def torch_forward(layers, X, hidden, masks=None):
    """Logits of the last layer; hidden layers activated by ``hidden`` and multiplied by the masks."""
    g = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[hidden]
    A = X
    for l, (W, b) in enumerate(layers):
        Z = torch.nn.functional.linear(A, W, b)
        if l == len(layers) - 1:
            return Z
        A = g(Z) if masks is None else g(Z) * torch.tensor(masks[l])


def torch_objective(layers, Z, Y, output, l1=0.0, l2=0.0):
    if output == "sigmoid":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(Z, Y)
    elif output == "softmax":
        loss = torch.nn.functional.cross_entropy(Z, Y.argmax(dim=1))
    else:
        loss = torch.nn.functional.mse_loss(Z, Y)
    for W, _ in layers:                     # penalties on the weights only
        loss = loss + l2 / 2 * (W ** 2).sum() + l1 * W.abs().sum()
    return loss


TORCH_OPT = {"sgd": (lambda p, lr: torch.optim.SGD(p, lr=lr), lambda lr: optim.sgd(lr=lr)),
             "momentum": (lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
                          lambda lr: optim.sgd(lr=lr, momentum=0.9)),
             "adam": (lambda p, lr: torch.optim.Adam(p, lr=lr), lambda lr: optim.adam(lr=lr)),
             "amsgrad": (lambda p, lr: torch.optim.Adam(p, lr=lr, amsgrad=True),
                         lambda lr: optim.adam(lr=lr, amsgrad=True))}


def problem(n=101, seed=0):
    X, y = data.moons(n, noise=0.2, seed=seed)
    return X, y.astype(float)[:, None]


# ------------------------------------------------------------------ the loop against PyTorch


@pytest.mark.parametrize("rule", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("l1, l2", [(0.0, 0.0), (0.0, 0.01), (0.003, 0.0)], ids=["plain", "L2", "L1"])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("compiled", [True, False], ids=["numba", "numpy"])
def test_five_epochs_match_a_pytorch_loop_to_1e10(rule, l1, l2, drop_last, compiled):
    X, Y = problem()
    lr, B, epochs = (0.01 if rule == "adam" else 0.1), 16, 5
    net = nn.MLP([2, 6, 5, 1], hidden="tanh", output="sigmoid", init="xavier_uniform", seed=1, l1=l1, l2=l2)
    layers = torch_layers(net.params)
    trainer = Trainer(net, X, Y, optimizer=TORCH_OPT[rule][1](lr), batch_size=B, drop_last=drop_last, seed=7,
                      compiled=compiled)
    ours = []
    for _ in range(epochs * training.steps_per_epoch(len(X), B, drop_last)):
        assert trainer.step()
        ours.append(trainer.last_loss)

    orders = [training.epoch_order(7, e, len(X)) for e in range(epochs)]
    loader = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=B,
                        sampler=GivenOrders(orders), drop_last=drop_last)
    topt = TORCH_OPT[rule][0]([t for layer in layers for t in layer], lr)
    theirs = []
    for _ in range(epochs):
        for Xb, Yb in loader:
            topt.zero_grad()
            loss = torch_objective(layers, torch_forward(layers, Xb, "tanh"), Yb, "sigmoid", l1, l2)
            loss.backward()
            topt.step()
            theirs.append(loss.item())
    assert len(ours) == len(theirs) == epochs * (6 if drop_last else 7)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)
    for (W, b), (tW, tb) in zip(net.params, layers):
        np.testing.assert_allclose(W, tW.detach().numpy().T, rtol=0, atol=1e-10)
        np.testing.assert_allclose(b, tb.detach().numpy(), rtol=0, atol=1e-10)
    assert trainer.epoch == epochs and trainer.iteration == len(theirs)
    assert trainer.samples_seen == epochs * (96 if drop_last else 101)


@pytest.mark.parametrize("rule", ["momentum", "adam", "amsgrad"])
def test_whole_epochs_through_the_compiled_steps_match_the_pytorch_loop(rule):
    """Trainer.run hands chunks of batches to _training_kernel: per-epoch mean batch losses and the final
    weights against the same PyTorch loop, L1 and L2 on."""
    X, Y = problem()
    net = nn.MLP([2, 6, 5, 1], hidden="tanh", output="sigmoid", init="xavier_uniform", seed=1, l1=0.002, l2=0.01)
    layers = torch_layers(net.params)
    trainer = Trainer(net, X, Y, optimizer=TORCH_OPT[rule][1](0.05), batch_size=16, seed=7)
    assert _training_kernel.covers(trainer)
    trainer.fit(5)
    loader = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=16,
                        sampler=GivenOrders([training.epoch_order(7, e, len(X)) for e in range(5)]))
    topt = TORCH_OPT[rule][0]([t for layer in layers for t in layer], 0.05)
    means = []
    for _ in range(5):
        losses = []
        for Xb, Yb in loader:
            topt.zero_grad()
            loss = torch_objective(layers, torch_forward(layers, Xb, "tanh"), Yb, "sigmoid", 0.002, 0.01)
            loss.backward()
            topt.step()
            losses.append(loss.item())
        means.append(np.mean(losses))
    np.testing.assert_allclose(trainer.history["loss"][1:], means, rtol=0, atol=1e-10)
    for (W, b), (tW, tb) in zip(net.params, layers):
        np.testing.assert_allclose(W, tW.detach().numpy().T, rtol=0, atol=1e-10)
        np.testing.assert_allclose(b, tb.detach().numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("hidden, output, rule, extra", [
    ("tanh", "tanh", "sgd", {}), ("relu", "softmax", "adam", {}), ("sigmoid", "linear", "momentum", {}),
    ("relu", "sigmoid", "adam", {}), ("tanh", "softmax", "amsgrad", {"loss": "mse"}),
    ("relu", "sigmoid", "momentum", {"reduction": "sum", "l1": 1e-3}), ("linear", "relu", "sgd", {})])
def test_the_compiled_steps_follow_the_numpy_steps(hidden, output, rule, extra):
    X, y = data.spirals(75, classes=3 if output == "softmax" else 2, seed=0)
    Y = 2.0 * y - 1 if output == "tanh" else y if output not in ("linear", "relu") else np.sin(3 * X[:, 0])
    Y = np.eye(3)[y] if extra.get("loss") == "mse" else Y
    runs = []
    for compiled in (True, False):
        net = nn.MLP([2, 7, 6, 3 if output == "softmax" else 1], hidden=hidden, output=output, seed=2, l2=1e-3,
                     init="xavier_uniform", **extra)
        trainer = Trainer(net, X, Y, optimizer=TORCH_OPT[rule][1](0.02), batch_size=8, seed=1, compiled=compiled)
        assert _training_kernel.covers(trainer)
        trainer.run(3 * trainer.steps_per_epoch + 4)
        runs.append(trainer)
    a, b = runs
    assert (a.epoch, a.iteration, a.samples_seen) == (b.epoch, b.iteration, b.samples_seen) == (3, 34, 3 * 75 + 4 * 8)
    assert abs(a.last_loss - b.last_loss) < 1e-12 and abs(a.grad_norm - b.grad_norm) < 1e-12
    np.testing.assert_array_equal(a.last_batch, b.last_batch)
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=0, atol=1e-12)
    for (Wa, ba), (Wb, bb) in zip(a.net.params, b.net.params):
        np.testing.assert_allclose(Wa, Wb, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ba, bb, rtol=0, atol=1e-12)


def test_warm_up_compiles_the_one_signature_real_runs_use():
    pytest.importorskip("numba")
    training.warm_up()
    assert len(_training_kernel._steps.signatures) == 1
    TrainingConfig(n=40, dataset="spirals", classes=3, output="softmax", optimizer="sgd").build().run(5)
    TrainingConfig(n=40, hidden=(), l2=0.1).build().run(5)
    assert len(_training_kernel._steps.signatures) == 1


def test_setups_the_compiled_steps_do_not_cover_take_numpy_steps():
    X, y = data.spirals(30, classes=3, seed=0)
    for net, opt, dropout in [(nn.MLP([2, 4, 1]), optim.rmsprop(), 0.0), (nn.MLP([2, 4, 1]), optim.sgd(), 0.5),
                              (nn.MLP([2, 4, 1]), optim.adagrad(), 0.0)]:
        Y = np.eye(3)[y] if net.output == "softmax" else y % 2
        assert not _training_kernel.covers(Trainer(net, X, Y, optimizer=opt, dropout=dropout))


def test_softmax_with_dropout_matches_pytorch_given_the_same_masks():
    X, y = data.spirals(90, classes=3, seed=2)
    net = nn.MLP([2, 10, 8, 3], hidden="relu", output="softmax", init="he_normal", seed=3, l2=0.001)
    layers = torch_layers(net.params)
    trainer = Trainer(net, X, y, optimizer=optim.adam(lr=0.02), batch_size=20, dropout=0.3, seed=4)
    topt = torch.optim.Adam([t for layer in layers for t in layer], lr=0.02)
    T = torch.tensor(np.eye(3)[y])
    for _ in range(3 * trainer.steps_per_epoch):
        trainer.step()
        masks, idx = trainer.last_masks, trainer.last_batch
        assert {float(v) for m in masks for v in np.unique(m)} == {0.0, 1 / 0.7}
        topt.zero_grad()
        loss = torch_objective(layers, torch_forward(layers, torch.tensor(X[idx]), "relu", masks), T[idx],
                               "softmax", l2=0.001)
        loss.backward()
        topt.step()
        assert abs(trainer.last_loss - loss.item()) < 1e-10
    # evaluation never drops: the trained network in torch's eval mode (nn.Dropout is the identity there)
    model = torch.nn.Sequential(torch.nn.Linear(2, 10), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                torch.nn.Linear(10, 8), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                torch.nn.Linear(8, 3)).double().eval()
    with torch.no_grad():
        for lin, (W, b) in zip([m for m in model if isinstance(m, torch.nn.Linear)], layers):
            lin.weight.copy_(W)
            lin.bias.copy_(b)
        expected = torch.nn.functional.cross_entropy(model(torch.tensor(X)), torch.tensor(y)).item()
    assert abs(trainer.evaluate()["train_loss"] - expected) < 1e-10


def test_dropout_keeps_each_unit_with_probability_1_minus_p_and_scales_like_torch():
    masks = training.dropout_masks(training.epoch_rng(0, 0), [200, 300], 500, 0.25)
    kept = np.concatenate([m.ravel() for m in masks]) > 0
    assert abs(kept.mean() - 0.75) < 4 * math.sqrt(0.75 * 0.25 / kept.size)
    ones = torch.ones(1000, dtype=torch.float64)
    torch_values = set(np.unique(torch.nn.functional.dropout(ones, 0.25, training=True).numpy()))
    assert {float(v) for m in masks for v in np.unique(m)} == {float(v) for v in torch_values}
    assert training.dropout_masks(training.epoch_rng(0, 0), [3], 4, 0.0) is None


# ------------------------------------------------------------------ the mini-batch gradient


def test_mean_of_the_mini_batch_gradients_of_an_epoch_is_the_full_gradient():
    X, Y = problem(120)
    net = nn.MLP([2, 7, 1], hidden="tanh", output="sigmoid", init="xavier_uniform", seed=5)
    layers = torch_layers(net.params)
    torch_objective(layers, torch_forward(layers, torch.tensor(X), "tanh"), torch.tensor(Y), "sigmoid").backward()
    parts = [net.gradients(X[i], Y[i]) for i in training.batches(training.epoch_order(3, 0, 120), 24)]
    for l, (tW, tb) in enumerate(layers):
        np.testing.assert_allclose(np.mean([g[l][0] for g in parts], axis=0), tW.grad.numpy().T, atol=1e-12)
        np.testing.assert_allclose(np.mean([g[l][1] for g in parts], axis=0), tb.grad.numpy(), atol=1e-12)


def test_the_spread_of_the_mini_batch_gradient_shrinks_like_one_over_sqrt_b():
    X, Y = problem(12_000, seed=1)
    net = nn.MLP([2, 6, 1], hidden="tanh", output="sigmoid", init="xavier_uniform", seed=0)
    flat = lambda grads: np.concatenate([a.ravel() for layer in grads for a in layer])
    full = flat(net.gradients(X, Y))
    sizes, spread = [2, 8, 32, 128], []
    for B in sizes:
        batches = [b for e in range(3) for b in training.batches(training.epoch_order(0, e, len(X)), B)][:600]
        spread.append(math.sqrt(np.mean([np.sum((flat(net.gradients(X[i], Y[i])) - full) ** 2) for i in batches])))
    slope = np.polyfit(np.log(sizes), np.log(spread), 1)[0]
    assert abs(slope + 0.5) < 0.06, (slope, spread)
    print(f"spread of the mini-batch gradient ~ B^{slope:.3f} (B = {sizes})")


# ------------------------------------------------------------------ epochs, iterations, samples


@pytest.mark.parametrize("n, B", [(50_000, 100), (50_001, 100), (105, 10), (7, 7), (5, 8)])
def test_an_epoch_has_as_many_steps_as_a_dataloader(n, B):
    for drop_last in (False, True):
        expected = len(DataLoader(range(n), batch_size=B, drop_last=drop_last))
        assert training.steps_per_epoch(n, B, drop_last) == expected
    assert training.steps_per_epoch(50_000, 100) == 500


@pytest.mark.parametrize("drop_last, steps, samples", [(False, 11, 105), (True, 10, 100)])
def test_trainer_counts_iterations_epochs_and_samples_apart(drop_last, steps, samples):
    X, Y = problem(105)
    trainer = Trainer(nn.MLP([2, 3, 1], hidden="tanh", seed=0), X, Y, batch_size=10, drop_last=drop_last)
    assert trainer.run(steps - 1) == steps - 1 and trainer.epoch == 0
    trainer.step()
    assert (trainer.epoch, trainer.iteration, trainer.samples_seen) == (1, steps, samples)
    trainer.run_epoch()
    trainer.run(3)
    assert (trainer.epoch, trainer.iteration, trainer.samples_seen) == (2, 2 * steps + 3, 2 * samples + 30)
    assert list(trainer.history["epoch"]) == [0, 1, 2] and list(trainer.history["samples"]) == [0, samples,
                                                                                                2 * samples]


def test_every_epoch_walks_a_new_permutation_reproducible_from_the_seed():
    X, Y = problem(50)
    seen = []
    trainer = Trainer(nn.MLP([2, 3, 1], seed=0), X, Y, batch_size=7, seed=11)
    for _ in range(3):
        epoch = []
        while True:
            trainer.step()
            epoch.append(trainer.last_batch)
            if not trainer._queue:
                break
        seen.append(np.concatenate(epoch))
    for order in seen:
        assert sorted(order) == list(range(50))
    assert not np.array_equal(seen[0], seen[1]) and not np.array_equal(seen[1], seen[2])
    np.testing.assert_array_equal(seen[2], training.epoch_order(11, 2, 50))
    assert not np.array_equal(training.epoch_order(12, 0, 50), seen[0])


def test_a_config_reproduces_its_run_step_for_step_and_prints_back():
    config = TrainingConfig(dataset="spirals", classes=3, output="softmax", n=120, dropout=0.2, l2=1e-3,
                            optimizer="momentum", lr=0.05, batch_size=16, seed=3)
    again = eval(repr(config), {"TrainingConfig": TrainingConfig})
    assert again == config and TrainingConfig(**config.asdict()) == config
    a, b = config.build(), again.build()
    a.run(37)
    b.run(37)
    for (Wa, ba), (Wb, bb) in zip(a.net.params, b.net.params):
        np.testing.assert_array_equal(Wa, Wb)
        np.testing.assert_array_equal(ba, bb)
    assert a.history.rows == b.history.rows and a.iteration == 37
    c = config.replace(seed=4).build()
    c.run(37)
    assert not np.array_equal(c.net.params[0][0], a.net.params[0][0])


# ------------------------------------------------------------------ learning rate and schedules


def test_a_new_learning_rate_takes_effect_at_the_next_step_like_torch_param_groups():
    X, Y = problem()
    net = nn.MLP([2, 5, 1], hidden="tanh", init="xavier_uniform", seed=2)
    layers = torch_layers(net.params)
    trainer = Trainer(net, X, Y, optimizer=optim.adam(lr=0.01), batch_size=10, shuffle=False)
    topt = torch.optim.Adam([t for layer in layers for t in layer], lr=0.01)
    for k in range(12):
        if k == 5:
            trainer.lr = 0.2
            for group in topt.param_groups:
                group["lr"] = 0.2
        trainer.step()
        idx = trainer.last_batch
        topt.zero_grad()
        loss = torch_objective(layers, torch_forward(layers, torch.tensor(X[idx]), "tanh"), torch.tensor(Y[idx]),
                               "sigmoid")
        loss.backward()
        topt.step()
        assert abs(trainer.last_loss - loss.item()) < 1e-10
    assert trainer.lr == 0.2


def test_schedules_count_epochs_like_a_torch_scheduler_stepped_once_per_epoch():
    config = TrainingConfig(n=100, test_share=0.2, batch_size=16, lr=0.1, optimizer="sgd", schedule=("step", 2, 0.5))
    trainer = config.build()
    torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(torch_opt, step_size=2, gamma=0.5)
    for _ in range(7):
        assert trainer.lr == pytest.approx(scheduler.get_last_lr()[0], rel=1e-15)
        trainer.run_epoch()
        torch_opt.step()
        scheduler.step()
    np.testing.assert_allclose(trainer.history["lr"], [0.1 * 0.5 ** (e // 2) for e in range(8)])


# ------------------------------------------------------------------ history, early stopping, divergence


def test_history_is_exact_for_short_runs_and_bounded_for_long_ones():
    short, long = History(capacity=100), History(capacity=100)
    for e in range(100):
        short.append(e, loss=1 / (e + 1))
    assert list(short["epoch"]) == list(range(100))
    for e in range(10_000):
        long.append(e, loss=1 / (e + 1))
    epochs = long["epoch"]
    assert len(long) <= 100 and epochs[0] == 0 and epochs[-1] >= 10_000 - 2 * long.stride
    assert len(set(np.diff(epochs))) == 1 and long.stride == 128
    np.testing.assert_allclose(long["loss"], 1 / (epochs + 1))


def test_early_stopping_stops_patience_epochs_after_the_best_one():
    curve = [1.0, 0.8, 0.6, 0.65, 0.59, 0.7, 0.595, 0.72, 0.5]   # best 0.59 at epoch 5 (epochs count from 1)
    rule, stopped = training.early_stopping(patience=3), None
    for epoch, loss in enumerate(curve, start=1):
        rule = rule.update(epoch, loss)
        if rule.stop:
            stopped = epoch
            break
    assert stopped == 8 and rule.best_epoch == 5 and rule.best == 0.59
    tolerant = EarlyStopping(patience=2, min_delta=0.05)
    for epoch, loss in enumerate([1.0, 0.97, 0.96, 0.9], start=1):
        tolerant = tolerant.update(epoch, loss)
        if tolerant.stop:
            break
    assert epoch == 3 and tolerant.best_epoch == 1     # 0.97 and 0.96 are within min_delta of 1.0


def test_the_trainer_stops_early_and_restores_the_best_weights():
    X, y = data.moons(60, noise=0.35, seed=0)
    Xt, yt = data.moons(400, noise=0.35, seed=1)
    net = nn.MLP([2, 32, 32, 1], hidden="relu", init="he_normal", seed=0)
    trainer = Trainer(net, X, y, Xt, yt, optimizer=optim.adam(lr=0.02), batch_size=10, patience=5)
    trainer.fit(500)
    test = trainer.history["test_loss"]
    best = int(np.argmin(test))
    assert trainer.stopped and trainer.epoch == best + 5 < 500 and f"epoch {best}" in trainer.stopped
    assert all(test[best + 1:] >= test[best])
    assert trainer.evaluate()["test_loss"] == test[best] and not trainer.step()


def test_the_rule_and_the_history_serve_a_pytorch_loop_too():
    """Lecture 6's use: a torch model trained by its own loop, with nnlab's epoch order, History and
    EarlyStopping; the weights kept at the best epoch give the best validation loss again."""
    import copy

    X, y = data.moons(60, noise=0.35, seed=0)
    Xv, yv = data.moons(400, noise=0.35, seed=1)
    X, y, Xv, yv = (torch.tensor(a, dtype=torch.float64) for a in (X, y, Xv, yv))
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, 1)).double()
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    rule, history, best = training.early_stopping(patience=5), History(capacity=50), None
    for epoch in range(1, 300):
        model.train()
        for idx in training.batches(training.epoch_order(0, epoch, len(X)), 10):
            opt.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(model(X[idx])[:, 0], y[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val = torch.nn.functional.binary_cross_entropy_with_logits(model(Xv)[:, 0], yv).item()
        history.append(epoch, val_loss=val)
        rule = rule.update(epoch, val)
        if rule.improved:
            best = copy.deepcopy(model.state_dict())
        if rule.stop:
            break
    curve = history["val_loss"]
    assert rule.stop and epoch == rule.best_epoch + 5 < 299 and rule.best == curve.min()
    assert history["epoch"][np.argmin(curve)] == rule.best_epoch and np.all(curve[-5:] >= rule.best)
    model.load_state_dict(best)
    with torch.no_grad():
        assert torch.nn.functional.binary_cross_entropy_with_logits(model(Xv)[:, 0], yv).item() == rule.best


def test_divergence_stops_the_run_with_a_message_and_no_warning():
    X, y = data.sine(64, seed=0)
    trainer = Trainer(nn.MLP([1, 16, 1], hidden="relu", output="linear", init="he_normal", seed=0), X, y,
                      optimizer=optim.sgd(lr=1e4), batch_size=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer.fit(50)
    d = trainer.diverged
    assert isinstance(d, Divergence) and d.startswith("diverged at iteration") and d.step == trainer.iteration
    assert trainer.done and not trainer.step() and d in trainer.status()


# ------------------------------------------------------------------ inputs and initial weights


def test_without_a_test_set_the_training_loss_is_monitored():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer = TrainingConfig(n=50, test_share=0.0, patience=2, lr=1.0, optimizer="sgd").build()
        trainer.fit(200)
    assert trainer.X_test is None and "test_loss" not in trainer.evaluation and len(trainer.X) == 50
    train = trainer.history["train_loss"]
    best = int(np.argmin(train))
    assert "the training loss has not improved" in trainer.stopped and trainer.epoch == best + 2


def test_standardisation_uses_training_statistics_only_like_sklearn():
    from sklearn.preprocessing import StandardScaler

    X, y = data.gauss(80, seed=0)
    X = X * [3.0, 0.1] + [5.0, -2.0]
    Xt, yt = X[:20] + 7.0, y[:20]
    trainer = Trainer(nn.MLP([2, 3, 1], seed=0), X, y, Xt, yt, standardize=True)
    scaler = StandardScaler().fit(X)
    np.testing.assert_allclose(trainer.X, scaler.transform(X), atol=1e-12)
    np.testing.assert_allclose(trainer.X_test, scaler.transform(Xt), atol=1e-12)
    np.testing.assert_allclose(trainer.inputs(Xt[:3]), scaler.transform(Xt[:3]), atol=1e-12)


def test_features_are_the_playgrounds_seven():
    X = np.array([[0.5, -2.0]])
    F = data.features(X, ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin x1", "sin x2"])
    np.testing.assert_allclose(F, [[0.5, -2.0, 0.25, 4.0, -1.0, math.sin(0.5), math.sin(-2.0)]])


@pytest.mark.parametrize("init, bound, var", [
    ("zeros", 0.0, 0.0), ("uniform 0.5", 0.5, 0.25 / 3), ("uniform 0.7", 0.7, 0.49 / 3),
    ("xavier", None, 2 / 400), ("he", None, 2 / 200)])
def test_initialisations_have_the_documented_distribution(init, bound, var):
    name, scale = training.INITS[init]
    W, b = nn.init_layer(200, 200, name, scale, rng=0)
    assert np.all(b == 0)
    if bound is not None:
        assert np.abs(W).max() <= bound and (bound == 0 or np.abs(W).max() > 0.99 * bound)
    assert abs(W.var() - var) <= 0.05 * var + 1e-15
    t = torch.empty(200, 200, dtype=torch.float64)
    reference = {"xavier": lambda: torch.nn.init.xavier_normal_(t),
                 "he": lambda: torch.nn.init.kaiming_normal_(t, nonlinearity="relu")}.get(init)
    if reference is not None:
        assert abs(W.var() - reference().var().item()) < 0.1 * var


# ------------------------------------------------------------------ errors name the argument


@pytest.mark.parametrize("call, words", [
    (lambda: Trainer("net", np.zeros((4, 2)), np.zeros(4)), ["net", "MLP", "str"]),
    (lambda: Trainer(nn.MLP([2, 1]), np.zeros((4, 2)), np.zeros(4), batch_size=0), ["batch_size", "[1"]),
    (lambda: Trainer(nn.MLP([2, 1]), np.zeros((4, 2)), np.zeros(4), batch_size=5, drop_last=True),
     ["batch_size", "at most 4", "5"]),
    (lambda: Trainer(nn.MLP([2, 1]), np.zeros((4, 2)), np.zeros(4), dropout=1.0), ["dropout", "0.95"]),
    (lambda: Trainer(nn.MLP([2, 1]), np.zeros((4, 2)), np.zeros(4), optimizer="adam"), ["optimizer", "str"]),
    (lambda: Trainer(nn.MLP([2, 1]), np.zeros((4, 3)), np.zeros(4)), ["X", "(n_samples, 2)"]),
    (lambda: Trainer(nn.MLP([2, 1]), np.zeros((4, 2)), np.zeros(4), patience=0), ["patience", "[1"]),
    (lambda: Trainer(nn.MLP([2, 1]), np.zeros((4, 2)), np.zeros(4), seed=-1), ["seed", "[0"]),
    (lambda: TrainingConfig(optimizer="adamw").build(), ["optimizer", "'adam'", "adamw"]),
    (lambda: TrainingConfig(init="ones").build(), ["init", "'xavier'", "ones"]),
    (lambda: TrainingConfig(dataset="moon").build(), ["dataset", "'moons'", "moon"]),
    (lambda: TrainingConfig(dataset="spirals", classes=3).build(), ["output", "3 classes", "softmax"]),
    (lambda: TrainingConfig(schedule=("linear", 3)).build(), ["schedule", "'step'", "linear"]),
    (lambda: TrainingConfig(features=("x3",)).build(), ["features", "'x1'", "x3"]),
    (lambda: TrainingConfig(lr=-1.0).build(), ["lr", ">= 0", "-1"]),
    (lambda: Trainer(nn.MLP([2, 1]), np.zeros((4, 2)), np.zeros(4)).run(-1), ["steps", "[0"]),
    (lambda: History(capacity=1), ["capacity", "[2"]),
])
def test_bad_arguments_name_themselves(call, words):
    with pytest.raises(ValueError) as err:
        call()
    for w in words:
        assert w in str(err.value), (w, str(err.value))
