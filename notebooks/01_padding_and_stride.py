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
# # 01 Padding and stride
#
# A fully-connected (Affine) layer flattens a 28×28 image into 784 numbers and
# connects every output to every one of them: the 2-D shape of the image is lost. A
# **convolution** layer keeps the shape. It slides a small **filter** over the image
# and computes the same multiply-add at every position. This notebook is about that
# operation and, above all, about the *sizes* involved.
#
# **Learning goals.** After this notebook you can
# - compute a convolution (畳み込み, *tatami-komi*) by hand as a sliding multiply-add, with a bias;
# - explain what padding (パディング) and stride (ストライド) do;
# - predict the output size with $OH = \frac{H + 2P - FH}{S} + 1$, and say what happens when it is not a whole number;
# - choose "same" padding;
# - give the shapes of a convolution over channels and batches:
#   `(N, C, H, W) * (FN, C, FH, FW) → (N, FN, OH, OW)`.
#
# This follows *Deep Learning from Scratch* (ゼロから作るDeep Learning), section 7.2.

# %%
import matplotlib.pyplot as plt
import numpy as np

import cnnlib
from cnnlib.course.exercises import check, check_claims, check_function
from cnnlib.layers import Convolution
from cnnlib.sizes import size_report
from cnnlib.course.viz import draw_matrix, draw_padded_grid, plot_output_size
from cnnlib.course.widgets import explain_output_size, output_size_explorer

plt.rcParams["figure.dpi"] = 72

# %% [markdown]
# ## 1. Convolution as a sliding multiply-add
# The book's example: a 4×4 input and a 3×3 filter (フィルター; also called a *kernel*).
# Put the filter on the top-left corner of the input, multiply the 9 overlapping pairs
# of numbers, and add the 9 products up. That sum is the first output number.
#
# <img src="../images/conv_no_padding.gif" alt="A 3×3 filter slides over a 4×4 input: 2×2 positions, one output number each">

# %%
x = np.array([[1, 2, 3, 0],
              [0, 1, 2, 3],
              [3, 0, 1, 2],
              [2, 3, 0, 1]], dtype=np.float64)
w = np.array([[2, 0, 1],
              [0, 1, 2],
              [1, 0, 2]], dtype=np.float64)

window = x[0:3, 0:3]
print(window * w)
print("sum =", np.sum(window * w))
assert np.sum(window * w) == 15

# %% [markdown]
# Then slide the filter one step to the right and do it again, then one step down, and
# so on. A 3×3 filter fits $4 - 3 + 1 = 2$ times along each axis, so the output is 2×2.

# %%
def slide(x, w):
    """Sliding multiply-add of a 2-D filter w (FH, FW) over a 2-D input x (H, W)."""
    H, W = x.shape
    FH, FW = w.shape
    out = np.zeros((H - FH + 1, W - FW + 1))
    for i in range(H - FH + 1):
        for j in range(W - FW + 1):
            out[i, j] = np.sum(x[i:i + FH, j:j + FW] * w)
    return out


out = slide(x, w)
print(out)
assert (out == [[15, 16], [6, 15]]).all()  # the book's result

# %% [markdown]
# The four positions of the filter and the output number each one produces:

# %%
fig, axes = plt.subplots(2, 4, figsize=(9, 4.6), layout="constrained")
for k, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
    ax_in, ax_out = axes[k // 2, 2 * (k % 2)], axes[k // 2, 2 * (k % 2) + 1]
    draw_matrix(ax_in, x, highlight=[(i, j, 3, 3)], title=f"window at ({i}, {j})")
    draw_matrix(ax_out, out, highlight=[(i, j, 1, 1)], title=f"out[{i}, {j}] = {out[i, j]:g}")
plt.show()

# %% [markdown]
# **Bias.** Like an Affine layer, a convolution adds a bias (バイアス) after the
# multiply-add: one number per filter, added to every output position. With the book's
# bias of 3:

# %%
print(out + 3)
assert (out + 3 == [[18, 19], [9, 18]]).all()

# %% [markdown]
# The library's `Convolution` layer computes the same thing. It works on 4-D arrays
# `(N, C, H, W)` (a batch of images with channels; section 7 below explains them), so we add
# two axes of length 1 with `[None, None]`:

# %%
conv = Convolution(w[None, None], b=np.array([3.0]))
y = conv.forward(x[None, None])
print(y.shape)
print(y[0, 0])
assert (y[0, 0] == out + 3).all()

# %% [markdown]
# > **Convolution or correlation?** In mathematics a convolution flips the filter before
# > sliding it; without the flip the operation is called *cross-correlation*. Deep
# > learning libraries (and the book, and `cnnlib`) do not flip, and still say
# > "convolution". Since the filter is learned, the flip would change nothing.

# %% [markdown]
# ## 2. Padding
# The output (2×2) is smaller than the input (4×4). After a few layers nothing would be
# left. **Padding** adds a border of zeros around the input before sliding, here of
# width $P = 1$. The animation shows it on a 5×5 input: padded to 7×7, it gives the 3×3
# filter 5×5 positions, as many as the input has pixels. Below we pad the book's 4×4
# example the same way:
#
# <img src="../images/conv_same_padding.gif" alt="With P = 1 (dashed cells: padding) a 3×3 filter has 5×5 positions on a 5×5 input">

# %%
x_padded = np.pad(x, 1)
print(x_padded)
assert x_padded.shape == (6, 6)

# %% [markdown]
# The 3×3 filter now fits $6 - 3 + 1 = 4$ times per axis: the output keeps the input's
# 4×4 size.

# %%
out_padded = slide(x_padded, w)
print(out_padded)
assert (out_padded == [[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6], [8, 10, 4, 3]]).all()  # the book's result
assert (Convolution(w[None, None], np.zeros(1), pad=1).forward(x[None, None])[0, 0] == out_padded).all()

# %% [markdown]
# Padding also lets the border pixels take part more often: without it, the corner
# `x[0, 0]` is seen by one window only, the centre pixels by four. With $P = 1$ the corner
# is seen by 4 windows, but the centre by 9: padding raises the border's counts, it does
# not make them equal. Counting the windows that contain each pixel:

# %%
def windows_per_pixel(H, FH, P):
    """How many FH×FH windows (stride 1, padding P) contain each pixel of an H×H input."""
    counts = np.zeros((H + 2 * P, H + 2 * P), dtype=int)
    for i in range(H + 2 * P - FH + 1):
        for j in range(H + 2 * P - FH + 1):
            counts[i:i + FH, j:j + FH] += 1
    return counts[P:P + H, P:P + H]  # the input's pixels only


print("no padding:\n", windows_per_pixel(4, 3, 0), "\npadding 1:\n", windows_per_pixel(4, 3, 1))
assert windows_per_pixel(4, 3, 0)[0, 0] == 1 and windows_per_pixel(4, 3, 0)[1, 1] == 4
assert windows_per_pixel(4, 3, 1)[0, 0] == 4  # padded: the corner goes from 1 window to 4
assert windows_per_pixel(4, 3, 1)[1, 1] == 9  # ... but the centre is in 9: not equal

# %% [markdown]
# ## 3. Stride
# The **stride** $S$ is the step between two positions of the filter. With $S = 2$ the
# filter jumps two pixels at a time. The animation shows a 5×5 input padded with $P = 1$,
# a 7×7 grid: the 3×3 filter starts at columns 0, 2 and 4 of the grid (starting at 6 it
# would hang over the edge), so 3×3 positions. Below, the same steps on a 7×7 input
# without padding:
#
# <img src="../images/conv_stride_2.gif" alt="Stride 2 with P = 1: a 3×3 filter on a 5×5 input stops at 3×3 positions">

# %%
H, FH, S = 7, 3, 2
starts = list(range(0, H - FH + 1, S))
print("start positions:", starts)
assert starts == [0, 2, 4]

# %%
x7 = np.arange(49.0).reshape(7, 7)
fig, axes = plt.subplots(1, 4, figsize=(9, 2.6), layout="constrained")
for ax, (i, j) in zip(axes, [(0, 0), (0, 2), (0, 4), (2, 0)]):
    draw_matrix(ax, x7, highlight=[(i, j, 3, 3)], title=f"window at ({i}, {j})", fontsize=7)
plt.show()

# %% [markdown]
# Three positions per axis, so a 3×3 output. The layer agrees:

# %%
y7 = Convolution(w[None, None], np.zeros(1), stride=2).forward(x7[None, None])
print(y7.shape)
assert y7.shape == (1, 1, 3, 3)
assert y7[0, 0, 1, 2] == np.sum(x7[2:5, 4:7] * w)  # output (1, 2) starts at input (2*1, 2*2)

# %% [markdown]
# ## 4. The output-size formula
# Put padding and stride together. The padded input has $H + 2P$ rows. The filter's
# first row can start at $0, S, 2S, \dots$ as long as the filter still fits, that is
# up to $H + 2P - FH$. The number of start positions is
#
# $$OH = \frac{H + 2P - FH}{S} + 1, \qquad OW = \frac{W + 2P - FW}{S} + 1.$$
#
# Counting the start positions directly agrees with the formula:

# %%
for H, FH, P, S in [(4, 3, 1, 1), (7, 3, 0, 2), (28, 5, 2, 3), (31, 5, 2, 3)]:
    positions = len(range(0, H + 2 * P - FH + 1, S))
    formula = (H + 2 * P - FH) / S + 1
    print(f"H={H:2d} FH={FH} P={P} S={S}: {positions} positions, formula {formula:g}")
    assert positions == formula

# %% [markdown]
# `cnnlib.conv_output_size` is this formula. Each case of the book, checked by running
# a real convolution on an input of that size:

# %%
# NBVAL_CHECK_OUTPUT
for (H, W), P, S, (FH, FW) in [((4, 4), 1, 1, (3, 3)), ((7, 7), 0, 2, (3, 3)), ((28, 31), 2, 3, (5, 5))]:
    predicted = (cnnlib.conv_output_size(H, FH, S, P), cnnlib.conv_output_size(W, FW, S, P))
    layer = Convolution(np.ones((1, 1, FH, FW)), np.zeros(1), stride=S, pad=P)
    measured = layer.forward(np.ones((1, 1, H, W))).shape[2:]
    print(f"input {(H, W)}, pad {P}, stride {S}, filter {(FH, FW)} -> output {predicted}")
    assert predicted == measured

# %% [markdown]
# ## 5. When the sizes do not divide
# A 7×7 input, a 3×3 filter and stride 3: $(7 - 3)/3 + 1 = 2.33$ is not a whole number.
# The last step would make the filter hang over the edge. `cnnlib` refuses, and says
# what to change:

# %%
# NBVAL_CHECK_OUTPUT
try:
    cnnlib.conv_output_size(7, 3, stride=3)
except ValueError as error:
    message = str(error)
print(message)
assert "not divisible by stride = 3" in message

# %% [markdown]
# The book's text asks for sizes that divide (and notes that some frameworks round
# instead). The book's code, and PyTorch, **floor** the division: $\lfloor 4/3 \rfloor + 1 = 2$
# positions, at rows 0 and 3. They cover rows 0 to 5, so row 6 is never seen by any
# window. `size_report` tells which rows are lost:

# %%
report = size_report(7, 3, stride=3, pad=0)
print("output size:", report.output_size, "| never-seen rows:", report.unseen)
assert report.output_size == 2 and report.unseen == (6,)

# %% [markdown]
# Check the claim with a real (flooring) convolution: change the last row and column of
# the input, and the output does not move.

# %%
layer = Convolution(np.ones((1, 1, 3, 3)), np.zeros(1), stride=3, strict=False)
a = np.random.default_rng(0).random((1, 1, 7, 7))
b = a.copy()
b[:, :, 6, :] = 100.0  # row 6
b[:, :, :, 6] = 100.0  # column 6
assert (layer.forward(a) == layer.forward(b)).all()
print("the output ignores row 6 and column 6")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
draw_padded_grid(ax, size_report(7, 3, 3, 0), size_report(7, 3, 3, 0))
plt.show()

# %% [markdown]
# ## 6. "Same" padding
# With stride 1 the formula is $OH = H + 2P - FH + 1$. The output keeps the input size
# ($OH = H$) when $2P = FH - 1$, that is $P = (FH - 1)/2$: pad 1 for a 3×3 filter, 2 for
# 5×5. This is called **"same" padding**. It needs an odd filter size: with an even one,
# the padding would have to differ between top and bottom (PyTorch then pads one side
# more).

# %%
# NBVAL_CHECK_OUTPUT
for FH in [1, 3, 5, 7]:
    P = (FH - 1) // 2
    layer = Convolution(np.ones((1, 1, FH, FH)), np.zeros(1), pad=P)
    shape = layer.forward(np.ones((1, 1, 28, 28))).shape[2:]
    print(f"{FH}x{FH} filter, pad {P}: 28x28 -> {shape[0]}x{shape[1]}")
    assert shape == (28, 28)

# %% [markdown]
# ## 7. Channels and batches
# A colour image has 3 **channels** (red, green, blue): its shape is `(C, H, W)`. A filter
# then has the same number of channels, `(C, FH, FW)`: each channel of the filter slides
# over the matching channel of the input, and the C results are **added** into one 2-D
# output. One filter gives one output map (特徴マップ, *feature map*).

# %%
rng = np.random.default_rng(0)
x3 = rng.standard_normal((3, 7, 7))       # (C, H, W)
w3 = rng.standard_normal((3, 3, 3))       # (C, FH, FW)
one_filter = Convolution(w3[None], np.zeros(1))
y3 = one_filter.forward(x3[None])[0, 0]
print(y3.shape)
assert np.allclose(y3, sum(slide(x3[c], w3[c]) for c in range(3)))  # sum over channels

# %% [markdown]
# With **FN filters** we get FN output maps, and the bias has one number per filter,
# shape `(FN,)`. With a **batch** of N images, everything is done for each image. The
# shapes, in the order the library (and the book) use, called NCHW:
#
# $$(N, C, H, W) \;*\; (FN, C, FH, FW) \;\to\; (N, FN, OH, OW)$$

# %%
# NBVAL_CHECK_OUTPUT
N, C, H, W = 10, 3, 32, 32
FN, FH, FW = 16, 5, 5
layer = Convolution(np.zeros((FN, C, FH, FW)), np.zeros(FN), stride=1, pad=0)
y = layer.forward(np.zeros((N, C, H, W)))
print("input  ", (N, C, H, W))
print("filters", layer.params["W"].shape, "bias", layer.params["b"].shape)
print("output ", y.shape)
assert y.shape == (N, FN, H - FH + 1, W - FW + 1)

# %% [markdown]
# Output channel `fn` of image `n` uses filter `fn` only, and every image uses the same
# filters:

# %%
layer = Convolution(rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4))
batch = rng.standard_normal((2, 3, 7, 7))
y = layer.forward(batch)
W_, b_ = layer.params["W"], layer.params["b"]
assert np.allclose(y[1, 2], sum(slide(batch[1, c], W_[2, c]) for c in range(3)) + b_[2])
print("y[1, 2] = image 1 convolved with filter 2, plus bias 2")

