# %% [markdown]
# # Exercise (lecture 10): convolution and the nearest rotation
#
# Two structures from lecture 10, written by you. A convolutional layer slides one small
# filter over an image: first count the positions the filter takes, then compute the layer's
# output with a stride and zero padding. A network that estimates an orientation has to
# output a rotation matrix: turn any 3 × 3 matrix into the rotation nearest to it. Each check
# under a part runs your function on cases of its own, drawn afresh at every call, and names
# the slip it recognises.
#
# Write them with NumPy (or plain Python). PyTorch's `conv2d`, scipy's `correlate2d`,
# `convolve2d` and `ndimage.correlate`, scipy's `orthogonal_procrustes` and `Rotation`, and the
# lecture's own `nnlab.conv` and `nnlab.rotations` would do the work for you, so the checks
# rule them out.

# %%
import numpy as np

from nnlab import check

# %% [markdown]
# ## 1. How many outputs?
#
# Take one axis of the image. An input of `n` cells, padded with `p` zeros at each end, is
# `n + 2p` cells long. A kernel of `k` cells placed `d` cells apart (the *dilation*; `d = 1` is
# an ordinary kernel) covers $d(k - 1) + 1$ cells. The first window starts at cell 0 and each
# next one starts `s` cells further on (the *stride*). A window that would run past the end of
# the padded input is dropped, so the number of outputs is
#
# $$n_\text{out} = \left\lfloor \frac{n + 2p - d(k - 1) - 1}{s} \right\rfloor + 1 .$$
#
# The lecture's 2 × 2 filter on a 6 × 6 image (no padding, stride 1) takes $6 - 2 + 1 = 5$
# positions along each axis, so its output is 5 × 5. Return the number of outputs as an `int`.

# %%
def output_size(n, k, stride=1, padding=0, dilation=1):
    ### BEGIN SOLUTION
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    ### END SOLUTION


check.output_size(output_size)

# %% [markdown]
# ## 2. A convolution with stride and padding
#
# `x` is a single-channel image, an `H` × `W` array, and `w` a `kH` × `kW` kernel. Pad `x`
# with `p` zeros on every side (`np.pad(x, p)` does this) and call the result $x_\text{pad}$.
# The output `z` has one cell for every position of the kernel, which moves `s` cells at a
# time, down and across:
#
# $$z_{ij} = \sum_{m=0}^{k_H - 1} \sum_{n=0}^{k_W - 1} w_{mn}\; x_\text{pad}[\,i s + m,\ j s + n\,],$$
#
# where `i` counts the rows of `z` and `j` its columns. By part 1 along each axis, `z` has
# `(H + 2p - kH) // s + 1` rows and `(W + 2p - kW) // s + 1` columns.
#
# This sum is what the lecture and PyTorch's `conv2d` call a convolution. In signal processing
# the same word means the sum with the kernel flipped, $w_{k_H - 1 - m,\ k_W - 1 - n}$; a CNN
# learns its kernels, so it has no reason to flip them. Use `w` as it is given. Return `z` as a
# 2-D float array, and leave `x` and `w` unchanged.
#
# Two loops over `i` and `j` are fine. If you want no loops:
# `np.lib.stride_tricks.sliding_window_view(x_pad, w.shape)` holds every window (stride 1), and
# `[::s, ::s]` keeps every s-th one.

# %%
def conv2d(x, w, stride=1, padding=0):
    ### BEGIN SOLUTION
    x_pad = np.pad(x, padding)
    kh, kw = w.shape
    rows = (x_pad.shape[0] - kh) // stride + 1
    cols = (x_pad.shape[1] - kw) // stride + 1
    z = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            window = x_pad[i * stride:i * stride + kh, j * stride:j * stride + kw]
            z[i, j] = np.sum(window * w)
    return z
    ### END SOLUTION


check.conv2d(conv2d)

# %% [markdown]
# ## 3. The rotation nearest to a matrix
#
# A network that estimates the orientation of a camera can output nine numbers, a 3 × 3 matrix
# `M`. Nothing makes `M` a rotation, which needs orthonormal columns ($R^\top R = I$) and no
# mirror image in it ($\det R = +1$). The lecture's remedy replaces `M` by the rotation nearest
# to it in the Frobenius norm, the one that minimises $\lVert M - R \rVert_F$. Take the singular
# value decomposition $M = U S V^\top$, with singular values $s_1 \ge s_2 \ge s_3 \ge 0$; then
#
# $$R = U \,\mathrm{diag}(1,\ 1,\ d)\, V^\top, \qquad d = \det(U V^\top) = \pm 1 .$$
#
# Without $d$, $U V^\top$ is the nearest *orthogonal* matrix. Where $\det M < 0$, its
# determinant is $-1$: it is a reflection, which no rigid motion performs. Setting $d = -1$ on
# the singular vector of the smallest singular value, $s_3$, is the change that costs least.
#
# `np.linalg.svd(M)` returns `U`, the singular values (largest first) and $V^\top$, not $V$.
# Return `R` as a 3 × 3 array. Some of the check's matrices have $\det M < 0$.

# %%
def project_to_so3(M):
    ### BEGIN SOLUTION
    U, s, Vt = np.linalg.svd(M)
    d = np.sign(np.linalg.det(U @ Vt))
    return U @ np.diag([1.0, 1.0, d]) @ Vt
    ### END SOLUTION


check.project_to_so3(project_to_so3)

# %% [markdown]
# ## 4. Put them together
#
# An image that is dark on its left half and bright on its right, and a kernel that subtracts
# each pixel from its right-hand neighbour: your convolution should find the edge. With stride
# 2 and padding 1 it answers at every other position, in the shape your `output_size` predicts.
#
# Then noisy measurements of a rotation by 30° about the vertical axis. Your projection turns
# each into a rotation; how far is that from the true one? The angle between two rotations is
# $\arccos\big((\operatorname{tr}(R_\text{true}^\top R) - 1) / 2\big)$. The noisiest
# measurement has $\det M < 0$: your projection still returns a rotation, but no projection can
# undo that much noise.

# %%
image = np.zeros((6, 8))
image[:, 4:] = 1.0
edge = np.array([[-1.0, 1.0]])
try:
    print(conv2d(image, edge))
    z = conv2d(image, edge, stride=2, padding=1)
    rows, cols = output_size(6, 1, 2, 1), output_size(8, 2, 2, 1)
    print(f"stride 2, padding 1: z has shape {z.shape}; output_size: ({rows}, {cols})")

    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    R_true = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    rng = np.random.default_rng(7)
    for noise in [0.05, 0.2, 0.8]:
        M = R_true + noise * rng.standard_normal((3, 3))
        R = project_to_so3(M)
        apart = np.abs(R.T @ R - np.eye(3)).max()
        cos = np.clip((np.trace(R_true.T @ R) - 1) / 2, -1.0, 1.0)
        print(f"noise {noise}: det M = {np.linalg.det(M):+.2f}, det R = "
              f"{np.linalg.det(R):+.2f}, |R^T R - I| = {apart:.0e}, "
              f"{np.degrees(np.arccos(cos)):.1f} degrees from the truth")
except NotImplementedError:
    print("write output_size, conv2d and project_to_so3 first")
