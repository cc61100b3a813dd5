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
# # 02 im2col: convolution as one matrix product
#
# In [01](01_padding_and_stride.ipynb) we computed a convolution with Python loops. That
# is clear but slow: a batch of 100 small images already needs over a million tiny NumPy
# calls (section 2 counts them).
# The book's trick, **im2col** ("image to columns"), copies every window of the input
# into one row of a big matrix. The whole convolution then becomes **one matrix
# product**, which NumPy runs at full speed.
#
# **Learning goals.** After this notebook you can
# - index 4-D arrays `(N, C, H, W)` and write a naive loop convolution;
# - say which input pixel lands in which row and column of `im2col`'s matrix;
# - predict its shape, `(N*OH*OW, C*FH*FW)`, and its memory cost;
# - explain why `col2im` accumulates with `+=`;
# - measure how much faster im2col is than loops.
#
# This follows *Deep Learning from Scratch*, section 7.4, where im2col "unfolds"
# (展開, *tenkai*) the input.

# %%
import timeit

import matplotlib.pyplot as plt
import numpy as np

import cnnlib
from cnnlib import col2im, im2col
from cnnlib.course.exercises import check, check_function
from cnnlib.course.report import say
from cnnlib.course.viz import draw_matrix
from cnnlib.im2col import windows
from cnnlib.layers import Convolution
from cnnlib.reference import im2col_book

plt.rcParams["figure.dpi"] = 72
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. 4-D arrays
# A batch of images is a 4-D array (4次元配列) `(N, C, H, W)`: N images, C channels, H rows, W
# columns. Ten one-channel 28×28 images, as in the book:

# %%
# NBVAL_CHECK_OUTPUT
x = rng.random((10, 1, 28, 28))
print(x.shape)        # the batch
print(x[0].shape)     # the first image: (C, H, W)
print(x[0, 0].shape)  # its first channel: (H, W)

# %% [markdown]
# ## 2. A naive convolution with loops
# One loop per output number: for each image `n`, filter `fn`, and output position
# `(i, j)`, take the `(C, FH, FW)` window of the padded input and multiply-add it with
# filter `fn`, as in notebook 01.

# %%
def conv_naive(x, filters, b, stride=1, pad=0):
    """x (N, C, H, W), filters (FN, C, FH, FW), b (FN,) -> (N, FN, OH, OW), with loops."""
    N, C, H, W = x.shape
    FN, _, FH, FW = filters.shape
    OH = cnnlib.conv_output_size(H, FH, stride, pad)
    OW = cnnlib.conv_output_size(W, FW, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, FN, OH, OW))
    for n in range(N):
        for fn in range(FN):
            for i in range(OH):
                for j in range(OW):
                    window = xp[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]  # (C, FH, FW)
                    out[n, fn, i, j] = np.sum(window * filters[fn]) + b[fn]
    return out


# %% [markdown]
# It agrees with the library's `Convolution` layer, also with padding and stride:

# %%
x = rng.standard_normal((2, 3, 7, 7))
filters, b = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
out_naive = conv_naive(x, filters, b, stride=2, pad=1)
print(out_naive.shape)
assert np.allclose(out_naive, Convolution(filters, b, stride=2, pad=1).forward(x))

# %% [markdown]
# Count the Python-level iterations for a modest batch: 100 images, 30 filters of 5×5,
# 28×28 input. Each one calls NumPy on a tiny window (section 8 measures what that costs).

# %%
# NBVAL_CHECK_OUTPUT
N, FN, OH, OW = 100, 30, cnnlib.conv_output_size(28, 5), cnnlib.conv_output_size(28, 5)
loop_iterations = N * FN * OH * OW
print(f"{N} images x {FN} filters x {OH}x{OW} outputs = {loop_iterations:,} Python loop iterations, "
      "each a small NumPy call")

# %% [markdown]
# ## 3. im2col on a tiny labelled example
# Label the 16 pixels of a 4×4 image with their own index, and unfold the 3×3 windows
# (stride 1). There are 2×2 = 4 windows: each becomes a **row**, its 9 pixels the
# **columns**.
#
# The same on the book's example (section 4 below): a 7×7 image with 3 channels and a
# 5×5 filter has 9 windows, so `col` has 9 rows of 5·5·3 = 75 numbers.
#
# <img src="../images/im2col.png" alt="Each 5×5×3 window of a 7×7×3 image becomes one row of col, shape (9, 75)">

