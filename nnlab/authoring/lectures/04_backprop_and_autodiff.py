# %% [markdown]
# # Lecture 4: backpropagation and automatic differentiation
#
# Training means following the gradient of the loss with respect to every parameter. A
# network has thousands to billions of parameters, and writing each partial derivative by
# hand is hopeless. This lecture shows how the chain rule, applied node by node to the
# computation the network performs, gives all of them at the cost of roughly one extra pass
# through the network. That procedure is *backpropagation*; done by a program for any
# computation, it is *reverse-mode automatic differentiation*.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from nnlab import autodiff as ad
from nnlab import gradcheck, graphs, nn
from nnlab.views import AutodiffTrace, GradientCheckExplorer, show

# %% [markdown]
# ## 1. Gradient descent on parameters
#
# Collect all weights and biases in one vector $\theta$. One step of gradient descent moves
# every parameter against its own partial derivative,
#
# $$\theta \leftarrow \theta - \eta\, \nabla_\theta L(\theta),$$
#
# with learning rate $\eta$. Everything below is about computing $\nabla_\theta L$ exactly
# and cheaply.
#
# ## 2. A computational graph, worked by hand
#
# Take a network with one input, one ReLU unit and one output, and the square loss:
#
# $$h = \max(0, w_1 x + b_1), \qquad y = w_2 h + b_2, \qquad L = (y - t)^2 .$$
#
# With $w_1 = 3$, $b_1 = 1$, $w_2 = 2$, $b_2 = -5$ and one example $x = 1$, $t = 1$, the
# **forward pass** stores every intermediate value: $w_1 x + b_1 = 4$, $h = 4$, $y = 3$,
# $L = 4$. The **backward pass** starts from $\partial L/\partial L = 1$ and walks back:
#
# - $\partial L/\partial y = 2(y - t) = 4$, and since $y = w_2 h + b_2$:
#   $\partial L/\partial b_2 = 4$, $\partial L/\partial w_2 = 4 \cdot h = 16$,
#   $\partial L/\partial h = 4 \cdot w_2 = 8$;
# - the ReLU is active ($w_1 x + b_1 > 0$), so it passes the 8 on unchanged:
#   $\partial L/\partial b_1 = 8$ and $\partial L/\partial w_1 = 8 \cdot x = 8$.
#
# One step with $\eta = 1/4$ moves $(w_1, b_1, w_2, b_2)$ from $(3, 1, 2, -5)$ to
# $(3 - 2, 1 - 2, 2 - 4, -5 - 1) = (1, -1, -2, -6)$. nnlab's small engine (`nnlab.autodiff`)
# and PyTorch both agree:

# %%
# NBVAL_CHECK_OUTPUT
w1, b1 = ad.Var(3.0, "w1"), ad.Var(1.0, "b1")
w2, b2 = ad.Var(2.0, "w2"), ad.Var(-5.0, "b2")
x, t = 1.0, 1.0
h = ad.relu(w1 * x + b1)
y = w2 * h + b2
L = ad.square_loss(y, t)
L.backward()
params = [w1, b1, w2, b2]
print(f"forward: h = {h.value:g}, y = {y.value:g}, L = {L.value:g}")
print("gradient (w1, b1, w2, b2):", [p.grad for p in params])
print("after one step with lr 1/4:", [p.value - 0.25 * p.grad for p in params])

pt = torch.tensor([3.0, 1.0, 2.0, -5.0], dtype=torch.float64, requires_grad=True)
loss = (pt[2] * torch.relu(pt[0] * x + pt[1]) + pt[3] - t) ** 2
loss.backward()
print("PyTorch's gradient:        ", pt.grad.tolist())

