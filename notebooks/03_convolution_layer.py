# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 The convolution layer
#
# With im2col ([02](02_im2col.ipynb)) a convolution is one matrix product. In this
# notebook we turn that product into a **layer** with a forward and a backward pass, as
# the book does in section 7.4.3, check every gradient numerically, and then look at
# what hand-made filters do to a digit and to a photograph.
#
# **Learning goals.** After this notebook you can
# - write the forward pass through im2col and explain the `transpose(0, 3, 1, 2)` that
#   brings the result back to `(N, FN, OH, OW)`;
# - derive the backward pass `dW`, `db`, `dx` from the Affine layer's, and implement it;
# - check gradients numerically (in float64) and say why float32 is not enough;
# - design filters that find vertical edges, horizontal edges, or blur.

# %%
import matplotlib.pyplot as plt
import numpy as np

import cnnlib
from cnnlib import check_layer, col2im, im2col, numerical_gradient, rel_error
from cnnlib.course.report import say
from cnnlib.gradcheck import numerical_gradient_array
from cnnlib.course.exercises import check, check_claims, check_function
from cnnlib.course.viz import draw_matrix, show_images
from cnnlib.data import load_mnist, sample_image
from cnnlib.layers import Convolution

plt.rcParams["figure.dpi"] = 72
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Forward: im2col, one product, back to NCHW
# A small example: 2 images with 3 channels of 5×5 pixels, 4 filters of 3×3, padding 1,
# stride 1 (so OH = OW = 5). Float64 throughout this notebook, because we will check
# gradients.
#
# <img src="../images/conv_arithmetic.png" alt="The four settings of notebook 01: no padding, same padding, stride 2, dilation 2">

# %%
N, C, H, W = 2, 3, 5, 5
FN, FH, FW = 4, 3, 3
stride, pad = 1, 1
x = rng.standard_normal((N, C, H, W))
Wt = rng.standard_normal((FN, C, FH, FW))  # the filters (Wt, since W is the input width)
b = rng.standard_normal(FN)
OH = cnnlib.conv_output_size(H, FH, stride, pad)
OW = cnnlib.conv_output_size(W, FW, stride, pad)

# %% [markdown]
# Three steps, each with its shape:

# %%
# NBVAL_CHECK_OUTPUT
col = im2col(x, FH, FW, stride, pad)         # one row per window
col_W = Wt.reshape(FN, -1).T                 # one column per filter
out_mat = col @ col_W + b                    # one row per window, one column per filter
print("col    ", col.shape, "= (N*OH*OW, C*FH*FW)")
print("col_W  ", col_W.shape, "= (C*FH*FW, FN)")
print("out_mat", out_mat.shape, "= (N*OH*OW, FN)")

# %% [markdown]
# `out_mat` has one row per `(n, oh, ow)`, in that order, and one column per filter `fn`.
# So `reshape(N, OH, OW, FN)` gives an array indexed `[n, oh, ow, fn]`, and
# `transpose(0, 3, 1, 2)` moves the filter axis (axis 3) to position 1:
# `[n, fn, oh, ow]`, the NCHW layout of the library.

# %%
# NBVAL_CHECK_OUTPUT
out = out_mat.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)
print("out", out.shape, "= (N, FN, OH, OW)")
assert np.allclose(out, Convolution(Wt, b, stride, pad).forward(x))

# %% [markdown]
# Why not simply `out_mat.reshape(N, FN, OH, OW)`? It has the right shape but mixes up
# the numbers. To see it, label each entry of a tiny `out_mat` (one image, 2×2 output
# positions, 3 filters) with `10 × filter + position`:

# %%
# NBVAL_CHECK_OUTPUT
tiny = np.array([[10 * fn + r for fn in range(3)] for r in range(4)])  # (OH*OW, FN)
print("out_mat: rows = positions, columns = filters\n", tiny)
print("right: reshape + transpose, map of filter 1\n", tiny.reshape(1, 2, 2, 3).transpose(0, 3, 1, 2)[0, 1])
print("wrong: plain reshape, 'map of filter 1'\n", tiny.reshape(1, 3, 2, 2)[0, 1])

# %%
right = tiny.reshape(1, 2, 2, 3).transpose(0, 3, 1, 2)
assert (right[0, 1] == [[10, 11], [12, 13]]).all()           # filter 1 at positions 0..3
assert not (tiny.reshape(1, 3, 2, 2) == right).all()

# %% [markdown]
# ## 2. Backward: it is an Affine layer in disguise
# Look at the middle step: `out_mat = col @ col_W + b` is exactly the Affine layer of
# chapter 5, $Y = XW + B$, with `col` as the input rows. Its backward pass is known
# (the book's section 5.6):
#
# $$\frac{\partial L}{\partial X} = \frac{\partial L}{\partial Y} W^T, \qquad
# \frac{\partial L}{\partial W} = X^T \frac{\partial L}{\partial Y}, \qquad
# \frac{\partial L}{\partial B} = \text{sum of } \frac{\partial L}{\partial Y} \text{ over the rows.}$$
#
# The other steps only move numbers around (reshape, transpose, im2col's copies), so
# their backward passes move the gradients back: undo the transpose and reshape for
# `dout`, undo the reshape for `dW`, and fold `dcol` back onto the image with col2im,
# which adds up the copies (notebook 02). Take a random upstream gradient `dout` and
# compare each step with the library's layer:

