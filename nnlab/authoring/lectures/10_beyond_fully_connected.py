# %% [markdown]
# # Lecture 10: beyond fully connected networks
#
# A fully connected layer treats its input as a list of numbers in no particular order: swap
# two pixels in every image and it learns just as well. Images, sequences and rotations have
# structure a network can use. This lecture builds three kinds of layer around that
# structure: **convolution** (the same small filter everywhere on an image), **recurrence**
# (the same update at every step of a sequence) and **structured outputs** (a network's
# output turned into a valid rotation). It ends with a learned component in a robot's control
# loop, timed here against the optimiser it replaces.
#
# Every number below is computed in this notebook.

# %%
import time

import numpy as np

from nnlab import conv, mpc, rnn, rotations
from nnlab.views import Convolution, RNNUnroller, RotationProjection

# %% [markdown]
# ## 1. Convolution
#
# A filter (or kernel) $w$ of $k \times k$ weights slides over the image $x$. At each place
# it multiplies the cells under it by its weights and adds the products:
#
# $$z_{ij} = \sum_{m} \sum_{n} w_{mn}\, x_{i+m,\, j+n}.$$
#
# Strictly this is cross-correlation (signal processing's convolution flips the kernel
# first), but it is what every deep-learning library computes under the name convolution,
# and it makes no difference to learning: the network learns the flipped kernel instead.
# A $2 \times 2$ filter fits $5 \times 5$ times into a $6 \times 6$ image:

# %%
# NBVAL_CHECK_OUTPUT
x = np.array([[1, 2, 0, 1, 3, 0],
              [0, 1, 3, 2, 1, 1],
              [2, 0, 1, 0, 2, 3],
              [3, 1, 0, 1, 0, 2],
              [1, 3, 2, 0, 1, 0],
              [0, 2, 1, 3, 2, 1]], dtype=float)
w = np.array([[1.0, -1.0],
              [1.0, -1.0]])          # left column minus right column: a vertical edge
z = conv.conv2d(x, w)
print("output shape:", z.shape)
print(z.astype(int))
print("z[0, 0] =", " + ".join(f"({t.w:g})({t.x:g})" for t in conv.terms(x, w, (0, 0))),
      "=", int(z[0, 0]))

# %% [markdown]
# Large values of $z$ mark where the left column of a window is brighter than its right one.
# The same four weights are used at all 25 places: that is **weight sharing**.
#
# ### Stride, padding and dilation
#
# Three settings change where the windows go. The **stride** $s$ moves the window $s$ cells at
# a time; **padding** $p$ adds $p$ rings of zeros around the image; **dilation** $d$ spreads the
# kernel's taps $d$ cells apart. Along each side the output has
#
# $$n' = \left\lfloor \frac{n + 2p - d(k-1) - 1}{s} \right\rfloor + 1$$
#
# cells. When the division is not exact, the last window would hang over the edge, and it is
# dropped:

# %%
# NBVAL_CHECK_OUTPUT
settings = [(6, 2, 1, 0, 1), (28, 3, 1, 1, 1), (28, 3, 2, 0, 1), (28, 3, 1, 0, 2)]
for n, k, s, p, d in settings:
    size = conv.output_size(n, k, stride=s, padding=p, dilation=d)
    print(f"n={n:2d} k={k} s={s} p={p} d={d}: n' = {size.size:2d}"
          + ("" if size.exact else f"  ({size.dropped} cell dropped)"))
print(conv.explain_output_size(28, 3, stride=2))

# %% [markdown]
# ### Why share weights
#
# Compare a convolution layer with 16 filters of $3 \times 3$ on a $28 \times 28$ image with a
# dense layer that maps the same image to an output of the same size ($16 \times 26 \times 26$
# numbers):

# %%
# NBVAL_CHECK_OUTPUT
counts = conv.parameter_counts((1, 28, 28), out_channels=16, kernel_size=3)
print(f"convolution: {counts.conv:,} parameters, output {counts.out_shape}")
print(f"dense layer: {counts.dense:,} parameters")
print(f"the dense layer has {counts.dense // counts.conv:,} times as many")

# %% [markdown]
# The convolution needs $16 \cdot 9$ weights and 16 biases. The dense layer needs a weight from
# every pixel to every output number: 8.5 million, most of them spent on pairs of pixels far
# apart. Sharing also builds in a useful assumption: an edge is an edge wherever it appears,
# so what the filter learns in one corner works in every other.
#
# Each output cell sees only a small patch of the input, its **receptive field**. Stacking
# layers widens it; stride and dilation widen it faster:

# %%
# NBVAL_CHECK_OUTPUT
for name, layers in [("three 3x3 layers", [(3, 1, 1)] * 3),
                     ("3x3, stride 2, three times", [(3, 2, 1)] * 3),
                     ("3x3, dilation 1, 2, 4", [(3, 1, 1), (3, 1, 2), (3, 1, 4)])]:
    field = conv.receptive_field(layers)
    print(f"{name:28s} sees {field.size} x {field.size} input cells")

# %% [markdown]
# Three $3 \times 3$ layers see $7 \times 7$ cells, as one $7 \times 7$ layer would, with 27
# weights per channel instead of 49 and two more nonlinearities in between.
#
# ### The explorer
#
# Step the window across the image and watch the output fill in; the line below the picture
# writes out the current product-sum. Things to try:
# - Switch the kernel between vertical and horizontal edge on the digit: which strokes light
#   up?
# - Set stride 2 without padding: the formula says 3.5 windows fit, so the last column and
#   row of the image are never read. Add padding 1 and see the output grow.
# - Dilation 2 spreads the taps: the same 9 weights now span 5 × 5 cells.
# - Compare cross-correlation with convolution on the "2 × 2 difference" kernel.
#
# `Convolution(image=your_array)` works on any 2-D array of yours.

# %%
Convolution()

# %% [markdown]
# ## 2. Recurrent networks
#
# A sequence (a sentence, a sensor trace) has an order and no fixed length. A recurrent
# network reads it one step at a time and carries a hidden state $h_t$ from step to step:
#
# $$h_t = \sigma(W_{hx} x_t + W_{hh} h_{t-1} + b), \qquad \hat y_t = W_{yh} h_t,$$
#
# from an initial state $h_0$ (often zeros). The same weights are used at every step: weight
# sharing again, this time in time. Below, a network of 16 hidden units reads a sine wave.

# %%
# NBVAL_CHECK_OUTPUT
T = 40
xs = np.sin(np.linspace(0, 4 * np.pi, T))[:, None]        # (T, 1): one input a step
params = rnn.init_params(input_size=1, hidden_size=16, output_size=1, seed=0)
run = rnn.forward(params, xs, nonlinearity="tanh")
print("hidden states h_0 ... h_40:", run.h.shape, " outputs:", run.y.shape)
print("every |h_t| < 1 (tanh):", bool(np.all(np.abs(run.h) < 1)))

# %% [markdown]
# ### Gradients through time
#
# Training unrolls the network over the sequence and runs backpropagation through the
# unrolled graph (backpropagation through time). A loss at the last step reaches step $t$
# through $T - t$ multiplications by $W_{hh}^\top$ (and by $\sigma'$). In lecture 7 the same
# product over layers made gradients vanish or explode; here it happens over time. With a
# linear $\sigma$ and an orthogonal $W_{hh}$ scaled to spectral radius $\rho$, every step
# multiplies the gradient's norm by exactly $\rho$:

# %%
# NBVAL_CHECK_OUTPUT
def back_through_time(rho, nonlinearity="linear", steps=40, seed=0):
    """|dL/dh_0| / |dL/dh_T|: how much of the last step's gradient reaches the start."""
    p = rnn.init_params(1, 16, 1, seed=seed, spectral_radius=rho)
    x_seq = np.random.default_rng(seed).normal(size=(steps, 1))
    norms = rnn.last_step_gradient_norms(p, x_seq, nonlinearity=nonlinearity)
    return norms[0] / norms[-1]


for rho in (0.5, 0.9, 1.0, 1.1, 1.5):
    ratio = back_through_time(rho)
    print(f"rho = {rho}: the gradient at t = 0 is {ratio:.1e} of the one at t = 40"
          f"  (rho^40 = {rho ** 40:.1e})")

# %% [markdown]
# Over 40 steps, $\rho = 0.9$ keeps 1.5 % of the gradient and $\rho = 1.1$ multiplies it by 45.
# With tanh the derivative $\sigma' \le 1$ shrinks it further, which is why plain RNNs forget
# what they saw many steps ago, and why gated cells (LSTM, GRU) and careful initialisation were
# invented. The unroller shows the hidden states over time and the gradient sent back from
# the last step; move $\rho$ across 1 and switch the activation.

# %%
RNNUnroller()

# %% [markdown]
# ## 3. Structured outputs: rotations
#
# A robot that estimates an object's orientation must output a rotation, and a network's
# output is just a vector. Two common ways to turn it into a valid rotation:
#
# **Quaternions.** The network outputs four numbers $q^*$; dividing by their length gives a
# unit quaternion $q = q^*/|q^*|$, which is always a rotation. The division has a simple
# derivative, $\partial q / \partial q^* = (I - q q^\top)/|q^*|$, so training can pass
# gradients through it. Because $q$ and $-q$ are the same rotation, the loss must not prefer
# either sign: $\min(|q - q_t|, |q + q_t|)$.

