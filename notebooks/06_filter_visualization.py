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
# # 06 What the filters learn
#
# Notebook 05 trained SimpleConvNet to read digits. Its first layer is 30 filters of
# 5×5 weights, nothing more. What did they become? This notebook looks (CNNの可視化, book
# section 7.6): at the filters before and after training, at what they respond to in a
# digit and in a photograph, at filters of other sizes, and at the second layer of a
# deeper network.
#
# **Learning goals.** After this notebook you can
# - draw a layer's filters as the book does, each normalized on its own, and tell random
#   filters from learned ones, with a number;
# - compute and read the feature maps of the first layer, after ReLU and pooling;
# - find the filters that detect vertical and horizontal edges (エッジ);
# - say how the filter size changes what is learned;
# - test whether second-layer features are more abstract than first-layer ones, without
#   being fooled by pooling's coarser grid;
# - explore all of this with the learned-filter explorer.

# %%
import matplotlib.pyplot as plt
import numpy as np

import cnnlib
from cnnlib import Sequential, SimpleConvNet, summary
from cnnlib.course.exercises import check, check_claims, check_function
from cnnlib.course.filters import (explorer_images, filter_evolution, first_layer_maps, layer_outputs,
                                   load_pretrained_history, load_pretrained_snapshots, normalize_filters)
from cnnlib.course.network_widgets import filter_figure, filter_view
from cnnlib.course.report import compare, say, show
from cnnlib.course.viz import show_images
from cnnlib.data import random_shift
from cnnlib.init import init_weights
from cnnlib.layers import Affine, Convolution, Pooling, Relu
from cnnlib.train import Trainer, quick_mode

plt.rcParams["figure.dpi"] = 72
QUICK = quick_mode()  # CNNLIB_QUICK=1, set by CI: fewer epochs, same code
EPOCHS, SIZE_EPOCHS, DEEP_EPOCHS = (1, 1, 1) if QUICK else (20, 3, 10)
SIZE_SEEDS = (0, 1) if QUICK else (0, 1, 2)  # the filter-size comparison: one run per seed, mean ± spread

data = cnnlib.load_mnist(source="embedded")  # the digits that ship with cnnlib: the same run everywhere
(x_train, t_train), (x_test, t_test) = data
print(data.info)

# %% [markdown]
# ## 1. Filters before and after training
# The course ships the first-layer weights of a SimpleConvNet trained for 20 epochs with
# the project's training command (`python -m cnnlib.train`, the book's settings), saved
# after every epoch. Loading them takes a few milliseconds:

# %%
snapshots = load_pretrained_snapshots()
record = load_pretrained_history()
print(f"epochs: {list(snapshots)}")
print(f"W1 {snapshots[20]['W1'].shape}, b1 {snapshots[20]['b1'].shape}")
print(f"trained on: {record['data']}")
print(f"test accuracy after 20 epochs: {record['test_acc'][-1]:.2%}")
assert list(snapshots) == list(range(21)) and snapshots[20]["W1"].shape == (30, 1, 5, 5)

# %% [markdown]
# A filter's weights are small numbers of either sign. To draw one as a picture, the
# book scales **each filter on its own**; here its smallest weight is black and its
# largest white. (One common scale for all 30 would leave the weaker filters a flat grey.)
# The book's script (`ch07/visualize_filter.py`) draws with `cmap=plt.cm.gray_r`, the
# reversed gray scale: there the largest weight is black, so its figure 7-24 shows
# the same kind of filters with black and white swapped.

# %%
normalized = normalize_filters(snapshots[20]["W1"])
print(normalized.shape, "every filter spans", normalized.min(axis=(1, 2, 3))[:3], "to",
      normalized.max(axis=(1, 2, 3))[:3], "...")
assert (normalized.min(axis=(1, 2, 3)) == 0).all() and (normalized.max(axis=(1, 2, 3)) == 1).all()

# %% [markdown]
# The book's figure 7-24: the 30 filters before training (random, drawn with standard
# deviation 0.01) and after 20 epochs, in this notebook's colours: white is a large weight,
# black a small (or very negative) one. Each filter is labelled with its index, the number the text and the
# explorer use.

# %%
filter_titles = [f"filter {k}" for k in range(30)]
show_images(normalize_filters(snapshots[0]["W1"]), titles=filter_titles, ncols=10, size=1.15,
            suptitle="before training (epoch 0)")
plt.show()
show_images(normalized, titles=filter_titles, ncols=10, size=1.15, suptitle="after training (epoch 20)")
plt.show()

# %% [markdown]
# The random filters are salt and pepper. The trained ones have **structure**: smooth
# light and dark regions, bars, blobs (ブロブ), transitions from dark to light. One way
# to put a number on "structure": how similar are neighbouring weights? For random
# filters a weight says nothing about its neighbour (correlation about 0); a smooth
# filter's neighbours are alike (correlation near 1).

# %%
def neighbour_correlation(W):
    """Correlation between horizontally and vertically adjacent weights of filters (FN, 1, FH, FW),
    each filter's mean removed first."""
    w = W[:, 0] - W[:, 0].mean(axis=(1, 2), keepdims=True)
    left_top = np.concatenate([w[:, :, :-1].ravel(), w[:, :-1, :].ravel()])
    right_bottom = np.concatenate([w[:, :, 1:].ravel(), w[:, 1:, :].ravel()])
    return np.corrcoef(left_top, right_bottom)[0, 1]