# %%
# NBVAL_CHECK_OUTPUT
x = np.arange(16.0).reshape(1, 1, 4, 4)
col = im2col(x, 3, 3, stride=1, pad=0)
print(col.shape)
print(col.astype(int))

# %% [markdown]
# Row 0 is the window at the top-left, row 1 the window one step to the right, rows 2
# and 3 the windows one step down. Each row reads its window row by row:

# %%
assert (col[1] == x[0, 0, 0:3, 1:4].ravel()).all()  # row 1 = window at (0, 1)
assert (col[2] == x[0, 0, 1:4, 0:3].ravel()).all()  # row 2 = window at (1, 0)

# %%
colors = ["tab:blue", "tab:orange", "tab:green", "tab:purple"]
starts = [(0, 0), (0, 1), (1, 0), (1, 1)]
fig, axes = plt.subplots(1, 5, figsize=(12, 2.6), layout="constrained", width_ratios=[1, 1, 1, 1, 2.6])
for k, (ax, (i, j)) in enumerate(zip(axes, starts)):
    draw_matrix(ax, x[0, 0], highlight=[(i, j, 3, 3, colors[k])], fmt="{:.0f}", title=f"window → row {k}")
draw_matrix(axes[4], col, highlight=[(k, 0, 1, 9, colors[k]) for k in range(4)], fmt="{:.0f}",
            title="col: one row per window, (4, 9)")
plt.show()

# %% [markdown]
# Pixel 5 (row 1, column 1) sits in all four windows, so `col` holds four copies of it;
# the corner pixel 0 only one:

# %%
print("copies of pixel 5:", np.sum(col == 5), "| copies of pixel 0:", np.sum(col == 0))
assert np.sum(col == 5) == 4 and np.sum(col == 0) == 1

# %% [markdown]
# **Channels** add columns: a row holds the window of channel 0, then of channel 1, and
# so on (the order `(c, fh, fw)`). This matches a filter `(C, FH, FW)` flattened with
# `reshape`. **Images** add rows: first all windows of image 0, then of image 1.

# %%
x2 = np.stack([np.arange(16.0), 100 + np.arange(16.0)]).reshape(1, 2, 4, 4)  # 2 channels
col2 = im2col(x2, 3, 3)
print(col2.shape)
print(col2[0].astype(int))
assert (col2[0] == x2[0, :, 0:3, 0:3].ravel()).all()  # (c, fh, fw) order

# %%
batch = rng.random((3, 2, 4, 4))
assert im2col(batch, 3, 3).shape == (3 * 4, 2 * 9)
assert (im2col(batch, 3, 3)[4:8] == im2col(batch[1:2], 3, 3)).all()  # rows 4..7 = image 1

# %% [markdown]
# ## 4. The book's shapes
# `im2col(input_data, filter_h, filter_w, stride=1, pad=0)` returns a matrix of shape
# `(N*OH*OW, C*FH*FW)`. The book's two examples, 5×5 filters on 7×7 inputs with 3
# channels:

# %%
# NBVAL_CHECK_OUTPUT
x1 = rng.random((1, 3, 7, 7))
col1 = im2col(x1, 5, 5, stride=1, pad=0)
print(col1.shape)  # 1*3*3 windows, 3*5*5 numbers each
x10 = rng.random((10, 3, 7, 7))
col10 = im2col(x10, 5, 5, stride=1, pad=0)
print(col10.shape)

# %% [markdown]
# `cnnlib`'s `im2col` is built differently from the book's (it makes a strided *view*
# of all windows and copies it once, section 6), but it returns exactly what the book's
# loop version `im2col_book` returns:

# %%
assert col1.shape == (9, 75) and col10.shape == (90, 75)
assert (col10 == im2col_book(x10, 5, 5)).all()
assert (im2col(x10, 3, 3, stride=2, pad=1) == im2col_book(x10, 3, 3, stride=2, pad=1)).all()

# %% [markdown]
# ## 5. The convolution as one matrix product
# Flatten each filter into one column: `filters.reshape(FN, -1).T` has shape
# `(C*FH*FW, FN)`. Row `r` of `col` times column `fn` is exactly the multiply-add of
# window `r` with filter `fn`. So one product computes every output number:
#
# `(N*OH*OW, C*FH*FW) @ (C*FH*FW, FN) → (N*OH*OW, FN)`
#
# The result has one row per `(n, oh, ow)` and one column per filter; a reshape and a
# transpose put it back in `(N, FN, OH, OW)` order (notebook 03 looks at this step).

