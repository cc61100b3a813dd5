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
# # 04 Pooling
#
# A convolution layer finds local patterns. A **pooling** layer (プーリング) then
# summarizes each small window of its output by one number, usually the maximum. This
# shrinks the maps, and it makes them change less when the input moves by a pixel.
#
# **Learning goals.** After this notebook you can
# - compute max and average pooling forward by hand and through im2col;
# - implement their backward passes: max routes the gradient to the argmax, average
#   spreads it evenly;
# - state and check three properties: no parameters, channels unchanged, robustness to
#   small shifts (measured on digits);
# - explain overlapping pooling (3×3 windows, stride 2) as in AlexNet.
#
# This follows *Deep Learning from Scratch*, sections 7.3 and 7.4.4.

# %%
import matplotlib.pyplot as plt
import numpy as np

import cnnlib
from cnnlib import check_layer, col2im, im2col, numerical_gradient
from cnnlib.course.exercises import check, check_function
from cnnlib.course.report import say
from cnnlib.course.viz import draw_matrix
from cnnlib.data import load_mnist
from cnnlib.layers import Convolution, Pooling, Relu

plt.rcParams["figure.dpi"] = 72
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Max and average pooling, forward
# The book's example: a 4×4 input, 2×2 windows, stride 2. The windows do not overlap;
# **max pooling** keeps the largest number of each.
#
# <img src="../images/pool_2x2.gif" alt="2×2 pooling with stride 2: four windows that do not overlap, one output each">

# %%
x = np.array([[1, 2, 1, 0],
              [0, 1, 2, 3],
              [3, 0, 1, 2],
              [2, 4, 0, 1]], dtype=np.float64)
out_max = np.array([[x[i:i + 2, j:j + 2].max() for j in (0, 2)] for i in (0, 2)])
print(out_max)
assert (out_max == [[2, 3], [4, 2]]).all()  # the book's result

# %% [markdown]
# **Average pooling** keeps the mean instead:

# %%
out_avg = np.array([[x[i:i + 2, j:j + 2].mean() for j in (0, 2)] for i in (0, 2)])
print(out_avg)
assert (out_avg == [[1, 1.5], [2.25, 1]]).all()