correlations = [neighbour_correlation(snapshots[e]["W1"]) for e in snapshots]
print(f"neighbour correlation: epoch 0 {correlations[0]:.2f}, epoch 1 {correlations[1]:.2f}, "
      f"epoch 20 {correlations[-1]:.2f}")
assert abs(correlations[0]) < 0.15 and correlations[-1] > 0.5

# %%
fig, ax = plt.subplots(figsize=(5.5, 2.8), layout="constrained")
ax.plot(list(snapshots), correlations, "o-")
ax.set(xlabel="epoch", ylabel="neighbour correlation", title="the filters become smooth early", ylim=(-0.2, 1))
plt.show()

# %%
share_3 = correlations[3] / correlations[-1]
say(f"Most of the structure appears in the first few epochs: after 3 epochs the correlation is "
    f"{correlations[3]:.2f}, {share_3:.0%} of its value after 20 ({correlations[-1]:.2f}); later epochs refine it.")
assert share_3 > 0.5

# %% [markdown]
# ## 2. The learned-filter explorer
# Pick a training **epoch**, a **filter** and an input **image** (ten test digits and a
# photograph). The explorer shows the filter, the image, the filter's response map (the
# convolution plus the filter's bias: red is positive, blue negative), what is left
# after ReLU, and after 2×2 max pooling: exactly what the first block of SimpleConvNet
# passes on. The menu switches between the shipped run and, after section 3, your own.
#
# Things to try: a filter at epoch 0 and at epoch 20 on the same digit; a filter that is
# dark on the left and light on the right, on the photo; a digit where a filter
# responds almost nowhere. (The cell imports what it needs itself and opens from the
# shipped weights in a fraction of a second, so it also works alone, e.g. as a Voilà app.)

# %%
from cnnlib.course.network_widgets import filter_explorer

explorer = filter_explorer()
explorer

# %% [markdown]
# Without a running kernel the sliders do not move; here is what the explorer shows
# for filter 3 at epoch 5 on the digit 7:

# %%
# NBVAL_CHECK_OUTPUT
label, digit7 = explorer_images(photo=False)[7]
view = filter_view(snapshots, 5, 3, digit7, label)
print(view["text"].splitlines()[0])
assert view["text"].startswith("filter 3, epoch 5")

# %%
print(view["text"].splitlines()[1])
filter_figure(view, digit7)

# %% [markdown]
# ## 3. Your own run
# Train the same network with the same settings as the shipped run, keeping a copy of
# `W1` and `b1` after every epoch (`snapshot_epochs`), then add the run to the explorer
# above: its menu **weights** now offers "your run".

# %%
# NBVAL_IGNORE_OUTPUT
own_network = SimpleConvNet(rng=0)
own = Trainer(own_network, x_train, t_train, x_test, t_test, lr=0.001, epochs=EPOCHS, seed=0,
              snapshot_epochs=range(EPOCHS + 1), snapshot_params=("W1", "b1"))
own.train()
print(f"test accuracy after {EPOCHS} epochs: {own.history['test_acc'][-1]:.2%} ({data.info.source} MNIST)")

# %%
explorer.add_run("your run", own.snapshots)
assert explorer.runs.value == "your run" and explorer.sliders["epoch"].max == EPOCHS
print(f"the explorer now shows your run: epochs 0 to {EPOCHS}")

# %% [markdown]
# Both runs start from the same random filters (`rng=0`), and the same seed shuffles the
# batches in the same order:

# %%
assert np.array_equal(own.snapshots[0]["W1"], snapshots[0]["W1"])
last = min(EPOCHS, 20)
difference = np.abs(own.snapshots[last]["W1"] - snapshots[last]["W1"]).max()
print(f"epoch 0: identical; epoch {last}: largest difference {difference:.1e} "
      f"(your data: {data.info.source}, the shipped run: embedded)")

# %% [markdown]
# If both used the embedded digits, the two runs differ only by floating-point rounding
# (for example after a faster convolution in the library changed the order of the
# additions): tiny differences that grow a little over hundreds of updates. With the full
# MNIST your filters are your own.

# %% [markdown]
# ## 4. Feature maps: what each filter responds to
# Each filter slides over the image and gives one **feature map** (特徴マップ). On a
# digit, the 30 maps of the trained filters (each map normalized on its own; white is
# a strong response):

# %%
W20, b20 = snapshots[20]["W1"], snapshots[20]["b1"]
label, digit = explorer_images(photo=False)[4]
maps = first_layer_maps(W20, b20, digit)
print({name: m.shape for name, m in maps.items()})
assert maps["conv"].shape == (30, 24, 24) and maps["pool"].shape == (30, 12, 12)

# %%
show_images([digit] + list(maps["conv"]), titles=["input"] + filter_titles, ncols=8, size=1.5)
plt.show()

# %% [markdown]
# Every map is the digit seen through one filter: some light up on the strokes, some on
# the background next to a stroke, some on one side of it only. After ReLU only the
# positive part remains, and pooling halves the size. Shown for the filter whose map
# varies most on this digit (the largest standard deviation over the map), the one
# that tells most about where the strokes are:

# %%
busiest = int(maps["conv"].std(axis=(1, 2)).argmax())
show_images([maps["conv"][busiest], maps["relu"][busiest], maps["pool"][busiest]],
            titles=[f"filter {busiest}: conv + bias", "after ReLU", "after pooling"], size=2.6, cmap="magma")
plt.show()
assert (maps["relu"] >= 0).all() and np.allclose(maps["relu"], np.maximum(maps["conv"], 0))

# %% [markdown]
# The filters were trained on white digits on black, yet they apply to any image. On a
# photograph (scikit-learn's "china", shipped with cnnlib, as gray values in [0, 1],
# reduced from 427×640 to 214×320 pixels):

# %%
photo = cnnlib.sample_image("china", gray=True, size=(214, 320))
photo_maps = first_layer_maps(W20, b20, photo)
print("photo", photo.shape, "-> feature maps", photo_maps["conv"].shape)
assert photo_maps["conv"].shape == (30, 210, 316)

# %% [markdown]
# Three filters of different kinds, picked by the **balance** of their weights, the sum
# of the weights over the sum of their absolute values (1: all positive, 0: positive and
# negative weights cancel): the most positive one, which averages its window (close to a
# blur of the photo); the most balanced one, whose weights nearly cancel, so that a flat
# region gives it little and a change in brightness much more (like an edge filter); and
# the one whose balance is nearest 0.5, in between.

# %%
balance = W20.sum(axis=(1, 2, 3)) / np.abs(W20).sum(axis=(1, 2, 3))
picked = [int(balance.argmax()), int(np.abs(balance).argmin()), int(np.abs(balance - 0.5).argmin())]
show_images([photo] + [photo_maps["conv"][k] for k in picked],
            titles=["photo"] + [f"filter {k} (balance {balance[k]:+.2f})" for k in picked], ncols=2, size=4.0)
plt.show()
print("picked: most positive, most balanced, nearest 0.5:", picked)
assert len(set(picked)) == 3

# %%
balanced = picked[1]
w_sum, bias = W20[balanced].sum(), b20[balanced]
flat_black, flat_white = bias, w_sum + bias  # a flat region of gray c gives c * sum(W) + b
on_photo = photo_maps["conv"][balanced]
say(f"Filter {balanced}, the most balanced, is not exactly balanced: its weights sum to {w_sum:+.3f} and its "
    f"bias is {bias:+.3f}, so a flat region of gray value c gives "
    f"c·({w_sum:.3f}) {'-' if bias < 0 else '+'} {abs(bias):.3f}: "
    f"{flat_black:+.3f} on black (c = 0), {flat_white:+.3f} on white (c = 1). On the photo its response runs from "
    f"{on_photo.min():+.2f} to {on_photo.max():+.2f}: a flat region gives it close to 0, a change much more.")
assert max(abs(flat_black), abs(flat_white)) < 0.1 * np.abs(on_photo).max()

# %% [markdown]
# ## 5. Vertical and horizontal edges
# Book figure 7-25 shows two learned filters applied to a photo: one responds to
# vertical edges, the other to horizontal ones. Which of our 30 filters do that? Show
# each filter a vertical edge (dark left, light right) and a horizontal one (dark top,
# light bottom), and measure how strongly its response varies (its standard deviation
# over the map; a flat image gives a constant response, so only the edge counts).

# %%
vertical_edge = np.tile((np.arange(28) >= 14).astype(np.float32), (28, 1))  # columns 14+ are white
horizontal_edge = vertical_edge.T.copy()
strength_v = first_layer_maps(W20, b20, vertical_edge)["conv"].std(axis=(1, 2))
strength_h = first_layer_maps(W20, b20, horizontal_edge)["conv"].std(axis=(1, 2))
ratio = strength_v / strength_h
most_vertical, most_horizontal = int(ratio.argmax()), int(ratio.argmin())
print(f"filter {most_vertical}: {ratio[most_vertical]:.1f}x stronger on the vertical edge")
print(f"filter {most_horizontal}: {1 / ratio[most_horizontal]:.1f}x stronger on the horizontal edge")
assert ratio[most_vertical] > 2 and 1 / ratio[most_horizontal] > 2

# %% [markdown]
# The two filters and their responses, in the book's style: the output as a gray image,
# here on a scale symmetric about 0, so that gray is no response, white a positive one
# and black a negative one. Which sign do the edges above get?

# %%
edges = {"vertical": (most_vertical, vertical_edge, "dark left, light right"),
         "horizontal": (most_horizontal, horizontal_edge, "dark top, light bottom")}
edge_response = {name: first_layer_maps(W20[k:k + 1], b20[k:k + 1], edge)["conv"][0]
                 for name, (k, edge, _) in edges.items()}
reversed_response = {name: first_layer_maps(W20[k:k + 1], b20[k:k + 1], 1 - edge)["conv"][0]
                     for name, (k, edge, _) in edges.items()}  # the same edge, dark and light swapped
mostly_negative = {name: -r.min() > r.max() for name, r in edge_response.items()}
for name, (k, _, looks) in edges.items():
    r, rr = edge_response[name], reversed_response[name]
    say(f"Filter {k} on the {name} edge ({looks}): from {r.min():+.2f} to {r.max():+.2f}, mostly "
        f"{'negative (black)' if mostly_negative[name] else 'positive (white)'}; on the reversed edge from "
        f"{rr.min():+.2f} to {rr.max():+.2f}.")