# %%
layer = Convolution(Wt, b, stride, pad)
layer.forward(x)
dout = rng.standard_normal((N, FN, OH, OW))
dx_lib = layer.backward(dout)

# %% [markdown]
# **Step 1:** `dout` back to the matrix layout of `out_mat`: the inverse of
# `transpose(0, 3, 1, 2)` is `transpose(0, 2, 3, 1)`.

# %%
dout_mat = dout.transpose(0, 2, 3, 1).reshape(-1, FN)  # (N*OH*OW, FN)
assert (dout_mat.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2) == dout).all()  # a round trip
print(dout_mat.shape)

# %% [markdown]
# **Step 2, the bias:** each bias was added to every position of every image, so its
# gradient is the sum of `dout` over those.

# %%
db = dout_mat.sum(axis=0)
print(db.shape)
assert np.allclose(db, layer.grads["b"])
assert np.allclose(db, dout.sum(axis=(0, 2, 3)))  # the same, without the matrix layout

# %% [markdown]
# **Step 3, the filters:** $X^T \cdot dY$, then undo `reshape(FN, -1).T`.

# %%
dcol_W = col.T @ dout_mat            # (C*FH*FW, FN)
dW = dcol_W.T.reshape(FN, C, FH, FW)
print(dW.shape)
assert np.allclose(dW, layer.grads["W"])

# %% [markdown]
# Written without matrices, one entry of `dW` is a sum over all images and positions:
# the input pixel each filter weight touched, times the gradient of the output it
# produced,
# $$dW[f, c, i, j] = \sum_{n, oh, ow} dout[n, f, oh, ow] \cdot x_{pad}[n, c, oh \cdot S + i, ow \cdot S + j].$$
# Check it for one weight with loops:

# %%
f, c, i, j = 2, 1, 0, 2
xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
by_hand = sum(dout[n, f, oh, ow] * xp[n, c, oh * stride + i, ow * stride + j]
              for n in range(N) for oh in range(OH) for ow in range(OW))
assert np.isclose(by_hand, dW[f, c, i, j])
print(f"dW[{f}, {c}, {i}, {j}] = {by_hand:.6f}")

# %% [markdown]
# **Step 4, the input:** $dY \cdot W^T$ gives the gradient of each *copy* in `col`;
# col2im adds the copies of each pixel together.

# %%
dcol = dout_mat @ col_W.T                       # (N*OH*OW, C*FH*FW)
dx = col2im(dcol, x.shape, FH, FW, stride, pad)  # (N, C, H, W)
print(dx.shape)
assert np.allclose(dx, dx_lib)

# %% [markdown]
# ## 3. The layer, assembled
# Here are the four steps in one class, the way the book writes it (with `params` and
# `grads` dicts, as every `cnnlib` layer has). `cnnlib`'s `Convolution` computes the
# same numbers with faster variants of im2col (im2col transposed, in one of two column
# orders) and of the product (for some shapes image by image, straight into NCHW order,
# the bias riding along as a row of ones in col; which variant a layer uses depends on
# its shape: see the docstring of `Columns` in `cnnlib/layers/columns.py`); this
# teaching version must agree with it.

# %%
class BookConvolution:
    """Convolution through im2col, as in Deep Learning from Scratch 7.4.3.

    W (FN, C, FH, FW), b (FN,); forward: x (N, C, H, W) -> (N, FN, OH, OW).
    """

    def __init__(self, W, b, stride=1, pad=0):
        self.params = {"W": W, "b": b}
        self.grads = {}
        self.stride, self.pad = stride, pad

    def forward(self, x, train=True):
        W, b = self.params["W"], self.params["b"]
        FN, C, FH, FW = W.shape
        N, C, H, W_in = x.shape
        OH = cnnlib.conv_output_size(H, FH, self.stride, self.pad)
        OW = cnnlib.conv_output_size(W_in, FW, self.stride, self.pad)
        self.x_shape = x.shape
        self.col = im2col(x, FH, FW, self.stride, self.pad)  # (N*OH*OW, C*FH*FW)
        self.col_W = W.reshape(FN, -1).T                      # (C*FH*FW, FN)
        out = self.col @ self.col_W + b                       # (N*OH*OW, FN)
        return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.params["W"].shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)     # (N*OH*OW, FN)
        self.grads["b"] = dout.sum(axis=0)
        self.grads["W"] = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T                            # (N*OH*OW, C*FH*FW)
        return col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)