# %% [markdown]
# ## 3. The recursion behind backpropagation
#
# For a layered network the same bookkeeping becomes a recursion. Write
# $z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}$ and $a^{(l)} = g(z^{(l)})$, and call
# $\delta^{(l)} = \partial L / \partial z^{(l)}$ the *error* of layer $l$. The chain rule gives
#
# $$\delta^{(l)} = \big(W^{(l+1)\top} \delta^{(l+1)}\big) \odot g'(z^{(l)}), \qquad
# \frac{\partial L}{\partial W^{(l)}} = \delta^{(l)} a^{(l-1)\top}, \qquad
# \frac{\partial L}{\partial b^{(l)}} = \delta^{(l)} .$$
#
# For a sigmoid output with the cross-entropy loss, the output error simplifies to
# $\delta^{(\text{out})} = \hat y - y$: the $\sigma'$ of the last layer cancels against the
# derivative of the logarithm. Over a batch the per-example gradients are added (or
# averaged), and an L2 penalty $\tfrac{\lambda}{2}\lVert W\rVert^2$ adds $\lambda W$ to each
# weight gradient, never to the biases.
#
# ## 4. The circle problem from scratch
#
# Here is the whole training loop in plain NumPy, exactly as the recursion says: 200 points
# from a standard normal distribution, label 1 inside the unit circle, a 2-8-1 network with
# ReLU hidden units and a sigmoid output, weights drawn as $0.01 \cdot$ randn, zero biases,
# learning rate 0.05, 1,000 full-batch steps on the summed cross-entropy.

# %%
rng = np.random.default_rng(0)
X = rng.standard_normal((200, 2))
Y = (np.sum(X**2, axis=1) < 1).astype(float)[:, None]
W1, c1 = 0.01 * rng.standard_normal((2, 8)), np.zeros(8)
W2, c2 = 0.01 * rng.standard_normal((8, 1)), np.zeros(1)
start = [(W1.copy(), c1.copy()), (W2.copy(), c2.copy())]
eps, lr = 1e-8, 0.05


def cross_entropy(A2, Y):
    return float(-np.sum(Y * np.log(A2 + eps) + (1 - Y) * np.log(1 - A2 + eps)))


losses_scratch = []
for step in range(1000):
    Z1 = X @ W1 + c1                      # forward
    A1 = np.maximum(0, Z1)
    A2 = 1 / (1 + np.exp(-(A1 @ W2 + c2)))
    losses_scratch.append(cross_entropy(A2, Y))
    dZ2 = A2 - Y                          # backward: sigmoid + cross-entropy shortcut
    dW2, dc2 = A1.T @ dZ2, dZ2.sum(axis=0)
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * (Z1 > 0)                  # relu'
    dW1, dc1 = X.T @ dZ1, dZ1.sum(axis=0)
    W1, c1, W2, c2 = W1 - lr * dW1, c1 - lr * dc1, W2 - lr * dW2, c2 - lr * dc2

accuracy = float(np.mean((A2 > 0.5) == Y))
print(f"loss {losses_scratch[0]:.1f} at the start, "
      f"{losses_scratch[-1]:.1f} after 1,000 steps; "
      f"training accuracy {accuracy:.2f}")

# %% [markdown]
# The same network, from the same starting weights, trained with `nnlab.nn.MLP` (its
# backward pass is the recursion above, written once for any depth) and with a PyTorch loop
# whose gradients come from autograd, follows the same path to rounding error:

# %%
# NBVAL_CHECK_OUTPUT
net = nn.MLP.from_params([(W.copy(), b.copy()) for W, b in start], hidden="relu",
                         output="sigmoid", reduction="sum")
tW1, tc1, tW2, tc2 = (torch.tensor(a, requires_grad=True)
                      for pair in start for a in pair)
Xt, Yt = torch.tensor(X), torch.tensor(Y)
losses_mlp, losses_torch = [], []
for step in range(1000):
    losses_mlp.append(cross_entropy(net.forward(X), Y))
    net.step(net.gradients(X, Y), lr)
    Z2t = torch.relu(Xt @ tW1 + tc1) @ tW2 + tc2
    losses_torch.append(cross_entropy(torch.sigmoid(Z2t).detach().numpy(), Y))
    # the loss from the logits: its gradient is sigmoid(Z2) - Y, the shortcut of
    # section 3
    bce_logits = torch.nn.functional.binary_cross_entropy_with_logits
    bce_logits(Z2t, Yt, reduction="sum").backward()
    with torch.no_grad():
        for p in (tW1, tc1, tW2, tc2):
            p -= lr * p.grad
            p.grad = None
gap_mlp = np.max(np.abs(np.subtract(losses_scratch, losses_mlp)))
gap_torch = np.max(np.abs(np.subtract(losses_scratch, losses_torch)))
print("nnlab.nn.MLP: losses equal to 1e-10 at every step:", bool(gap_mlp < 1e-10))
print("PyTorch autograd: losses equal to 1e-10 at every step:", bool(gap_torch < 1e-10))