assert all(mostly_negative[n] != (-r.min() > r.max()) for n, r in reversed_response.items())  # the sign flips

# %% [markdown]
# Each filter is a detector of its edge in one direction: shown the other one, it
# answers with the opposite sign. On the photo, one filter marks the temple's vertical
# pillars and edges, the other its horizontal roofs and railings, white or black by the
# direction of the change:

# %%
fig, axes = plt.subplots(2, 3, figsize=(6.5, 4.4), layout="constrained")
for row, (name, (k, _, _)) in enumerate(edges.items()):
    axes[row, 0].imshow(normalize_filters(W20[k:k + 1])[0, 0], cmap="gray", interpolation="nearest")
    axes[row, 0].set_title(f"filter {k} ({name} edges)", fontsize=9)
    for ax, image, title in [(axes[row, 1], edge_response[name], f"on the {name} edge"),
                             (axes[row, 2], photo_maps["conv"][k][20:180, 30:190], "on the photo (the temple)")]:
        m = np.abs(image).max()
        ax.imshow(image, cmap="gray", vmin=-m, vmax=m)  # symmetric: gray is 0
        ax.set_title(title, fontsize=9)
for ax in axes.flat:
    ax.set_axis_off()
plt.show()

# %% [markdown]
# Nobody told the network to look for edges. It learned them because the edges, the
# sides of each stroke where dark turns to light, are where a digit's shape shows.
# Do hand-designed edge filters respond the same way? Sobel's vertical-edge filter
# `[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]` (positive on dark left, light right) and its
# transpose for horizontal edges, on the same photo, against the two learned filters
# (the correlation of the two response maps over all positions):

# %%
sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
sobel = {"vertical": sobel_x, "horizontal": sobel_x.T}
photo64 = photo[None, None].astype(np.float64)
# a 3×3 map (212×318) without its outer ring is on the grid of the 5×5 maps (210×316)
sobel_maps = {name: Convolution(w[None, None], np.zeros(1)).forward(photo64)[0, 0, 1:-1, 1:-1]
              for name, w in sobel.items()}
r_sobel = {(learned, name): np.corrcoef(photo_maps["conv"][edges[learned][0]].ravel(), sobel_maps[name].ravel())[0, 1]
           for learned in edges for name in sobel}
for learned, (k, _, _) in edges.items():
    print(f"filter {k} ({learned}): correlation with Sobel vertical {r_sobel[learned, 'vertical']:+.2f}, "
          f"horizontal {r_sobel[learned, 'horizontal']:+.2f}")
assert sobel_maps["vertical"].shape == photo_maps["conv"].shape[1:]

# %%
follows = all(abs(r_sobel[n, n]) >= 0.5 and abs(r_sobel[n, n]) > 2 * abs(r_sobel[n, other])
              for n, other in [("vertical", "horizontal"), ("horizontal", "vertical")])
reversed_sign = all(r_sobel[n, n] < 0 and mostly_negative[n] for n in edges)
say(("Each learned filter follows the Sobel filter of its direction (|r| = "
     + " and ".join(f"{abs(r_sobel[n, n]):.2f}" for n in edges) + ") and the other one much less"
     if follows else "The learned filters follow Sobel's only partly: see the correlations above")
    + ("; the correlations are negative because the learned filters have Sobel's sign reversed: they prefer "
       "light on the left or top, as the edge test above showed." if reversed_sign else "."))

# %% [markdown]
# ### How the filters evolve, epoch by epoch
# The shipped run kept `W1` after every epoch. Rows are epochs, columns the same filters
# throughout: the two edge filters just found, and the six filters whose weights moved
# most from their random start (the change from epoch 0 to 20, relative to the size of
# the filter at epoch 20). Your own run of section 3 keeps the same snapshots
# (`own.snapshots`), for as many epochs as it trained.

# %%
moved = [np.linalg.norm(snapshots[20]["W1"][k] - snapshots[0]["W1"][k]) / np.linalg.norm(snapshots[20]["W1"][k])
         for k in range(30)]
columns = [most_vertical, most_horizontal] + [int(k) for k in np.argsort(moved)[::-1]
                                              if k not in (most_vertical, most_horizontal)][:6]
epochs_shown = [0, 1, 2, 3, 5, 10, 20]
filter_evolution(snapshots, columns, epochs_shown)
plt.show()
print("columns:", columns, "| vertical edge:", most_vertical, "| horizontal edge:", most_horizontal)
assert len(set(columns)) == len(columns) == 8

# %% [markdown]
# The same filters in your own run of section 3 (the epochs it has of those above):

# %%
filter_evolution(own.snapshots, columns, [e for e in epochs_shown if e in own.snapshots])
plt.show()

# %% [markdown]
# ## 6. Filters of size 3, 5 and 7
# Does the filter size change what is learned? Train SimpleConvNet with 30 filters of
# 3×3, 5×5 and 7×7 (everything else the same, 3 epochs each), once per seed, so that a
# difference in accuracy can be told from the spread between seeds:

# %%
# NBVAL_IGNORE_OUTPUT
size_runs = {}
for size in [3, 5, 7]:
    size_runs[size] = []
    for seed in SIZE_SEEDS:
        net = SimpleConvNet(conv_param={"filter_num": 30, "filter_size": size}, rng=seed)
        history = Trainer(net, x_train, t_train, x_test, t_test, epochs=SIZE_EPOCHS, seed=seed,
                          progress=False).train()
        size_runs[size].append((net, history))
    print(f"{size}x{size}: test accuracy {show([h['test_acc'][-1] for _, h in size_runs[size]], True)} "
          f"over {len(SIZE_SEEDS)} seeds, {sum(h['epoch_time'][-1] for _, h in size_runs[size]) / len(SIZE_SEEDS):.1f} s "
          f"per epoch")

# %%
fig = plt.figure(figsize=(12, 3.6), layout="constrained")
for subfig, (size, runs) in zip(fig.subfigures(1, 3), size_runs.items()):
    net, history = runs[0]  # the filters of the first seed
    axes = subfig.subplots(5, 6)
    for ax, w in zip(axes.flat, normalize_filters(net.params["W1"])[:, 0]):
        ax.imshow(w, cmap="gray", interpolation="nearest")
        ax.set_axis_off()
    subfig.suptitle(f"{size}×{size} filters (seed {SIZE_SEEDS[0]}), test accuracy {history['test_acc'][-1]:.1%}",
                    fontsize=10)
plt.show()

# %%
size_acc = {size: [h["test_acc"][-1] for _, h in runs] for size, runs in size_runs.items()}
print(f"{'size':<6}{'weights per filter':>20}{'positions on a 28x28 digit':>29}{'parameters':>12}"
      f"{'test, mean ± spread':>22}")
for size, runs in size_runs.items():
    positions = (28 - size + 1) ** 2
    print(f"{size}x{size:<4}{size * size:>20}{positions:>29}{summary(runs[0][0], (1, 28, 28)).total_params:>12,}"
          f"{show(size_acc[size], True):>22}")
verdicts = {(a, b): compare(size_acc[a], size_acc[b]) for a, b in [(3, 5), (5, 7), (3, 7)]}
distinct = [f"{a}×{a} is {v} {b}×{b}" for (a, b), v in verdicts.items() if v != "within the spread of"]
say(f"Over {len(SIZE_SEEDS)} seeds, after {SIZE_EPOCHS} epochs:\n\n"
    + "\n".join(f"- {a}×{a} ({show(size_acc[a], True)}) is {v} {b}×{b} ({show(size_acc[b], True)})"
                for (a, b), v in verdicts.items())
    + ("\n\nBeyond the spreads: " + "; ".join(distinct) + "." if distinct else
       "\n\nNo size beats another beyond the spread between seeds: all three learn, and the accuracy "
       "does not rank them."))

# %% [markdown]
# A 3×3 filter can only say "lighter on this side than on that one": it learns
# gradients in some direction. A 7×7 filter covers a good part of a stroke and learns
# longer bars and curved pieces, but slides over fewer positions. The parameter count
# differs mostly through the first Affine layer, whose input is the pooled maps: more
# positions, more weights there. Modern networks stack 3×3 filters instead of using
# large ones: two 3×3 layers see a 5×5 region with fewer weights (18 instead of 25 per
# channel) and a ReLU in between.

# %% [markdown]
# ## 7. The second layer of a deeper network
# The book (figure 7-26) shows that deeper layers respond to more complex, more abstract
# things: edges in the first layer, then textures, then parts of objects. We can test
# whether a small version of this holds, with two convolution layers:
#
# `conv 16@3×3 → ReLU → pool → conv 32@3×3 → ReLU → pool → Affine 100 → ReLU → Affine 10`

# %%
def he(rng, shape, fan_in):
    """He's initial weights, standard deviation sqrt(2 / fan_in), float32 (cnnlib.init)."""
    return init_weights(shape, "he", rng, fan_in=fan_in)


def make_deep(seed):
    """The two-convolution network above, with He's initial weights drawn from seed."""
    rng = np.random.default_rng(seed)
    return Sequential([
        Convolution(he(rng, (16, 1, 3, 3), 9), np.zeros(16, np.float32), pad=1), Relu(), Pooling(2, 2, 2),
        Convolution(he(rng, (32, 16, 3, 3), 144), np.zeros(32, np.float32), pad=1), Relu(), Pooling(2, 2, 2),
        Affine(he(rng, (32 * 7 * 7, 100), 32 * 7 * 7), np.zeros(100, np.float32)), Relu(),
        Affine(he(rng, (100, 10), 100), np.zeros(10, np.float32))])


deep = make_deep(0)
print(summary(deep, (1, 28, 28)))

# %%
# NBVAL_IGNORE_OUTPUT
deep_history = Trainer(deep, x_train, t_train, x_test, t_test, epochs=DEEP_EPOCHS, seed=0, progress=False).train()
print(f"test accuracy after {DEEP_EPOCHS} epochs: {deep_history['test_acc'][-1]:.2%} ({data.info.source} MNIST)")

# %% [markdown]
# One digit, through the network: the 16 maps after the first ReLU (28×28), and the 32
# maps after the second ReLU (14×14):