# %%
def conv_im2col(x, filters, b, stride=1, pad=0, unfold=im2col):
    """The same convolution as conv_naive, through im2col and one matrix product."""
    N, C, H, W = x.shape
    FN, _, FH, FW = filters.shape
    OH = cnnlib.conv_output_size(H, FH, stride, pad)
    OW = cnnlib.conv_output_size(W, FW, stride, pad)
    col = unfold(x, FH, FW, stride, pad)          # (N*OH*OW, C*FH*FW)
    out = col @ filters.reshape(FN, -1).T + b     # (N*OH*OW, FN)
    return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


# %%
x = rng.standard_normal((2, 3, 7, 7))
assert np.allclose(conv_im2col(x, filters, b, stride=2, pad=1), conv_naive(x, filters, b, stride=2, pad=1))
print("im2col + matrix product = the loops")

# %% [markdown]
# ## 6. The price: memory
# Every pixel is copied once per window that contains it. With stride 1 and no padding,
# a 28×28 image and 5×5 filters give 24×24 windows of 25 numbers: `col` is 18 times
# larger than the input.

# %%
x = rng.random((1, 1, 28, 28))
ratio = im2col(x, 5, 5).size / x.size
print(f"col / input = {24 * 24 * 25} / {28 * 28} = {ratio:.2f}")
assert ratio == 24 * 24 * 25 / (28 * 28) and round(ratio) == 18  # "18 times" in the text

# %% [markdown]
# For large images the ratio is about $FH \cdot FW / S^2$: the window has $FH \cdot FW$
# numbers and there is one window every $S$ pixels in each direction. Measured with
# real `im2col` calls (28×28 input, "same" padding $P = (F-1)/2$), against that estimate
# (left: the estimate is the pale band, the measurements the points on it; right: their
# ratio, 1 where the estimate is exact: strides 1 and 2 lie on top of each other there).
# With "same" padding $H + 2P - F$ is the same for every odd $F$, so whether a stride
# divides does not depend on the filter; the cell after the figure computes which do.
# `strict=False` floors the sizes that do not divide, like the book's im2col and PyTorch
# (by default cnnlib refuses and explains, as the layers do).

