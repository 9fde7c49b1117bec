"""Lecture 9's network study (nnlab/overfit.py): what the lecture says, as bands that hold for other
initial weights too (training is chaotic: the last digits are the machine's), and the parts it is made of."""
import numpy as np
import pytest

from nnlab import data, overfit

SEEDS = (0, 1, 2, 3)


@pytest.fixture(scope="module")
def prob():
    return overfit.problem()


def test_the_parts_are_the_moons_from_their_own_seeds(prob):
    X, y = data.moons(n=60, noise=overfit.NOISE, seed=1)
    np.testing.assert_array_equal(prob.X, X)
    np.testing.assert_array_equal(prob.y, y)
    more = overfit.problem(n=300)
    np.testing.assert_array_equal(more.X_test, prob.X_test)   # more data changes no other part
    np.testing.assert_array_equal(more.X_val, prob.X_val)
    assert (len(prob.y), len(prob.y_val), len(prob.y_test)) == (60, 200, 1000)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_network_fits_every_training_point_and_each_remedy_tests_better(prob, seed):
    """The lecture's claims for initial weights 0..3: 100 % on the training points with at most 85 % on the
    test points; an L2 penalty, dropout, early stopping and five times the data each gain over a point."""
    base = overfit.train(prob, seed=seed)
    assert base.train_accuracy == 1.0 and base.perfect_epoch is not None
    assert 0.75 <= base.test_accuracy <= 0.85
    remedies = {"l2": overfit.train(prob, l2=1e-3, seed=seed), "dropout": overfit.train(prob, dropout=0.3, seed=seed),
                "early stopping": overfit.train(prob, patience=20, seed=seed),
                "more data": overfit.train(overfit.problem(n=300), epochs=80, seed=seed)}
    for name, run in remedies.items():
        assert run.test_accuracy >= base.test_accuracy + 0.01, (name, run.test_accuracy, base.test_accuracy)
        assert run.train_accuracy < 1.0, name   # none of them fits every training point
    assert remedies["early stopping"].epochs < overfit.EPOCHS


@pytest.mark.slow
def test_a_wider_network_trains_faster_for_any_initial_weights(prob):
    """Training loss after 50 epochs: 64 units per layer at most two-thirds of 16 units', for initial weights 0..4."""
    for seed in range(5):
        narrow, wide = (overfit.train(prob, width=w, epochs=50, seed=seed).history["train_loss"][-1] for w in (16, 64))
        assert wide < narrow / 1.5, (seed, narrow, wide)


def test_early_stopping_watches_the_validation_part_and_takes_back_its_best_weights(prob):
    run = overfit.train(prob, patience=5, epochs=100, seed=0)
    val = run.history["test_loss"]   # the Trainer's monitored set is the validation part here
    assert run.epochs < 100 and np.argmin(val) == len(val) - 1 - 5


def test_bad_arguments_name_themselves(prob):
    with pytest.raises(ValueError, match="prob"):
        overfit.train((prob.X, prob.y))
    with pytest.raises(ValueError, match="width"):
        overfit.train(prob, width=0)
    with pytest.raises(ValueError, match="n"):
        overfit.problem(n=1)