# %%
outputs = dict(layer_outputs(deep, digit[None, None]))
layer1, layer2 = outputs["Relu1"][0], outputs["Relu2"][0]
print("layer 1:", layer1.shape, " layer 2:", layer2.shape)
show_images(list(layer1), titles=[f"map {k}" for k in range(16)], ncols=8, size=1.4, cmap="magma",
            suptitle="layer 1: 16 maps after ReLU (28×28)")
plt.show()
show_images(list(layer2), titles=[f"map {k}" for k in range(32)], ncols=8, size=1.4, cmap="magma",
            suptitle="layer 2: 32 maps after ReLU (14×14)")
plt.show()

# %% [markdown]
# Layer 1's maps still look like the digit: each is the digit with some of its edges
# highlighted. Layer 2's maps are coarser and less recognizable: a unit there combines
# 16 layer-1 maps over a window of the pooled maps, so each one sees a larger region
# (exercise 3 computes how large) and can respond to a combination of edges (a corner,
# an end of a stroke, a loop could be such combinations; the maps alone do not show which).
#
# "More abstract" can be measured, with two tests on the test digits:
#
# 1. **Shift a digit by up to 2 pixels.** How similar (cosine similarity) are the
#    representations of the digit and its shifted copy? Pixels change a lot; abstract
#    features should change less.
# 2. **Classify by the nearest class average** (the mean representation of each digit
#    class on the training set), with no training at all. Features that group digits
#    of the same class together make this simple rule more accurate.
#
# One trap first: each pooling halves the resolution, and a coarser grid alone makes a
# shifted digit look more like the original. The pixels themselves, averaged down to the
# 7×7 grid of layer 2, already pass the first test much better than at 28×28:

# %%
def cosine(a, b):
    """Cosine similarity of the rows of a and b (N, D): (N,)."""
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)


def to_7x7(maps):
    """Average-pool maps (N, C, H, W) with H = W a multiple of 7 down to 7×7; flattened (N, C*49)."""
    k = maps.shape[2] // 7
    return Pooling(k, k, stride=k, mode="average").forward(maps).reshape(len(maps), -1)


shifted_test = random_shift(x_test, 2, np.random.default_rng(1))
pixels_28 = np.median(cosine(x_test.reshape(len(x_test), -1), shifted_test.reshape(len(x_test), -1)))
pixels_7 = np.median(cosine(to_7x7(x_test), to_7x7(shifted_test)))
say(f"Median similarity of a digit and its shifted copy: **{pixels_28:.2f}** for the 28×28 pixels, "
    f"**{pixels_7:.2f}** for the same pixels averaged to 7×7, with no network at all.")
assert pixels_7 > pixels_28

# %% [markdown]
# So comparing pixels at 28×28 with layer 2 at 7×7 would credit the network with what
# the coarser grid does. The fair test compares every representation **at the same 7×7
# resolution**: the pixels averaged over 4×4 blocks, layer 1's pooled 14×14 maps averaged
# over 2×2 blocks, layer 2's pooled maps as they are. And it compares the trained network
# with the same network before training (its initial weights, `make_deep(0)`): what the
# architecture gives without learning.
#
# There is **one** trained network (seed 0) and one untrained one, so the ± below is not
# a spread over seeds. It is the spread of each number over 200 bootstrap resamples of
# the 1,000 test digits: how much the number depends on which test digits were drawn.
# A difference beyond it holds for these two networks on digits like these; whether
# another training run (another seed) gives the same, this test does not measure.

# %%
def representations(net, x):
    """Pixels, layer-1 and layer-2 maps (after pooling) of images x, all at 7×7: {name: (N, D)}."""
    out = dict(layer_outputs(net, x))
    return {"pixels": to_7x7(x), "layer 1": to_7x7(out["Pooling1"]), "layer 2": to_7x7(out["Pooling2"])}


def abstraction_tests(net):
    """Per test digit: similarity to its shifted copy, and whether the nearest class average is right."""
    test, moved, train = representations(net, x_test), representations(net, shifted_test), representations(net, x_train)
    result = {}
    for name in test:
        centroids = np.stack([train[name][t_train == k].mean(axis=0) for k in range(10)])
        distances = ((test[name][:, None, :] - centroids[None]) ** 2).sum(axis=2)
        result[name] = (cosine(test[name], moved[name]), distances.argmin(axis=1) == t_test)
    return result


resample = np.random.default_rng(2).integers(0, len(x_test), size=(200, len(x_test)))
scores = {}   # (network, representation) -> (similarity over the resamples, accuracy over the resamples)
for network_name, net in [("trained", deep), ("untrained", make_deep(0))]:
    for name, (similarity, correct) in abstraction_tests(net).items():
        scores[network_name, name] = (np.median(similarity[resample], axis=1), correct[resample].mean(axis=1))
print(f"{'at 7×7':<22}{'similarity to shifted copy':>28}{'nearest class average':>24}")
for (network_name, name), (similarity, accuracy) in scores.items():
    print(f"{network_name + ', ' + name:<22}{show(similarity, digits=3):>28}{show(accuracy, percent=True):>24}")
assert {representations(deep, x_test[:2])[name].shape[1] for name in ("pixels", "layer 1", "layer 2")} \
    == {49, 16 * 49, 32 * 49}

# %%
def versus(a, b):
    """'higher than', 'lower than' or 'within the spread of': beyond the two spreads only (here
    spreads over resampled test digits, one network each)."""
    return {"better than": "higher than", "worse than": "lower than"}.get(compare(a, b), "within the spread of")


