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
# # 07 LeNet versus AlexNet
#
# Two networks frame the story of CNNs. **LeNet-5** (LeCun et al., 1998) read the
# digits on bank cheques. **AlexNet** (Krizhevsky, Sutskever and Hinton, 2012) won the
# ImageNet competition by a wide margin and started the deep learning boom. Their
# structure is the same: convolutions and pooling, then fully-connected layers. What
# differs is the size, a handful of new ideas, and the hardware. This notebook measures
# all three.
#
# **Learning goals.** After this notebook you can
# - compare two networks layer by layer: shapes, parameters, multiply-adds, memory;
# - build the paper's LeNet-5 (trainable subsampling, C3's sparse connection table, the
#   scaled tanh) and count its 60,000 parameters layer by layer;
# - say what LeNet-5's sigmoid/tanh and average pooling ("subsampling") became in
#   modern networks, and measure the difference over several seeds;
# - list what AlexNet changed (ReLU, LRN, overlapping pooling, dropout, data
#   augmentation, GPUs) and show each in code, with LRN's formula and dropout's two
#   conventions;
# - estimate, from a measured forward and backward pass, how long training AlexNet
#   would take in NumPy, and why GPUs became necessary.
#
# This follows *Deep Learning from Scratch* (ゼロから作るDeep Learning), section 7.7.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import cnnlib
from cnnlib import AlexNet, LeNet5, summary
from cnnlib.course.exercises import check, check_function, matches
from cnnlib.course.report import compare, fastest, say, show
from cnnlib.data import DataUnavailableError
from cnnlib.layers import C3_TABLE, LRN, Dropout, Pooling, ScaledTanh
from cnnlib.train import Trainer, quick_mode

plt.rcParams["figure.dpi"] = 72
QUICK = quick_mode("300 training digits and 1 epoch per run")  # CNNLIB_QUICK=1, set by CI: same code, less data
SEEDS = (0, 1, 2)  # every comparison: one run per seed, reported as mean ± spread
# small runs, so that 3 seeds of every setting fit in a few minutes: the numbers are not MNIST's best
N_TRAIN, N_TEST = (300, 300) if QUICK else (2000, 1000)
LENET_EPOCHS, ACT_EPOCHS, ALEX_EPOCHS = (1, 1, 1) if QUICK else (3, 5, 3)

data = cnnlib.load_mnist(source="embedded")  # the digits that ship with cnnlib: the same run everywhere
(x_train, t_train), (x_test, t_test) = data
print(data.info)
x_small, t_small, x_check, t_check = x_train[:N_TRAIN], t_train[:N_TRAIN], x_test[:N_TEST], t_test[:N_TEST]


def sweep(make, **settings):
    """Train ``make(seed)`` once per seed of SEEDS on the same digits; the histories, one per seed."""
    return [Trainer(make(seed), x_small, t_small, x_check, t_check, seed=seed, progress=False, **settings).train()
            for seed in SEEDS]


def final(runs, key="test_acc"):
    """The last epoch's ``key`` of each run: one number per seed."""
    return [history[key][-1] for history in runs]

# %% [markdown]
# ## 1. Side by side
# `cnnlib.summary` lists, for one input image, each layer's output shape, its
# parameters, its multiply-adds (MACs: one multiplication and one addition, the unit of
# work of a convolution or an Affine layer) and the memory of its output. LeNet-5 in
# the form most courses call "classic", for a 28×28 digit (padded to 32×32 by the first
# convolution, as in the paper); section 2 builds the paper's own form:
#
# <img src="../images/lenet5.png" alt="LeNet-5: shapes from cnnlib.summary">
#
# <img src="../images/alexnet.png" alt="AlexNet: shapes from cnnlib.summary">

# %%
# NBVAL_CHECK_OUTPUT
lenet = LeNet5("classic")
lenet_summary = summary(lenet, (1, 28, 28))
print(lenet_summary)
assert lenet_summary.total_params == 156 + 2_416 + 48_120 + 10_164 + 850 == 61_706

# %% [markdown]
# AlexNet, for a 227×227 color photo and the 1,000 classes of ImageNet. The paper split
# conv2, conv4 and conv5 across two GPUs, each filter seeing only the half of the
# channels on its own GPU; `AlexNet("full")` is the single-device version, in which every
# filter sees all channels:

# %%
# NBVAL_CHECK_OUTPUT
alexnet = AlexNet("full")
alexnet_summary = summary(alexnet, (3, 227, 227))
print(alexnet_summary)
assert alexnet_summary.total_params == 62_378_344

# %% [markdown]
# Why 227, when the paper says its network takes 224×224 crops? The first layer has 11×11
# filters at stride 4 and no padding, and 224 does not give a whole number of positions;
# 227 gives the 55×55 maps that the paper's figure 2 draws after the first layer, and is
# the size Caffe's reference AlexNet used. The rest of the course uses 227:

# %%
for size in (224, 227):
    print(f"input {size}: (size - 11) / 4 + 1 = {(size - 11) / 4 + 1} positions per row")
assert (224 - 11) % 4 != 0 and (227 - 11) // 4 + 1 == 55 == alexnet_summary.rows[0].output_shape[1]

# %% [markdown]
# `AlexNet("paper")` writes the split as grouped convolutions (`groups=2`), as the paper
# computed it:

# %%
alexnet_paper_summary = summary(AlexNet("paper"), (3, 227, 227))  # the network itself is not kept
assert alexnet_paper_summary.total_params == 60_965_224
say(f"The paper's network has **{alexnet_paper_summary.total_params / 1e6:.1f} million** parameters (the paper: "
    f"\"60 million\") and does **{alexnet_paper_summary.total_macs / 1e9:.2f} billion** multiply-adds per image; the "
    f"single-device version has {alexnet_summary.total_params / 1e6:.1f} million and does "
    f"{alexnet_summary.total_macs / 1e9:.2f} billion. The rest of this notebook runs the single-device version.")

# %% [markdown]
# The totals, and how many times larger AlexNet is:

# %%
# NBVAL_CHECK_OUTPUT
rows = [("input values", np.prod((1, 28, 28)), np.prod((3, 227, 227))),
        ("parameters", lenet_summary.total_params, alexnet_summary.total_params),
        ("multiply-adds per image", lenet_summary.total_macs, alexnet_summary.total_macs),
        ("activation memory per image (bytes)", lenet_summary.total_activation_bytes,
         alexnet_summary.total_activation_bytes)]
print(f"{'':<38}{'LeNet-5':>14}{'AlexNet':>16}{'ratio':>8}")
for name, small, large in rows:
    print(f"{name:<38}{small:>14,}{large:>16,}{large / small:>8,.0f}")

# %% [markdown]
# Per layer, on a logarithmic scale (only layers with parameters cost multiply-adds;
# every layer's output takes memory):

# %%
def layer_costs(s):
    """(names, params, macs, activation bytes) of the layers of a Summary."""
    return ([r.name for r in s.rows], np.array([r.params for r in s.rows]), np.array([r.macs for r in s.rows]),
            np.array([r.activation_bytes for r in s.rows]))


fig, axes = plt.subplots(2, 3, figsize=(12, 8.5), layout="constrained", height_ratios=(12, 22), sharex="col")
for row, (name, s) in enumerate([("LeNet-5", lenet_summary), ("AlexNet", alexnet_summary)]):
    names, params, macs, act = layer_costs(s)
    y = np.arange(len(names))
    for ax, values, title, color in zip(axes[row], [params, macs, act],
                                        ["parameters", "multiply-adds", "activation bytes"], ["C0", "C1", "C2"]):
        ax.barh(y, np.maximum(values, 1e-9), color=color)  # empty bars for layers without cost
        ax.set_xscale("log")
        ax.set_yticks(y, names if ax is axes[row, 0] else [""] * len(names), fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"{name}: {title}, total {values.sum():,.0f}", fontsize=10)
