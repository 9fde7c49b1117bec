"""The perceptron and linear classifiers against scikit-learn, numpy.linalg and PyTorch."""
import numpy as np
import pytest
import torch
from sklearn.linear_model import LinearRegression, Perceptron, Ridge

from nnlab import data, linear
from nnlab.perceptron import mistake_bound, perceptron_steps, predict, train_perceptron


def sk_perceptron(X, y, epochs):
    """scikit-learn configured to the plain rule: in order, no penalty, lr 1, no early stopping."""
    return Perceptron(shuffle=False, penalty=None, eta0=1.0, fit_intercept=True, max_iter=epochs, tol=None,
                      early_stopping=False).fit(X, y)


def sk_mistakes(X, y, epochs):
    """Count scikit-learn's updates by feeding it one point at a time, in order."""
    clf = Perceptron(shuffle=False, penalty=None, eta0=1.0, fit_intercept=True)
    mistakes, prev = 0, None
    for _ in range(epochs):
        for i in range(len(y)):
            clf.partial_fit(X[i:i + 1], y[i:i + 1], classes=np.array([-1, 1]))
            state = np.r_[clf.coef_.ravel(), clf.intercept_]
            mistakes += prev is None and np.any(state != 0) or prev is not None and np.any(state != prev)
            prev = state
    return mistakes, clf


@pytest.mark.parametrize("seed", range(6))
def test_same_weights_and_mistakes_as_scikit_learn(seed):
    X, y01 = data.blobs(40, margin=0.3, seed=seed)
    y = data.to_pm1(y01)
    res = train_perceptron(X, y, max_epochs=200)
    assert res.converged
    clf = sk_perceptron(X, y, res.epochs)
    np.testing.assert_allclose(res.w, clf.coef_.ravel(), rtol=1e-12)
    assert res.b == pytest.approx(clf.intercept_[0], rel=1e-12)
    mistakes, clf1 = sk_mistakes(X, y, res.epochs)
    assert mistakes == res.mistakes
    np.testing.assert_allclose(res.w, clf1.coef_.ravel(), rtol=1e-12)


def test_same_as_scikit_learn_on_xor_after_a_fixed_number_of_epochs():
    X, y01 = data.xor(24, seed=2)
    y = data.to_pm1(y01)
    res = train_perceptron(X, y, max_epochs=7)
    assert not res.converged and res.epochs == 7 and "not be linearly separable" in res.message
    clf = sk_perceptron(X, y, 7)
    np.testing.assert_allclose(res.w, clf.coef_.ravel(), rtol=1e-12)
    assert res.b == pytest.approx(clf.intercept_[0], rel=1e-12)
    assert sk_mistakes(X, y, 7)[0] == res.mistakes


@pytest.mark.parametrize("seed", range(20))
def test_mistakes_never_exceed_the_bound_on_separable_data(seed):
    rng = np.random.default_rng(seed)
    X, y01 = data.blobs(int(rng.integers(10, 80)), margin=float(rng.uniform(0.05, 1.5)), seed=seed)
    y = data.to_pm1(y01)
    res = train_perceptron(X, y, max_epochs=10_000, shuffle=bool(seed % 2), seed=seed)
    assert res.converged and np.all(predict(X, res.w, res.b) == y)
    mb = mistake_bound(X, y, res.w, res.b)
    assert mb.gamma > 0 and res.mistakes <= mb.bound
    # R and gamma by their definitions, computed independently
    assert mb.R == pytest.approx(max(np.sqrt(x @ x + 1) for x in X))
    assert mb.gamma == pytest.approx(min(yi * (x @ res.w + res.b) for x, yi in zip(X, y)) / np.hypot(
        np.linalg.norm(res.w), res.b))


def test_steps_record_every_presentation():
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    y = np.array([1, -1])
    steps = list(perceptron_steps(X, y))
    # step 1: score 0 counts as a mistake, w = (1, 0), b = 1; step 2: score -1+1 = 0 -> mistake,
    # w = (2, 0), b = 0; epoch 2: scores 2 and -2, no mistakes -> stop.
    assert [(s.epoch, s.index, s.mistake) for s in steps] == [(1, 0, True), (1, 1, True), (2, 0, False), (2, 1, False)]
    np.testing.assert_array_equal(steps[1].w, [2.0, 0.0])
    assert steps[1].b == 0.0 and steps[-1].mistakes == 2 and steps[2].score == 2.0


def test_non_separable_data_stops_at_the_epoch_limit():
    X, y01 = data.circle(50, seed=0)
    res = train_perceptron(X, data.to_pm1(y01), max_epochs=15)
    assert not res.converged and res.epochs == 15