# %% [markdown]
# ## 8. The output-size explorer
# Move the sliders: **H**, **W** (input), **FH**, **FW** (filter), **PH**, **PW** (padding
# of the height and the width), **SH**, **SW** (stride, the same two ways) and **D**
# (dilation, section 9). The explorer substitutes the numbers into the formula and draws
# the padded input with the filter at its first (blue) and last (orange) positions; the
# **window** slider walks a third, green window through every position, and the output cell
# it gives (it starts at window 0, on top of the blue one). When the sizes do not divide,
# it explains what flooring does, colours the never-seen rows and columns red, and suggests
# the nearest padding and stride that fit. Try SH = SW = 2, then 3.

# %%
output_size_explorer(H=28, W=28, FH=5, FW=5, P=0, S=1)

# %% [markdown]
# If you read this without a running kernel, the sliders do not move. Here is what the
# explorer shows for H = W = 28, a 5×5 filter, P = 0 and S = 2:

# %%
# NBVAL_CHECK_OUTPUT
text = explain_output_size(28, 28, 5, 5, 0, 2)
print(text)
assert "not divisible" in text and "Suggestions:" in text

# %%
plot_output_size(28, 28, 5, 5, 0, 2)
plt.show()

# %% [markdown]
# ## 9. Rectangles, dilation, and what a large stride skips
# Nothing forces the same numbers on both dimensions. Stride and padding may differ
# between height and width, $(S_H, S_W)$ and $(P_H, P_W)$, and the formula is applied to
# each dimension with its own numbers:
#
# $$OH = \frac{H + 2P_H - FH}{S_H} + 1 \qquad OW = \frac{W + 2P_W - FW}{S_W} + 1$$
#
# The layers take a pair `(h, w)` wherever they take a number. An example from *Dive into
# Deep Learning* (d2l.ai, section 7.3): an 8×8 input, a 3×5 filter, padding (0, 1) and
# stride (3, 4). Neither dimension divides ($5/3$ and $5/4$), so strict mode (the default)
# refuses; floored like PyTorch, the output is 2×2:

# %%
x8 = np.zeros((1, 1, 8, 8))
try:
    Convolution(np.zeros((1, 1, 3, 5)), np.zeros(1), stride=(3, 4), pad=(0, 1)).forward(x8)
except ValueError as error:
    print("strict:", str(error).splitlines()[0])
else:
    raise AssertionError("strict mode should refuse these sizes")
conv = Convolution(np.zeros((1, 1, 3, 5)), np.zeros(1), stride=(3, 4), pad=(0, 1), strict=False)
OH = cnnlib.conv_output_size(8, 3, stride=3, pad=0, strict=False)   # (8 + 0 - 3) // 3 + 1
OW = cnnlib.conv_output_size(8, 5, stride=4, pad=1, strict=False)   # (8 + 2 - 5) // 4 + 1
print("output:", conv.forward(x8).shape[2:], "formula:", (OH, OW))
assert conv.forward(x8).shape[2:] == (OH, OW) == (2, 2)
# a 5×3 filter keeps the size with padding (2, 1): P = (F - 1) / 2 in each dimension
assert Convolution(np.zeros((1, 1, 5, 3)), np.zeros(1), pad=(2, 1)).forward(x8).shape[2:] == (8, 8)

# %% [markdown]
# **Dilation** spreads a filter's taps $D$ pixels apart: a 3×3 filter with $D = 2$ reads
# 9 pixels spread over a 5×5 patch, a wider view for the same 9 weights (used in
# segmentation networks). In the formula the filter size becomes the *effective* filter
# size, the span of the taps:
#
# $$FH_{\text{eff}} = D\,(FH - 1) + 1 \qquad OH = \frac{H + 2P - FH_{\text{eff}}}{S} + 1$$
#
# <img src="../images/conv_dilation_2.gif" alt="A 3×3 filter with dilation 2 on a 7×7 input: its taps span 5×5, 3×3 positions">