for col, largest in enumerate([alexnet_summary.total_params, alexnet_summary.total_macs,
                               max(r.activation_bytes for r in alexnet_summary.rows)]):
    axes[0, col].set_xlim(1, 3 * largest)  # shared by both rows: the same scale for both networks
plt.show()

# %% [markdown]
# The pattern is the same in both networks, only bigger in AlexNet: the **convolutions
# do the work** (multiply-adds) with few parameters, because each filter is reused at
# every position; the **fully-connected layers hold the parameters** and do little work.

# %%
def share(s, kind):
    """Fraction of the parameters and of the multiply-adds in layers whose name starts with ``kind``."""
    params = sum(r.params for r in s.rows if r.name.startswith(kind)) / s.total_params
    macs = sum(r.macs for r in s.rows if r.name.startswith(kind)) / s.total_macs
    return params, macs


for name, s in [("LeNet-5", lenet_summary), ("AlexNet", alexnet_summary)]:
    p, m = share(s, "Convolution")
    print(f"{name}: convolutions hold {p:.1%} of the parameters and do {m:.1%} of the multiply-adds")
assert share(alexnet_summary, "Convolution")[0] < 0.1 and share(alexnet_summary, "Convolution")[1] > 0.9

# %% [markdown]
# ## 2. The paper's LeNet-5
# The "classic" LeNet-5 above is a simplification. The paper (LeCun, Bottou, Bengio and
# Haffner, 1998, section II-B) differs in four places:
#
# - **S2 and S4 are trainable subsampling layers**, not a fixed average: each 2×2 window
#   is *summed*, multiplied by a trainable coefficient and shifted by a trainable bias
#   (one of each per map), then passed through the activation: 2 parameters per map.
# - **C3 is not connected to all six S2 maps.** The paper's Table I connects C3 maps 0–5
#   to three contiguous S2 maps, maps 6–11 to four contiguous ones, 12–14 to four
#   discontinuous ones, and map 15 to all six. The paper's reasons: fewer connections,
#   and "a break of symmetry": maps that see different inputs learn different features.
# - **The activation is a scaled tanh**, $f(a) = 1.7159 \tanh(2a/3)$ (Appendix A),
#   chosen so that $f(\pm 1) = \pm 1$.
# - **The output layer is 10 Euclidean RBF units**, each comparing F6's 84 values with a
#   fixed 7×12 bitmap of its digit.
#
# `LeNet5("paper")` builds the first three with three layers of `cnnlib/layers/lenet.py`:
# `Subsampling`, `SparseConvolution` (a convolution whose weights outside the table are
# multiplied by a fixed 0, so that their gradient is exactly 0) and `ScaledTanh`; each is
# gradient-checked in float64 in `tests/test_lenet_layers.py`. Its weights start, as in
# the paper, uniform in $\pm 2.4 / F_i$ ($F_i$: the unit's number of inputs). The output
# stays an Affine layer with a softmax, as everywhere else in the course. Table I, with
# the S2 maps as rows and the C3 maps as columns:

# %%
# NBVAL_CHECK_OUTPUT
print("   C3 map " + "".join(f"{f:>3}" for f in range(16)))
for c in range(6):
    print(f"S2 map {c}  " + "".join(f"{'X' if C3_TABLE[f, c] else '.':>3}" for f in range(16)))
assert list(C3_TABLE.sum(axis=1)) == [3] * 6 + [4] * 9 + [6]
assert [list(np.flatnonzero(C3_TABLE[f])) for f in (4, 12, 15)] == [[0, 4, 5], [0, 1, 3, 4], [0, 1, 2, 3, 4, 5]]
print(f"{C3_TABLE.sum()} connected (C3 map, S2 map) pairs of 5x5 weights, instead of 16 x 6 = 96")

# %% [markdown]
# The network, and its parameters layer by layer against the paper's numbers:

# %%
# NBVAL_CHECK_OUTPUT
paper_lenet = LeNet5("paper")
paper_summary = summary(paper_lenet, (1, 28, 28))
print(paper_summary)

# %%
# NBVAL_CHECK_OUTPUT
PAPER_PARAMS = {"C1": 156, "S2": 12, "C3": 1_516, "S4": 32, "C5": 48_120, "F6": 10_164}  # section II-B
trainable = [r for r in paper_summary.rows if r.params]
print(f"{'paper':<7}{'layer here':<20}{'parameters':>12}{'the paper':>12}")
for (name, expected), row in zip(PAPER_PARAMS.items(), trainable):
    print(f"{name:<7}{row.name:<20}{row.params:>12,}{expected:>12,}")
before_output = sum(row.params for row in trainable[:6])
print(f"{'before the output':<27}{before_output:>12,}{sum(PAPER_PARAMS.values()):>12,}")
print(f"output: {trainable[6].name}, {trainable[6].params:,} parameters (the paper: 10 RBF units with fixed centres)")
assert [row.params for row in trainable[:6]] == list(PAPER_PARAMS.values()) and before_output == 60_000
# the paper also counts "connections" (each weight times the positions it serves, biases included)
assert trainable[0].params * 28 * 28 == 122_304 and trainable[2].macs + 16 * 10 * 10 == 151_600  # C1, C3
assert np.allclose(ScaledTanh().forward(np.array([-1.0, 1.0])), [-1, 1], atol=1e-4)  # f(±1) = ±1

# %% [markdown]
# What still differs from the paper:
#
# - **the output and its loss**: the paper's 10 RBF units $y_i = \sum_j (x_j - w_{ij})^2$
#   have fixed ±1 centres (the 7×12 bitmaps) and are trained with a "maximum a
#   posteriori" criterion; here an Affine layer (850 parameters) and softmax with
#   cross-entropy;
# - **the training procedure**: the paper used stochastic diagonal Levenberg–Marquardt
#   (a step size per parameter, from an estimate of the second derivative) for 20 passes
#   over 60,000 digits, with a global rate going down from 0.0005 to 0.00001; here Adam;
# - **the input**: the paper scales the pixels so that the background is −0.1 and the
#   ink 1.175 (mean about 0, variance about 1); here pixels in [0, 1];
# - **what the paper leaves open**, chosen here: the biases start at 0, and S2 and S4 use
#   the same scaled tanh as the other layers (the paper says "a sigmoidal function").

# %% [markdown]
# ## 3. LeNet-5: the paper's, the classic and the modern form, trained
# The 1998 network used tanh-like (sigmoid-family) activations and subsampling. Today one
# would use ReLU and max pooling: that is `LeNet5("modern")`, with the classic shapes and
# parameter count. Note that classic → modern changes three things at once: the
# activation, the pooling and the initialization (Xavier → He); a difference between them
# cannot be put on one of the three. We train the three forms with the same settings
# (Adam, lr 0.001, batch 100), once for each of three seeds, on a small set (the sizes are
# in the setup cell: `N_TRAIN` digits, `LENET_EPOCHS` epochs) to keep the runs short:

# %%
# NBVAL_IGNORE_OUTPUT
lenet_runs = {}
for variant in ["paper", "classic", "modern"]:
    lenet_runs[variant] = sweep(lambda seed: LeNet5(variant, rng=seed), epochs=LENET_EPOCHS)
    print(f"LeNet-5 {variant}: {sum(sum(h['epoch_time']) for h in lenet_runs[variant]):.0f} s for {len(SEEDS)} seeds")

# %%
lenet_acc = {variant: final(runs) for variant, runs in lenet_runs.items()}
lenet_epoch_s = {variant: float(np.mean([h["epoch_time"] for h in runs])) for variant, runs in lenet_runs.items()}
print(f"{LENET_EPOCHS} epoch(s) on {N_TRAIN:,} digits, tested on {N_TEST:,} ({data.info.source} MNIST), "
      f"seeds {SEEDS}: mean ± spread")