sim = {key: value[0] for key, value in scores.items()}
acc = {key: value[1] for key, value in scores.items()}
T, U = "trained", "untrained"
say(f"At equal resolution, for the trained network (seed 0): layer 2's similarity to the shifted copy is "
    f"**{versus(sim[T, 'layer 2'], sim[T, 'pixels'])}** the pixels' and {versus(sim[T, 'layer 2'], sim[T, 'layer 1'])} "
    f"layer 1's; its nearest-class-average accuracy is **{versus(acc[T, 'layer 2'], acc[T, 'pixels'])}** the "
    f"pixels' ({show(acc[T, 'layer 2'], percent=True)} against {show(acc[T, 'pixels'], percent=True)}) and "
    f"{versus(acc[T, 'layer 2'], acc[T, 'layer 1'])} layer 1's. Before training, layer 2's accuracy is "
    f"{show(acc[U, 'layer 2'], percent=True)}: the trained layer 2's accuracy is "
    f"{versus(acc[T, 'layer 2'], acc[U, 'layer 2'])} the untrained one's, and its similarity "
    f"{versus(sim[T, 'layer 2'], sim[U, 'layer 2'])} the untrained one's.")
more_abstract = all(versus(m[T, "layer 2"], m[T, "pixels"]) == "higher than" for m in (sim, acc))
learned = versus(acc[T, "layer 2"], acc[U, "layer 2"]) == "higher than"
if more_abstract and learned:
    say("For this trained network the claim survives the fair test: at the same resolution, layer 2's features "
        "are both less sensitive to shifts and closer to the classes than the pixels, and its grouping by class "
        "beats the untrained network's. That is one training run against one set of initial weights, beyond the "
        "spread over resampled test digits; other seeds were not trained.")
elif more_abstract:
    say("At the same resolution layer 2 beats the pixels on both tests, but its class grouping does not beat the "
        "untrained network's beyond the spread (over resampled test digits, one network each): here the "
        "architecture (convolution, ReLU, pooling) may do as much as the learning.")
else:
    beats = [test for test, m in (("shift similarity", sim), ("class grouping", acc))
             if versus(m[T, "layer 2"], m[T, "pixels"]) == "higher than"]
    say("At the same resolution, layer 2 does not beat the pixels on both tests"
        + (f": it beats them on {beats[0]} only" + (", and the trained network's layer 2 beats the untrained "
                                                   "one's there" if learned and beats == ["class grouping"] else "")
           if beats else "")
        + " (beyond the spread over resampled test digits; one trained and one untrained network). Part of what the "
        "28×28 pixels against the 7×7 maps would suggest comes from pooling's coarser grid alone (the first cell of "
        "this test). This run cannot say that layer 2 is more abstract in both senses.")

# %% [markdown]
# ## Exercises
# Each exercise has a cell for your answer, and a check cell that says ✓ or ✗ and why.
# The reference solutions are in collapsed cells below each check: try first!
#
# ### Exercise 1: normalize each filter
# Write `normalize_each(W)` for filters `W` of shape (FN, C, FH, FW): scale each filter
# so that its smallest weight (over its C×FH×FW values) becomes 0 and its largest 1.
# Return an array of the same shape. (You may assume no filter is constant.)

# %%
def normalize_each(W):
    # your code here
    return None


# %%
rng = np.random.default_rng(7)
cases_normalize = [(W, normalize_filters(W)) for W in [np.array([[[[1.0, 3.0], [2.0, 5.0]]]]),
                                                      rng.standard_normal((4, 1, 3, 3)),
                                                      rng.standard_normal((2, 3, 5, 5)), snapshots[20]["W1"]]]
check_function(normalize_each, cases_normalize,
               why="min and max per filter: W.min(axis=(1, 2, 3), keepdims=True), and the same for max",
               hint="take the minimum and maximum over the axes (1, 2, 3) with keepdims=True, "
                    "then (W - min) / (max - min)")

# %% jupyter={"source_hidden": true} tags=["solution"]
def solution_normalize_each(W):
    low = W.min(axis=(1, 2, 3), keepdims=True)
    high = W.max(axis=(1, 2, 3), keepdims=True)
    return (W - low) / (high - low)


# %%
assert check_function(solution_normalize_each, cases_normalize)

# %% [markdown]
# ### Exercise 2: a horizontal-edge filter by hand
# Design a 3×3 filter (a NumPy array of shape (3, 3)) that
# - gives 0 on a flat image (any constant gray),
# - responds strongly to a horizontal edge (dark above, light below), with a **positive**
#   response (the same edge upside down, light above, would give a negative one),
# - and responds at least 10 times less to a vertical edge.

# %%
my_horizontal_filter = None  # your answer: np.array of shape (3, 3)


# %%
def edge_strength(w, image):
    """Standard deviation of the response of one 2-D filter w to a 2-D image."""
    return Convolution(np.asarray(w, dtype=np.float64)[None, None], np.zeros(1)).forward(image[None, None]).std()


