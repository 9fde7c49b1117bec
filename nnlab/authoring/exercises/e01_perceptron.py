# %% [markdown]
# # Exercise (lecture 1): the perceptron update
#
# Write the perceptron's one-point update, then use it to train on separable data and compare the
# number of mistakes with Novikoff's bound. The check compares your function with the rule itself
# and names the mistake if it finds one.

# %%
import numpy as np

from nnlab import check, data, perceptron

# %% [markdown]
# ## 1. One perceptron step
#
# Labels are $y \in \{-1, +1\}$. If $y\,(w \cdot x + b) \le 0$ the point is a mistake: return
# $(w + y x,\; b + y)$. Otherwise return $(w, b)$ unchanged. Do not change `w` in place.

# %%
def perceptron_update(w, b, x, y):
    ### BEGIN SOLUTION
    if y * (w @ x + b) <= 0:
        return w + y * x, b + y
    return w, b
    ### END SOLUTION


check.perceptron_update(perceptron_update)

# %% [markdown]
# ## 2. Train with your update
#
# Run over the data until an epoch passes without a mistake. The number of mistakes can never
# exceed $(R/\gamma)^2$, where $R$ is the largest $\|x\|$ (with the bias folded in) and $\gamma$ the
# margin of the final separator. Question: why can the bound be far from the count you see?

# %%
def train(X, y, max_epochs=100):
    """Epochs of your update until one passes without a mistake.

    Returns (w, b, mistakes)."""
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, 0
    for epoch in range(max_epochs):
        before = mistakes
        for xi, yi in zip(X, y):
            new_w, new_b = perceptron_update(w, b, xi, yi)
            mistakes += not (np.array_equal(new_w, w) and new_b == b)
            w, b = new_w, new_b
        if mistakes == before:
            break
    return w, b, mistakes


X, y01 = data.blobs(40, margin=0.5, seed=1)
y = data.to_pm1(y01)
reference = perceptron.train_perceptron(X, y)
try:
    w, b, mistakes = train(X, y)
    bound = perceptron.mistake_bound(X, y, w, b)
    print(f"your perceptron: {mistakes} mistakes (nnlab's: {reference.mistakes}); "
          f"bound (R/gamma)^2 = {bound.bound:.0f}")
except NotImplementedError:
    print("write perceptron_update in part 1 first")