print(f"{'':<10}{'test accuracy':>18}{'train accuracy':>18}{'s per epoch':>13}")
for variant, runs in lenet_runs.items():
    print(f"{variant:<10}{show(lenet_acc[variant], True):>18}{show(final(runs, 'train_acc'), True):>18}"
          f"{lenet_epoch_s[variant]:>13.2f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
epochs_axis = np.arange(1, LENET_EPOCHS + 1)
for (variant, runs), color in zip(lenet_runs.items(), ["C2", "C0", "C1"]):
    curves = np.array([h["test_acc"] for h in runs])
    ax.errorbar(epochs_axis, curves.mean(axis=0), yerr=curves.std(axis=0, ddof=1), fmt="o-", color=color,
                capsize=3, label=f"{variant} (test, mean ± spread of {len(SEEDS)} seeds)")
ax.set(xlabel="epoch", ylabel="test accuracy", title="LeNet-5: the paper's, classic and modern forms")
ax.set_xticks(epochs_axis)
ax.legend(fontsize=8)
plt.show()

# %%
modern_vs_classic = compare(lenet_acc["modern"], lenet_acc["classic"])
paper_vs_classic = compare(lenet_acc["paper"], lenet_acc["classic"])
text = (f"After {LENET_EPOCHS} epoch(s) on {N_TRAIN:,} digits, the modern form's test accuracy, "
        f"{show(lenet_acc['modern'], True)}, is **{modern_vs_classic}** the classic form's "
        f"{show(lenet_acc['classic'], True)}")
text += (": the seeds differ as much as the forms do, and we draw no conclusion at this scale. "
         if modern_vs_classic == "within the spread of" else " by more than the two spreads added. ")


def at_epoch(variant, e):
    """Test accuracy after epoch e + 1, one number per seed."""
    return [history["test_acc"][e] for history in lenet_runs[variant]]


lenet_caveat = ""  # for the summary: how the comparison went epoch by epoch
if LENET_EPOCHS > 1:
    POSITION = {"better than": "ahead", "worse than": "behind", "within the spread of": "level (within the spreads)"}
    by_epoch = [POSITION[compare(at_epoch("modern", e), at_epoch("classic", e))] for e in range(LENET_EPOCHS)]
    positions = ", ".join(f"{where} after epoch {e + 1}" for e, where in enumerate(by_epoch))
    text += f"Epoch by epoch, the modern form was {positions}. "
    lenet_caveat = f"; epoch by epoch it was {positions}"
    rising = {v: np.mean(at_epoch(v, -1)) > np.mean(at_epoch(v, -2)) for v in ("classic", "modern")}
    if all(rising.values()):
        text += ("Both were still rising at the last epoch (classic "
                 + ", modern ".join(f"{np.mean(at_epoch(v, -2)):.1%} → {np.mean(at_epoch(v, -1)):.1%}"
                                    for v in ("classic", "modern"))
                 + " on average): this is a comparison after a short training, not of where the two end. ")
        lenet_caveat += ", and both were still rising"
text += (f"The paper's form reaches {show(lenet_acc['paper'], True)}, **{paper_vs_classic}** the classic form's; "
         f"it is trained here with Adam and pixels in [0, 1], not with the paper's procedure and input scaling, "
         f"so this says nothing about the 1998 results. ")
slowest, quickest = max(lenet_epoch_s.values()), min(lenet_epoch_s.values())
text += (f"An epoch took {quickest:.2f} to {slowest:.2f} s for the three forms"
         + (": the layers between the convolutions cost little next to them."
            if slowest < 1.5 * quickest else
            " (the first runs of a notebook also pay for warming up, and a shared machine's timings vary: we draw "
            "nothing from these)."))
say(text)

# %% [markdown]
# ## 4. What AlexNet changed
# 1. **ReLU** instead of tanh or sigmoid: $\max(0, x)$ does not saturate, so gradients
#    do not shrink in deep networks. The paper: a four-layer CNN reached 25% training
#    error on CIFAR-10 six times faster with ReLU than with tanh. Measured below.
# 2. **Local response normalization (LRN)**: each value is divided by a function of the
#    squares of its neighbours *across channels*, so that strongly active channels damp
#    their neighbours. (VGG, in 2014, found that LRN did not improve its accuracy and
#    dropped it; batch normalization, a different normalization, came in 2015.)
# 3. **Overlapping pooling**: 3×3 windows with stride 2, so neighbouring windows share a
#    row or column. The paper reports a slightly lower error, and less overfitting.
# 4. **Dropout**: during training each unit is dropped with probability 0.5, so the
#    network cannot rely on any single one. The paper drops the outputs of its first two
#    fully-connected layers (fc6 and fc7). cnnlib's `AlexNet` places its two dropout
#    layers as torchvision does, each *before* one of those layers: it drops pool5's
#    flattened outputs (the input of fc6) and fc6's outputs, not fc7's (checked below).
# 5. **Data augmentation**: random 224×224 crops of 256×256 images (227 here: see
#    section 1), horizontal flips, and a colour jitter. Without it, the paper says, the
#    network overfits badly.
# 6. **GPUs**: two NVIDIA GTX 580 with 3 GB each; the network was split across them.
#
# Each of the first four is a layer in `cnnlib`. LRN (the paper's section 3.3): the
# activity $a^i_{x,y}$ of channel $i$ at position $(x, y)$ becomes
#
# $$b^i_{x,y} = a^i_{x,y} \Big/ \Big(k + \alpha \sum_{j=\max(0,\, i-n/2)}^{\min(N-1,\, i+n/2)} \big(a^j_{x,y}\big)^2\Big)^{\beta}$$
#
# where the sum runs over the $n$ channels around $i$ ($N$ channels in all), with the
# paper's constants $k = 2$, $n = 5$, $\alpha = 10^{-4}$, $\beta = 0.75$. A strong channel
# enters the sums of its neighbours and lowers *their* outputs. Seven channels at one
# position, all with activity 1 except channel 3, which we make stronger and stronger:

# %%
lrn = LRN(k=2, n=5, alpha=1e-4, beta=0.75)
strengths = [1.0, 10.0, 30.0, 100.0, 300.0]
lrn_out = []
for strong in strengths:
    a = np.ones((1, 7, 1, 1))
    a[0, 3] = strong
    lrn_out.append(lrn.forward(a)[0, :, 0, 0])
lrn_out = np.array(lrn_out)  # (strength, channel)
print(f"{'channel 3 in':>13} |" + "".join(f"{'out ' + str(c):>9}" for c in range(7)))
for strong, out in zip(strengths, lrn_out):
    print(f"{strong:>13.0f} |" + "".join(f"{v:>9.4f}" for v in out))
# channels 1, 2, 4, 5 have channel 3 in their window of 5: their outputs fall as it grows
assert all((np.diff(lrn_out[:, c]) < 0).all() for c in (1, 2, 4, 5))
assert np.allclose(lrn_out[:, [0, 6]], lrn_out[0, [0, 6]])  # channels 0 and 6 are 3 away: outside it

# %%
drop = 1 - lrn_out[-1, 2] / lrn_out[0, 2]
say(f"Every value is divided by at least $k^\\beta = 2^{{0.75}} = {2 ** 0.75:.2f}$. When channel 3 goes from 1 to "
    f"{strengths[-1]:.0f}, its neighbour channel 2, whose own input stays 1, falls from {lrn_out[0, 2]:.4f} to "
    f"{lrn_out[-1, 2]:.4f} (**{drop:.0%} less**); channels 0 and 6, three channels away and so outside the window "
    f"of n = 5, keep {lrn_out[0, 0]:.4f}. At a strength of {strengths[1]:.0f} the neighbours lose only "
    f"{1 - lrn_out[1, 2] / lrn_out[0, 2]:.1%}: with $\\alpha = 10^{{-4}}$ the damping matters only for large "
    f"activations (it grows with their square), as in AlexNet, which was fed raw RGB values (0 to 255, minus their "
    f"mean). The strong "
    f"channel itself is damped too: its output is {lrn_out[-1, 3]:.1f} for an input of {strengths[-1]:.0f}.")

# %% [markdown]
# Overlapping pooling: AlexNet's first convolution gives 55×55 maps; 3×3 windows with
# stride 2 give 27×27, with windows that overlap by one row and column:

# %%
pool = Pooling(3, 3, stride=2)
print(pool.output_shape((96, 55, 55)))
assert pool.output_shape((96, 55, 55)) == (96, 27, 27)

# %% [markdown]
# **Dropout's two conventions.** During training, a unit is kept with probability
# $1 - p$. The output must have the same expected value in training and at test time.
# The book's `Dropout` (and the 2012 paper) keeps the kept units as they are in training
# and multiplies every unit by $1 - p$ at test time; **inverted dropout** divides the
# kept units by $1 - p$ in training and does nothing at test time, so that the trained
# network runs unchanged. Both, on many copies of one value:

# %%
p, value = 0.5, 3.0
h = np.full(200_000, value)
keep = np.random.default_rng(0).random(h.shape) >= p  # kept with probability 1 - p
book_train, book_test = h * keep, h * (1 - p)          # the book: scale at test time
inverted_train, inverted_test = h * keep / (1 - p), h  # inverted: scale in training
print(f"book:     training mean {book_train.mean():.4f}, test output {book_test[0]:.4f}")
print(f"inverted: training mean {inverted_train.mean():.4f}, test output {inverted_test[0]:.4f}")
standard_error = value * np.sqrt(p * (1 - p) / h.size)  # of the book's training mean; inverted: / (1 - p)
assert abs(book_train.mean() - book_test[0]) < 5 * standard_error
assert abs(inverted_train.mean() - inverted_test[0]) < 5 * standard_error / (1 - p)
# cnnlib.layers.Dropout is the inverted kind: kept units are scaled by 1 / (1 - p), the test pass is the identity
ours = Dropout(p, rng=0)
out = ours.forward(h[None], train=True)
assert set(np.unique(out)) == {0.0, value / (1 - p)} and (ours.forward(h[None], train=False) == h).all()
print(f"cnnlib's Dropout in training: kept units become {value / (1 - p)}, {np.mean(out > 0):.1%} kept; "
      f"at test time: unchanged")

# %% [markdown]
# In both, the expected output in training equals the test output (above: within 5
# standard errors of the random mean). `cnnlib.layers.Dropout` is inverted, as in PyTorch;
# weights trained with one convention must not be run with the other's test pass (the
# outputs would be off by the factor $1 - p$).
#
# Where the dropout layers sit in cnnlib's AlexNet, after the last pooling:

# %%
kinds = [type(layer).__name__ for layer in alexnet.layers]
tail = kinds.index("Flatten")
print(" - ".join(f"{kind} {alexnet_summary.rows[i].output_shape}" for i, kind in enumerate(kinds) if i >= tail))
dropouts = [i for i, kind in enumerate(kinds) if kind == "Dropout"]
assert [kinds[i + 1] for i in dropouts] == ["Affine", "Affine"]  # each right before fc6 and fc7: fc7's output is kept
assert kinds[dropouts[0] - 1] == "Flatten" and kinds[dropouts[1] - 2] == "Affine"  # pool5's values, then fc6's

# %% [markdown]
# ### ReLU against tanh and sigmoid, measured
# The same small network, LeNet-5 with average pooling (the classic form), with three
# activations: ReLU, tanh and sigmoid. Each starts from the initialization made for it:
# He's (standard deviation $\sqrt{2/\text{fan-in}}$) for ReLU, Xavier's
# ($\sqrt{1/\text{fan-in}}$) for tanh and sigmoid. ReLU against tanh therefore changes two
# things at once, so a fourth run separates them: **ReLU started from Xavier's weights**,
# He's divided by $\sqrt 2$, which are exactly the tanh network's starting weights.
# Plain stochastic gradient descent with momentum (as in the paper), learning rate 0.01,
# the same batches for all, over three seeds. How many iterations until the training
# loss (averaged over the last 20 iterations) falls below a threshold?

# %%
def relu_from_xavier(seed):
    """LeNet-5 classic with ReLU, its weights scaled from He's to Xavier's: sqrt(2 / fan_in) / sqrt(2)."""
    net = LeNet5("classic", activation="relu", rng=seed)
    for key in net.params:
        if key.startswith("W"):
            net.params[key] = net.params[key] / np.sqrt(2)
    return net


tanh_net = LeNet5("classic", activation="tanh", rng=0)
assert all(np.allclose(relu_from_xavier(0).params[key], tanh_net.params[key], rtol=1e-6, atol=0)
           for key in tanh_net.params)  # the same starting weights as tanh (the biases are 0 in both)
ARMS = {"relu": lambda seed: LeNet5("classic", activation="relu", rng=seed),
        "relu, Xavier": relu_from_xavier,
        "tanh": lambda seed: LeNet5("classic", activation="tanh", rng=seed),
        "sigmoid": lambda seed: LeNet5("classic", activation="sigmoid", rng=seed)}
NAMES = {"relu": "ReLU (He)", "relu, Xavier": "ReLU (Xavier)", "tanh": "tanh (Xavier)", "sigmoid": "sigmoid (Xavier)"}

# %%
# NBVAL_IGNORE_OUTPUT
activation_runs = {}
for arm, make in ARMS.items():
    activation_runs[arm] = sweep(make, optimizer="momentum", lr=0.01, epochs=ACT_EPOCHS)
    print(f"{arm}: {sum(sum(h['epoch_time']) for h in activation_runs[arm]):.0f} s for {len(SEEDS)} seeds")


# %%
def iterations_to_reach(loss, threshold, window=20):
    """First iteration at which the mean loss of the last ``window`` iterations is below ``threshold``, or None
    (also when the run has fewer than ``window`` iterations, as in quick mode)."""
    if len(loss) < window:
        return None
    smooth = np.convolve(loss, np.ones(window) / window, mode="valid")
    below = np.flatnonzero(smooth < threshold)
    return int(below[0]) + window if len(below) else None


THRESHOLDS = [1.5, 1.0, 0.5]
iterations = len(activation_runs["relu"][0]["loss"])
reached = {act: [[iterations_to_reach(h["loss"], th) for h in runs] for th in THRESHOLDS]
           for act, runs in activation_runs.items()}  # activation -> threshold -> one count per seed
print(f"{iterations} iterations of batch 100; iterations until the training loss is below (one per seed):")
print(f"{'':<13}" + "".join(f"{th:>20}" for th in THRESHOLDS) + f"{'test accuracy':>20}")
for act, per_threshold in reached.items():
    cells = "".join(f"{' '.join('-' if n is None else str(n) for n in counts):>20}" for counts in per_threshold)
    print(f"{act:<13}{cells}{show(final(activation_runs[act]), True):>20}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.2), layout="constrained")
for (activation, runs), color, style in zip(activation_runs.items(), ["C0", "C0", "C1", "C2"], ["-", ":", "-", "-"]):
    for i, history in enumerate(runs):
        window = min(20, len(history["loss"]))  # quick mode: fewer than 20 iterations
        loss = np.convolve(history["loss"], np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window, window + len(loss)), loss, style, color=color, alpha=0.8,
                label=NAMES[activation] if i == 0 else None)
ax.set(xlabel="iteration", ylabel="training loss (mean of 20)",
       title=f"SGD with momentum, lr 0.01, same batches, {len(SEEDS)} seeds each")
ax.legend()
plt.show()

# %%
def all_reached(act, i):
    return all(n is not None for n in reached[act][i])


def versus(a, b):
    """(threshold index, verdict of a against b) for each threshold both reached in every seed."""
    return [(i, compare(reached[a][i], reached[b][i], lower_is_better=True))
            for i in range(len(THRESHOLDS)) if all_reached(a, i) and all_reached(b, i)]


def sentence(a, b):
    """What the iteration counts say about a against b, threshold by threshold."""
    rows = versus(a, b)
    if not rows:
        return f"{NAMES[a]} and {NAMES[b]} did not both reach any threshold in every seed"
    return "; ".join(f"below {THRESHOLDS[i]}, {NAMES[a]} takes {show(reached[a][i], digits=0)} iterations and "
                     f"{NAMES[b]} {show(reached[b][i], digits=0)} ({NAMES[a]} is **{verdict}** {NAMES[b]})"
                     for i, verdict in rows)


he_vs_tanh, xavier_vs_tanh = [v for _, v in versus("relu", "tanh")], [v for _, v in versus("relu, Xavier", "tanh")]
ratios_beyond = [np.mean(reached["tanh"][i]) / np.mean(reached["relu"][i])
                 for i, v in versus("relu", "tanh") if v == "better than"]
text = (f"**Each from its own initialization:** {sentence('relu', 'tanh')}. **From the same starting weights** "
        f"(ReLU from Xavier's, like tanh): {sentence('relu, Xavier', 'tanh')}. **The initialization alone** (ReLU "
        f"from both): {sentence('relu', 'relu, Xavier')}. (A threshold that a network did not reach in every seed "
        f"within {iterations} iterations is left out; the table shows them all.) ")
if he_vs_tanh and set(he_vs_tanh) == {"better than"} and xavier_vs_tanh and "better than" not in xavier_vs_tanh:
    text += ("So here ReLU is ahead of tanh only together with He's initialization; from tanh's own starting "
             f"weights it is {'behind' if set(xavier_vs_tanh) == {'worse than'} else 'not ahead'} beyond the "
             "spread. These runs credit the pair (ReLU, He's initialization), not the activation alone.")
elif xavier_vs_tanh and set(xavier_vs_tanh) == {"better than"}:
    text += "ReLU is ahead of tanh here even from the same starting weights: the activation itself helps."
else:
    text += "These runs do not separate the activation from the initialization: no conclusion at this scale."
if ratios_beyond and max(ratios_beyond) < 6:
    text += (f" Where ReLU (He) is ahead beyond the spread, tanh needs {min(ratios_beyond):.1f} to "
             f"{max(ratios_beyond):.1f} times as many iterations, far from the paper's six. The paper's figure 1 "
             f"trained a four-layer convolutional network on CIFAR-10 photos to 25% training error, with a learning "
             f"rate chosen separately for each activation to train as fast as possible; here LeNet-5 learns digits, "
             f"to a loss threshold, with one learning rate for all. Which of these differences matters, these runs "
             f"do not tell.")
say(text)

# %% [markdown]
# ### Why the sigmoid network does not learn here
# The sigmoid's derivative, $\sigma(x)(1 - \sigma(x))$, is at most 0.25 (at $x = 0$), and
# its outputs, between 0 and 1, are never centred on zero. What that does to the
# gradients, measured before training on one batch of 100 digits: the size (norm) of
# the gradient of each layer's weights, from the first layer (C1) to the last, mean of
# the three seeds:

# %%
def weight_gradient_norms(net):
    """Norm of the gradient of each layer's weights W1, W2, ... on the first 100 training digits."""
    grads = net.gradient(x_small[:100], t_small[:100])
    return [np.linalg.norm(grads[key]) for key in net.params if key.startswith("W")]


at_start = {act: np.mean([weight_gradient_norms(LeNet5("classic", activation=act, rng=seed)) for seed in SEEDS], axis=0)
            for act in ("relu", "tanh", "sigmoid")}
print(f"{'':<9}" + "".join(f"{'W' + str(i + 1):>9}" for i in range(len(at_start['tanh']))) + f"{'first / last':>14}")
for act, norms in at_start.items():
    print(f"{act:<9}" + "".join(f"{n:>9.4f}" for n in norms) + f"{norms[0] / norms[-1]:>14.4f}")

# %%
sigmoid_loss, sigmoid_acc = final(activation_runs["sigmoid"], "loss"), final(activation_runs["sigmoid"])
sigmoid_reached = sum(n is not None for counts in reached["sigmoid"] for n in counts)
fade = {act: norms[0] / norms[-1] for act, norms in at_start.items()}
text = (f"After {iterations} iterations the sigmoid network's loss is {show(sigmoid_loss, digits=2)} (chance: "
        f"ln 10 = {np.log(10):.2f}) and its test accuracy {show(sigmoid_acc, True)}; it reaches {sigmoid_reached} of "
        f"the {len(THRESHOLDS) * len(SEEDS)} (threshold, seed) pairs")
text += (": it has not learned at all, it still answers at chance. "
         if abs(np.mean(sigmoid_loss) - np.log(10)) < 0.05 and np.mean(sigmoid_acc) < 0.2 else ". ")
text += (f"Before training, its first layer's weights get {fade['sigmoid']:.4f} times the gradient of its last "
         f"layer's (tanh: {fade['tanh']:.2f}, ReLU: {fade['relu']:.2f}): the gradient fades on its way back to the "
         f"input. With one learning rate for all, its first layer's first steps are "
         f"{at_start['tanh'][0] / at_start['sigmoid'][0]:.0f} times smaller than the tanh network's. Whether a "
         f"larger learning rate or a much longer run would get it going, these runs do not test.")
say(text)
assert fade["sigmoid"] < fade["tanh"] / 10 and at_start["sigmoid"][0] < at_start["tanh"][0] / 10

# %% [markdown]
# ## 5. AlexNet on a real photo, in NumPy
# A forward pass of the full AlexNet on one 227×227 photo. The weights are **random**
# (drawn with He's initialization, not trained): we measure the time, and the output
# means nothing.

# %%
photo = cnnlib.sample_image("china", size=227)  # (3, 227, 227), values in [0, 1]
scores = alexnet.predict(photo[None])
print("input", photo[None].shape, "-> scores", scores.shape, "(random weights: not a real prediction)")
assert scores.shape == (1, 1000)

# %%
fig, ax = plt.subplots(figsize=(2.4, 2.4), layout="constrained")
ax.imshow(photo.transpose(1, 2, 0))
ax.set_title("the 227×227 input", fontsize=10)
ax.set_axis_off()
plt.show()

# %% [markdown]
# Time a forward pass and a training step (forward and backward) on the same batch of 8
# images, keeping the fastest of a few runs, per image:

# %%
# NBVAL_IGNORE_OUTPUT
batch = np.repeat(photo[None], 8, axis=0)
labels = np.arange(8)
repeat = 1 if QUICK else 3
forward_s = fastest(lambda: alexnet.predict(batch), repeat) / len(batch)
step_s = fastest(lambda: alexnet.loss_and_gradient(batch, labels), repeat) / len(batch)
print(f"forward, per image:             {forward_s * 1000:6.0f} ms (batch of 8)")
print(f"forward + backward, per image:  {step_s * 1000:6.0f} ms (batch of 8)")

# %% [markdown]
# How fast is that, in floating-point operations (2 per multiply-add)? For the network
# we ran, the single-device version:

# %%
flop_forward = 2 * alexnet_summary.total_macs
print(f"forward pass: {flop_forward / 1e9:.2f} GFLOP at {flop_forward / forward_s / 1e9:.0f} GFLOP/s")
print(f"training step: about 3 x {flop_forward / 1e9:.2f} = {3 * flop_forward / 1e9:.1f} GFLOP per image "
      f"(backward costs about twice the forward) at {3 * flop_forward / step_s / 1e9:.0f} GFLOP/s")
step_ratio = step_s / forward_s
say(f"The forward pass is **{alexnet_summary.total_macs / 1e9:.2f} billion** multiply-adds, "
    f"{flop_forward / 1e9:.2f} billion floating-point operations. A backward pass does about twice the "
    f"multiply-adds of the forward pass (one product for the gradient of the weights, one for the gradient of "
    f"the input), so a training step should take about 3 times the forward pass. On the same batch of 8, it took "
    f"**{step_ratio:.1f} times** as long"
    + (": more than the count of multiply-adds says. Where the extra time goes is timed below, layer by layer."
       if step_ratio > 3.3 else
       (": about what the count of multiply-adds says." if step_ratio >= 2.7 else
        ": less than the count of multiply-adds says.")))

# %% [markdown]
# The same step, one layer at a time: the forward and the backward time of each layer,
# the fastest of a few runs, added up by kind of layer. (A plain loop over the layers,
# without the two shortcuts `Sequential` takes: ReLU computed in place, and max pooling
# run before the ReLU in front of it.)

# %%
# NBVAL_IGNORE_OUTPUT
def timed_step(net, x, t):
    """One training step run layer by layer: an array (layers, 2) of forward and backward seconds."""
    spent = []
    for layer in net.layers:
        start = time.perf_counter()
        x = layer.forward(x, train=True)
        spent.append([time.perf_counter() - start])
    net.last_layer.forward(x, t)
    dout = net.last_layer.backward(1.0)
    for layer, row in zip(reversed(net.layers), reversed(spent)):
        start = time.perf_counter()
        dout = layer.backward(dout)
        row.append(time.perf_counter() - start)
    return np.array(spent)


per_layer = np.min([timed_step(alexnet, batch.astype(alexnet.dtype), labels) for _ in range(repeat)], axis=0)
kind_of = np.array([kind if kind in ("Convolution", "Affine") else "other" for kind in kinds])
by_kind = {kind: per_layer[kind_of == kind].sum(axis=0) for kind in ("Convolution", "Affine", "other")}
print(f"{'':<14}{'forward':>10}{'backward':>10}{'backward / forward':>20}{'share of the step':>19}  (batch of 8)")
for kind, (f, b) in by_kind.items():
    print(f"{kind:<14}{f * 1000:>8.0f} ms{b * 1000:>8.0f} ms{b / f:>20.1f}{(f + b) / per_layer.sum():>19.0%}")

# %%
(conv_f, conv_b), (fc_f, fc_b), (other_f, other_b) = by_kind.values()
fc6 = alexnet.layers[kinds.index("Affine")]
text = (f"Layer by layer, the convolutions' backward took {conv_b / conv_f:.1f} times their forward and the "
        f"fully-connected layers' {fc_b / fc_f:.1f} times (at most 2 by the count of multiply-adds); the layers "
        f"without weights (ReLU, LRN, pooling, dropout) took {(other_f + other_b) / per_layer.sum():.0%} of the step.")
if fc_b / fc_f > 3:
    text += (f" At a batch of {len(batch)}, the forward of a fully-connected layer does only {len(batch)} "
             f"multiply-adds per weight (one per image), and its backward writes a gradient as large as its "
             f"weights, whatever the batch: {fc6.params['W'].size:,} values "
             f"({fc6.params['W'].nbytes / 2**20:,.0f} MiB) for fc6 alone. Whether writing them is what costs the "
             f"time, this timing does not separate.")
say(text)

# %% [markdown]
# ### What training would take
# The paper trained for "roughly 90 cycles through the training set of 1.2 million
# images, which took five to six days on two NVIDIA GTX 580 3GB GPUs". At our measured
# speed, the same 108 million image passes (ignoring the weight updates, data loading
# and the crops and flips):

# %%
images, epochs = 1.2e6, 90
numpy_days = images * epochs * step_s / 86400
paper_days = 5.5  # "five to six days"
paper_ms = paper_days * 86400 / (images * epochs) * 1000
print(f"NumPy on this machine: {images * epochs / 1e6:.0f} million image passes x {step_s * 1000:.0f} ms "
      f"= {numpy_days:,.0f} days ({numpy_days / 365:.1f} years)")
print(f"the paper, two GTX 580: {paper_days} days, that is {paper_ms:.1f} ms per image, "
      f"{step_s * 1000 / paper_ms:.0f} times less than NumPy's time here (for its smaller network: see below)")
print(f"one epoch: {images * step_s / 3600:,.0f} hours here, {paper_days * 24 / epochs:.1f} hours in the paper")
macs_share = alexnet_paper_summary.total_macs / alexnet_summary.total_macs
print(f"(the paper's network does {macs_share:.0%} of our multiply-adds: at the same speed per multiply-add, "
      f"{numpy_days * macs_share:,.0f} days)")

# %% [markdown]
# And the hardware: a GTX 580 has 512 cores at 1.544 GHz, each able to do one
# multiply-add (2 operations) per cycle. The paper's run, counted for *the paper's
# network* (the two-GPU split, `AlexNet("paper")`), needed about

# %%
paper_flop_forward = 2 * alexnet_paper_summary.total_macs
paper_flops = 3 * paper_flop_forward * images * epochs / (paper_days * 86400)
gtx580_peak = 512 * 1.544e9 * 2
numpy_flops = 3 * flop_forward / step_s  # measured on the single-device network
print(f"the paper's network: {alexnet_paper_summary.total_macs / 1e9:.2f} billion multiply-adds per image forward")
print(f"{paper_flops / 1e12:.2f} TFLOP/s sustained, {paper_flops / (2 * gtx580_peak):.0%} of the two cards' peak "
      f"of {2 * gtx580_peak / 1e12:.1f} TFLOP/s")
print(f"NumPy here: {numpy_flops / 1e9:.0f} GFLOP/s, {paper_flops / numpy_flops:.0f} times less")
assert 0.70e9 < alexnet_paper_summary.total_macs < 0.73e9

# %%
say(f"**Then GPUs became necessary.** In NumPy on this machine one training run of AlexNet would take "
    f"{numpy_days:,.0f} days ({numpy_days * macs_share:,.0f} for the paper's smaller split network), and a "
    f"researcher needs dozens of runs to find the right settings. On two 2010 gaming cards it took less than a "
    f"week, at about {paper_flops / (2 * gtx580_peak):.0%} of their peak. Everything since, from larger networks to larger datasets, was "
    f"built on that speed.")

# %% [markdown]
# ## 6. A small AlexNet, trained
# `AlexNet("small")` keeps AlexNet's ideas (five convolutions with ReLU, LRN,
# overlapping 3×3 pooling with stride 2, dropout before two fully-connected layers) scaled
# down to 28×28 digits; `width=0.5` halves the number of filters.

# %%
small = AlexNet("small", width=0.5, rng=0)
small_summary = summary(small, (1, 28, 28))
print(f"{small_summary.total_params:,} parameters, {small_summary.total_macs:,} multiply-adds per digit")
print("pooled sizes:", [r.output_shape for r in small_summary.rows if r.name.startswith("Pooling")])

# %% [markdown]
# AlexNet's data augmentation in miniature is to shift each training digit by up to 2
# pixels (`augment_shift=2`). To tell the network from the augmentation, we train both
# networks, with and without shifts, on equal terms: the same digits, epochs, optimizer
# (Adam, lr 0.001), He initialization in both, three seeds each. (LeNet-5 modern without
# shifts is the run of section 3 when the epochs are the same: it is reused.)

# %%
# NBVAL_IGNORE_OUTPUT
networks = {"LeNet-5 modern": lambda seed: LeNet5("modern", rng=seed),
            "small AlexNet": lambda seed: AlexNet("small", width=0.5, rng=seed)}
shift_runs = {}
for name, make in networks.items():
    for shift in (0, 2):
        if name == "LeNet-5 modern" and shift == 0 and ALEX_EPOCHS == LENET_EPOCHS:
            shift_runs[name, shift] = lenet_runs["modern"]  # the same settings, seeds and digits
            continue
        shift_runs[name, shift] = sweep(make, epochs=ALEX_EPOCHS, augment_shift=shift)
        print(f"{name}, shift {shift}: {sum(sum(h['epoch_time']) for h in shift_runs[name, shift]):.0f} s "
              f"for {len(SEEDS)} seeds")

# %%
shift_acc = {key: final(runs) for key, runs in shift_runs.items()}
print(f"test accuracy after {ALEX_EPOCHS} epoch(s) on {N_TRAIN:,} digits (tested on {N_TEST:,}), mean ± spread:")
print(f"{'':<16}{'no shift':>18}{'shifts of 2':>18}")
for name in networks:
    print(f"{name:<16}{show(shift_acc[name, 0], True):>18}{show(shift_acc[name, 2], True):>18}")

# %%
lenet_name, alex_name = networks
parts = []
for shift in (0, 2):
    parts.append(f"{'without' if shift == 0 else 'with'} shifts, the small AlexNet's {show(shift_acc[alex_name, shift], True)} "
                 f"is **{compare(shift_acc[alex_name, shift], shift_acc[lenet_name, shift])}** LeNet-5's "
                 f"{show(shift_acc[lenet_name, shift], True)}")
VERDICT = {"better than": "better, beyond the two spreads added", "worse than": "worse, beyond the two spreads added",
           "within the spread of": "no difference beyond the spreads"}
shift_effects = [f"{name} with shifts reaches {show(shift_acc[name, 2], True)} against {show(shift_acc[name, 0], True)} "
                 f"without: **{VERDICT[compare(shift_acc[name, 2], shift_acc[name, 0])]}**" for name in networks]
say(f"On equal terms, {parts[0]}; {parts[1]}. As for the augmentation: {shift_effects[0]}; {shift_effects[1]}. "
    f"(\"Better\" or \"worse\" only beyond the two spreads added; otherwise no conclusion.) This is a short run on "
    f"few digits: it says nothing about long training on many digits, where the shifts are meant to keep a network "
    f"from learning its training digits by heart.")

# %% [markdown]
# AlexNet's ideas were made for 1.2 million photos of 1,000 kinds of objects, not for
# digits. The closest small test is **CIFAR-10**: 60,000 color photos of 32×32 pixels in
# 10 classes (airplane, cat, ship...). `load_cifar10()` downloads it (170 MB) once and
# keeps it; the course does not ship it, so the cell below only fetches it if you ask
# (set `DOWNLOAD_CIFAR = True`; training then takes several minutes).

# %%
# NBVAL_IGNORE_OUTPUT
DOWNLOAD_CIFAR = False  # True: download CIFAR-10 (170 MB, once) and train a small AlexNet on it
cifar = None
if not DOWNLOAD_CIFAR:
    print("CIFAR-10 not loaded: set DOWNLOAD_CIFAR = True in this cell to download it (170 MB, once) and train.")
else:
    try:
        cifar = cnnlib.load_cifar10()
    except DataUnavailableError as error:
        print(f"CIFAR-10 skipped: it could not be downloaded (no network?):\n{error}")
if cifar is not None:
    (cx_train, ct_train), (cx_test, ct_test) = cifar
    print(cifar.info)
    n = 5_000 if QUICK else 20_000  # a subset keeps one epoch at a few minutes in NumPy
    cifar_net = AlexNet("small", input_dim=(3, 32, 32), width=0.5, rng=0)
    cifar_trainer = Trainer(cifar_net, cx_train[:n], ct_train[:n], cx_test[:2_000], ct_test[:2_000],
                            epochs=1 if QUICK else 5, seed=0, augment_shift=2)
    cifar_history = cifar_trainer.train()
    print(f"small AlexNet on {n:,} CIFAR-10 training photos: test accuracy {cifar_history['test_acc'][-1]:.2%} "
          f"on 2,000 test photos (chance: 10%)")

# %% [markdown]
# ## Exercises
# Each exercise has a cell for your answer, and a check cell that says ✓ or ✗ and why.
# The reference solutions are in collapsed cells below each check: try first! Counts are
# checked exactly (`EXACT`), and each check is shown to reject the likely wrong answers.
#
# ### Exercise 1: parameters of a convolution
# Write `conv_params(C, FN, FH, FW)`: the number of parameters of a convolution layer
# with FN filters of size FH×FW over C input channels, with biases.

# %%
EXACT = {"rtol": 0, "atol": 0}  # whole numbers: equal, not within a relative tolerance


def rejects(wrong_answers, expected):
    """True when none of ``wrong_answers`` passes the check against ``expected`` (silently: no ✓/✗ line)."""
    return not any(matches(answer, expected, **EXACT)[0] for answer in wrong_answers)


def rejects_functions(wrong_functions, cases):
    """True when each wrong function fails at least one of ``cases``."""
    return all(not all(matches(fn(*args), want, **EXACT)[0] for args, want in cases) for fn in wrong_functions)


# %%
def conv_params(C, FN, FH, FW):
    # your code here
    return None


# %%
conv_rows = [(r, layer) for r, layer in zip(alexnet_summary.rows + lenet_summary.rows, alexnet.layers + lenet.layers)
             if r.name.startswith("Convolution")]
cases_conv = [(tuple(np.array(layer.params["W"].shape)[[1, 0, 2, 3]].tolist()), r.params) for r, layer in conv_rows]
cases_conv += [((3, 4, 3, 5), 4 * 3 * 3 * 5 + 4), ((2, 7, 1, 4), 7 * 2 * 1 * 4 + 7)]  # filters that are not square
check_function(conv_params, cases_conv, **EXACT, why="FN filters of C*FH*FW weights, plus FN biases",
               hint="each filter has C*FH*FW weights and one bias")

# %% jupyter={"source_hidden": true} tags=["solution"]
def solution_conv_params(C, FN, FH, FW):
    return FN * C * FH * FW + FN


# %%
assert check_function(solution_conv_params, cases_conv, **EXACT)
assert rejects_functions([lambda C, FN, FH, FW: FN * C * FH * FW,          # no biases
                          lambda C, FN, FH, FW: FN * C * FH * FH + FN,     # square filters assumed
                          lambda C, FN, FH, FW: FN * C * FH * FW + C], cases_conv)  # a bias per input channel

# %% [markdown]
# ### Exercise 2: the work of AlexNet's first layer
# AlexNet's first layer has 96 filters of 11×11 over the 3 color channels, with stride 4,
# on a 227×227 image. How many multiply-adds does it do for one image? (First find the
# output size.)

# %%
conv1_macs = None  # your answer: a whole number

# %%
check("multiply-adds of AlexNet's conv1", conv1_macs, alexnet_summary.rows[0].macs, **EXACT,
      why="OH = (227 - 11) / 4 + 1 = 55; 96 * 55 * 55 outputs, each a dot product of 3 * 11 * 11 = 363 numbers",
      hint="outputs (FN * OH * OW) times the length of each dot product (C * FH * FW)")

# %% jupyter={"source_hidden": true} tags=["solution"]
OH = (227 - 11) // 4 + 1
solution_conv1_macs = 96 * OH * OH * (3 * 11 * 11)

# %%
assert check("multiply-adds of AlexNet's conv1", solution_conv1_macs, alexnet_summary.rows[0].macs, **EXACT)
assert rejects([96 * 55 * 55,                        # the outputs, not their work
                96 * 54 * 54 * 363,                  # (227 - 11) / 4 without the + 1
                96 * 55 * 55 * 121,                  # one channel instead of 3
                96 * 55 * 55 * 363 + 96], alexnet_summary.rows[0].macs)  # the 96 biases added

# %% [markdown]
# ### Exercise 3: how much do the windows overlap?
# With AlexNet's overlapping pooling (3×3 windows, stride 2) on a 55×55 map, what is
# the largest number of windows that contain one and the same input value? (With 2×2
# windows and stride 2 the answer would be 1.)

# %%
max_windows_per_value = None  # your answer: a whole number


# %%
def count_windows(size=55, window=3, stride=2):
    """How many pooling windows cover each input position: run the pooling backward with all-ones."""
    layer = Pooling(window, window, stride=stride, mode="average")
    layer.forward(np.zeros((1, 1, size, size)))
    out = layer.output_shape((1, size, size))
    return np.rint(layer.backward(np.full((1, 1, *out[1:]), float(window * window)))[0, 0]).astype(int)


check("most windows covering one value", max_windows_per_value, int(count_windows().max()), **EXACT,
      why="along each axis a value at an even position (not the border) is in 2 windows: 2 x 2 = 4",
      hint="along one axis, windows start at 0, 2, 4, ...; which windows of 3 contain position 4?")

# %% jupyter={"source_hidden": true} tags=["solution"]
starts = range(0, 55 - 3 + 1, 2)
per_axis = max(sum(s <= i < s + 3 for s in starts) for i in range(55))  # 2
solution_max_windows_per_value = per_axis * per_axis

# %%
assert check("most windows covering one value", solution_max_windows_per_value, int(count_windows().max()), **EXACT)
assert rejects([1, 2, 9], int(count_windows().max()))  # no overlap, one axis only, the window's size

# %% [markdown]
# ### Exercise 4: a training budget
# Write `training_days(ms_per_image, images, epochs)`: the days that training takes at
# `ms_per_image` milliseconds per image pass, for `epochs` passes over `images` images.
# Then use it: how many days would your NumPy AlexNet above need for the paper's 90
# epochs of 1.2 million images?

# %%
def training_days(ms_per_image, images, epochs):
    # your code here
    return None


# %%
cases_days = [((1000.0, 86_400, 1), 1.0), ((4.4, 1.2e6, 90), 4.4e-3 * 1.2e6 * 90 / 86_400),
              ((step_s * 1000, 1.2e6, 90), numpy_days)]
check_function(training_days, cases_days, rtol=1e-6, why="milliseconds x images x epochs / 1000 / 86,400",
               hint="convert milliseconds to seconds (/ 1000) and seconds to days (/ 86,400)")

# %% jupyter={"source_hidden": true} tags=["solution"]
def solution_training_days(ms_per_image, images, epochs):
    return ms_per_image / 1000 * images * epochs / 86_400


# %%
assert check_function(solution_training_days, cases_days, rtol=1e-6)
wrong_days = [lambda ms, n, e: ms * n * e / 86_400,           # milliseconds taken for seconds
              lambda ms, n, e: ms / 1000 * n / 86_400,        # one epoch only
              lambda ms, n, e: ms / 1000 * n * e / 3_600]     # hours, not days
assert all(not all(matches(fn(*args), want, rtol=1e-6)[0] for args, want in cases_days) for fn in wrong_days)
print(f"AlexNet in NumPy here: {solution_training_days(step_s * 1000, 1.2e6, 90):,.0f} days")

# %% [markdown]
# ### Exercise 5: the parameters of a sparse connection table
# Write `c3_params(table, FH, FW)`: the parameters of a convolution in which output map
# f reads input map c only where `table[f, c] == 1` (`table` is an (FN, C) array of 0 and
# 1, like `C3_TABLE`), with FH×FW filters and one bias per output map. For LeNet-5's C3
# it must give the paper's 1,516.

# %%
def c3_params(table, FH, FW):
    # your code here
    return None


# %%
cases_c3 = [((C3_TABLE, 5, 5), 1_516), ((np.ones((16, 6), dtype=int), 5, 5), 2_416),
            ((np.eye(3, dtype=int), 3, 3), 3 * 9 + 3), ((np.array([[1, 0, 1], [0, 0, 1]]), 2, 3), 3 * 6 + 2)]
check_function(c3_params, cases_c3, **EXACT, why="one FH*FW slice per connected (f, c) pair: table.sum() * FH * FW, "
               "plus FN = table.shape[0] biases; C3: 60 * 25 + 16 = 1,516",
               hint="count the 1s of the table; the biases are one per output map, that is one per row")

# %% jupyter={"source_hidden": true} tags=["solution"]
def solution_c3_params(table, FH, FW):
    table = np.asarray(table)
    return int(table.sum()) * FH * FW + table.shape[0]


# %%
assert check_function(solution_c3_params, cases_c3, **EXACT)
assert rejects_functions([lambda table, FH, FW: np.size(table) * FH * FW + np.shape(table)[0],       # every pair
                          lambda table, FH, FW: int(np.sum(table)) * FH * FW,                        # no biases
                          lambda table, FH, FW: int(np.sum(table)) * FH * FW + np.shape(table)[1]],  # a bias per input
                         cases_c3)

# %% [markdown]
# ## Summary

# %%
def against_tanh(arm):
    """How ``arm`` compares with tanh at the thresholds both reached in every seed, in words."""
    rows = versus(arm, "tanh")
    if not rows:
        return "not comparable with tanh (thresholds not reached in every seed)"
    if len({verdict for _, verdict in rows}) == 1:
        return f"{rows[0][1]} tanh (to a loss of {', '.join(str(THRESHOLDS[i]) for i, _ in rows)})"
    return ", ".join(f"{verdict} tanh to a loss of {THRESHOLDS[i]}" for i, verdict in rows)


summary_text = [
    f"- LeNet-5 ({lenet_summary.total_params:,} parameters in the classic form, "
    f"{lenet_summary.total_macs / 1e6:.1f} million multiply-adds) and AlexNet "
    f"({alexnet_summary.total_params / 1e6:.1f} million parameters, {alexnet_summary.total_macs / 1e9:.2f} billion "
    f"multiply-adds in the single-device form; {alexnet_paper_summary.total_macs / 1e9:.2f} billion with the "
    f"paper's two-GPU split) have the same shape: convolutions that do the work with few parameters, "
    f"fully-connected layers that hold the parameters.",
    f"- The paper's LeNet-5 has trainable subsampling, C3's sparse connection table and the scaled tanh: "
    f"{before_output:,} parameters before the output layer, as in the paper; its RBF output, its loss, its "
    f"input scaling and its training procedure are not reproduced here.",
    f"- Over {len(SEEDS)} seeds of a short run, LeNet-5 modern is {modern_vs_classic} the classic form after "
    f"{LENET_EPOCHS} epoch(s), {show(lenet_acc['modern'], True)} against {show(lenet_acc['classic'], True)}"
    f"{lenet_caveat}.",
    f"- ReLU against tanh, in iterations to a training loss: from He's initialization, ReLU is "
    f"{against_tanh('relu')}; from tanh's own starting weights (Xavier's), it is {against_tanh('relu, Xavier')}.",
    f"- AlexNet's changes: ReLU, LRN (a strong channel damps its neighbours: {drop:.0%} less output here), "
    f"overlapping pooling, dropout (cnnlib's is the inverted kind), data augmentation, and two GPUs.",
    f"- A NumPy training step of AlexNet took {step_s * 1000:,.0f} ms per image here: the paper's 90 epochs would "
    f"take {numpy_days:,.0f} days, against 5–6 days on two 2010 GPUs. That gap is why deep learning moved to GPUs.",
]
say("\n".join(summary_text))

# %% [markdown]
# This is the end of chapter 7 of the book. Notebook 08 goes on past the book: the networks
# that came after AlexNet (VGG, GoogLeNet, ResNet, MobileNet) and transfer learning.
