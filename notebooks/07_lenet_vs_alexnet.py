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
# - say what LeNet-5's sigmoid/tanh and average pooling ("subsampling") became in
#   modern networks, and measure the difference;
# - list what AlexNet changed (ReLU, LRN, overlapping pooling, dropout, data
#   augmentation, GPUs) and show each in code;
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
from cnnlib.course.exercises import check, check_function
from cnnlib.data import DataUnavailableError
from cnnlib.layers import LRN, Dropout, Pooling
from cnnlib.train import Trainer, quick_mode

plt.rcParams["figure.dpi"] = 72
QUICK = quick_mode()  # CNNLIB_QUICK=1, set by CI: fewer epochs, same code
LENET_EPOCHS, ACT_EPOCHS, ALEX_EPOCHS = (1, 1, 1) if QUICK else (10, 10, 10)

data = cnnlib.load_mnist()
(x_train, t_train), (x_test, t_test) = data
print(data.info)

# %% [markdown]
# ## 1. Side by side
# `cnnlib.summary` lists, for one input image, each layer's output shape, its
# parameters, its multiply-adds (MACs: one multiplication and one addition, the unit of
# work of a convolution or an Affine layer) and the memory of its output. LeNet-5 in
# its classic form, for a 28×28 digit (padded to 32×32 by the first convolution, as in
# the paper):
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
# AlexNet, for a 227×227 color photo and the 1,000 classes of ImageNet. (The paper split
# some layers across two GPUs, each half seeing half of the channels; `cnnlib` builds
# the single-device version, hence 62.4 million parameters instead of about 61 million.)

# %%
# NBVAL_CHECK_OUTPUT
alexnet = AlexNet("full")
alexnet_summary = summary(alexnet, (3, 227, 227))
print(alexnet_summary)
assert alexnet_summary.total_params == 62_378_344

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
# ## 2. LeNet-5, classic and modern
# The 1998 network used tanh-like (sigmoid-family) activations and "subsampling", an
# average over 2×2 windows. Today one would use ReLU and max pooling: that is
# `LeNet5("modern")`, with the same shapes and parameter count. Train both on MNIST with
# the same settings (Adam, lr 0.001, batch 100):

# %%
# NBVAL_IGNORE_OUTPUT
lenet_runs = {}
for variant in ["classic", "modern"]:
    net = LeNet5(variant, rng=0)
    start = time.perf_counter()
    history = Trainer(net, x_train, t_train, x_test, t_test, epochs=LENET_EPOCHS, seed=0, progress=False).train()
    lenet_runs[variant] = (history, time.perf_counter() - start)
    print(f"LeNet-5 {variant}: {lenet_runs[variant][1]:.0f} s")

# %%
print(f"after {LENET_EPOCHS} epochs on {data.info.n_train:,} digits ({data.info.source} MNIST, "
      f"{data.info.n_test:,} test digits):")
for variant, (history, seconds) in lenet_runs.items():
    print(f"  {variant:<8} test accuracy {history['test_acc'][-1]:.2%}, best {max(history['test_acc']):.2%}, "
          f"{seconds / LENET_EPOCHS:.2f} s per epoch")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
for (variant, (history, _)), color in zip(lenet_runs.items(), ["C0", "C1"]):
    ax.plot(np.arange(1, LENET_EPOCHS + 1), history["test_acc"], "o-", color=color, label=f"{variant}, test")
    ax.plot(np.arange(1, LENET_EPOCHS + 1), history["train_acc"], "--", color=color, label=f"{variant}, train")
ax.set(xlabel="epoch", ylabel="accuracy", title="LeNet-5: tanh + average pooling vs ReLU + max pooling")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The time per epoch is about the same: activations and pooling cost little next to the
# convolutions. The modern variant learns a little faster and ends a little higher;
# on digits, the 1998 design was already good. The big changes came when the images
# and the networks grew.