@pytest.mark.parametrize("call, words", [
    (lambda: train_perceptron([[0.0], [1.0]], [0, 1]), ["y", "labels 0 and 1", "2 * y - 1"]),
    (lambda: train_perceptron([[0.0], [1.0]], [1, 2]), ["y", "-1 and +1", "[1, 2]"]),
    (lambda: train_perceptron([[0.0], [1.0]], [1]), ["y", "2 rows"]),
    (lambda: train_perceptron([0.0, 1.0], [1, -1]), ["X", "2-D"]),
    (lambda: train_perceptron([[0.0], [1.0]], [1, -1], lr=0), ["lr", "> 0"]),
    (lambda: linear.fit_least_squares(np.zeros((3, 2)), [0, 1.5, 2]), ["y", "integer class labels"]),
])
def test_bad_input(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for w in words:
        assert w in str(info.value), str(info.value)


# ----------------------------------------------------------------- least squares


@pytest.mark.parametrize("lam", [0.01, 1.0, 30.0])
def test_ridge_equals_lstsq_on_the_augmented_system_and_sklearn(lam):
    X, y = data.load_digits()
    X, y = X[:400], y[:400]
    m = linear.fit_least_squares(X, y, lam)
    T = np.eye(10)[y]
    d = X.shape[1]
    # augmented system: [X 1; sqrt(lam) I 0] [W; b] = [T; 0]  (the bias is not penalised)
    A = np.block([[X, np.ones((len(X), 1))], [np.sqrt(lam) * np.eye(d), np.zeros((d, 1))]])
    sol = np.linalg.lstsq(A, np.vstack([T, np.zeros((d, 10))]), rcond=None)[0]
    np.testing.assert_allclose(m.W, sol[:-1], atol=1e-9)
    np.testing.assert_allclose(m.b, sol[-1], atol=1e-9)
    sk = Ridge(alpha=lam).fit(X, T)
    np.testing.assert_allclose(m.W, sk.coef_.T, atol=1e-8)
    np.testing.assert_allclose(m.b, sk.intercept_, atol=1e-8)


def test_least_squares_without_ridge_predicts_like_sklearn():
    X, y = data.load_digits()
    m = linear.fit_least_squares(X[:500], y[:500], 0.0)
    sk = LinearRegression().fit(X[:500], np.eye(10)[y[:500]])
    np.testing.assert_allclose(m.scores(X[500:]), sk.predict(X[500:]), atol=1e-7)


def test_training_error_falls_as_lambda_falls_and_test_error_has_a_minimum():
    X, y = data.load_digits()
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(y))
    tr, te = idx[:300], idx[300:]
    lams = np.logspace(-4, 4, 17)
    path = linear.ridge_path(X[tr], y[tr], X[te], y[te], lams)
    # the data term of the objective can only grow with lam (a closed-form fact)
    assert np.all(np.diff(path.train_sq) >= -1e-12)
    # the test error is lowest strictly inside the range: overfitting left, over-smoothing right
    i = int(np.argmin(path.test_sq))
    assert 0 < i < len(lams) - 1
    assert path.test_sq[0] > path.test_sq[i] and path.test_sq[-1] > path.test_sq[i]
    j = int(np.argmin(path.test_err))
    assert path.test_err[0] > path.test_err[j] < path.test_err[-1]


# ------------------------------------------------------------ softmax regression


def test_softmax_regression_gradient_matches_autograd():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(9, 5))
    T = np.eye(4)[rng.integers(0, 4, 9)]
    W, b = rng.normal(size=(5, 4)), rng.normal(size=4)
    Wt = torch.tensor(W, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    L = torch.nn.functional.cross_entropy(torch.tensor(X) @ Wt + bt, torch.tensor(T)) + 0.5 * 0.1 * (Wt ** 2).sum()
    L.backward()
    assert linear.softmax_regression_loss(W, b, X, T, 0.1) == pytest.approx(L.item(), rel=1e-12)
    dW, db = linear.softmax_regression_gradient(W, b, X, T, 0.1)
    np.testing.assert_allclose(dW, Wt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(db, bt.grad.numpy(), rtol=1e-10)


def test_softmax_regression_learns_the_digits():
    X, y = data.load_digits()
    fit = linear.fit_softmax_regression(X[:1200], y[:1200], lr=0.5, epochs=300)
    assert np.all(np.diff(fit.loss) < 0)
    assert fit.model.error_rate(X[1200:], y[1200:]) < 0.1


def test_multiclass_perceptron_is_the_softmax_rule_with_a_hard_prediction():
    rng = np.random.default_rng(4)
    W, b = rng.normal(size=(3, 4)), rng.normal(size=4)
    x = rng.normal(size=3)
    guess = int(np.argmax(x @ W + b))
    y = (guess + 1) % 4
    W2, b2 = W.copy(), b.copy()
    assert linear.multiclass_perceptron_update(W2, b2, x, y) == guess
    h, t = np.eye(4)[guess], np.eye(4)[y]
    np.testing.assert_allclose(W2, W - np.outer(x, h - t))
    np.testing.assert_allclose(b2, b - (h - t))