# %% [markdown]
# Compared with the library on several sizes, paddings and strides:

# %%
for (N_, C_, H_, W_), (FN_, FH_, FW_), S_, P_ in [((2, 3, 5, 5), (4, 3, 3), 1, 1), ((3, 2, 7, 9), (5, 3, 5), 2, 0),
                                                  ((1, 1, 28, 28), (6, 5, 5), 1, 2), ((2, 4, 8, 8), (3, 2, 2), 2, 0)]:
    x_ = rng.standard_normal((N_, C_, H_, W_))
    W_, b_ = rng.standard_normal((FN_, C_, FH_, FW_)), rng.standard_normal(FN_)
    ours, lib = BookConvolution(W_, b_, S_, P_), Convolution(W_, b_, S_, P_)
    y = ours.forward(x_)
    assert np.allclose(y, lib.forward(x_))
    dout_ = rng.standard_normal(y.shape)
    assert np.allclose(ours.backward(dout_), lib.backward(dout_))
    assert all(np.allclose(ours.grads[k], lib.grads[k]) for k in ("W", "b"))
    print(f"x {x_.shape}, W {W_.shape}, stride {S_}, pad {P_}: forward and backward agree")

# %% [markdown]
# ## 4. Gradient check
# Agreeing with the library is reassuring, but both could be wrong in the same way. A
# **numerical gradient** is independent: nudge one number by $\pm h$, recompute the
# loss, and take $(L(x+h) - L(x-h)) / 2h$. `cnnlib.check_layer` does this for the input
# and every parameter, with the scalar $L = \sum(\text{out} \cdot dout)$ for a random
# `dout`, and returns relative errors. In float64 a correct backward pass gives errors
# below about $10^{-7}$, the threshold the checks below assert; a wrong one gives errors
# near 1 (shown below).

# %%
x = rng.standard_normal((2, 3, 7, 7))
W64, b64 = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
for S_, P_ in [(1, 0), (1, 1), (2, 1)]:
    errors = check_layer(BookConvolution(W64.copy(), b64.copy(), S_, P_), x, rng=0)
    print(f"stride {S_}, pad {P_}:", {k: f"{v:.1e}" for k, v in errors.items()})
    assert max(errors.values()) < 1e-7

# %% [markdown]
# The library's layer passes the same check:

# %%
errors = check_layer(Convolution(W64.copy(), b64.copy(), stride=2, pad=1), x, rng=0)
print({k: f"{v:.1e}" for k, v in errors.items()})
assert max(errors.values()) < 1e-7

# %% [markdown]
# And a wrong one fails it. The most common slip in this layer is to forget the
# transpose in backward, `dout.reshape(-1, FN)` instead of
# `dout.transpose(0, 2, 3, 1).reshape(-1, FN)`: the shapes still fit, so nothing raises,
# but the gradients belong to the wrong outputs.

# %%
class ForgotTranspose(BookConvolution):
    """BookConvolution with a bug: dout's rows are not put in (n, oh, ow) order."""

    def backward(self, dout):
        FN, C, FH, FW = self.params["W"].shape
        dout = dout.reshape(-1, FN)                           # the bug: no transpose(0, 2, 3, 1)
        self.grads["b"] = dout.sum(axis=0)
        self.grads["W"] = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        return col2im(dout @ self.col_W.T, self.x_shape, FH, FW, self.stride, self.pad)


wrong = check_layer(ForgotTranspose(W64.copy(), b64.copy(), stride=1, pad=1), x, rng=0)
print({k: f"{v:.1e}" for k, v in wrong.items()})
assert min(wrong.values()) > 0.5

# %% [markdown]
# `check_layer` compares with `numerical_gradient_array(f, array, dout)`, the gradient
# of $\sum(f() \cdot dout)$: it takes the difference output by output before weighting
# them, so that outputs a nudge does not touch cancel exactly. The general
# `numerical_gradient(f, array)`, for any scalar function `f` (the book's), gives the same
# gradient with more rounding noise, since the sum of all the outputs is rounded before
# the difference. Both, for the gradient of the input of our layer:

# %%
layer = BookConvolution(W64.copy(), b64.copy(), stride=1, pad=1)
dout = rng.standard_normal(layer.forward(x).shape)
dx = layer.backward(dout)
dx_num = numerical_gradient(lambda: np.sum(layer.forward(x) * dout), x)
dx_arr = numerical_gradient_array(lambda: layer.forward(x), x, dout)
print(f"relative error of dx: numerical_gradient {rel_error(dx, dx_num):.1e}, "
      f"numerical_gradient_array {rel_error(dx, dx_arr):.1e}")
assert rel_error(dx, dx_arr) < rel_error(dx, dx_num) < 1e-7

# %% [markdown]
# **Why float64?** A centred difference divides a tiny change of the loss by $2h$.
# Float32 keeps only about 7 significant digits, so that tiny change is mostly rounding
# noise. The same check in float32, with the same $h = 10^{-5}$, fails although the
# layer is correct:

# %%
x32 = x.astype(np.float32)
layer32 = BookConvolution(W64.astype(np.float32), b64.astype(np.float32))
errors32 = check_layer(layer32, x32, rng=0)
print({k: f"{v:.1e}" for k, v in errors32.items()})
assert max(errors32.values()) > 1e-2

# %% [markdown]
# It fails because in float32 the rounding of each output is not small next to the change
# that $h = 10^{-5}$ makes, and the check reports its worst element. Float32 numbers
# near 1 are $1.2 \cdot 10^{-7}$ apart (`np.finfo(np.float32).eps`), and each output of
# the layer, a sum of 27 products, is stored with an error of up to half the spacing of
# float32 numbers at its size. Nudging one input by $h$ changes an output by only
# $h \cdot |w|$:

# %%
y32 = layer32.forward(x32)
typical_y, typical_w = np.median(np.abs(y32)), np.median(np.abs(layer32.params["W"]))
rounding = float(np.spacing(np.float32(typical_y))) / 2   # half the gap between float32 numbers there
change = 1e-5 * typical_w                                 # what the nudge h = 1e-5 changes
print(f"float32 eps {np.finfo(np.float32).eps:.1e}, float64 eps {np.finfo(np.float64).eps:.1e}")
say(f"A typical output is {typical_y:.2f}, stored in float32 to within {rounding:.1e}; nudging one input by "
    f"$h = 10^{{-5}}$ changes it by about {change:.1e} (a typical weight, {typical_w:.2f}, times $h$). "
    f"The rounding is **{rounding / change:.0%} of the change** that the difference is meant to measure, "
    "for each output and each of the two evaluations; and `rel_error` reports the worst element, so an input "
    "whose gradient happens to be small, almost all noise, sets the result.")
assert rounding / change > 0.01

# %% [markdown]
# So why not a larger $h$? A **sweep of $h$** shows both sides. The convolution alone is
# linear in $x$: its centred difference is exact for any $h$, and only rounding limits
# it. Most layers are not linear (ReLU, tanh, softmax, the loss), so the sweep also checks
# the convolution followed by $\tanh$, whose centred difference has a truncation error of
# order $h^2$ that grows with $h$. For each $h$ from $1$ to $10^{-8}$, in float64 and in
# float32, the relative error of `dx` against the numerical gradient:

# %%
def dx_error(dtype, h, curved):
    """Relative error of dx for our layer (followed by tanh when curved), in dtype, with step h."""
    layer = BookConvolution(W64.astype(dtype), b64.astype(dtype))
    x_ = x.astype(dtype)
    y = layer.forward(x_)
    dout = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    if curved:
        dx = layer.backward((1 - np.tanh(y) ** 2) * dout)   # tanh' = 1 - tanh²
        f = lambda: np.tanh(layer.forward(x_))
    else:
        dx = layer.backward(dout)
        f = lambda: layer.forward(x_)
    return rel_error(dx, numerical_gradient_array(f, x_, dout, h))


steps = 10.0 ** -np.arange(0, 9)
sweep = {(dtype.__name__, curved): np.array([dx_error(dtype, h, curved) for h in steps])
         for dtype in (np.float64, np.float32) for curved in (False, True)}
fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
for (name, curved), errs in sweep.items():
    ax.loglog(steps, errs, "o-" if curved else "s--", color="tab:blue" if name == "float64" else "tab:red",
              label=f"{name}, {'conv + tanh' if curved else 'conv alone (linear)'}")
ax.axvline(1e-5, color="gray", lw=0.8)
ax.set(xlabel="step h", ylabel="relative error of dx", title="the choice of h: truncation (left) vs rounding (right)")
ax.invert_xaxis()
ax.legend(fontsize=8)
plt.show()

# %%
# NBVAL_IGNORE_OUTPUT
lin64, lin32 = sweep["float64", False], sweep["float32", False]
tanh64, tanh32 = sweep["float64", True], sweep["float32", True]
i5, i2 = list(np.round(np.log10(steps))).index(-5), list(np.round(np.log10(steps))).index(-2)
best64, best32 = int(np.argmin(tanh64)), int(np.argmin(tanh32))


def power(h):
    return f"$h = 10^{{{np.log10(h):.0f}}}$"