# %%
colors = ["tab:blue", "tab:orange", "tab:green", "tab:purple"]
corners = [(0, 0), (0, 2), (2, 0), (2, 2)]
fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.6), layout="constrained")
draw_matrix(axes[0], x, highlight=[(i, j, 2, 2, c) for (i, j), c in zip(corners, colors)], title="input, 2×2 windows")
draw_matrix(axes[1], out_max, highlight=[(i // 2, j // 2, 1, 1, c) for (i, j), c in zip(corners, colors)],
            title="max pooling")
draw_matrix(axes[2], out_avg, highlight=[(i // 2, j // 2, 1, 1, c) for (i, j), c in zip(corners, colors)],
            title="average pooling")
plt.show()

# %% [markdown]
# The library's `Pooling(pool_h, pool_w, stride, pad, mode)` works on `(N, C, H, W)`
# batches. The window and the stride are usually equal (2×2 with stride 2), so the stride
# defaults to the window's size, as in PyTorch. The book's `Pooling` defaults to stride 1
# (`common/layers.py`), so pass the stride explicitly when comparing the two. We pass it
# anyway, to say what we mean.

# %%
assert (Pooling(2, 2, stride=2).forward(x[None, None])[0, 0] == out_max).all()
assert (Pooling(2, 2, stride=2, mode="average").forward(x[None, None])[0, 0] == out_avg).all()
print("cnnlib agrees")

# %% [markdown]
# ## 2. Forward through im2col
# The book reuses im2col. One subtlety: a row of `im2col` holds the windows of **all
# channels** side by side (order `(c, ph, pw)`), but pooling works channel by channel.
# A `reshape(-1, PH*PW)` cuts every row into C rows, one per channel; then the max (or
# mean) of each row is one output number.

# %%
# NBVAL_CHECK_OUTPUT
N, C, H, W, PH, PW, S = 2, 3, 4, 4, 2, 2, 2
x = rng.standard_normal((N, C, H, W))
OH, OW = cnnlib.conv_output_size(H, PH, S), cnnlib.conv_output_size(W, PW, S)
col = im2col(x, PH, PW, S)                  # (N*OH*OW, C*PH*PW)
col_c = col.reshape(-1, PH * PW)            # (N*OH*OW*C, PH*PW): one window of one channel per row
out = col_c.max(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)
print("col  ", col.shape)
print("col_c", col_c.shape)
print("out  ", out.shape)

# %% [markdown]
# After the reshape, rows come in the order `(n, oh, ow, c)`, so the result is reshaped
# to `(N, OH, OW, C)` and transposed to NCHW, as in the convolution layer.

# %%
assert (col_c[1] == x[0, 1, 0:2, 0:2].ravel()).all()  # row 1: image 0, window (0, 0), channel 1
assert np.allclose(out, Pooling(PH, PW, S).forward(x))

# %% [markdown]
# ## 3. Backward
# **Max:** the output is the largest input of the window; the others did not matter. A
# small change of the winner changes the output by the same amount, a small change of
# any other input changes nothing. So the gradient goes to the **argmax** (as ReLU lets
# gradients through only where the input was positive) and the other inputs get 0.
#
# **Average:** the output is $\frac{1}{PH \cdot PW}\sum$ of the window, so **every**
# input of the window gets $\frac{1}{PH \cdot PW}$ of the gradient.
#
# The book's pooling layer (max only, `common/layers.py`), with an average mode added
# here for comparison, forward and backward, through im2col and col2im:

# %%
class BookPooling:
    """The book's max pooling (Deep Learning from Scratch 7.4.4, no padding), plus an average mode.

    forward: x (N, C, H, W) -> (N, C, OH, OW); backward: dout (N, C, OH, OW) -> dx (N, C, H, W).
    """

    def __init__(self, pool_h, pool_w, stride=1, mode="max"):
        self.pool_h, self.pool_w, self.stride, self.mode = pool_h, pool_w, stride, mode
        self.params, self.grads = {}, {}  # no parameters

    def forward(self, x, train=True):
        N, C, H, W = x.shape
        OH = cnnlib.conv_output_size(H, self.pool_h, self.stride)
        OW = cnnlib.conv_output_size(W, self.pool_w, self.stride)
        col = im2col(x, self.pool_h, self.pool_w, self.stride).reshape(-1, self.pool_h * self.pool_w)
        self.x_shape = x.shape
        if self.mode == "max":
            self.arg_max = col.argmax(axis=1)          # which input of each window won
            out = col.max(axis=1)
        else:
            out = col.mean(axis=1)
        return out.reshape(N, OH, OW, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1).ravel()      # (N*OH*OW*C,), the rows' order
        dcol = np.zeros((dout.size, size))
        if self.mode == "max":
            dcol[np.arange(dout.size), self.arg_max] = dout  # only the winner gets it
        else:
            dcol[:] = dout[:, None] / size                   # everyone gets an equal share
        N, C = self.x_shape[:2]
        dcol = dcol.reshape(-1, C * size)                    # back to im2col's rows
        return col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride)


# %% [markdown]
# On the book's example with `dout = [[1, 2], [3, 4]]`: max pooling puts each number on
# the winner of its window (2, 3, 4, 2 in the input), average pooling spreads a quarter
# of it over the window.

# %%
x_book = np.array([[1, 2, 1, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 4, 0, 1]], dtype=np.float64)[None, None]
dout_book = np.array([[1.0, 2.0], [3.0, 4.0]])[None, None]
max_layer, avg_layer = BookPooling(2, 2, 2, "max"), BookPooling(2, 2, 2, "average")
max_layer.forward(x_book)
avg_layer.forward(x_book)
dx_max, dx_avg = max_layer.backward(dout_book), avg_layer.backward(dout_book)
print("dx, max:\n", dx_max[0, 0])
print("dx, average:\n", dx_avg[0, 0])
assert (dx_max[0, 0] == [[0, 1, 0, 0], [0, 0, 0, 2], [0, 0, 0, 4], [0, 3, 0, 0]]).all()
assert (dx_avg[0, 0] == np.kron([[1, 2], [3, 4]], np.full((2, 2), 0.25))).all()

# %%
fig, axes = plt.subplots(1, 4, figsize=(10, 2.6), layout="constrained")
draw_matrix(axes[0], x_book[0, 0], title="input")
draw_matrix(axes[1], dout_book[0, 0], cmap="Oranges", title="dout")
draw_matrix(axes[2], dx_max[0, 0], cmap="Oranges", title="dx, max: to the argmax")
draw_matrix(axes[3], dx_avg[0, 0], cmap="Oranges", title="dx, average: spread")
plt.show()

# %% [markdown]
# **Ties.** What if a window has two or more equal maxima? For random real numbers that
# almost never happens, but images are not random real numbers: most of an MNIST digit is
# background of exactly 0, and neighbouring stroke pixels often have the same value. On
# the 2×2 windows (stride 2) of the digits that ship with `cnnlib`:

# %%
(x_train, _), _ = load_mnist(source="embedded")
N_digits = len(x_train)
windows_2x2 = im2col(x_train, 2, 2, stride=2).reshape(-1, 4)     # one row per 2x2 window
largest = windows_2x2.max(axis=1, keepdims=True)
tied = (windows_2x2 == largest).sum(axis=1) > 1                   # two or more inputs share the maximum
all_zero = largest[:, 0] == 0
say(f"Of the {len(windows_2x2):,} windows of {N_digits:,} digits, **{tied.mean():.1%} have a tied maximum**: "
    f"{all_zero.mean():.1%} are all zeros (background), and {(tied & ~all_zero).sum() / (~all_zero).sum():.1%} "
    "of the windows that touch a stroke still have two or more equal maxima.")
assert tied.mean() > 0.5 and all_zero.mean() > 0.5 and (tied & ~all_zero).any()  # "most", "most of ... background"

# %% [markdown]
# At a tie the maximum has no derivative: raising any one of the tied inputs raises the
# output, lowering it changes nothing. The library's `Pooling` (like the book's
# `argmax`) gives the whole gradient to the **first** tied input in the window, read row
# by row: the top-left one for an all-zero window.

# %%
tie_cases = np.array([[[[0.0, 0.0], [0.0, 0.0]]],     # all zero: background
                      [[[0.0, 1.0], [1.0, 0.0]]],     # two saturated pixels
                      [[[0.5, 0.2], [0.5, 0.5]]]])    # three equal maxima
pool_tie = Pooling(2, 2, stride=2)
pool_tie.forward(tie_cases)
dx_tie = pool_tie.backward(np.ones((3, 1, 1, 1)))
print(dx_tie[:, 0])
assert (dx_tie[:, 0] == [[[1, 0], [0, 0]], [[0, 1], [0, 0]], [[1, 0], [0, 0]]]).all()  # the first one wins

# %% [markdown]
# Any split of `dout` among the tied inputs is a valid (sub)gradient, and the one-winner
# rule keeps the total right: each window passes on exactly its `dout`. But three
# things follow from it:
#
# - **A gradient check at a tie fails** although the layer is correct. The centred
#   difference nudges one input up and down: up raises the output by $h$, down changes
#   nothing, so it measures $h / 2h = 0.5$ for *every* tied input, while backward says
#   1 for the first and 0 for the others (below). That is why the checks use random
#   inputs, which have no ties.
# - **The gradient with respect to an image** (used to see which pixels a network looks
#   at) lands on the first tied pixel of each tied window (the top-left one where the
#   window is all zeros): a pattern of the rule, not of the digit.
# - **After ReLU**, a window of zeros sends its gradient to an input whose ReLU was off,
#   and ReLU's backward stops it there: nothing learns from that window, whichever input
#   is picked.

# %%
x_tie = tie_cases[1:2].copy()                     # 0, 1 / 1, 0: a tie between two inputs
numeric = numerical_gradient(lambda: Pooling(2, 2, stride=2).forward(x_tie).sum(), x_tie)
print("backward:", dx_tie[1, 0].ravel(), " numerical:", numeric[0, 0].ravel())
assert np.allclose(numeric[0, 0], [[0, 0.5], [0.5, 0]]) and dx_tie[1].sum() == 1 and np.isclose(numeric.sum(), 1)

# %% [markdown]
# Our teaching version agrees with `cnnlib`'s `Pooling`, for both modes and several
# sizes:

# %%
for shape, (PH, PW, S) in [((2, 3, 4, 4), (2, 2, 2)), ((1, 2, 6, 8), (3, 2, 1)), ((3, 1, 9, 9), (3, 3, 2))]:
    for mode in ("max", "average"):
        x = rng.standard_normal(shape)
        ours, lib = BookPooling(PH, PW, S, mode), Pooling(PH, PW, S, mode=mode)
        y = ours.forward(x)
        assert np.allclose(y, lib.forward(x))
        dout = rng.standard_normal(y.shape)
        assert np.allclose(ours.backward(dout), lib.backward(dout))
print("forward and backward agree")

# %% [markdown]
# And both pass the numerical gradient check (float64; random inputs have no ties):

# %%
x = rng.standard_normal((2, 3, 6, 6))
assert np.unique(x).size == x.size  # no two inputs equal, so no ties
for layer in [BookPooling(2, 2, 2, "max"), BookPooling(2, 2, 2, "average"),
              Pooling(2, 2, stride=2), Pooling(3, 3, stride=1, pad=1, mode="average")]:
    errors = check_layer(layer, x, rng=0)
    print(f"{type(layer).__name__:12s} {layer.mode:8s} dx relative error {errors['x']:.1e}")
    assert errors["x"] < 1e-7

# %% [markdown]
# ## 4. Three properties
# **No parameters.** Pooling only takes a max or a mean: nothing to learn, nothing in
# `params`. A 3×3 convolution from 16 to 16 channels, for comparison:

# %%
# NBVAL_CHECK_OUTPUT
conv = Convolution(np.zeros((16, 16, 3, 3)), np.zeros(16), pad=1)
pool = Pooling(2, 2, stride=2)
count = {name: sum(p.size for p in layer.params.values()) for name, layer in [("conv 3x3", conv), ("pool 2x2", pool)]}
print(count)
assert pool.params == {} and count["conv 3x3"] == 16 * 16 * 9 + 16

# %% [markdown]
# **Channels unchanged.** Each channel is pooled on its own: `(N, C, H, W) → (N, C, OH, OW)`,
# and pooling one channel alone gives the same map.

# %%
x = rng.standard_normal((4, 16, 28, 28))
y = pool.forward(x)
print(x.shape, "->", y.shape)
assert y.shape == (4, 16, 14, 14)
assert np.allclose(pool.forward(x[:, 5:6]), y[:, 5:6])

# %% [markdown]
# **Robust to small shifts.** Move a digit one pixel to the right. Many pixels change,
# but a 2×2 window often still contains the same maximum, so the pooled map changes
# less. Let us measure it on 500 digits, with the relative change
# $\lVert f(\text{shifted}) - f(x)\rVert / \lVert f(x)\rVert$ (averaged over the
# digits) for different features $f$:

# %%
(x_train, _), _ = load_mnist(source="embedded")
digits = x_train[:500].astype(np.float64)


def shift_right(images, pixels=1):
    """Shift (N, C, H, W) images to the right, filling the left columns with zeros."""
    out = np.zeros_like(images)
    out[..., pixels:] = images[..., :-pixels]
    return out


def relative_change(f, images):
    """Mean over images of |f(shifted) - f(x)| / |f(x)|."""
    a, b = f(images), f(shift_right(images))
    diff = np.linalg.norm((b - a).reshape(len(a), -1), axis=1)
    return float(np.mean(diff / np.linalg.norm(a.reshape(len(a), -1), axis=1)))


# %% [markdown]
# The features: the pixels themselves, and edge maps (the two Sobel filters of notebook
# 03, then ReLU), each without pooling and after 2×2 or 4×4 max pooling; the pixels also
# after 2×2 average pooling:

# %%
sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float64)
edge_conv = Convolution(np.stack([sobel, sobel.T])[:, None], np.zeros(2), pad=1)


def edges(images):
    return np.maximum(edge_conv.forward(images), 0)  # (N, 2, 28, 28)


features = {
    "pixels": lambda a: a,
    "pixels, max 2x2": lambda a: Pooling(2, 2, stride=2).forward(a),
    "pixels, max 4x4": lambda a: Pooling(4, 4, stride=4).forward(a),
    "pixels, average 2x2": lambda a: Pooling(2, 2, stride=2, mode="average").forward(a),
    "edges": edges,
    "edges, max 2x2": lambda a: Pooling(2, 2, stride=2).forward(edges(a)),
    "edges, max 4x4": lambda a: Pooling(4, 4, stride=4).forward(edges(a)),
}
changes = {name: relative_change(f, digits) for name, f in features.items()}
for name, value in changes.items():
    print(f"{name:20s} {value:.3f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
bar_colors = ["tab:blue" if "," in name else "tab:gray" for name in changes]  # blue: pooled
ax.barh(list(changes), list(changes.values()), color=bar_colors)
ax.invert_yaxis()
ax.set_xlabel("relative change after a 1-pixel shift")
ax.set_title("pooling makes features less sensitive to small shifts")
plt.show()

# %%
for base in ["pixels", "edges"]:
    assert changes[f"{base}, max 2x2"] < changes[base]
    assert changes[f"{base}, max 4x4"] < changes[f"{base}, max 2x2"]
assert changes["pixels, average 2x2"] < changes["pixels"]
assert min(changes.values()) > 1 / 3  # "a third or more", below

# %% [markdown]
# Pooling does not make the features *invariant*: they still change by a third or more.
# It makes them *less sensitive*, and bigger windows more so, at the price of a coarser
# map (4×4 pooling leaves 7×7 of the 28×28). Stacking convolutions and pooling layers
# builds up this robustness layer after layer.

# %% [markdown]
# ## 5. Overlapping pooling (AlexNet)
# AlexNet (Krizhevsky, Sutskever and Hinton, 2012) pools with **3×3 windows and stride
# 2**, so neighbouring windows overlap by one row or column. The paper reports that
# this lowered the error rates slightly (by 0.4% top-1) compared with 2×2 windows and
# stride 2, which give outputs of the same size on its 55×55 maps once flooring drops
# the last row and column (53/2 is not whole: cnnlib's default refuses 2×2 there,
# `strict=False` floors):

# %%
# NBVAL_CHECK_OUTPUT
print("3x3, stride 2:", cnnlib.conv_output_size(55, 3, stride=2))
print("2x2, stride 2:", cnnlib.conv_output_size(55, 2, stride=2, strict=False), "(floored: 53/2 is not whole)")
assert cnnlib.conv_output_size(55, 3, stride=2) == 27

# %% [markdown]
# With overlap, some inputs belong to two windows, or even four:

# %%
coverage = col2im(np.ones((16, 9)), (1, 1, 9, 9), 3, 3, stride=2)[0, 0]
print(coverage.astype(int))
assert set(np.unique(coverage)) == {1, 2, 4}

# %%
fig, ax = plt.subplots(figsize=(3.4, 3.4), layout="constrained")
draw_matrix(ax, coverage, fmt="{:.0f}", cmap="Oranges", title="windows per input, 3×3 stride 2")
plt.show()

# %% [markdown]
# In the backward pass, an input that is the maximum of several windows receives the
# gradient of each of them, added up: col2im's `+=` in the book's layer; cnnlib's
# `Pooling`, which builds no `col`, adds with `+=` too, window position by window
# position. A peak in the middle of a 5×5 input wins all four 3×3 windows:

# %%
x = np.zeros((1, 1, 5, 5))
x[0, 0, 2, 2] = 1.0
overlap = Pooling(3, 3, stride=2)
print(overlap.forward(x)[0, 0])
dx = overlap.backward(np.ones((1, 1, 2, 2)))
print(dx[0, 0])
assert dx[0, 0, 2, 2] == 4 and dx.sum() == 4

# %%
errors = check_layer(Pooling(3, 3, stride=2), rng.standard_normal((2, 3, 9, 9)), rng=0)
print(f"overlapping max pooling, dx relative error {errors['x']:.1e}")
assert errors["x"] < 1e-7

# %% [markdown]
# **Rows first, then columns.** The max of a 3×3 window is the max of its three rows'
# maxima. So a 3×3 pooling can be done as two 1-D poolings: take the max of each 3-wide
# window along every row (stride 2 along the row), then the max of each 3-tall window down
# the columns of that result. The library pools overlapping windows this way: a row's
# maxima are computed once and serve both windows that share that row, and no array of
# windows (the book's `col`) is ever built.

# %%
x_sep = rng.standard_normal((2, 3, 9, 9))
row_max = np.maximum(np.maximum(x_sep[..., 0:7:2], x_sep[..., 1:8:2]), x_sep[..., 2:9:2])    # (2, 3, 9, 4)
two_steps = np.maximum(np.maximum(row_max[:, :, 0:7:2], row_max[:, :, 1:8:2]), row_max[:, :, 2:9:2])  # (2, 3, 4, 4)
print(two_steps.shape, "equal to the 3x3 pooling:", np.array_equal(two_steps, Pooling(3, 3, stride=2).forward(x_sep)))
assert np.array_equal(two_steps, BookPooling(3, 3, 2, "max").forward(x_sep))  # the book's im2col way

# %% [markdown]
# **Max pooling and ReLU commute.** ReLU is max(x, 0), and a max of maxima is the max of
# everything, so the max of a window's ReLUs is the ReLU of the window's max. Backward agrees
# too: pooling sends the gradient to the window's first maximum, which is where the ReLU lets
# it through, and a window that is all ≤ 0 sends 0 either way. A network with a ReLU before
# its max pooling (the book's SimpleConvNet) may therefore pool first and apply the ReLU to
# a quarter of the numbers: `cnnlib.Sequential` does exactly that
# (`cnnlib.network.run_order`). Average pooling does not commute with ReLU: the mean of −2
# and 2 is 0, the mean of their ReLUs is 1.

# %%
def forward_backward(layers, x, dout):
    for layer in layers:
        x = layer.forward(x)
    for layer in reversed(layers):
        dout = layer.backward(dout)
    return x, dout


x_relu = rng.integers(-2, 3, (2, 3, 8, 8)).astype(np.float64)  # small integers: ties and zeros everywhere
dout_relu = rng.standard_normal((2, 3, 4, 4))
out_book, dx_book = forward_backward([Relu(), Pooling(2, 2)], x_relu, dout_relu)    # the book's order
out_first, dx_first = forward_backward([Pooling(2, 2), Relu()], x_relu, dout_relu)  # pooling first
assert np.array_equal(out_book, out_first) and np.array_equal(dx_book, dx_first)
print("ReLU then max pooling = max pooling then ReLU, forward and backward")

pair_window = np.array([[[[-2.0, 2.0], [-2.0, 2.0]]]])
average = Pooling(2, 2, mode="average")
relu_then_mean = average.forward(Relu().forward(pair_window)).item()
mean_then_relu = Relu().forward(average.forward(pair_window)).item()
print(f"average pooling: ReLU then mean = {relu_then_mean}, mean then ReLU = {mean_then_relu}")
assert (relu_then_mean, mean_then_relu) == (1, 0)

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: max pooling by hand
# Max-pool this 4×4 input with 2×2 windows and stride 2. Give the 2×2 result as a NumPy
# array (or a nested list).

# %%
x_ex = np.array([[5, 1, 0, 2],
                 [3, 2, 7, 1],
                 [0, 8, 1, 1],
                 [4, 2, 6, 9]], dtype=np.float64)
pooled_answer = None  # your answer, e.g. [[0, 0], [0, 0]]

# %%
expected_pooled = Pooling(2, 2, stride=2).forward(x_ex[None, None])[0, 0]
check("2x2 max pooling", pooled_answer, expected_pooled,
      why="the largest of each 2×2 block: 5, 7 on top; 8, 9 below",
      hint="split the input into four 2×2 blocks and take the largest number of each")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_pooled = x_ex.reshape(2, 2, 2, 2).max(axis=(1, 3))  # blocks: (row block, row, col block, col)

# %%
assert check("2x2 max pooling", solution_pooled, expected_pooled)

# %% [markdown]
# ### Exercise 2: max pooling backward
# Write `max_pool_backward_2d(x, dout)` for one 2-D map `x` of shape `(H, W)` (H and W
# even), 2×2 windows and stride 2. `dout` has shape `(H/2, W/2)`; return `dx` of shape
# `(H, W)`. Loops are fine.

# %%
def max_pool_backward_2d(x, dout):
    # your code here
    return None


# %%
def library_dx(x, dout):
    """dx of cnnlib's 2x2 max pooling for one 2-D map."""
    lib = Pooling(2, 2, stride=2)
    lib.forward(x[None, None])
    return lib.backward(dout[None, None])[0, 0]


pairs = [(x_book[0, 0], dout_book[0, 0])] + [(rng.standard_normal((h, w)), rng.standard_normal((h // 2, w // 2)))
                                             for h, w in [(2, 2), (4, 6), (8, 8)]]
cases_backward = [((xx, dd), library_dx(xx, dd)) for xx, dd in pairs]
check_function(max_pool_backward_2d, cases_backward,
               hint="for each window, find the position of its maximum (np.argmax + np.unravel_index)")

# %% jupyter={"source_hidden": true} tags=["solution"]
def solution_max_pool_backward_2d(x, dout):
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = x[2 * i:2 * i + 2, 2 * j:2 * j + 2]
            r, c = np.unravel_index(np.argmax(window), window.shape)
            dx[2 * i + r, 2 * j + c] = dout[i, j]
    return dx


# %%
assert check_function(solution_max_pool_backward_2d, cases_backward)

# %% [markdown]
# ### Exercise 3: shapes and parameters
# A batch of shape `(8, 16, 32, 32)` goes through 2×2 max pooling with stride 2. Give the
# output shape and the number of parameters of the layer, as a tuple `(shape, n_params)`.

# %%
pool_answer = None  # your answer, e.g. ((1, 2, 3, 4), 5)

# %%
pool_ex = Pooling(2, 2, stride=2)
expected_pool = (pool_ex.forward(np.zeros((8, 16, 32, 32))).shape, sum(p.size for p in pool_ex.params.values()))
check("pooling shape and parameters", pool_answer, expected_pool,
      why="N and C stay, H and W halve; a max has nothing to learn",
      hint="pooling works channel by channel; what would it learn?")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_pool = ((8, 16, 16, 16), 0)

# %%
assert check("pooling shape and parameters", solution_pool, expected_pool)

# %% [markdown]
# ### Exercise 4: AlexNet's last pooling
# AlexNet's last pooling layer takes 13×13 maps, with 3×3 windows and stride 2. What is
# the output size (one number, for a square map)?

# %%
alexnet_answer = None  # your answer: a number

# %%
check("13x13, 3x3 windows, stride 2", alexnet_answer, cnnlib.conv_output_size(13, 3, stride=2),
      why="(13 - 3) / 2 + 1 = 6: the 6×6×256 maps that AlexNet flattens into its first fully-connected layer",
      hint="the formula of notebook 01 holds for pooling windows too")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_alexnet = (13 - 3) // 2 + 1

# %%
assert check("13x13, 3x3 windows, stride 2", solution_alexnet, cnnlib.conv_output_size(13, 3, stride=2))

# %% [markdown]
# ## Summary
# - Pooling summarizes each window by its max (or mean), channel by channel; the output
#   size follows the same formula as a convolution.
# - Backward: max pooling routes the gradient to the argmax of each window, average
#   pooling spreads it evenly; where windows overlap, the contributions add up (col2im's
#   `+=` in the book's layer).
# - No parameters, channels unchanged, and features that change less under small
#   shifts (less, not zero: we measured it).
# - AlexNet's overlapping pooling (3×3, stride 2) gives the same output size as 2×2 with
#   stride 2 on its odd-sized maps (floored), with windows that share a row or a column.
#
# **Next:** putting convolution, ReLU and pooling together into a network that reads
# digits.
