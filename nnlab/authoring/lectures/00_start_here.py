# %% [markdown]
# # Start here: how this course works
#
# **nnlab** teaches neural networks by letting you poke at them. A self-driving car, a
# warehouse robot or a phone camera all face the same job: turn raw sensor numbers
# (pixels, ranges, accelerations) into a few useful quantities (which traffic sign is
# this? where is the lane? how is the vehicle oriented?). A neural network is a
# function with many adjustable numbers that learns that mapping from examples. Over
# the lectures you will build one from scratch in NumPy, check it against PyTorch, and
# see why each design choice (activation, initialisation, optimiser) matters.
#
# Every lecture is a notebook like this one, made of short sections:
#
# 1. **the idea**, in a few sentences and a formula;
# 2. **a picture**, usually an *explorer*: a figure with sliders and buttons;
# 3. **try this**: settings worth trying in the explorer, and what to look for;
# 4. **a question** for you to answer before reading on;
# 5. **code you can edit**: change it and run it again.
#
# Run a cell with **Shift + Enter**. To run the whole notebook, use *Run → Run All Cells*.
# Nothing you do here can break the course: *Kernel → Restart Kernel and Clear Outputs*
# takes you back to the start.

# %% [markdown]
# ## 1. Check your set-up
#
# The next cell lists the packages the course uses and marks each one as ready or
# missing. If a line is marked as missing, follow the set-up steps in the README
# (`bash start.sh` sets everything up and opens JupyterLab).

# %%
from nnlab.env import check_environment, widget_echo

report = check_environment()
report

# %% [markdown]
# Widgets need both the Python side (the kernel) and the browser side (JupyterLab).
# Move the slider below: if the sentence under it changes, the two sides are talking.

# %%
widget_echo()

# %% [markdown]
# ## 2. Your first explorer: one neuron
#
# A single artificial neuron with one input $x$ computes a weighted sum and passes it
# through an *activation function* $g$:
#
# $$a = g(w\,x + b).$$
#
# The weight $w$ stretches the input, the bias $b$ shifts it. The three activations you
# will meet most often are
#
# * the **sigmoid** $\sigma(z) = 1/(1 + e^{-z})$, which squashes any number into $(0, 1)$;
# * **tanh**, which squashes into $(-1, 1)$;
# * the **ReLU** $\max(0, z)$, which lets positive numbers through and zeroes the rest.
#
# The left panel shows $a$ as a function of $x$; the right panel shows how steep it is,
# $da/dx = w\,g'(wx + b)$. The dashed line marks where $wx + b = 0$, that is
# $x = s = -b/w$.

# %%
from nnlab import ActivationExplorer

explorer = ActivationExplorer(activation="sigmoid", w=1.0, b=0.0)
explorer

# %% [markdown]
# ### Try this
#
# * Keep the sigmoid and $b = 0$, and drag $w$ from 1 up to 30. Watch the curve turn into
#   a **step**, and the slope turn into a tall, narrow spike at the step.
# * Now move $b$. The step slides to $s = -b/w$. Which bias puts the step at $x = 2$ when
#   $w = 10$?
# * Make $w$ negative. What happens to the step?
# * Switch to ReLU. Where is the kink, and what is the slope on each side of it?
#
# You can also type a value into the box at the right end of a slider, or click a
# slider and use the arrow keys. The sentence under the figure says what it shows, in
# words.

# %% [markdown]
# ### Question
#
# A sigmoid's steepest slope is at its midpoint. How large is it, as a function of $w$?
# Guess from the explorer, then check your guess with the code below.

# %%
import numpy as np

from nnlab import nn

z = np.linspace(-10, 10, 200_001)
print(f"largest value of sigma'(z) on a fine grid: {nn.sigmoid_grad(z).max():.6f}")
print(f"sigma'(0) = sigma(0) * (1 - sigma(0)) = "
      f"{nn.sigmoid_grad(np.array([0.0]))[0]:.6f}")

# %% [markdown]
# The sigmoid's derivative is $\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$, never more than
# $1/4$, so the slope of $\sigma(wx + b)$ in $x$ is at most $|w|/4$. This little bound
# comes back in lecture 7, where it explains why deep sigmoid networks learn slowly.

# %% [markdown]
# ## 3. Explorer settings are plain data
#
# Every explorer keeps all its settings in one dictionary, `explorer.state`. You can print
# it, save it, and pass it back to recreate exactly the same view. Lecturers use this to
# say "try this setting" in a notebook cell.

# %%
explorer.state

# %%
steep = ActivationExplorer(activation="sigmoid", w=25.0, b=-12.5)
print(steep.describe())

# %% [markdown]
# The same settings can be changed from code: `explorer.set(w=5, b=-1)` changes both and
# redraws once, and `explorer.controls["w"].value = 5` does what dragging the slider does.

# %% [markdown]
# ## 4. Numbers are computed, never typed in
#
# Whenever a notebook quotes a number, a cell computes it, and the course's tests check
# it. For example, a fully connected network with 5 inputs, 20 hidden units and
# 3 outputs has $20\,(5 + 1) + 3\,(20 + 1)$ parameters (every unit has one weight per
# input plus a bias):

# %%
# NBVAL_CHECK_OUTPUT
from nnlab.nn import count_parameters

print("5-20-3 network:", count_parameters([5, 20, 3]), "parameters")
print("3-4-2 network:", count_parameters([3, 4, 2]), "parameters")

# %% [markdown]
# ## 5. Map of the course
#
# | Notebook | Topic | Explorer |
# |---|---|---|
# | `00_start_here` | how the course works, one neuron | ActivationExplorer |
# | `01_linear_classifiers_and_perceptron` | linear classifiers, least squares, the perceptron | PerceptronStepper |
# | `02_forward_pass` | neurons, layers, activations, losses, shapes | HiddenUnitsExplorer |
# | `03_universal_approximation` | towers, steps and splines | TowerExplorer |
# | `04_backprop_and_autodiff` | the chain rule, backprop in NumPy, autodiff | AutodiffTrace, GradientCheckExplorer |
# | `05_training_in_practice` | mini-batches, PyTorch training loops | TrainingPlayground |
# | `06_handwritten_digits` | handwritten digits with an MLP and a small CNN | DigitPad |
# | `07_vanishing_exploding_gradients` | gradients through deep networks | GradientFlowExplorer |
# | `08_optimizers` | momentum, RMSProp, Adam on ill-conditioned bowls | OptimizerRace |
# | `09_generalisation_and_regularisation` | bias, variance and regularisation | PolynomialFit, DoubleDescent, RegularizationPath |
# | `10_beyond_fully_connected` | convolution, recurrence, structured outputs | Convolution, RNNUnroller, RotationProjection |
#
# Lectures appear in the `notebooks/` folder as they are released; exercises with
# automatic feedback live in `notebooks/exercises/`.
#
# **Working offline.** Everything runs on a laptop without a network: the digits
# lectures fall back to the 8×8 digits that ship with scikit-learn. On Binder the full
# MNIST set is downloaded on first use.