# %% [markdown]
# ## 5. Checking a gradient
#
# A backward pass can be wrong in ways that still let the loss fall for a while. The check is
# cheap: nudge one parameter by $\pm h$ and compare the *central difference*
# $\big(L(\theta + h e_i) - L(\theta - h e_i)\big) / 2h$ with the analytic partial
# derivative. Relative errors around $10^{-7}$ or smaller (in float64) mean the two agree.

# %%
# NBVAL_CHECK_OUTPUT
small = nn.MLP([2, 8, 1], hidden="relu", output="sigmoid", seed=1)
report = gradcheck.gradient_check(small, X[:20], Y[:20])
print("largest relative error below 1e-7:", report.max_rel_error < 1e-7)

# %% [markdown]
# Which $h$? Smaller is not always better. The one-sided difference
# $\big(f(x+h) - f(x)\big)/h$ is off by about $\tfrac12 f''(x)\, h$ (Taylor), the central one by
# about $\tfrac16 f'''(x)\, h^2$. But the computer rounds every $f$ value to a relative
# precision $\varepsilon$ ($2.2 \cdot 10^{-16}$ in float64, $1.2 \cdot 10^{-7}$ in float32),
# and dividing by a small $h$ magnifies that error like $\varepsilon / h$. The two effects
# meet at the bottom of a V: near $h \approx \varepsilon^{1/2}$ for one-sided differences and
# $h \approx \varepsilon^{1/3}$ for central ones. Here for $f = \sin$ at $x = 1$:

# %%
hs = np.logspace(-1, -12, 45)
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
styles = {("forward", np.float64): ("#0072B2", "-"),
          ("central", np.float64): ("#D55E00", "-"),
          ("forward", np.float32): ("#0072B2", "--"),
          ("central", np.float32): ("#D55E00", "--")}
best = {}
for (kind, dtype), (colour, ls) in styles.items():
    err = gradcheck.error_against_h(np.sin, np.cos, 1.0, hs, dtype, kind)
    err = np.maximum(err, 1e-17)
    best[kind, dtype] = gradcheck.best_step(hs, err)  # ignores single lucky steps
    name = "one-sided" if kind == "forward" else "central"
    ax.loglog(hs, err, color=colour, ls=ls, lw=1.6,
              label=f"{name}, {np.dtype(dtype).name}")
for dtype in (np.float64, np.float32):
    e = np.finfo(dtype).eps
    ax.axvline(e ** 0.5, color="0.5", lw=0.8, ls=":")
    ax.axvline(e ** (1 / 3), color="0.5", lw=0.8, ls="-.")
ax.set(xlabel="step h", ylabel="|difference quotient − cos 1|",
       title="finite-difference error against h")
ax.invert_xaxis()
ax.grid(alpha=0.3)
ax.legend(fontsize=9, loc="lower left")
show(fig, "Log-log plot of the error of one-sided and central difference quotients "
          "of sin at 1 against the step h, in float64 (solid) and float32 (dashed). "
          "Each curve is a V: the error first falls as h shrinks, then rises again as "
          "rounding takes over. The bottoms lie near the square root of machine "
          "epsilon for one-sided differences and near its cube root for central ones "
          "(grey lines).")

# %%
# NBVAL_CHECK_OUTPUT
for dtype in (np.float64, np.float32):
    e = np.finfo(dtype).eps
    print(f"{np.dtype(dtype).name}: best h one-sided within 10x of eps^(1/2): "
          f"{e ** 0.5 / 10 < best['forward', dtype] < 10 * e ** 0.5}, "
          f"central within 10x of eps^(1/3): "
          f"{e ** (1 / 3) / 10 < best['central', dtype] < 10 * e ** (1 / 3)}")

# %% [markdown]
# Try it: move $h$ along its log slider and switch between one-sided and central differences
# and between float64 and float32. Your curve is drawn bold, your $h$ is the black dot.

# %%
GradientCheckExplorer()

