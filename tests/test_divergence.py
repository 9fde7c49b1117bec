"""One record of divergence (``optim.Divergence``) in every run that can blow up, with one meaning:
``step`` is the update after which the loss or the iterate is no longer finite (or leaves its bound), so
the run kept ``step`` values before it. Checked against plain-Python loops and closed forms."""
import math
import pickle
import warnings

import numpy as np
import pytest

from nnlab import gradflow, nn, optim, surfaces
from nnlab.optim import Divergence


def test_the_record_reads_as_its_message_and_keeps_the_step():
    d = Divergence(12, "loss is nan")
    assert d == "diverged at step 12: loss is nan" and isinstance(d, str) and (d.step, d.why) == (12, "loss is nan")
    assert Divergence(3, "loss is inf", unit="iteration") == "diverged at iteration 3: loss is inf"
    again = pickle.loads(pickle.dumps(d))
    assert again == d and again.step == 12 and type(again) is Divergence


def test_mlp_fit_stops_at_the_iteration_whose_loss_overflows():
    """A linear unit y_hat = w x + b with w = 1, b = 0 on the single example (x, y) = (1, 0):
    L = (w + b)^2 and gradient descent with lr = 1 gives s = w + b -> s - 4 s = -3 s, so L_k = 9^k
    until it overflows. The plain-Python loop below finds that iteration."""
    s, k = 1.0, 0
    while math.isfinite(s * s):
        s, k = s - 1.0 * (2 * s + 2 * s), k + 1
    net = nn.MLP([1, 1], hidden="linear", output="linear", init="identity")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = net.fit(np.array([[1.0]]), np.array([0.0]), lr=1.0, iterations=1000)
    assert isinstance(history.diverged, Divergence) and history.diverged.step == k == len(history.loss)
    assert history.diverged.startswith(f"diverged at iteration {k}: loss is ")


@pytest.mark.parametrize("compiled", [False, True])
def test_gradient_descent_on_a_bowl_stops_at_the_closed_form_step(compiled):
    """f = (x^2 + kappa y^2) / 2 from (0, 1): y_k = (1 - lr kappa)^k, which leaves |y| <= 1e6 at the first
    k with |1 - lr kappa|^k > 1e6."""
    kappa, lr, bound = 10.0, 0.35, 1e6
    k = math.floor(math.log(bound) / math.log(abs(1 - lr * kappa))) + 1
    bowl, opt = surfaces.quadratic(kappa), optim.sgd(lr=lr)
    run = (surfaces.race({"GD": opt}, bowl, (0.0, 1.0), 100, bound=bound)["GD"] if compiled
           else surfaces.trajectory(opt, bowl, (0.0, 1.0), 100, bound=bound))
    assert isinstance(run.diverged, Divergence) and run.diverged.step == k == len(run.path)
    assert run.diverged == f"diverged at step {k}: |x| > 1e+06" and run.steps == k - 1


def test_gradflow_training_keeps_the_losses_before_the_step():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curve = gradflow.train(8, 16, "relu", "normal", scale=3.0, steps=100, lr=5.0)
    assert isinstance(curve.diverged, Divergence) and curve.diverged.step == len(curve.loss) < 100
    assert np.all(np.isfinite(curve.loss)) and curve.diverged.startswith(f"diverged at step {len(curve.loss)}: loss")