# %%
D, FH, H = 2, 3, 7
effective = D * (FH - 1) + 1
print("effective filter size:", effective, "| OH =", cnnlib.conv_output_size(H, FH, dilation=D))
assert cnnlib.conv_output_size(H, FH, dilation=D) == H - effective + 1 == 3
# the first window reads rows and columns 0, 2, 4 of the image
first = cnnlib.im2col(np.arange(49.0).reshape(1, 1, 7, 7), 3, 3, dilation=2)[0]
print(first.reshape(3, 3))
assert (first == [0, 2, 4, 14, 16, 18, 28, 30, 32]).all()

# %% [markdown]
# **A stride larger than the filter skips pixels.** With a 5×5 filter and stride 23 on a
# 28×28 input, the sizes divide exactly ($23/23 = 1$, output 2×2), yet the two windows
# cover rows 0–4 and 23–27: rows 5 to 22 are never seen, in the middle of the image.
# `size_report` lists every unseen row, not only the ones flooring drops at the end, and
# a dilated filter can leave gaps too (stride 2 and dilation 2 never read an odd row):

# %%
report = size_report(28, 5, stride=23)
print(report.formula, "| never-seen rows:", report.unseen)
assert report.divides and report.unseen == tuple(range(5, 23))
dilated = size_report(9, 3, stride=2, dilation=2)
print(dilated.formula, "| never-seen rows:", dilated.unseen)
assert dilated.unseen == (1, 3, 5, 7)

# %% [markdown]
# ## Exercises
# Each exercise has a cell for your answer, and a check cell that says ✓ or ✗ and why.
# The reference solutions are in collapsed cells below each check: try first!
#
# ### Exercise 1: the formula as a function
# Write `output_size(H, FH, P, S)` returning the output size as an `int` (a size is a
# whole number: `4.0` is not accepted, so think about which division to use). You may
# assume that the sizes divide.

# %%
def output_size(H, FH, P, S):
    # your code here
    return None


# %%
cases_output_size = [((4, 3, 1, 1), 4), ((7, 3, 0, 2), 3), ((28, 5, 2, 3), 10), ((31, 5, 2, 3), 11),
                     ((32, 5, 0, 1), 28), ((227, 11, 0, 4), 55)]
check_function(output_size, cases_output_size, same_type=True,
               hint="count the start positions: (H + 2P - FH) / S, plus 1; `/` gives a float, `//` an int")

# %% jupyter={"source_hidden": true} tags=["solution"]
def solution_output_size(H, FH, P, S):
    return (H + 2 * P - FH) // S + 1