say(f"**The convolution alone** (the check above): in float64 the error only grows as $h$ shrinks "
    f"({lin64[0]:.0e} at $h = 1$, {lin64[i5]:.0e} at $h = 10^{{-5}}$), since there is no truncation error. "
    f"In float32 it is **{lin32[i5]:.1e} at $h = 10^{{-5}}$**, a failed check, but {lin32[i2]:.1e} at "
    f"$h = 10^{{-2}}$: a step a thousand times larger brings the error down to about "
    f"$10^{{-3}}$, still far above the float64 threshold of $10^{{-7}}$.\n\n"
    f"**With tanh** the truncation error appears: float64's error is {tanh64[0]:.0e} at $h = 1$ and smallest "
    + (f"at $h = 10^{{-5}}$ itself ({tanh64[i5]:.0e}). " if best64 == i5 else
       f"at {power(steps[best64])} ({tanh64[best64]:.0e}); $h = 10^{{-5}}$ gives {tanh64[i5]:.0e}, near the bottom. ")
    + f"In float32 the two errors leave no good step: the best, {power(steps[best32])}, gives {tanh32[best32]:.0e}.\n\n"
    "So: float64 with $h = 10^{-5}$, where both errors are small for smooth layers like these (at a kink, "
    "such as a tie in max pooling, the check fails whatever the step: notebook 04 shows one); float32 only for training, "
    "where no such difference is taken.")
assert 3e-4 < lin32[i2] < 3e-3 and lin32[i5] > 1e-2  # "about 1e-3" (far above 1e-7); a failed check at 1e-5

# %%
assert lin32[i5] > 1e-2 and 1e-4 < lin32[i2] < 1e-2   # float32: h = 1e-5 fails, h = 1e-2 gives about 1e-3
assert lin64[0] < 1e-10 and lin64[-1] > lin64[0]       # linear: no truncation error, only rounding
assert 1e-6 <= steps[best64] <= 1e-4 and tanh64[i5] < 1e-6 and tanh64[0] > 1e-3  # float64: the V, 1e-5 near its bottom
assert tanh32.min() > 1e-3                              # float32 with tanh: no step gives a usable check

# %% [markdown]
# ## 5. Hand-made filters
# Before a network learns its own filters (later notebooks), let us design some. Three
# classics, 3×3 each:
# - **vertical edges**: left column minus right column (a Sobel filter), large where the
#   image changes from left to right;
# - **horizontal edges**: the same, turned by 90°;
# - **blur**: the average of the 9 pixels.

# %%
vertical = np.array([[1, 0, -1],
                     [2, 0, -2],
                     [1, 0, -1]], dtype=np.float32)
horizontal = vertical.T.copy()
blur = np.full((3, 3), 1 / 9, dtype=np.float32)
bank = np.stack([vertical, horizontal, blur])[:, None]  # (FN=3, C=1, 3, 3)
names = ["vertical edges", "horizontal edges", "blur"]
edges = Convolution(bank, np.zeros(3, dtype=np.float32), pad=1)
print(bank.shape)

# %%
fig, axes = plt.subplots(1, 3, figsize=(6.5, 2.3), layout="constrained")
for ax, filt, name in zip(axes, bank[:, 0], names):
    draw_matrix(ax, filt, fmt="{:.2g}", cmap="RdBu_r", vlim=(-3, 3), title=name)
plt.show()

# %% [markdown]
# First, check the claims on two synthetic images, a vertical step (dark left, bright
# right) and a horizontal one. Without padding, so that the zero border does not add
# edges of its own:

# %%
step_v = np.zeros((1, 1, 8, 8), dtype=np.float32)
step_v[..., 4:] = 1.0                      # bright right half: a vertical edge
step_h = step_v.transpose(0, 1, 3, 2)      # bright bottom half: a horizontal edge
no_pad = Convolution(bank, np.zeros(3, dtype=np.float32))
r_v, r_h = no_pad.forward(step_v)[0], no_pad.forward(step_h)[0]
print("vertical step  : max |response| per filter", np.abs(r_v).max(axis=(1, 2)))
print("horizontal step: max |response| per filter", np.abs(r_h).max(axis=(1, 2)))
assert np.abs(r_v[0]).max() == 4 and np.abs(r_v[1]).max() == 0  # only the vertical filter fires
assert np.abs(r_h[1]).max() == 4 and np.abs(r_h[0]).max() == 0  # only the horizontal filter fires

# %% [markdown]
# The filter gives $1 \cdot 0 + 2 \cdot 0 + 1 \cdot 0 - (1 + 2 + 1) \cdot 1 = -4$ where
# its left column is on the dark side and its right column on the bright side, and 0 on
# flat regions (its numbers sum to 0). The sign says which way the brightness changes.
#
# Now a real digit from MNIST:

# %%
(x_train, t_train), _ = load_mnist(source="embedded")
digit = x_train[:1]  # (1, 1, 28, 28), float32 in [0, 1]
responses = edges.forward(digit)[0]
print(digit.shape, "->", responses.shape)

# %%
show_images([digit[0, 0], *responses], titles=[f"digit {t_train[0]}", *names], size=2.2,
            signed=[False, True, True, False])
plt.show()

# %% [markdown]
# Red is positive, blue negative. The vertical filter lights up on the left and right
# sides of each stroke, with opposite signs; the horizontal one on the top and bottom
# sides. The two are the same detector turned by 90°: turn the digits by 90° with
# `np.rot90`, and the vertical filter's response is the horizontal filter's response,
# turned (equal up to float32 rounding, which the check allows).