# %% [markdown]
# ## 3. What AlexNet changed
# 1. **ReLU** instead of tanh or sigmoid: $\max(0, x)$ does not saturate, so gradients
#    do not shrink in deep networks. The paper: a four-layer CNN reached 25% training
#    error on CIFAR-10 six times faster with ReLU than with tanh. Measured below.
# 2. **Local response normalization (LRN)**: each value is divided by a function of the
#    squares of its neighbours *across channels*, so that strongly active channels damp
#    their neighbours. (Later networks dropped it for batch normalization.)
# 3. **Overlapping pooling**: 3×3 windows with stride 2, so neighbouring windows share a
#    row or column. The paper reports a slightly lower error, and less overfitting.
# 4. **Dropout** in the two large fully-connected layers: during training each unit is
#    dropped with probability 0.5, so the network cannot rely on any single one.
# 5. **Data augmentation**: random 224×224 crops of 256×256 images, horizontal flips,
#    and a colour jitter. Without it, the paper says, the network overfits badly.
# 6. **GPUs**: two NVIDIA GTX 580 with 3 GB each; the network was split across them.
#
# Each of the first four is a layer in `cnnlib`. LRN, with the paper's constants
# ($k = 2$, $n = 5$, $\alpha = 10^{-4}$, $\beta = 0.75$), on seven channels at one
# position, where channel 3 is much stronger than the others:

# %%
a = np.ones((1, 7, 1, 1), dtype=np.float64)
a[0, 3] = 30.0  # channel 3 is strongly active
b = LRN(k=2, n=5, alpha=1e-4, beta=0.75).forward(a)
print("input:      ", a[0, :, 0, 0])
print("output:     ", np.round(b[0, :, 0, 0], 4))
print("output/input", np.round(b[0, :, 0, 0] / a[0, :, 0, 0], 4))
gain = b[0, :, 0, 0] / a[0, :, 0, 0]
assert gain[3] < gain[1] < gain[0]  # the strong channel is damped most, its neighbours more than far channels

# %% [markdown]
# Every value is divided by at least $k^\beta = 2^{0.75} = 1.68$; the strong channel and
# the channels within two of it are divided a little more, because the 30² = 900 enters
# their sums. With activations of this size the effect is mild; it grows with the
# square of the activations.
#
# Overlapping pooling: AlexNet's first convolution gives 55×55 maps; 3×3 windows with
# stride 2 give 27×27, with windows that overlap by one row and column:

# %%
pool = Pooling(3, 3, stride=2)
print(pool.output_shape((96, 55, 55)))
assert pool.output_shape((96, 55, 55)) == (96, 27, 27)

# %% [markdown]
# Dropout keeps about half of the units during training and scales them by 2, so that
# nothing changes on average; at test time it does nothing:

# %%
dropout = Dropout(0.5, rng=0)
h = np.ones((1, 4096), dtype=np.float32)
kept = dropout.forward(h, train=True)
print(f"kept {np.mean(kept > 0):.1%} of the units, mean value {kept.mean():.3f}")
assert abs(np.mean(kept > 0) - 0.5) < 0.03 and (dropout.forward(h, train=False) == h).all()

# %% [markdown]
# ### ReLU against tanh and sigmoid, measured
# The same small network, LeNet-5 with average pooling, with three activations: ReLU,
# tanh and sigmoid. Plain stochastic gradient descent with momentum (as in the paper),
# learning rate 0.01, the same batches. How many iterations until the training loss
# (averaged over one epoch of 40 iterations) falls below a threshold?

# %%
# NBVAL_IGNORE_OUTPUT
activation_runs = {}
for activation in ["relu", "tanh", "sigmoid"]:
    net = LeNet5("classic", activation=activation, rng=0)
    trainer = Trainer(net, x_train, t_train, x_test, t_test, optimizer="momentum", lr=0.01, epochs=ACT_EPOCHS,
                      seed=0, progress=False)
    activation_runs[activation] = trainer.train()
    print(f"{activation}: {sum(activation_runs[activation]['epoch_time']):.0f} s")