# %%
assert check_function(solution_output_size, cases_output_size, same_type=True)
# wrong answers of the right type are rejected too: a float, and an int that forgets the padding
assert not check_function(lambda H, FH, P, S: (H + 2 * P - FH) / S + 1, cases_output_size, same_type=True)
assert not check_function(lambda H, FH, P, S: (H - FH) // S + 1, cases_output_size, same_type=True)

# %% [markdown]
# ### Exercise 2: "same" padding for a big filter
# The first layer of some networks uses a 7×7 filter with stride 1 on 224×224 images.
# Which padding `P` keeps the output at 224×224?

# %%
same_pad_7x7 = None  # your answer: a number

# %%
claims_same_pad = [("P is a whole number", lambda p: float(p).is_integer()),
                   ("a real 7x7 convolution with this pad keeps 224 x 224",
                    lambda p: Convolution(np.zeros((1, 1, 7, 7)), np.zeros(1), pad=int(p))
                    .forward(np.zeros((1, 1, 224, 224))).shape[2:] == (224, 224))]
check_claims("same padding for 7x7", same_pad_7x7, claims_same_pad, why="P = (FH - 1) / 2 = 3",
             hint="with stride 1, OH = H + 2P - FH + 1")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_same_pad_7x7 = (7 - 1) // 2

# %%
assert check_claims("same padding for 7x7", solution_same_pad_7x7, claims_same_pad)

# %% [markdown]
# ### Exercise 3: shapes through a layer
# A batch of 8 RGB images of 64×64 pixels goes through a convolution layer with 20
# filters of size 3×3, padding 1 and stride 2, flooring as PyTorch does (`strict=False`:
# the sizes do not divide). Give the output shape as a tuple `(N, FN, OH, OW)`.

# %%
shape_answer = None  # your answer, e.g. (1, 2, 3, 4)

# %%
real_layer = Convolution(np.zeros((20, 3, 3, 3)), np.zeros(20), stride=2, pad=1, strict=False)
expected_shape = real_layer.forward(np.zeros((8, 3, 64, 64))).shape
check("output shape", shape_answer, expected_shape, same_type=True,
      why="N stays 8, channels become FN = 20, and (64 + 2 - 3) / 2 + 1 = 32.5 floors to 32",
      hint="N is unchanged, C becomes FN, and OH = (H + 2P - FH) / S + 1 (floored)")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_shape = (8, 20, (64 + 2 * 1 - 3) // 2 + 1, (64 + 2 * 1 - 3) // 2 + 1)

# %%
assert check("output shape", solution_shape, expected_shape, same_type=True)
assert not check("output shape", (8, 20, 32.5, 32.5), expected_shape, same_type=True)  # not floored

# %% [markdown]
# The sizes of exercise 3 do not divide. Move the explorer's sliders to H = W = 64,
# FH = FW = 3, PH = PW = 1, SH = SW = 2 to see what flooring drops there (only padding).
#
# ### Exercise 4: the rows nobody sees
# A 28×28 digit, a 5×5 filter, no padding, stride 3, and flooring. Which input rows are
# never covered by any window? Give a list of row indices (the first row is 0).

# %%
unseen_rows = None  # your answer, e.g. [0, 1]

# %%
check("never-seen rows", unseen_rows, list(size_report(28, 5, stride=3, pad=0).unseen),
      why="OH = floor(23 / 3) + 1 = 8 windows start at 0, 3, ..., 21; the last covers rows 21-25",
      hint="list the start rows 0, 3, 6, ... while a 5-row filter still fits; what is the last row covered?")

# %% jupyter={"source_hidden": true} tags=["solution"]
starts = list(range(0, 28 - 5 + 1, 3))
last_covered = starts[-1] + 5 - 1
solution_unseen_rows = list(range(last_covered + 1, 28))

# %%
assert check("never-seen rows", solution_unseen_rows, list(size_report(28, 5, stride=3, pad=0).unseen))

# %% [markdown]
# ## Summary
# - A convolution slides a filter over the input; each position gives one multiply-add,
#   plus one bias per filter.
# - Padding $P$ adds zeros around the input; stride $S$ is the step between positions.
# - $OH = (H + 2P - FH)/S + 1$. When it is not a whole number, the book's code and
#   PyTorch floor it and silently skip the last rows; `cnnlib` refuses (as the book's text
#   asks for sizes that divide) unless you ask with `strict=False`.
# - "Same" padding, $P = (FH - 1)/2$ with stride 1, keeps the size.
# - `(N, C, H, W) * (FN, C, FH, FW) → (N, FN, OH, OW)`: channels are summed, each filter
#   makes one output channel.
#
# **Next:** [02 im2col](02_im2col.ipynb) replaces the slow loops of `slide` by one
# matrix product.