# %%
sizes = np.arange(1, 12, 2)
fig, (ax, ax_ratio) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for S, color, (marker, size) in zip([1, 2, 3], ["tab:blue", "tab:orange", "tab:green"], [("o", 12), ("s", 7), ("^", 6)]):
    measured = np.array([im2col(x, F, F, stride=S, pad=(F - 1) // 2, strict=False).size / x.size for F in sizes])
    estimate = sizes ** 2 / S ** 2
    # the estimate as a wide pale band under the measured points, so that both stay visible
    ax.plot(sizes, estimate, "-", color=color, lw=7, alpha=0.25, label=f"stride {S}, $F^2/S^2$")
    ax.plot(sizes, measured, "o:", color=color, lw=1.2, label=f"stride {S}, measured")
    # decreasing, hollow-to-filled markers: curves that coincide (strides 1 and 2 at 1) stay visible
    ax_ratio.plot(sizes, measured / estimate, "-", marker=marker, ms=size, mfc="none" if S == 1 else color,
                  color=color, label=f"stride {S}")
ax.set_xlabel("filter size F (F×F)")
ax.set_ylabel("size of col / size of input")
ax.set_yscale("log")
ax.legend(fontsize=8)
ax.set_title("col is about F²/S² times the input")
ax_ratio.axhline(1, color="black", lw=0.8)
ax_ratio.set(xlabel="filter size F (F×F)", ylabel="measured / estimate", ylim=(0, 1.6),
             title="how close the estimate is")
ax_ratio.legend(fontsize=8)
plt.show()

# %%
spans = {F: 28 + 2 * ((F - 1) // 2) - F for F in sizes}  # H + 2P - F, "same" padding
assert set(spans.values()) == {27}
dividing = [S for S in (1, 2, 3) if 27 % S == 0]
windows_per_axis = 27 // 3 + 1  # stride 3: output size per axis
assert dividing == [1, 3] and windows_per_axis == 10
stride3 = np.array([im2col(x, F, F, stride=3, pad=(F - 1) // 2).size / x.size for F in sizes])
assert np.allclose(stride3 / (sizes ** 2 / 9), (windows_per_axis * 3 / 28) ** 2)  # the figure's stride-3 ratio
say(f"Here $H + 2P - F$ = {spans[sizes[0]]} for every filter size: it divides by strides "
    f"{' and '.join(map(str, dividing))}, and stride 2 floors it for every $F$ (27/2 = 13.5, "
    f"so {27 // 2 + 1} windows per axis, exactly 28/2: the estimate holds). With stride 3 every size "
    f"divides, yet the estimate is off: it counts 28/3 = {28 / 3:.2f} windows per axis, and there are "
    f"{windows_per_axis}, because 28 is not a multiple of 3. The ratio is "
    f"({windows_per_axis} × 3 / 28)² = {(windows_per_axis * 3 / 28) ** 2:.2f} for every $F$.")

# %%
for F, S in [(3, 1), (5, 1), (5, 2)]:
    measured = im2col(x, F, F, stride=S, pad=(F - 1) // 2, strict=False).size / x.size
    assert abs(measured - F * F / S ** 2) / (F * F / S ** 2) < 0.2, (F, S, measured)
for F in sizes:  # strides 1 and 2: the estimate is exact on this 28×28 input (the right panel's 1)
    for S in (1, 2):
        assert im2col(x, F, F, stride=S, pad=(F - 1) // 2, strict=False).size / x.size == F * F / S ** 2

# %% [markdown]
# In bytes, for a real network: AlexNet's first layer applies 11×11 filters with
# stride 4 to 3×227×227 images (the paper says 224, but $(224 - 11)/4$ does not divide;
# 227 does), giving 55×55 windows. For a batch of 128 images in float32:

# %%
# NBVAL_CHECK_OUTPUT
N, C, H, FH, S = 128, 3, 227, 11, 4
print(f"224: (224 - {FH}) / {S} + 1 = {(224 - FH) / S + 1}; 227: ({H} - {FH}) / {S} + 1 = {(H - FH) / S + 1}")
OH = cnnlib.conv_output_size(H, FH, S)
input_mb = N * C * H * H * 4 / 1e6
col_mb = N * OH * OH * C * FH * FH * 4 / 1e6
print(f"OH = OW = {OH}; input {input_mb:.0f} MB, col {col_mb:.0f} MB ({col_mb / input_mb:.1f}x)")

# %% [markdown]
# That is the trade: memory for speed. `cnnlib.im2col` at least avoids a second copy:
# `windows` first builds a *view* of all windows, shape `(N, C, OH, OW, FH, FW)`, which
# shares memory with the input (no bytes copied); only the final `reshape` copies.

# %%
x = rng.random((2, 3, 8, 8))
view = windows(x, 3, 3)
print(view.shape)
assert np.shares_memory(view, x) and view[1, 2, 4, 5, 0, 0] == x[1, 2, 4, 5]
assert not np.shares_memory(im2col(x, 3, 3), x)

# %% [markdown]
# ## 7. col2im, and why it adds
# `col2im(col, input_shape, FH, FW, stride, pad)` goes back from rows to the image. It
# does not undo `im2col`; it **adds** every entry of `col` to the pixel it was copied
# from. Why adding? In the backward pass (notebook 03), `col` holds gradients, one per
# *copy* of a pixel. A pixel that was copied into four windows influenced the loss four
# times, so its gradient is the **sum** of the four (the chain rule for a value used
# several times, as for a branch in a computational graph).
#
# Let us write col2im with loops for one channel, stride 1, once with `+=` and once
# with `=`:

# %%
def col2im_2d(col, H, W, FH, FW, accumulate=True):
    """Rows of col (OH*OW, FH*FW) back onto an (H, W) image, stride 1, no padding."""
    OW = W - FW + 1
    img = np.zeros((H, W))
    for row, values in enumerate(col):
        i, j = divmod(row, OW)  # the window's top-left corner
        if accumulate:
            img[i:i + FH, j:j + FW] += values.reshape(FH, FW)
        else:
            img[i:i + FH, j:j + FW] = values.reshape(FH, FW)
    return img


# %% [markdown]
# Fold a `col` of ones back: with `+=`, each pixel receives the number of windows that
# contain it; with `=`, the last window overwrites the others.

# %%
H = W = 6
ones = np.ones((4 * 4, 9))  # 6x6 input, 3x3 windows, stride 1: 16 windows
counts = col2im_2d(ones, H, W, 3, 3)
print(counts.astype(int))
assert (counts == col2im(ones, (1, 1, H, W), 3, 3)[0, 0]).all()          # the library agrees
assert (col2im_2d(ones, H, W, 3, 3, accumulate=False) == 1).all()        # '=' loses the overlaps

# %%
fig, ax = plt.subplots(figsize=(3.2, 3.2), layout="constrained")
draw_matrix(ax, counts, fmt="{:.0f}", cmap="Oranges", title="windows per pixel (col2im of ones)")
plt.show()

# %% [markdown]
# So `col2im(im2col(x))` is `x` times the number of copies, not `x`:

# %%
x = rng.random((2, 3, 6, 6))
counts = col2im(np.ones((2 * 4 * 4, 3 * 9)), x.shape, 3, 3)
assert np.allclose(col2im(im2col(x, 3, 3), x.shape, 3, 3), x * counts)

# %% [markdown]
# Only when the windows tile the input exactly (stride = filter size, and the sizes
# divide) is every count 1, and col2im then undoes im2col exactly. With a stride larger
# than the filter, the windows do not overlap either, but the pixels between them are in
# no window: their count is 0, and col2im gives 0 there.

# %%
assert np.allclose(col2im(im2col(x, 3, 3, stride=3), x.shape, 3, 3, stride=3), x)   # 6×6: two 3×3 windows per axis
x7 = np.arange(1.0, 50.0).reshape(1, 1, 7, 7)                                     # 3×3 windows at 0 and 4: row 3 in none
back = col2im(im2col(x7, 3, 3, stride=4), x7.shape, 3, 3, stride=4)
assert (back[0, 0, 3] == 0).all() and (back[0, 0, 3] != x7[0, 0, 3]).all()

# %% [markdown]
# The precise statement: col2im is the **transpose** (adjoint) of im2col. For any `x`
# and any `c` of the right shapes, $\langle \text{im2col}(x), c\rangle = \langle x,
# \text{col2im}(c)\rangle$. This identity is exactly what makes col2im the backward
# pass of im2col.

# %%
c = rng.standard_normal((2 * 3 * 3, 3 * 9))  # stride 2, pad 1: (6 + 2 - 3) / 2 = 2.5 floors to 2, +1: 3x3 windows
lhs = np.sum(im2col(x, 3, 3, stride=2, pad=1, strict=False) * c)
rhs = np.sum(x * col2im(c, x.shape, 3, 3, stride=2, pad=1, strict=False))
print(f"{lhs:.10f}\n{rhs:.10f}")
assert np.isclose(lhs, rhs)

# %% [markdown]
# ## 8. How much faster?
# Four ways to compute the same convolution: the loops of section 2; the book's
# `im2col` (two loops over the FH×FW filter offsets) and one product; `cnnlib`'s `im2col`
# (strided view) and one product; and `cnnlib`'s `Convolution` layer. Measured live on
# this machine (your numbers will differ; the sentence after the figure is written from
# the measurement):

# %%
x = rng.standard_normal((8, 3, 28, 28))
filters, b = rng.standard_normal((8, 3, 5, 5)), rng.standard_normal(8)
layer = Convolution(filters, b)
methods = {
    "naive loops": lambda: conv_naive(x, filters, b),
    "book im2col + matmul": lambda: conv_im2col(x, filters, b, unfold=im2col_book),
    "cnnlib im2col + matmul": lambda: conv_im2col(x, filters, b),
    "cnnlib Convolution": lambda: layer.forward(x),
}
results = [f() for f in methods.values()]
assert all(np.allclose(r, results[0]) for r in results)  # all four agree

# %%
# NBVAL_IGNORE_OUTPUT
# every method timed several times: the median is the figure, the lowest and highest its spread
runs = {name: np.array(timeit.repeat(f, number=1, repeat=3 if name == "naive loops" else 9))
        for name, f in methods.items()}
seconds = {name: np.median(t) for name, t in runs.items()}
print(f"{'method':24s} {'median (ms)':>12s} {'(min-max)':>17s} {'vs loops':>9s}")
for name, t in runs.items():
    print(f"{name:24s} {1000 * seconds[name]:12.3f} ({1000 * t.min():6.3f}-{1000 * t.max():7.3f}) "
          f"{seconds['naive loops'] / seconds[name]:8.0f}x")

# %%
# NBVAL_IGNORE_OUTPUT
# a dot per method on a log axis: a bar would start at an arbitrary left edge, and its
# length would mean nothing on a log scale
fig, ax = plt.subplots(figsize=(7.5, 2.8), layout="constrained")
names = list(seconds)
ms = [1000 * seconds[name] for name in names]
ax.scatter(ms, names, s=60, color=["tab:red", "tab:orange", "tab:blue", "tab:green"], zorder=3)
for t, name in zip(ms, names):
    ax.annotate(f"{t:.3g} ms ({seconds['naive loops'] / seconds[name]:.0f}× the loops' speed)", (t, name),
                xytext=(8, 6), textcoords="offset points", fontsize=8)
ax.set_xscale("log")
ax.set_xlim(min(ms) / 3, max(ms) * 30)
ax.grid(axis="x", which="both", alpha=0.3)
ax.set_xlabel("milliseconds (log scale: each grid step is ×10)")
ax.invert_yaxis()
ax.set_title("forward pass, 8 images 3×28×28, 8 filters 5×5")
plt.show()

# %%
# NBVAL_IGNORE_OUTPUT
assert runs["naive loops"].min() > 5 * runs["cnnlib im2col + matmul"].max()
slow, fast = runs["naive loops"], runs["book im2col + matmul"]
per_iteration = seconds["naive loops"] / (len(x) * len(filters) * 24 * 24)   # 8 images, 8 filters, 24x24


def ranked(runs):
    """Fastest to slowest by median; '<' where every run of one beat every run of the next,
    '≈' where their runs overlap (the order there is noise)."""
    order = sorted(runs, key=lambda name: np.median(runs[name]))
    text = f"{order[0]} ({1000 * np.median(runs[order[0]]):.3g} ms)"
    for before, name in zip(order, order[1:]):
        sign = "<" if runs[before].max() < runs[name].min() else "≈"
        text += f" {sign} {name} ({1000 * np.median(runs[name]):.3g} ms)"
    return text


say(f"Here the book's `im2col` is **{slow.min() / fast.max():.0f} to {slow.max() / fast.min():.0f} times** "
    f"faster than the loops (the slowest and fastest runs of each). One loop iteration took about "
    f"{1e6 * per_iteration:.1f} µs, so section 2's {loop_iterations:,} iterations would take about "
    f"{per_iteration * loop_iterations:.0f} s. Fastest to slowest: {ranked(runs)}.")

# %% [markdown]
# The book's `im2col` is that much faster than the loops because its two loops run
# over the FH×FW filter offsets only, each copying a whole slice of the batch. The
# `Convolution` layer is built to go one step further (whether that shows in the timing
# above depends on the machine and the sizes) with two variants of the same copy, in
# `cnnlib/layers/columns.py`:
#
# - `unfold`: im2col transposed, `(C*FH*FW, N*OH*OW)`, one *column* per window, and
#   each copy moves a whole row of `OW` output pixels. An image's columns are then its
#   output pixels in order, so the layer multiplies image by image (one `np.matmul` call
#   over the stack of images) and each product lands in `(N, FN, OH, OW)` order with no
#   transpose; a last row of ones in `col` adds the bias in the same product
#   (`[W b] @ [col; 1] = W @ col + b`, the "bias trick");
# - `unfold_batch_last`: the same columns in another order, the images side by side,
#   `(C*FH*FW, OH*OW*N)`. A row of a window is then `OW*N` numbers in a row instead of
#   `OW`, so NumPy copies (and col2im adds) in long runs. AlexNet's original code
#   (cuda-convnet) kept its images in this "batch last" layout for the same reason.
#
# The layer picks one by the shape of the problem (the rule is in the docstring of
# `Columns`, in the same file). The idea never
# changes: copy the windows once, then multiply.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: the shape of col
# A batch of 2 images with 3 channels of 8×8 pixels is unfolded for 3×3 filters with
# padding 1 and stride 1. What is the shape of `col`? Give a tuple.

# %%
col_shape = None  # your answer, e.g. (10, 20)

# %%
check("shape of col", col_shape, im2col(np.zeros((2, 3, 8, 8)), 3, 3, stride=1, pad=1).shape,
      why="N*OH*OW = 2*8*8 = 128 windows, C*FH*FW = 3*3*3 = 27 numbers each",
      hint="rows: one per window of every image; columns: one per number in a (C, FH, FW) window")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_col_shape = (2 * 8 * 8, 3 * 3 * 3)

# %%
assert check("shape of col", solution_col_shape, im2col(np.zeros((2, 3, 8, 8)), 3, 3, stride=1, pad=1).shape)

# %% [markdown]
# ### Exercise 2: im2col for one 2-D image
# Write `im2col_2d(x, FH, FW)` for a 2-D image `x` of shape `(H, W)`, stride 1, no
# padding. It returns an array `(OH*OW, FH*FW)`, one window per row, windows in
# reading order. Loops are fine.

# %%
def im2col_2d(x, FH, FW):
    # your code here
    return None


# %%
cases_im2col = [((np.arange(16.0).reshape(4, 4), 3, 3), im2col(np.arange(16.0).reshape(1, 1, 4, 4), 3, 3)),
                ((np.arange(30.0).reshape(5, 6), 2, 3), im2col(np.arange(30.0).reshape(1, 1, 5, 6), 2, 3)),
                ((np.ones((3, 3)), 3, 3), np.ones((1, 9)))]
check_function(im2col_2d, cases_im2col, hint="for i in range(OH): for j in range(OW): append x[i:i+FH, j:j+FW].ravel()")

# %% jupyter={"source_hidden": true} tags=["solution"]
def solution_im2col_2d(x, FH, FW):
    H, W = x.shape
    rows = [x[i:i + FH, j:j + FW].ravel() for i in range(H - FH + 1) for j in range(W - FW + 1)]
    return np.array(rows)


# %%
assert check_function(solution_im2col_2d, cases_im2col)

# %% [markdown]
# ### Exercise 3: the memory ratio
# How many times larger than the input is `col` for a 32×32 input, a 3×3 filter,
# padding 1 and stride 1? (Any number of channels: they cancel.)

# %%
memory_ratio = None  # your answer: a number

# %%
x32 = np.zeros((1, 3, 32, 32))
check("col size / input size", memory_ratio, im2col(x32, 3, 3, stride=1, pad=1).size / x32.size,
      why="'same' padding keeps 32×32 windows, each holding 3×3 = 9 numbers per channel: 9 times the input "
          "(not 9 copies of every pixel: a corner pixel is in 4 windows, an edge pixel in 6; the rest is padding zeros)",
      hint="count the windows (the formula of notebook 01) and the numbers per window")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_memory_ratio = 32 * 32 * 9 / (32 * 32)

# %%
assert check("col size / input size", solution_memory_ratio, im2col(x32, 3, 3, stride=1, pad=1).size / x32.size)

# %% [markdown]
# ### Exercise 4: how many copies?
# A 5×5 image, 3×3 windows, stride 2, no padding. Into how many windows is the centre
# pixel `(2, 2)` copied? (So: how many contributions does col2im add up there?)

# %%
copies_of_centre = None  # your answer: a number

# %%
coverage = col2im(np.ones((4, 9)), (1, 1, 5, 5), 3, 3, stride=2)[0, 0]
check("copies of pixel (2, 2)", copies_of_centre, coverage[2, 2],
      why="windows start at rows 0 and 2 and at columns 0 and 2: all 2 × 2 = 4 contain (2, 2)",
      hint="list the windows' start rows and columns; a 3-wide window starting at s covers s, s+1, s+2")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_copies_of_centre = 2 * 2

# %%
assert check("copies of pixel (2, 2)", solution_copies_of_centre, coverage[2, 2])

# %% [markdown]
# ## Summary
# - `im2col` turns every window into a row: `(N, C, H, W) → (N*OH*OW, C*FH*FW)`, rows in
#   `(n, oh, ow)` order, columns in `(c, fh, fw)` order.
# - A convolution is then one product with the flattened filters, `(C*FH*FW, FN)`, much
#   faster than loops.
# - The price is memory: `col` is about $FH \cdot FW / S^2$ times the input (each pixel is
#   copied once per window that contains it, and padding adds zeros).
# - `col2im` adds the rows back onto the image with `+=`, because a pixel copied into
#   several windows receives the sum of their gradients. It is the transpose of
#   im2col, not its inverse.
#
# **Next:** [03 The convolution layer](03_convolution_layer.ipynb) builds the forward and
# backward passes on top of im2col and col2im.