# %%
# NBVAL_CHECK_OUTPUT
q_star = np.array([0.3, -1.2, 0.4, 2.0])
q = rotations.normalize_quaternion(q_star)
J = rotations.normalization_jacobian(q_star)
h = 1e-6
numeric = np.stack([(rotations.normalize_quaternion(q_star + h * e)
                     - rotations.normalize_quaternion(q_star - h * e)) / (2 * h)
                    for e in np.eye(4)], axis=1)
print("|q| =", round(float(np.linalg.norm(q)), 12))
print("Jacobian equals central differences to 1e-8:",
      bool(np.allclose(J, numeric, atol=1e-8)))
print("distance from q to -q:", rotations.quaternion_distance(q, -q))

# %% [markdown]
# **Rotation matrices.** The network outputs nine numbers $M$, and we take the rotation closest
# to $M$. With the singular value decomposition $M = U \Sigma V^\top$ it is
#
# $$C = U \operatorname{diag}\bigl(1, 1, \det(U V^\top)\bigr) V^\top.$$
#
# Without the determinant term, $U V^\top$ is the closest *orthogonal* matrix, which is a
# reflection (a mirror image, $\det = -1$) whenever $\det M < 0$. A noisy output can land
# there:

# %%
# NBVAL_CHECK_OUTPUT
R_true = rotations.rotation_from_axis_angle([0, 0, 1], np.deg2rad(30))
M = R_true + np.random.default_rng(3).normal(scale=0.8, size=(3, 3))
print("det M =", round(float(np.linalg.det(M)), 3))
for fix in (False, True):
    R = rotations.project_to_so3(M, fix_det=fix).R
    print(f"fix_det={fix!s:5}: det R = {np.linalg.det(R):+.0f},"
          f" orthogonal: {rotations.orthogonality_error(R) < 1e-12}")

# %% [markdown]
# Both are orthogonal, but only the second is a rotation: the first is a mirror image, which
# no rigid motion of the object can produce. When the two smallest singular values nearly
# coincide the projection becomes unstable (a small change of $M$ can flip the answer), and
# `project_to_so3` warns. In the explorer, raise the noise and switch the fix off.

# %%
RotationProjection()

# %% [markdown]
# ## 4. Learned components in a control loop
#
# Model predictive control (MPC) plans the next few seconds at every step by solving an
# optimisation problem, then applies only the first input. On a robot that must react
# hundreds of times a second this can be too slow. One remedy: solve the problem offline for
# many states, and train a small network to imitate the solver's first input. Here the system
# is a double integrator (a cart with position and velocity), the plan covers 10 steps, and
# the input is bounded.

# %%
problem = mpc.problem(horizon=10, u_max=1.0)
start = time.perf_counter()
learned = mpc.imitate(problem, n_train=1000, n_test=300, seed=0)
seconds = time.perf_counter() - start
print(f"solved 1,300 states and trained the network in {seconds:.1f} s")
timing = mpc.timings(problem, learned)
print(f"MPC: {timing.mpc_ms:.3f} ms per solve, network: {timing.mlp_ms:.4f} ms per call"
      f" ({timing.ratio:.0f} times faster)")
print(f"imitation error on held-out states: RMS {learned.rms_error:.3f},"
      f" worst {learned.max_error:.3f}"
      f" (the input ranges over [-1, 1])")

# %% [markdown]
# The speed-up depends on the solver (a general-purpose one is several times slower than the
# bounded least-squares solver used here) and on the machine; the lecture's reported figures
# (about 6.75 ms against 0.006 ms) come from a larger problem. What does not change: the
# network answers in a fixed, tiny time, but it only approximates the solver, and nothing
# guarantees its input is optimal or even safe in a state it never saw. In practice such
# networks run with a fallback (the solver, or a safety filter) around them.
#
# ## Summary
#
# - Convolution shares one small filter across the image: far fewer parameters than a dense
#   layer, and the same feature detector everywhere. Stride, padding and dilation set where
#   the windows go; the output size follows $\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1$.
# - Recurrent networks share one update across time. Their gradients are products over time
#   steps and vanish or explode with the spectral radius of $W_{hh}$.
# - Outputs with structure need a final step that enforces it: normalise a quaternion, or
#   project a matrix onto the rotations with the determinant fix.
# - A network can replace an expensive solver when it is fast enough to matter and its errors
#   are measured.