# %%
digits = x_train[:100]
r = edges.forward(digits)
turned = np.rot90(digits, axes=(2, 3)).copy()
r_turned = edges.forward(turned)
assert np.allclose(r_turned[:, 0], np.rot90(r[:, 1], axes=(1, 2)), atol=1e-5)
print("vertical filter on turned digits = horizontal filter on digits, turned")

# %% [markdown]
# And the blur: it averages neighbours, so neighbouring pixels become more alike. The
# mean absolute difference between horizontal neighbours drops:

# %%
def roughness(images):
    """Mean absolute difference between horizontal neighbours."""
    return np.abs(np.diff(images, axis=-1)).mean()


blurred = r[:, 2]
print(f"before {roughness(digits[:, 0]):.4f}, after blur {roughness(blurred):.4f}")
assert roughness(blurred) < roughness(digits[:, 0])

# %% [markdown]
# ### A photograph
# The same three filters on a real photo (a temple in China, one of scikit-learn's sample
# images, shipped with cnnlib), in gray levels. Without padding this time: the zeros
# around a photo would make a strong artificial edge all around it. For the edge filters
# we show the strength of the response, `np.abs`, white for a strong edge of either sign.
# A few very strong edges would set the scale and leave the rest near black, so each
# map is scaled so that its 99th percentile is white (the strongest 1 % saturate).

# %%
photo = sample_image("china", gray=True, size=(160, 240))  # (H, W) float32 in [0, 1]
photo_responses = no_pad.forward(photo[None, None])[0]
print(photo.shape, "->", photo_responses.shape)

# %%
def clip_at_percentile(image, q=99):
    """The image with values above its q-th percentile cut to it, so that show_images'
    min-max scaling makes the percentile, not the single strongest pixel, white."""
    return np.minimum(image, np.percentile(image, q))


strength = np.abs(photo_responses[:2])
dark_minmax = [(m / m.max() < 0.1).mean() for m in strength]            # near black with plain min-max
dark_clipped = [(m / np.percentile(m, 99) < 0.1).mean() for m in strength]
show_images([photo[1:-1, 1:-1], *[clip_at_percentile(m) for m in strength]],
            titles=["photo", "|vertical edges|", "|horizontal edges|"], ncols=3, size=3.6)
plt.show()
say(f"With plain min-max scaling, {dark_minmax[0]:.0%} and {dark_minmax[1]:.0%} of the two edge maps' pixels "
    f"would be below a tenth of white (near black); scaled at the 99th percentile, {dark_clipped[0]:.0%} and "
    f"{dark_clipped[1]:.0%} are: what stays black is flat, such as the sky and the water.")
assert min(dark_minmax) > max(dark_clipped)

# %% [markdown]
# The vertical filter finds the pillars and the sides of the tower, the horizontal one
# the edges of the roofs. The same filter, slid over the whole image: that is *weight
# sharing*, one reason a convolution needs so few parameters (here 3 × 9 weights, for any
# image size).
#
# The third filter, the 3×3 blur, is left out of the figure above. To see what it does,
# zoom in on a 48×48 crop, and compare with a 9×9 box blur (81 weights of 1/81): the
# larger the window it averages, the more it smooths.

# %%
blur9 = Convolution(np.full((1, 1, 9, 9), 1 / 81, dtype=np.float32), np.zeros(1, dtype=np.float32))
blurred9 = blur9.forward(photo[None, None])[0, 0]         # (152, 232): 4 pixels lost on each side
top, left, size = 40, 60, 48                               # a crop of the photo's coordinates
crops = [photo[top:top + size, left:left + size],
         photo_responses[2][top - 1:top - 1 + size, left - 1:left - 1 + size],  # 3x3: output (i, j) is centred on (i+1, j+1)
         blurred9[top - 4:top - 4 + size, left - 4:left - 4 + size]]
show_images(crops, titles=["photo (crop)", "3×3 blur", "9×9 blur"], size=3.2, suptitle="a 48×48 crop, enlarged")
plt.show()
smoothness = [roughness(c) for c in crops]
say(f"On this crop the mean difference between neighbouring pixels is {smoothness[0]:.4f} in the photo, "
    f"{smoothness[1]:.4f} after the 3×3 blur and {smoothness[2]:.4f} after the 9×9 blur.")
assert smoothness[0] > smoothness[1] > smoothness[2]

# %% [markdown]
# **Channels are filters too.** A filter spans all input channels. The gray photo
# itself is a 1×1 convolution of the colour photo with the three weights
# (0.299, 0.587, 0.114), one per channel:

# %%
color = sample_image("china")              # (3, H, W)
to_gray = Convolution(np.array([0.299, 0.587, 0.114], dtype=np.float32).reshape(1, 3, 1, 1),
                      np.zeros(1, dtype=np.float32))