flat = np.full((28, 28), 0.7)
claims_horizontal = [
    ("it has shape (3, 3)", lambda w: np.shape(w) == (3, 3)),
    ("it gives 0 on a flat gray image", lambda w: np.allclose(
        Convolution(np.asarray(w, dtype=np.float64)[None, None], np.zeros(1)).forward(flat[None, None]), 0)),
    ("it responds to a horizontal edge", lambda w: edge_strength(w, horizontal_edge) > 0.1),
    ("its response to dark above, light below is positive (not an upside-down filter)",
     lambda w: Convolution(np.asarray(w, dtype=np.float64)[None, None], np.zeros(1))
     .forward(horizontal_edge[None, None].astype(np.float64)).sum() > 0),
    ("it responds at least 10 times less to a vertical edge",
     lambda w: edge_strength(w, vertical_edge) * 10 <= edge_strength(w, horizontal_edge)),
]
check_claims("horizontal-edge filter", my_horizontal_filter, claims_horizontal,
             why="rows of opposite sign that sum to zero (like Sobel's [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]) "
                 "compare the rows above and below and ignore left and right",
             hint="make the top row negative and the bottom row positive, with the same numbers in each column")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_horizontal_filter = np.array([[-1.0, -2.0, -1.0],
                                       [0.0, 0.0, 0.0],
                                       [1.0, 2.0, 1.0]])  # Sobel

# %%
assert check_claims("horizontal-edge filter", solution_horizontal_filter, claims_horizontal)
# wrong answers of the right type are rejected: upside down, turned by 90°, not summing to 0
for wrong in [solution_horizontal_filter[::-1], solution_horizontal_filter.T, np.abs(solution_horizontal_filter)]:
    assert not check_claims("horizontal-edge filter", wrong, claims_horizontal)

# %% [markdown]
# ### Exercise 3: how far does a layer-2 unit see?
# In the deeper network of section 7, one output value of the **second convolution**
# (before the second pooling) depends on a square region of the input digit: its
# *receptive field*. How many pixels wide is that region? (Think backwards: a 3×3
# convolution sees 3 pixels; what does a 2×2 pooling with stride 2 in front of it do?)

# %%
receptive_field_width = None  # your answer: a whole number


# %%
def measured_receptive_field():
    """Width of the input region that one layer-2 unit depends on, found by backpropagation
    through a copy of the network's first layers with all-positive weights and average pooling
    (so that no ReLU or max can hide a pixel)."""
    layers = [Convolution(np.ones((1, 1, 3, 3)), np.zeros(1), pad=1), Pooling(2, 2, 2, mode="average"),
              Convolution(np.ones((1, 1, 3, 3)), np.zeros(1), pad=1)]
    h = np.ones((1, 1, 28, 28))
    for layer in layers:
        h = layer.forward(h)
    dout = np.zeros_like(h)
    dout[0, 0, 7, 7] = 1.0  # one unit in the middle of the 14x14 map
    for layer in reversed(layers):
        dout = layer.backward(dout)
    rows = np.flatnonzero(dout[0, 0].any(axis=1))
    return int(rows.max() - rows.min() + 1)


check("receptive field of a layer-2 unit (pixels)", receptive_field_width, measured_receptive_field(),
      why="conv 2 sees 3 pooled values; they cover (3 - 1) * 2 + 2 = 6 positions of conv 1, "
          "which see (6 - 1) + 3 = 8 pixels",
      hint="a 3x3 conv sees 3 values; each pooled value covers 2 positions of conv 1 (stride 2), "
           "and each conv-1 position sees 3 pixels")

# %% jupyter={"source_hidden": true} tags=["solution"]
rf = 3                   # conv 2: 3 pooled values
rf = (rf - 1) * 2 + 2    # pooling 2x2, stride 2: 3 pooled values cover 6 conv-1 positions
rf = (rf - 1) * 1 + 3    # conv 1, 3x3, stride 1: 6 positions see 8 pixels
solution_receptive_field_width = rf

# %%
assert check("receptive field of a layer-2 unit (pixels)", solution_receptive_field_width, measured_receptive_field())

# %% [markdown]
# A layer-1 unit sees 3×3 pixels, a layer-2 unit 8×8: 8 of the 20 pixels that an MNIST
# digit's box spans in each direction: large enough to hold a combination of edges, not only one edge.

# %% [markdown]
# ## Summary
# - Drawn with each filter normalized on its own, random filters are noise; trained
#   ones are smooth (neighbouring weights correlate: about 0 before, clearly after; section 1)
#   and look like edge and blob detectors. Most of that appears in the first epochs.
# - A feature map is the image seen through one filter; ReLU keeps the positive
#   responses, pooling halves the size.
# - Some learned filters respond to vertical edges, others to horizontal ones, as in
#   the book's figure 7-25, also on a photograph they never saw.
# - 3×3 filters learn simple gradients, 7×7 filters longer strokes; whether one size is
#   more accurate is decided over seeds, beyond their spread (section 6).
# - Deeper layers see larger regions. Whether they represent digits more abstractly
#   must be tested at equal resolution, since pooling's coarser grid alone makes a shifted
#   digit look more like the original; section 7 says what this run shows.
# - The learned-filter explorer shows any filter, at any epoch, on any image; it opens
#   from shipped snapshots (`cnnlib/course/pretrained/`) and takes your own run with
#   `explorer.add_run(name, trainer.snapshots)`.
#
# **Next:** [07 LeNet versus AlexNet](07_lenet_vs_alexnet.ipynb): from 60,000 parameters
# to 60 million.