# %% [markdown]
# ## 6. Automatic differentiation, step by step
#
# A program can do the bookkeeping of section 2 for any computation. Break it into
# elementary operations, one node each, and store every value on the way forward. Then, in
# **reverse mode**, give the output the adjoint $\bar y = 1$ and visit the nodes backwards;
# each node passes its adjoint times its local derivative to each of its inputs:
#
# $$\bar u \mathrel{+}= \bar v \cdot \frac{\partial v}{\partial u}.$$
#
# It is "$+=$" because a value used twice receives a contribution from each use. The
# lecture's example is $f(x_1, x_2) = \ln x_1 + x_1 x_2 - \sin x_2$ at $(2, 5)$:

# %%
# NBVAL_CHECK_OUTPUT
x1, x2 = ad.Var(2.0, "x1"), ad.Var(5.0, "x2")
v1 = ad.log(x1)
v2 = x1 * x2
v3 = ad.sin(x2)
v4 = v1 + v2
f = v4 - v3
tr = ad.trace(f)
print("forward pass")
for node in tr.nodes[2:]:
    print(f"  {node.name:>2} = {node.written:<8} = {node.value:8.3f}")
print("reverse sweep (adjoints, from the output back)")
for row in tr.rows:
    sign = "=" if row.first else "+="
    print(f"  {row.receives}bar {sign:>2} {row.sends}bar * {row.local:6.3f}"
          f"   -> {row.total:6.3f}")
print("gradient:", {name: round(g, 3) for name, g in tr.result.items()},
      "  closed form: (1/x1 + x2, x1 - cos x2) =",
      (round(1 / 2 + 5, 3), round(float(2 - np.cos(5)), 3)))

# %% [markdown]
# Step through it yourself. **Step** takes the next step of the forward pass and then of the
# sweep; the highlighted box is the node that changes, the highlighted edge the one the
# contribution travels along. Switch to *forward mode* to carry a tangent $\dot u$ from one
# input instead, and try the other expressions: *a value used twice* ($b = a + a$,
# $c = b \cdot b$) shows the "$+=$" at its plainest.

# %%
AutodiffTrace()

# %% [markdown]
# ## 7. Forward or reverse?
#
# Forward mode carries derivatives along with the values: one sweep per input direction.
# Reverse mode carries adjoints back: one sweep per output. For a chain of Jacobians
# $J_3 J_2 J_1$ of sizes $D \times d_2$, $d_2 \times d_1$ and $d_1 \times d$, multiplying from the
# input side costs $d(D d_2 + d_2 d_1)$ multiplications and from the output side
# $D(d_2 d_1 + d_1 d)$. A loss is a single number ($D = 1$) of many parameters (large $d$), so
# reverse mode wins by a factor of about $d$. The engine counts its multiplications:

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'d':>4} {'d1':>4} {'d2':>4} {'D':>3}  "
      f"{'forward':>8} {'formula':>8}  {'reverse':>8} {'formula':>8}")
for d, d1, d2, D in [(10, 8, 6, 1), (50, 20, 10, 1), (2, 8, 8, 30)]:
    J_fwd, J_rev, n_fwd, n_rev, (J1, J2, J3) = graphs.jacobian_chain(d, d1, d2, D)
    assert np.allclose(J_fwd, J3 @ J2 @ J1) and np.allclose(J_rev, J3 @ J2 @ J1)
    print(f"{d:4d} {d1:4d} {d2:4d} {D:3d}  {n_fwd:8d} {d * (D * d2 + d2 * d1):8d}  "
          f"{n_rev:8d} {D * (d2 * d1 + d1 * d):8d}")

# %% [markdown]
# With one output, reverse mode is cheaper whenever there are more inputs than outputs; with
# many outputs and few inputs (the last row) forward mode is.
#
# ## 8. Why frameworks
#
# PyTorch, JAX and TensorFlow do exactly this, for tensors instead of scalars: they record the
# operations of the forward pass and run reverse mode through them. On top they offer
# ready-made layers and losses and run on GPUs. The gradients are the ones we computed by hand:

# %%
# NBVAL_CHECK_OUTPUT
model = net.to_torch(dtype=torch.float64)
logits = model[:-1](Xt)  # every layer but the final sigmoid
bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, Yt, reduction="sum")
bce.backward()
autograd = [p.grad.numpy() for p in model.parameters()]
ours = [g.T if g.ndim == 2 else g for pair in net.gradients(X, Y) for g in pair]
print("autograd equals the hand-written backward pass (1e-10):",
      all(np.allclose(a, o, rtol=1e-10, atol=1e-12) for a, o in zip(autograd, ours)))