gray = to_gray.forward(color[None])[0, 0]
assert np.allclose(gray, sample_image("china", gray=True), atol=1e-6)
print(color.shape, "->", gray.shape)

# %% [markdown]
# ## 6. Grouped and depthwise convolutions
# A filter spans all C input channels. A **grouped** convolution splits the channels and
# the filters into `groups` groups: each filter sees only the C/groups channels of its
# group, so `W` has shape (FN, C/groups, FH, FW), as in PyTorch. AlexNet did this to
# split its layers over two GPUs. With groups = C, a **depthwise** convolution, each
# channel is filtered on its own (MobileNet then mixes the channels with a 1×1
# convolution: together, a *depthwise separable* convolution).

# %%
rng_groups = np.random.default_rng(7)   # its own generator: the cells after this one draw the same numbers
C, FN = 4, 8
xg = rng_groups.standard_normal((2, C, 6, 6))
full = Convolution(rng_groups.standard_normal((FN, C, 3, 3)), np.zeros(FN), pad=1)
grouped = Convolution(rng_groups.standard_normal((FN, C // 2, 3, 3)), np.zeros(FN), pad=1, groups=2)
depthwise = Convolution(rng_groups.standard_normal((C, 1, 3, 3)), np.zeros(C), pad=1, groups=C)
for name, layer in [("full", full), ("2 groups", grouped), ("depthwise", depthwise)]:
    print(f"{name:10} W {layer.params['W'].shape} -> out {layer.forward(xg).shape}")

# %% [markdown]
# A depthwise convolution is exactly C separate single-channel convolutions, and each
# group of a grouped convolution is an ordinary convolution on its own channels:

# %%
out = depthwise.forward(xg)
for c in range(C):
    single = Convolution(depthwise.params["W"][c:c + 1], depthwise.params["b"][c:c + 1], pad=1)
    assert np.allclose(out[:, c:c + 1], single.forward(xg[:, c:c + 1]))
out = grouped.forward(xg)
for g in range(2):
    filters = slice(g * FN // 2, (g + 1) * FN // 2)
    part = Convolution(grouped.params["W"][filters], grouped.params["b"][filters], pad=1)
    assert np.allclose(out[:, filters], part.forward(xg[:, g * C // 2:(g + 1) * C // 2]))
print("depthwise = C single-channel convolutions; each group = a convolution on its channels")

# %% [markdown]
# What they save, from `cnnlib.summary` (parameters and multiply-adds for one 32×32
# input with 64 channels and 64 filters of 3×3): a grouped convolution divides the
# multiply-adds, and the weights, by the number of groups (the FN biases stay); a
# depthwise separable convolution (depthwise 3×3, then 1×1) costs
# $C \cdot 9 + C \cdot FN$ multiply-adds per output position instead of
# $C \cdot FN \cdot 9$, and as many weights (plus its biases).

# %%
C, FN, size = 64, 64, 32
layers = {
    "full 3×3": [Convolution(np.zeros((FN, C, 3, 3)), np.zeros(FN), pad=1)],
    "4 groups": [Convolution(np.zeros((FN, C // 4, 3, 3)), np.zeros(FN), pad=1, groups=4)],
    "depthwise separable": [Convolution(np.zeros((C, 1, 3, 3)), np.zeros(C), pad=1, groups=C),
                            Convolution(np.zeros((FN, C, 1, 1)), np.zeros(FN))],
}
costs = {name: cnnlib.summary(cnnlib.Sequential(ls), (C, size, size)) for name, ls in layers.items()}
base = costs["full 3×3"]
for name, s in costs.items():
    print(f"{name:20} params {s.total_params:>7,}  MACs {s.total_macs:>11,}  "
          f"({base.total_macs / s.total_macs:.1f}× fewer multiply-adds)")
assert costs["4 groups"].total_macs * 4 == base.total_macs
assert costs["4 groups"].total_params == (base.total_params - FN) // 4 + FN       # weights / 4, biases stay
assert costs["depthwise separable"].total_macs == size * size * (C * 9 + C * FN)
assert costs["depthwise separable"].total_params == C * 9 + C * FN + C + FN         # weights + biases

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: the shapes inside the forward pass
# A batch `x` of shape `(8, 3, 32, 32)` goes through a layer with filters `(16, 3, 5, 5)`,
# padding 2, stride 1. Give the shapes of `col` and of `col_W` as a tuple of two
# tuples: `((rows, cols), (rows, cols))`.

# %%
shapes_answer = None  # your answer

# %%
x_ex = np.zeros((8, 3, 32, 32))
expected_shapes = (im2col(x_ex, 5, 5, 1, 2).shape, np.zeros((16, 3, 5, 5)).reshape(16, -1).T.shape)
check("shapes of col and col_W", shapes_answer, expected_shapes,
      why="col: N*OH*OW = 8*32*32 = 8192 windows of C*FH*FW = 75 numbers; col_W: 75 weights per filter, 16 filters",
      hint="'same' padding keeps 32×32; a row of col is one window, a column of col_W one filter")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_shapes = ((8 * 32 * 32, 3 * 5 * 5), (3 * 5 * 5, 16))

# %%
assert check("shapes of col and col_W", solution_shapes, expected_shapes)

# %% [markdown]
# ### Exercise 2: the bias gradient
# Write `conv_db(dout)` that returns the gradient of the biases, shape `(FN,)`, for an
# upstream gradient `dout` of shape `(N, FN, OH, OW)`.

# %%
def conv_db(dout):
    # your code here
    return None


# %%
def library_db(dout):
    """The bias gradient computed by cnnlib's layer, for a dout of this shape."""
    N_, FN_, OH_, OW_ = dout.shape
    lib = Convolution(np.zeros((FN_, 1, 1, 1)), np.zeros(FN_))
    lib.forward(np.zeros((N_, 1, OH_, OW_)))
    lib.backward(dout)
    return lib.grads["b"]


douts = [rng.standard_normal(shape) for shape in [(1, 1, 2, 2), (2, 3, 4, 5), (5, 8, 3, 3)]]
cases_db = [((d,), library_db(d)) for d in douts]
check_function(conv_db, cases_db, hint="each bias was added at every position of every image")

# %% jupyter={"source_hidden": true} tags=["solution"]
def solution_conv_db(dout):
    return dout.sum(axis=(0, 2, 3))


# %%
assert check_function(solution_conv_db, cases_db)

# %% [markdown]
# ### Exercise 3: design a filter
# Make a 3×3 filter `my_filter` that finds **horizontal** edges where the image gets
# **brighter going down**: a positive response on such an edge, and 0 on flat regions
# and on vertical edges.

# %%
my_filter = None  # your answer: a (3, 3) array

# %%
def respond(filt, image):
    """Response of a (3, 3) filter to a (H, W) image, no padding."""
    layer = Convolution(np.asarray(filt, dtype=np.float64).reshape(1, 1, 3, 3), np.zeros(1))
    return layer.forward(image[None, None].astype(np.float64))[0, 0]


flat, down = np.ones((8, 8)), np.zeros((8, 8))
down[4:] = 1.0                                   # dark top, bright bottom
claims_filter = [("it has shape (3, 3)", lambda f: np.shape(f) == (3, 3)),
                 ("a flat image gives 0 everywhere", lambda f: np.allclose(respond(f, flat), 0)),
                 ("a vertical edge gives 0 everywhere", lambda f: np.allclose(respond(f, down.T), 0)),
                 ("the dark-to-bright edge going down gives a positive response",
                  lambda f: respond(f, down).max() > 0 and respond(f, down).min() >= 0)]
check_claims("horizontal edge filter", my_filter, claims_filter,
             why="rows weighted -1 above and +1 below: flat regions cancel, only a change from top to bottom remains",
             hint="start from the horizontal Sobel filter above; which sign does its response have on this edge?")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_filter = -horizontal  # [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]

# %%
assert check_claims("horizontal edge filter", solution_filter, claims_filter)

# %% [markdown]
# ### Exercise 4: the input gradient by reasoning
# A 5×5 one-channel input, one 3×3 filter of all ones, stride 1, no padding, and the
# loss $L = \sum$ out (so `dout` is all ones). What are $\partial L / \partial x$ at the
# corner `(0, 0)` and at the centre `(2, 2)`? Give a tuple of two numbers.

# %%
dx_answer = None  # your answer, e.g. (0, 0)

# %%
ones_layer = Convolution(np.ones((1, 1, 3, 3)), np.zeros(1))
ones_layer.forward(np.zeros((1, 1, 5, 5)))
dx_ones = ones_layer.backward(np.ones((1, 1, 3, 3)))[0, 0]
check("dL/dx at (0, 0) and (2, 2)", dx_answer, (dx_ones[0, 0], dx_ones[2, 2]),
      why="each window containing the pixel adds weight 1 × dout 1: the corner is in 1 window, the centre in all 9",
      hint="how many of the 3×3 windows contain the pixel? (col2im adds their contributions)")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_dx = (1, 9)

# %%
assert check("dL/dx at (0, 0) and (2, 2)", solution_dx, (dx_ones[0, 0], dx_ones[2, 2]))

# %% [markdown]
# ## Summary
# - Forward: `col = im2col(x)`, `out = col @ W.reshape(FN, -1).T + b`, then
#   `reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)` back to NCHW.
# - Backward: the middle step is an Affine layer, so `db` sums `dout`, `dW = colᵀ · dout`
#   reshaped, `dcol = dout · col_Wᵀ`, and `dx = col2im(dcol)` adds up the copies.
# - Check gradients numerically in float64; a relative error below $10^{-7}$ means the
#   backward pass is right.
# - Hand-made filters already find edges and blur; a CNN *learns* its filters.
#
# **Next:** [04 Pooling](04_pooling.ipynb).