# %%
def iterations_to_reach(loss, threshold, window=40):
    """First iteration at which the mean loss of the last ``window`` iterations is below ``threshold``, or None."""
    smooth = np.convolve(loss, np.ones(window) / window, mode="valid")
    below = np.flatnonzero(smooth < threshold)
    return int(below[0]) + window if len(below) else None


thresholds = [1.0, 0.5, 0.3]
print(f"iterations until the training loss is below:   " + "".join(f"{th:>8}" for th in thresholds)
      + "   test accuracy")
reached = {}
for activation, history in activation_runs.items():
    reached[activation] = [iterations_to_reach(history["loss"], th) for th in thresholds]
    cells = "".join(f"{'never':>8}" if n is None else f"{n:>8}" for n in reached[activation])
    print(f"{activation:<46}{cells}   {history['test_acc'][-1]:.2%}")
if not QUICK:
    assert all(r is not None and t is not None and r < t for r, t in zip(reached["relu"], reached["tanh"]))
    print("tanh needs", ", ".join(f"{t / r:.1f}x" for r, t in zip(reached["relu"], reached["tanh"])),
          "as many iterations as ReLU")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.2), layout="constrained")
for activation, history in activation_runs.items():
    loss = np.convolve(history["loss"], np.ones(40) / 40, mode="valid")
    ax.plot(np.arange(40, 40 + len(loss)), loss, label=activation)
ax.set(xlabel="iteration", ylabel="training loss (mean of 40)", title="SGD with momentum, lr 0.01, same batches")
ax.legend()
plt.show()

# %% [markdown]
# ReLU gets there first; tanh needs 1.2 to 1.5 times as many iterations, more the lower
# the loss.
# That is far from the paper's factor of six: LeNet-5 is shallow and digits are easy;
# the saturation of tanh costs more the more layers a gradient must cross. The
# sigmoid network does not learn at all in this time: its derivative is at most 0.25,
# and its outputs are never centred on zero, so the gradient fades through the layers.
# (It can be trained, with a larger learning rate and patience; that was the state of
# the art before ReLU.)

# %% [markdown]
# ## 4. AlexNet on a real photo, in NumPy
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
# Time the forward pass (one image), and a training step (forward and backward) on a
# batch of 8 images, keeping the fastest of a few runs:

# %%
# NBVAL_IGNORE_OUTPUT
def fastest(fn, repeat=3):
    """Smallest wall-clock time of ``repeat`` calls of fn(), in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


batch = np.repeat(photo[None], 8, axis=0)
labels = np.arange(8)
forward_s = fastest(lambda: alexnet.predict(photo[None]))
step_s = fastest(lambda: alexnet.loss_and_gradient(batch, labels), repeat=1 if QUICK else 3) / len(batch)
print(f"forward, one image:             {forward_s * 1000:6.0f} ms")
print(f"forward + backward, per image:  {step_s * 1000:6.0f} ms (batch of 8)")

# %% [markdown]
# How fast is that? The forward pass is 1.1 billion multiply-adds, 2.3 billion
# floating-point operations:

# %%
flop_forward = 2 * alexnet_summary.total_macs
print(f"forward pass: {flop_forward / 1e9:.2f} GFLOP at {flop_forward / forward_s / 1e9:.0f} GFLOP/s")
print(f"training step: about 3 x {flop_forward / 1e9:.2f} = {3 * flop_forward / 1e9:.1f} GFLOP per image "
      f"(backward costs about twice the forward) at {3 * flop_forward / step_s / 1e9:.0f} GFLOP/s")
print(f"measured: forward + backward took {step_s / forward_s:.1f} times the forward alone (3 would be ideal)")

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
      f"{step_s * 1000 / paper_ms:.0f} times faster than NumPy here")
print(f"one epoch: {images * step_s / 3600:,.0f} hours here, {paper_days * 24 / epochs:.1f} hours in the paper")

# %% [markdown]
# And the hardware: a GTX 580 has 512 cores at 1.544 GHz, each able to do one
# multiply-add (2 operations) per cycle: about 1.6 TFLOP/s per card, 3.2 for two. The
# paper's run needed, by our count of multiply-adds, about

# %%
paper_flops = 3 * flop_forward * images * epochs / (paper_days * 86400)
gtx580_peak = 512 * 1.544e9 * 2
print(f"{paper_flops / 1e12:.1f} TFLOP/s sustained, {paper_flops / (2 * gtx580_peak):.0%} of the two cards' peak "
      f"of {2 * gtx580_peak / 1e12:.1f} TFLOP/s")
print(f"NumPy here: {3 * flop_forward / step_s / 1e9:.0f} GFLOP/s, "
      f"{paper_flops / (3 * flop_forward / step_s):.0f} times less")

# %% [markdown]
# A backward pass does about twice the multiply-adds of the forward pass (one product
# for the gradient of the weights, one for the gradient of the input), hence the factor
# 3 for a training step. The measured ratio says how well NumPy does on the extra work,
# which also scatters gradients back into overlapping windows (col2im's additions) and
# allocates large gradient arrays. (The first call of a step is slower than the fastest:
# it also pays for fresh memory.)
#
# **Then GPUs became necessary.** In NumPy on a 2-core machine, one training run of
# AlexNet takes months; a researcher needs dozens of runs to find the right settings. On
# two 2010 gaming cards it took less than a week. (The paper's network has fewer
# multiply-adds than our single-device version, about 0.7 billion, because of the split
# across the two GPUs; the conclusion does not change.) Everything since, from larger
# networks to larger datasets, was built on that speed.

# %% [markdown]
# ## 5. A small AlexNet, trained
# `AlexNet("small")` keeps AlexNet's ideas (five convolutions with ReLU, LRN,
# overlapping 3×3 pooling with stride 2, dropout in two fully-connected layers) scaled
# down to 28×28 digits; `width=0.5` halves the number of filters. We train it with
# shifted digits, AlexNet's data augmentation in miniature.

# %%
small = AlexNet("small", width=0.5, rng=0)
small_summary = summary(small, (1, 28, 28))
print(f"{small_summary.total_params:,} parameters, {small_summary.total_macs:,} multiply-adds per digit")
print("pooled sizes:", [r.output_shape for r in small_summary.rows if r.name.startswith("Pooling")])

# %%
# NBVAL_IGNORE_OUTPUT
small_trainer = Trainer(small, x_train, t_train, x_test, t_test, epochs=ALEX_EPOCHS, seed=0, augment_shift=2)
small_history = small_trainer.train()

# %%
print(f"small AlexNet, {ALEX_EPOCHS} epochs with shifts of up to 2 pixels: test accuracy "
      f"{small_history['test_acc'][-1]:.2%} on {data.info.n_test:,} test digits ({data.info.source} MNIST), "
      f"{sum(small_history['epoch_time']) / ALEX_EPOCHS:.1f} s per epoch")
print(f"LeNet-5 modern, {LENET_EPOCHS} epochs without shifts: {lenet_runs['modern'][0]['test_acc'][-1]:.2%}")
assert small_history["test_acc"][-1] > (0.1 if QUICK else 0.95)  # quick: better than chance

# %% [markdown]
# On digits, AlexNet's ideas bring little over LeNet-5: the problem is too small. They
# were made for 1.2 million photos of 1,000 kinds of objects. The closest small test is
# **CIFAR-10**: 60,000 color photos of 32×32 pixels in 10 classes (airplane, cat,
# ship...). `load_cifar10()` downloads it (163 MB) once; offline, it is skipped.

# %%
# NBVAL_IGNORE_OUTPUT
try:
    cifar = cnnlib.load_cifar10()
except DataUnavailableError as error:
    cifar = None
    print(f"CIFAR-10 skipped: it is not available offline (no embedded copy). ({str(error).splitlines()[0][:120]})")
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
# The reference solutions are in collapsed cells below each check: try first!
#
# ### Exercise 1: parameters of a convolution
# Write `conv_params(C, FN, FH, FW)`: the number of parameters of a convolution layer
# with FN filters of size FH×FW over C input channels, with biases.

# %%
def conv_params(C, FN, FH, FW):
    # your code here
    return None


# %%
conv_rows = [(r, layer) for r, layer in zip(alexnet_summary.rows + lenet_summary.rows, alexnet.layers + lenet.layers)
             if r.name.startswith("Convolution")]
cases_conv = [(tuple(np.array(layer.params["W"].shape)[[1, 0, 2, 3]].tolist()), r.params) for r, layer in conv_rows]
check_function(conv_params, cases_conv, why="FN filters of C*FH*FW weights, plus FN biases",
               hint="each filter has C*FH*FW weights and one bias")

# %% jupyter={"source_hidden": true} tags=["solution"]
def solution_conv_params(C, FN, FH, FW):
    return FN * C * FH * FW + FN


# %%
assert check_function(solution_conv_params, cases_conv)

# %% [markdown]
# ### Exercise 2: the work of AlexNet's first layer
# AlexNet's first layer has 96 filters of 11×11 over the 3 color channels, with stride 4,
# on a 227×227 image. How many multiply-adds does it do for one image? (First find the
# output size.)

# %%
conv1_macs = None  # your answer: a whole number

# %%
check("multiply-adds of AlexNet's conv1", conv1_macs, alexnet_summary.rows[0].macs,
      why="OH = (227 - 11) / 4 + 1 = 55; 96 * 55 * 55 outputs, each a dot product of 3 * 11 * 11 = 363 numbers",
      hint="outputs (FN * OH * OW) times the length of each dot product (C * FH * FW)")

# %% jupyter={"source_hidden": true} tags=["solution"]
OH = (227 - 11) // 4 + 1
solution_conv1_macs = 96 * OH * OH * (3 * 11 * 11)

# %%
assert check("multiply-adds of AlexNet's conv1", solution_conv1_macs, alexnet_summary.rows[0].macs)

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


check("most windows covering one value", max_windows_per_value, int(count_windows().max()),
      why="along each axis a value at an even position (not the border) is in 2 windows: 2 x 2 = 4",
      hint="along one axis, windows start at 0, 2, 4, ...; which windows of 3 contain position 4?")

# %% jupyter={"source_hidden": true} tags=["solution"]
starts = range(0, 55 - 3 + 1, 2)
per_axis = max(sum(s <= i < s + 3 for s in starts) for i in range(55))  # 2
solution_max_windows_per_value = per_axis * per_axis

# %%
assert check("most windows covering one value", solution_max_windows_per_value, int(count_windows().max()))

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
print(f"AlexNet in NumPy here: {solution_training_days(step_s * 1000, 1.2e6, 90):,.0f} days")

# %% [markdown]
# ## Summary
# - LeNet-5 (62 thousand parameters, 0.4 million multiply-adds) and AlexNet (62 million
#   parameters, 1.1 billion multiply-adds) have the same shape: convolutions that do
#   the work with few parameters, fully-connected layers that hold the parameters.
# - LeNet-5 with ReLU and max pooling learns a little faster than with tanh and average
#   pooling; on digits both are good.
# - AlexNet's changes: ReLU (measured: 1.2–1.5 times fewer iterations than tanh here;
#   sigmoid does not learn at all in that time), LRN, overlapping pooling, dropout, data
#   augmentation, and two GPUs.
# - A NumPy training step of AlexNet takes tens of milliseconds per image on two CPU
#   cores: the paper's 90 epochs would take months, against 5–6 days on two 2010 GPUs.
#   That gap is why deep learning moved to GPUs.
#
# This is the end of chapter 7 of the book, and of this course's tour of CNNs.
