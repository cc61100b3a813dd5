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
# # 08 After AlexNet
#
# The book's chapter ends with AlexNet, "and then GPUs became necessary". The next
# questions are why the networks that followed are deeper with smaller filters, how a
# network of a hundred layers trains at all, and how a trained network is reused for a
# new task. This notebook builds each idea from `cnnlib` layers and measures it:
# **VGG**'s stacks of 3×3 convolutions (2014), the **1×1 convolutions** and branches of
# **GoogLeNet**'s Inception modules (2014), **ResNet**'s skip connections (2015),
# **MobileNet**'s depthwise separable convolutions (2017), and **transfer learning**.
# It ends with the timeline from LeNet-5 to MobileNet, measured on this computer.
#
# **Learning goals.** After this notebook you can
# - compute the receptive field of a stack of layers, and say why two 3×3 layers beat one
#   5×5 layer;
# - say what a 1×1 convolution computes, and count what a bottleneck saves;
# - build a residual block and explain, with measured gradients, why skip connections let
#   deep networks train;
# - count the cost of a depthwise separable convolution against a standard one;
# - reuse a trained network for a new task from few labels, three ways, and compare them;
# - read the growth of networks from 1998 to 2017 in parameters, multiply-adds and time.
#
# The training experiments run on the 5,000 digits that ship with `cnnlib`, subsampled
# to 14×14 so that NumPy trains each network in seconds; each comparison runs over three
# seeds and is reported as mean ± spread (the standard deviation over the seeds). A
# difference counts only when the two means are further apart than the two spreads
# added; otherwise the notebook says that it cannot tell.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import cnnlib
from cnnlib import AlexNet, LeNet5, Sequential, check_layer, summary
from cnnlib.course.exercises import check, check_function
from cnnlib.course.report import compare, fastest, say, show
from cnnlib.layers import Affine, Concat, Convolution, Flatten, Pooling, Relu, Residual
from cnnlib.models import VGG16, GoogLeNet, MobileNet, ResNet, SmallMobileNet, SmallResNet, SmallVGG
from cnnlib.train import Trainer, quick_mode

plt.rcParams["figure.dpi"] = 72
QUICK = quick_mode("300 training digits and 1 epoch per run")  # CNNLIB_QUICK=1, set by CI: same code, less data
SEEDS = (0, 1, 2)
N_TRAIN, N_TEST = (300, 300) if QUICK else (4000, 1000)
RES_EPOCHS, SEP_EPOCHS, PRE_EPOCHS, FEW_EPOCHS = (1, 1, 1, 2) if QUICK else (3, 3, 4, 30)
N_RES = 300 if QUICK else 2500  # the 20-layer networks train on fewer digits: the slowest runs here

data = cnnlib.load_mnist(source="embedded")
(x_train, t_train), (x_test, t_test) = data
print(data.info)
half = Pooling(2, 2, stride=2, mode="average")  # each 2x2 block of pixels -> its mean: 28x28 -> 14x14
x14, t14 = half.forward(x_train[:N_TRAIN], train=False), t_train[:N_TRAIN]
x14_test, t14_test = half.forward(x_test[:N_TEST], train=False), t_test[:N_TEST]
print(f"digits subsampled to {x14.shape[1:]}: {len(x14):,} to train, {len(x14_test):,} to test")


# %% [markdown]
# Here is a digit at both sizes. Small, but still easy to read:

# %%
fig, axes = plt.subplots(1, 2, figsize=(3.2, 1.7), layout="constrained")
for ax, image, title in zip(axes, [x_train[0, 0], x14[0, 0]], ["28×28", "14×14"]):
    ax.imshow(image, cmap="gray")
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
plt.show()

# %% [markdown]
# ## 1. VGG: stacks of 3×3 convolutions
# AlexNet's first layer has 11×11 filters, its second 5×5. VGG (Simonyan and Zisserman,
# 2014) uses only 3×3 filters, stacked. Two 3×3 layers in a row see a 5×5 region of their
# input: each value of the second layer sees 3×3 values of the first, and each of those
# reaches one pixel further on every side. Three see 7×7. What does the stack cost? For C channels
# in and out, one 5×5 layer has 25·C² weights, two 3×3 layers 2·9·C² = 18·C²; one 7×7
# has 49·C², three 3×3 have 27·C². Counted by `summary` for C = 64 on a 56×56 map:

# %%
def stack(sizes, C=64, rng=0):
    """Convolutions with C filters over C channels, one per filter size, 'same' padding, ReLU after each."""
    rng = np.random.default_rng(rng)
    layers = []
    for k in sizes:
        layers += [Convolution(rng.standard_normal((C, C, k, k)).astype(np.float32), np.zeros(C, np.float32),
                               pad=k // 2), Relu()]
    return Sequential(layers)


costs = {name: summary(stack(sizes), (64, 56, 56)) for name, sizes in
         [("one 5×5", [5]), ("two 3×3", [3, 3]), ("one 7×7", [7]), ("three 3×3", [3, 3, 3])]}
print(f"{'':<12}{'parameters':>12}{'multiply-adds':>16}")
for name, s in costs.items():
    print(f"{name:<12}{s.total_params:>12,}{s.total_macs:>16,}")
assert costs["two 3×3"].total_params < costs["one 5×5"].total_params
assert costs["three 3×3"].total_params < costs["one 7×7"].total_params

# %%
saving_5 = 1 - costs["two 3×3"].total_params / costs["one 5×5"].total_params
saving_7 = 1 - costs["three 3×3"].total_params / costs["one 7×7"].total_params
say(f"Two 3×3 layers have {saving_5:.0%} fewer parameters than one 5×5 layer, three 3×3 layers "
    f"{saving_7:.0%} fewer than one 7×7, and the multiply-adds shrink in the same proportion. "
    f"The stack also puts a ReLU between the layers: two or three nonlinearities where the "
    f"single large filter has one.")

# %% [markdown]
# ### The receptive field, by the formula and by backpropagation
# The *receptive field* of a unit is the region of the input it depends on. Going up
# a stack, each layer with a k×k window adds (k − 1) times the *jump* of its input,
# the distance in input pixels between two neighbouring values of that input (the
# product of the strides below it):
#
# $$r_L = r_{L-1} + (k_L - 1)\, j_{L-1}, \qquad j_L = j_{L-1}\, s_L, \qquad r_0 = j_0 = 1.$$

# %%
def receptive_field(layers):
    """Receptive field of a stack of (window, stride) pairs, by the formula."""
    r, j = 1, 1
    for k, s in layers:
        r, j = r + (k - 1) * j, j * s
    return r


def measured_receptive_field(layers, size=64):
    """Width of the input region that one unit of the last layer depends on, found by
    backpropagation (as in notebook 06): convolutions of ones and average pooling, so that
    no weight of zero and no max can hide a pixel; one channel is enough."""
    net = [Convolution(np.ones((1, 1, k, k)), np.zeros(1), stride=s, pad=k // 2, strict=False) if kind == "conv"
           else Pooling(k, k, stride=s, mode="average") for kind, k, s in layers]
    h = np.ones((1, 1, size, size))
    for layer in net:
        h = layer.forward(h)
    dout = np.zeros_like(h)
    dout[0, 0, h.shape[2] // 2, h.shape[3] // 2] = 1.0  # one unit in the middle
    for layer in reversed(net):
        dout = layer.backward(dout)
    rows = np.flatnonzero(dout[0, 0].any(axis=1))
    return int(rows.max() - rows.min() + 1)


for n in (1, 2, 3):
    layers = [("conv", 3, 1)] * n
    print(f"{n} × 3×3: formula {receptive_field([(k, s) for _, k, s in layers])}, "
          f"measured {measured_receptive_field(layers)}")
    assert receptive_field([(3, 1)] * n) == measured_receptive_field(layers) == 2 * n + 1

# %% [markdown]
# VGG-16 stacks two or three 3×3 layers per stage, and each stage ends with a 2×2
# pooling of stride 2, which doubles the jump. Its first three stages:

# %%
vgg_stages = [("conv", 3, 1), ("conv", 3, 1), ("pool", 2, 2), ("conv", 3, 1), ("conv", 3, 1), ("pool", 2, 2),
              ("conv", 3, 1), ("conv", 3, 1), ("conv", 3, 1)]
by_formula = receptive_field([(k, s) for _, k, s in vgg_stages])
by_backprop = measured_receptive_field(vgg_stages)
print(f"a unit of VGG-16's conv3_3 sees {by_formula}×{by_formula} pixels (formula), "
      f"{by_backprop}×{by_backprop} (measured)")
assert by_formula == by_backprop

# %% [markdown]
# The same recipe for digits, `SmallVGG`: two stages of two 3×3 convolutions with ReLU,
# each ending in 2×2 max pooling, and the number of filters doubling from stage to stage:

# %%
small_vgg = SmallVGG(widths=(8, 16), hidden=32, input_dim=(1, 14, 14), output_size=5)
print(summary(small_vgg, (1, 14, 14)))

# %% [markdown]
# ## 2. 1×1 convolutions and Inception
# A 1×1 convolution looks at one pixel at a time, across all its channels: each output
# channel is a weighted sum of the C input channels at the same position. That is an
# Affine layer applied to every pixel's vector of C channels, with the same weights
# everywhere. Checked on random numbers:

# %%
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 6, 5, 5))
W, b = rng.standard_normal((4, 6, 1, 1)), rng.standard_normal(4)
by_conv = Convolution(W, b).forward(x)
pixels = x.transpose(0, 2, 3, 1).reshape(-1, 6)                   # one row of 6 channels per pixel
by_affine = Affine(W.reshape(4, 6).T, b).forward(pixels)          # (pixels, 4)
by_affine = by_affine.reshape(2, 5, 5, 4).transpose(0, 3, 1, 2)   # back to NCHW
print("largest difference:", np.abs(by_conv - by_affine).max())
assert np.allclose(by_conv, by_affine)

# %% [markdown]
# So a 1×1 convolution changes the number of channels cheaply. ResNet-50's *bottleneck*
# uses it around an expensive 3×3 convolution: in its first stage, on 56×56 maps, 1×1
# from 256 channels down to 64, the 3×3 on 64 channels, 1×1 back up to 256. Against a
# 3×3 convolution on all 256 channels, on the same 56×56 map:

# %%
def convs(C, specs, rng=0):
    """A Sequential of convolutions (filters, size) from C channels, 'same' padding, ReLU after each."""
    rng = np.random.default_rng(rng)
    layers = []
    for FN, k in specs:
        layers += [Convolution(rng.standard_normal((FN, C, k, k)).astype(np.float32), np.zeros(FN, np.float32),
                               pad=k // 2), Relu()]
        C = FN
    return Sequential(layers)


plain_3x3 = summary(convs(256, [(256, 3)]), (256, 56, 56))
bottleneck = summary(convs(256, [(64, 1), (64, 3), (256, 1)]), (256, 56, 56))
ratio = plain_3x3.total_macs / bottleneck.total_macs
say(f"A 3×3 convolution 256 → 256 on 56×56: **{plain_3x3.total_macs / 1e6:,.0f} million** multiply-adds per "
    f"image. The bottleneck 256 → 64 → 64 → 256: **{bottleneck.total_macs / 1e6:,.0f} million**, "
    f"{ratio:.1f} times fewer, with the same input and output shapes. (The ratio does not depend on the map's "
    f"size: every layer here costs in proportion to its number of positions.)")
assert bottleneck.rows[-1].output_shape == plain_3x3.rows[-1].output_shape == (256, 56, 56) and ratio > 8
assert ratio == (summary(convs(256, [(256, 3)]), (256, 28, 28)).total_macs
                 / summary(convs(256, [(64, 1), (64, 3), (256, 1)]), (256, 28, 28)).total_macs)  # any map size

# %% [markdown]
# ### An Inception module
# GoogLeNet (Szegedy et al., 2014) does not choose a filter size: each *Inception
# module* runs four branches on the same input and stacks their outputs along the
# channels: a 1×1 convolution; a 1×1 then a 3×3; a 1×1 then a 5×5; a 3×3 max pooling
# then a 1×1. The 1×1 convolutions before the 3×3 and the 5×5 are "reductions": they
# cut the channels first. In `cnnlib`, `Concat(branches)` is such a layer: its forward
# runs each branch, its backward splits the gradient by channels, sends each part back
# through its branch, and adds the gradients of the input. Module 3a of GoogLeNet, on
# 192 channels of 28×28:

# %%
def inception(C, n1, r3, n3, r5, n5, pool_proj, rng=0):
    """An Inception module over C channels (the sizes of GoogLeNet's table 1), ReLU after each convolution."""
    rng = np.random.default_rng(rng)

    def conv(C, FN, k):
        return [Convolution(rng.standard_normal((FN, C, k, k)) * np.sqrt(2 / (C * k * k)), np.zeros(FN), pad=k // 2),
                Relu()]

    return Concat([conv(C, n1, 1),
                   conv(C, r3, 1) + conv(r3, n3, 3),
                   conv(C, r5, 1) + conv(r5, n5, 5),
                   [Pooling(3, 3, stride=1, pad=1)] + conv(C, pool_proj, 1)])


module_3a = inception(192, 64, 96, 128, 16, 32, 32)
print(summary(Sequential([module_3a]), (192, 28, 28)))
assert module_3a.output_shape((192, 28, 28)) == (64 + 128 + 32 + 32, 28, 28)

# %% [markdown]
# Its backward pass, checked against numerical gradients in float64 on a small module
# (4 channels of 6×6; the check perturbs every weight, so it must be small):

# %%
small_module = inception(4, 2, 2, 3, 1, 2, 2, rng=1)
errors = check_layer(small_module, np.random.default_rng(2).standard_normal((2, 4, 6, 6)), rng=3)
print(f"{len(errors)} gradients checked, largest relative error {max(errors.values()):.1e}")
assert max(errors.values()) < 1e-6

# %% [markdown]
# ## 3. ResNet: skip connections
# Deeper should be better: a deeper network can do everything a shallower one does
# (its extra layers could learn the identity). He et al. (2015) found the opposite in
# practice: past some depth, *plain* networks reach a **higher training error** than
# shallower ones. Not overfitting, since the training error itself is worse: the
# deeper network is harder to optimize. They called it the *degradation problem*, and
# solved it with a **residual block**: out = F(x) + x, where F is two convolutions. If
# the best thing a block can do is nothing, F only has to learn zero. And backward,
# the gradient of the sum reaches x twice: dx = dF/dx · dout + dout. The skip's term
# passes dout on unchanged, however small F's path makes it.
#
# `Residual(body, shortcut)` computes body(x) + shortcut(x); with an empty shortcut
# (the identity), on hand-picked numbers, with ReLU as the body:

# %%
block = Residual([Relu()])
x = np.array([[[[-2.0, 3.0]]]])
out = block.forward(x)
dx = block.backward(np.array([[[[10.0, 20.0]]]]))
print("x", x.ravel(), "-> relu(x) + x =", out.ravel(), "; dout [10, 20] -> dx", dx.ravel())
assert out.ravel().tolist() == [-2.0, 6.0] and dx.ravel().tolist() == [10.0, 40.0]

# %% [markdown]
# When F changes the shape (a stride of 2, more channels), x cannot be added as it is:
# the shortcut becomes a *projection*, a 1×1 convolution with F's stride. A block with
# batch normalization and a projection, gradient-checked in float64:

# %%
rng = np.random.default_rng(4)


def conv_bn(C, FN, k, stride=1):
    """[conv, BN] in float64, 'same' padding."""
    return [Convolution(rng.standard_normal((FN, C, k, k)) * 0.5, rng.standard_normal(FN) * 0.1, stride, k // 2,
                        strict=False),
            cnnlib.layers.BatchNormalization(np.ones(FN), np.zeros(FN))]


projected = Residual(conv_bn(3, 4, 3, stride=2) + [Relu()] + conv_bn(4, 4, 3), conv_bn(3, 4, 1, stride=2))
x = rng.standard_normal((2, 3, 6, 6))
errors = check_layer(projected, x, rng=5)
biases_before_bn = ["body0.b", "body3.b", "skip0.b"]  # batch norm subtracts the mean: their gradient is 0
print(projected.forward(x).shape, f"{len(errors)} gradients checked")
print("largest relative error, biases before batch norm aside:",
      f"{max(e for k, e in errors.items() if k not in biases_before_bn):.1e}")
assert max(e for k, e in errors.items() if k not in biases_before_bn) < 1e-6
assert max(np.abs(projected.grads[k]).max() for k in biases_before_bn) < 1e-12

# %% [markdown]
# ### A plain network and a ResNet of the same depth
# `SmallResNet` follows the network He et al. built for small images (section 4.2 of the
# paper), half as wide: a 3×3 convolution, then three stages of three residual blocks
# with 8, 16 and 32 channels (the paper: 16, 32, 64; the map halves between stages),
# global average pooling and one Affine layer. One more difference: where a stage
# doubles the channels, its first block's shortcut here is a 1×1 convolution with stride
# 2 (a *projection*, the paper's option B); the paper's CIFAR-10 networks use the
# identity there, subsampled and padded with zero channels (option A), which adds no
# parameters. `SmallResNet(residual=False)` is its **plain** counterpart: the same 3×3
# convolutions, batch normalizations and ReLUs, without the shortcuts. To see whether
# depth hurts the plain network, a shallower plain network joins them: one block per
# stage instead of three.

# %%
nets = {"ResNet-20": dict(), "plain-20": dict(residual=False), "plain-8": dict(residual=False, blocks=(1, 1, 1))}


def make(name, seed):
    return SmallResNet(input_dim=(1, 14, 14), rng=seed, **nets[name])


def conv_layers(layers):
    """The convolutions of a list of layers, in order, those inside blocks included."""
    found = []
    for layer in layers:
        if isinstance(layer, Residual):
            found += conv_layers(layer.body) + conv_layers(layer.shortcut)
        elif isinstance(layer, Convolution):
            found.append(layer)
    return found


for name in nets:
    net, s = make(name, 0), summary(make(name, 0), (1, 14, 14))
    n3 = sum(c.params["W"].shape[-1] == 3 for c in conv_layers(net.layers))
    print(f"{name:<10} {n3:>2} 3×3 convolutions, {len(conv_layers(net.layers)) - n3} 1×1 projections, "
          f"{s.total_params:>7,} parameters, {s.total_macs:>10,} multiply-adds per digit")
assert sum(c.params["W"].shape[-1] == 3 for c in conv_layers(make("plain-20", 0).layers)) == 19

# %% [markdown]
# ### Gradients at initialization
# Before any training, one batch of 100 digits: the size (norm) of the gradient of
# each 3×3 convolution's weights, from the first layer to the last, for three seeds.

# %%
def weight_gradient_norms(net, x, t):
    """Norm of the gradient of each 3x3 convolution's weights, in order from the input."""
    net.loss_and_gradient(x, t)
    return np.array([np.linalg.norm(c.grads["W"]) for c in conv_layers(net.layers) if c.params["W"].shape[-1] == 3])


at_init = {"ResNet-20": dict(), "plain-20": dict(residual=False),
           "plain-20 without batch norm": dict(residual=False, batchnorm=False)}
norms = {name: np.array([weight_gradient_norms(SmallResNet(input_dim=(1, 14, 14), rng=seed, **kw), x14[:100],
                                               t14[:100]) for seed in SEEDS]) for name, kw in at_init.items()}
fig, ax = plt.subplots(figsize=(6.5, 3), layout="constrained")
for name, values in norms.items():
    depth = np.arange(1, values.shape[1] + 1)
    mean, sd = values.mean(axis=0), values.std(axis=0, ddof=1)
    ax.plot(depth, mean, "o-", label=name)
    ax.fill_between(depth, mean - sd, mean + sd, alpha=0.25)
ax.set(xlabel="3×3 convolution (1 = nearest the input)", ylabel="‖dW‖ at initialization", yscale="log",
       title="gradient norms per layer, mean ± spread over 3 seeds")
ax.legend()
plt.show()

# %%
span = {name: values.mean(axis=0).max() / values.mean(axis=0).min() for name, values in norms.items()}
first_last = {name: values.mean(axis=0)[:3].mean() / values.mean(axis=0)[-3:].mean() for name, values in norms.items()}
no_bn = np.median(norms["plain-20"].mean(axis=0)) / np.median(norms["plain-20 without batch norm"].mean(axis=0))
say(f"In the plain network the gradients grow towards the input: the first three layers get "
    f"{first_last['plain-20']:.1f} times the gradient of the last three, and the largest layer gradient is "
    f"{span['plain-20']:.1f} times the smallest. In the ResNet the ratios are {first_last['ResNet-20']:.1f} and "
    f"{span['ResNet-20']:.1f}: the layers get gradients of more similar sizes. That matters for plain gradient "
    f"descent, where one learning rate multiplies every gradient; Adam, used below, scales each weight's step by "
    f"the running size of its own gradient, so these ratios alone do not predict how it trains.\n\n"
    f"Without batch normalization (`batchnorm=False`) the plain network's profile turns over: the first three "
    f"layers get {first_last['plain-20 without batch norm']:.2f} times the gradient of the last three, so the "
    f"gradient shrinks on its way to the input, and the largest layer gradient is "
    f"{span['plain-20 without batch norm']:.1f} times the smallest. All its gradients are also smaller: the "
    f"median layer gradient is {no_bn:.0f} times smaller than with batch normalization (a uniform scale that "
    f"Adam's per-weight scaling would largely undo).")
assert span["ResNet-20"] < span["plain-20"] and first_last["plain-20"] > 1.5 and no_bn > 10
assert first_last["plain-20 without batch norm"] < 1

# %% [markdown]
# ### Training
# Each of the three networks, three seeds each, Adam with learning rate 0.001, batches
# of 100, on the first 2,500 training digits (the 20-layer networks are the slowest to
# train in this notebook; the question is whether each fits its training set).

# %%
# NBVAL_IGNORE_OUTPUT
runs = {}
start = time.perf_counter()
for name in nets:
    runs[name] = [Trainer(make(name, seed), x14[:N_RES], t14[:N_RES], x14_test, t14_test, epochs=RES_EPOCHS,
                          seed=seed, progress=False).train() for seed in SEEDS]
    print(f"{name}: {sum(sum(h['epoch_time']) for h in runs[name]):.0f} s for {len(SEEDS)} seeds")
print(f"in all {time.perf_counter() - start:.0f} s")

# %%
window = 10
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), layout="constrained")
for name, histories in runs.items():
    losses = np.array([np.convolve(h["loss"], np.ones(window) / window, mode="valid") for h in histories])
    steps = np.arange(window, window + losses.shape[1])
    mean, sd = losses.mean(axis=0), losses.std(axis=0, ddof=1)
    axes[0].plot(steps, mean, label=name)
    axes[0].fill_between(steps, mean - sd, mean + sd, alpha=0.25)
    acc = np.array([h["test_acc"] for h in histories])
    epochs = np.arange(1, acc.shape[1] + 1)
    axes[1].errorbar(epochs, acc.mean(axis=0), yerr=acc.std(axis=0, ddof=1), marker="o", capsize=3, label=name)
axes[0].set(xlabel="iteration", ylabel=f"training loss (mean of {window})", title="training loss, mean ± spread")
axes[1].set(xlabel="epoch", ylabel="test accuracy", title="test accuracy, mean ± spread over 3 seeds")
for ax in axes:
    ax.legend()
plt.show()

# %%
def final(name, key):
    """The last epoch's value of history[key] for each seed (the mean training loss of the last epoch for 'loss')."""
    if key == "loss":
        return [np.mean(h["loss"][-len(h["loss"]) // RES_EPOCHS:]) for h in runs[name]]
    return [h[key][-1] for h in runs[name]]


print(f"after {RES_EPOCHS} epochs:  {'training loss':>18}{'training accuracy':>20}{'test accuracy':>18}")
for name in runs:
    print(f"{name:<15}{show(final(name, 'loss')):>18}{show(final(name, 'train_acc'), True):>20}"
          f"{show(final(name, 'test_acc'), True):>18}")

# %%
p20, p8, r20 = (final(name, "train_acc") for name in ["plain-20", "plain-8", "ResNet-20"])
by_loss = (f"by the training loss, plain-20's {show(final('plain-20', 'loss'))} is "
           f"{compare(final('plain-20', 'loss'), final('plain-8', 'loss'), lower_is_better=True)} "
           f"plain-8's {show(final('plain-8', 'loss'))}")
iterations = len(runs["plain-20"][0]["loss"])
fitted = max(np.mean(final(name, "train_acc")) for name in runs)  # the best network's mean training accuracy
fit_note = (f"with no network here fitting its training set (the best mean training accuracy is {fitted:.1%})"
            if fitted < 0.99 else f"(the best mean training accuracy is {fitted:.1%})")
if compare(p20, p8) == "worse than":
    degradation = (f"On the very digits it trains on, plain-20 ends these {RES_EPOCHS} epochs ({iterations} "
                   f"iterations) with a training accuracy of {show(p20, True)}, worse than plain-8's "
                   f"{show(p8, True)} beyond the spreads ({by_loss}): twelve more convolutions made the plain "
                   f"network **slower to fit its training set**. That is not yet the degradation problem, which "
                   f"the paper measured at the end of a long training: there the deeper plain network's training "
                   f"error *stayed* higher. After {iterations} iterations, {fit_note}, these runs show a slower "
                   f"start, not where the networks would end.")
elif compare(p20, p8) == "better than":
    degradation = (f"The deeper plain network fits its training set *better* than the shallow one here "
                   f"({show(p20, True)} against {show(p8, True)}; {by_loss}): no degradation at this scale.")
else:
    degradation = (f"The two plain networks end with training accuracies within each other's spread "
                   f"({show(p20, True)} for plain-20, {show(p8, True)} for plain-8; {by_loss}): at this scale and "
                   f"in this time, the measurements cannot show a degradation problem.")
skip = (f"With the skip connections, the same 19 convolutions reach a training accuracy of {show(r20, True)}, "
        f"{compare(r20, p20)} plain-20's, and a test accuracy of {show(final('ResNet-20', 'test_acc'), True)}, "
        f"{compare(final('ResNet-20', 'test_acc'), final('plain-20', 'test_acc'))} plain-20's "
        f"{show(final('plain-20', 'test_acc'), True)}.")
say(degradation + " " + skip)

# %% [markdown]
# These are short runs, on small images, with networks half as wide as the paper's:
# they measure the start of training, where the curves above show how fast each network
# learns. The paper trained for 64,000 iterations on CIFAR-10 and found the
# gap grows with depth: its plain 56-layer network ended with a higher training error
# than its plain 20-layer one, while its residual networks kept improving up to 110
# layers. Skip connections are what made the networks of 50, 101 and 152 layers
# trainable.

# %% [markdown]
# ## 4. Depthwise separable convolutions (MobileNet)
# A standard 3×3 convolution from C to C' channels mixes space and channels at once:
# C' filters of C·3·3 weights. MobileNet (Howard et al., 2017) splits it in two: a
# **depthwise** 3×3 convolution, one filter per channel that sees only its own channel
# (a convolution with `groups = C`), then a **pointwise** 1×1 convolution that mixes the
# channels. Weights: C·9 + C·C' instead of 9·C·C', a ratio of 1/C' + 1/9. On a 14×14
# map, 64 channels to 128:

# %%
def one_layer(C, FN, k, groups=1, rng=0):
    W = np.random.default_rng(rng).standard_normal((FN, C // groups, k, k)).astype(np.float32)
    return Convolution(W, np.zeros(FN, np.float32), pad=k // 2, groups=groups)


standard = summary(Sequential([one_layer(64, 128, 3)]), (64, 14, 14))
separable = summary(Sequential([one_layer(64, 64, 3, groups=64), one_layer(64, 128, 1)]), (64, 14, 14))
print("standard 3×3:\n", standard, "\n\ndepthwise 3×3 + pointwise 1×1:\n", separable, sep="")
say(f"The separable pair costs {separable.total_params / standard.total_params:.1%} of the parameters and "
    f"{separable.total_macs / standard.total_macs:.1%} of the multiply-adds of the standard convolution "
    f"(1/128 + 1/9 = {1 / 128 + 1 / 9:.1%}, plus the biases).")
assert abs(separable.total_macs / standard.total_macs - (1 / 128 + 1 / 9)) < 1e-9

# %% [markdown]
# Fewer multiply-adds are not the same as less time. A depthwise convolution does only 9
# multiply-adds per output value (the standard 3×3 here: 9 × 64 = 576), so it moves many
# numbers for little arithmetic. Each of the three layers, timed alone on a batch of 8
# maps of 64 channels at 56×56 (the fastest of a few runs), in floating-point operations
# per second:

# %%
# NBVAL_IGNORE_OUTPUT
maps = np.random.default_rng(1).random((8, 64, 56, 56), dtype=np.float32)
layer_speed = {}
for name, layer in [("standard 3×3", one_layer(64, 128, 3)), ("depthwise 3×3", one_layer(64, 64, 3, groups=64)),
                    ("pointwise 1×1", one_layer(64, 128, 1))]:
    macs = summary(Sequential([layer]), maps.shape[1:]).total_macs * len(maps)
    seconds = fastest(lambda: layer.forward(maps, train=False), repeat=1 if QUICK else 3)
    layer_speed[name] = 2 * macs / seconds
    outputs = np.prod(layer.output_shape(maps.shape[1:])) * len(maps)
    assert macs / outputs == {"standard 3×3": 9 * 64, "depthwise 3×3": 9, "pointwise 1×1": 64}[name]  # per output value
    print(f"{name:<15}{macs / 1e6:>8,.0f} million multiply-adds {seconds * 1000:>8.1f} ms "
          f"{layer_speed[name] / 1e9:>8.1f} GFLOP/s")

# %%
say(f"Here the depthwise layer computes at {layer_speed['depthwise 3×3'] / 1e9:.1f} GFLOP/s, "
    f"{layer_speed['depthwise 3×3'] / layer_speed['standard 3×3']:.0%} of the standard layer's "
    f"{layer_speed['standard 3×3'] / 1e9:.0f}, while the pointwise layer, one large matrix product, runs at "
    f"{layer_speed['pointwise 1×1'] / 1e9:.0f}."
    + (" A separable pair saves fewer seconds than multiply-adds." if
       layer_speed["depthwise 3×3"] < layer_speed["standard 3×3"] else ""))

# %% [markdown]
# Fewer weights per layer let MobileNet afford more channels. `SmallMobileNet` is a
# 3×3 convolution, then three depthwise separable blocks, global average pooling and an
# Affine layer; `separable=False` puts a standard 3×3 convolution in place of each block.
# Three networks: the standard one; the separable one with the *same* widths; and the
# separable one three times wider, which costs about as much as the standard one:

# %%
mobile = {"standard (16, 32, 32)": dict(widths=(16, 32, 32), separable=False),
          "separable (16, 32, 32)": dict(widths=(16, 32, 32)),
          "separable (48, 96, 96)": dict(widths=(48, 96, 96))}


def make_mobile(name, seed):
    return SmallMobileNet(strides=(2, 2, 1), stem=16, input_dim=(1, 14, 14), rng=seed, **mobile[name])


mobile_cost = {name: summary(make_mobile(name, 0), (1, 14, 14)) for name in mobile}
for name, s in mobile_cost.items():
    print(f"{name:<24}{s.total_params:>8,} parameters {s.total_macs:>10,} multiply-adds per digit")
equal = mobile_cost["separable (48, 96, 96)"].total_params / mobile_cost["standard (16, 32, 32)"].total_params
assert 0.9 < equal < 1.15

# %%
# NBVAL_IGNORE_OUTPUT
mobile_runs = {}
for name in mobile:
    mobile_runs[name] = [Trainer(make_mobile(name, seed), x14, t14, x14_test, t14_test, epochs=SEP_EPOCHS,
                                 seed=seed, progress=False).train() for seed in SEEDS]
    print(f"{name}: {sum(sum(h['epoch_time']) for h in mobile_runs[name]):.0f} s for {len(SEEDS)} seeds")

# %%
mobile_acc = {name: [h["test_acc"][-1] for h in histories] for name, histories in mobile_runs.items()}
for name, acc in mobile_acc.items():
    s = mobile_cost[name]
    print(f"{name:<24} test accuracy {show(acc, True):>14}  ({s.total_params:,} parameters, "
          f"{s.total_macs:,} multiply-adds)")

# %%
std, thin, wide = (mobile_acc[name] for name in mobile)
same_budget, same_width = compare(wide, std), compare(thin, std)
say(f"At an equal budget ({equal:.2f} times the standard network's parameters), the wide separable network "
    f"reaches {show(wide, True)}: {same_budget} the standard network's {show(std, True)}. With the same widths, "
    f"at {mobile_cost['separable (16, 32, 32)'].total_macs / mobile_cost['standard (16, 32, 32)'].total_macs:.0%} "
    f"of the multiply-adds, the separable network reaches {show(thin, True)}: {same_width} the standard one.")

# %%
PAPER_TABLE_4 = {"standard": (71.7, 4_866), "separable": (70.6, 569)}  # ImageNet top-1 (%), million multiply-adds
(paper_std, paper_std_macs), (paper_sep, paper_sep_macs) = PAPER_TABLE_4.values()
gap_here = 100 * (np.mean(std) - np.mean(thin))
say(f"The paper's table 4 compares at the *same widths*: MobileNet with standard convolutions in place of its "
    f"separable ones reached {paper_std}% top-1 accuracy on ImageNet with {paper_std_macs:,} million multiply-adds, "
    f"MobileNet itself {paper_sep}% with {paper_sep_macs} million: {paper_std - paper_sep:.1f} points for "
    f"{paper_std_macs / paper_sep_macs:.1f} times less work, the trade the paper makes for phones, where every "
    f"multiply-add costs battery. The same comparison here costs {gap_here:.1f} points ({show(thin, True)} "
    f"against {show(std, True)}). These runs differ from the paper's in many ways: 14×14 digits, {SEP_EPOCHS} "
    f"epochs on {len(x14):,} of them, three separable blocks instead of thirteen; which of these makes the "
    f"difference between the two gaps, they do not tell. The equal-budget comparison above (more channels of "
    f"separable convolutions for the cost of fewer standard ones) is this notebook's own question, not one "
    f"that table 4 answers.")

# %% [markdown]
# ## 5. Transfer learning
# A network trained on one task has learned features (edges, strokes, loops) that other
# tasks may be able to use. Whether they help here is what we measure. The experiment: train `SmallVGG` on the digits 0–4, then learn the
# digits 5–9 from only 50 labelled examples of each, or only 10, three ways:
# - **from scratch**: a new network, random weights;
# - **frozen features**: keep the pretrained convolutions as they are and train only a
#   new head (the fully-connected layers), on the features they compute;
# - **fine-tuning**: start from the pretrained convolutions and a new head, and train
#   every layer.
#
# The pretraining runs **once** (seed 100), and all three seeds of both ways of reuse
# start from that one pretrained network: the seeds vary the chosen digits, the new
# head's weights and the order of the batches, not the pretraining. The spreads below
# therefore leave out how much another pretraining run would change the results, and
# what they show holds for this pretrained network.

# %%
first, second = t14 < 5, t14 >= 5
first_test, second_test = t14_test < 5, t14_test >= 5


def make_vgg(seed):
    return SmallVGG(widths=(8, 16), hidden=32, input_dim=(1, 14, 14), output_size=5, rng=seed)


pretrained = make_vgg(seed=100)
pre_history = Trainer(pretrained, x14[first], t14[first], x14_test[first_test], t14_test[first_test],
                      epochs=PRE_EPOCHS, seed=100, progress=False).train()
print(f"pretrained on {first.sum():,} digits 0-4 for {PRE_EPOCHS} epochs: test accuracy on 0-4 "
      f"{pre_history['test_acc'][-1]:.1%}")

# %%
flatten_at = next(i for i, layer in enumerate(pretrained.layers) if isinstance(layer, Flatten))
body_keys = [key for key in pretrained.params if int(key.lstrip("Wb")) <= 4]  # the 4 convolutions' W and b
print("copied from the pretrained network:", body_keys)


def few_labels(seed, per_class):
    """``per_class`` training digits of each class 5-9 (labels 0-4), chosen by the seed."""
    rng = np.random.default_rng(seed)
    chosen = np.concatenate([rng.choice(np.flatnonzero(t14 == c), min(per_class, np.sum(t14 == c)), replace=False)
                             for c in range(5, 10)])
    return x14[chosen], t14[chosen] - 5


def features(x):
    """The pretrained convolutions' output (frozen: inference mode), flattened."""
    for layer in pretrained.layers[:flatten_at + 1]:
        x = layer.forward(x, train=False)
    return x


def learn(method, seed, per_class):
    """Test accuracy on the digits 5-9 after learning them from ``per_class`` labels each by ``method``."""
    x, t = few_labels(seed, per_class)
    x_eval, t_eval = x14_test[second_test], t14_test[second_test] - 5
    net = make_vgg(seed)
    if method == "frozen features":  # train only the head, on what the frozen layers compute
        net = Sequential(net.layers[flatten_at + 1:])
        x, x_eval = features(x), features(x_eval)
    elif method == "fine-tuning":
        for key in body_keys:
            net.params[key][...] = pretrained.params[key]
    trainer = Trainer(net, x, t, x_eval, t_eval, epochs=FEW_EPOCHS, batch_size=25, seed=seed, progress=False)
    return trainer.train()["test_acc"][-1]


# %%
# NBVAL_IGNORE_OUTPUT
start = time.perf_counter()
LABELS, METHODS = (50, 10), ("from scratch", "frozen features", "fine-tuning")
transfer = {(per_class, method): [learn(method, seed, per_class) for seed in SEEDS]
            for per_class in LABELS for method in METHODS}
print(f"{time.perf_counter() - start:.0f} s")

# %%
print(f"test accuracy on the {second_test.sum()} test digits 5-9, after {FEW_EPOCHS} epochs on:")
print(f"{'':<18}" + "".join(f"{f'{len(few_labels(0, n)[0])} labelled digits':>24}" for n in LABELS))
for method in METHODS:
    print(f"  {method:<16}" + "".join(f"{show(transfer[n, method], True):>24}" for n in LABELS))


def verdict(per_class):
    """A sentence on the three ways, from the results with ``per_class`` labels per digit."""
    results = {m: transfer[per_class, m] for m in METHODS}
    best = max(results, key=lambda m: np.mean(results[m]))
    clear = [m for m in results if m != best and compare(results[best], results[m]) == "better than"]
    unclear = [m for m in results if m != best and m not in clear]
    return (f"With {per_class} labels per digit, **{best}** does best ({show(results[best], True)})"
            + (f", beyond the spread against {' and '.join(clear)}" if clear else "")
            + (f"{' but' if clear else ','} within the spread of {' and '.join(unclear)}: these runs cannot "
               f"rank {'them' if len(unclear) > 1 else 'the two'}" if unclear else "") + ".")


helps = {n: [m for m in METHODS[1:] if compare(transfer[n, m], transfer[n, "from scratch"]) == "better than"]
         for n in LABELS}
say(" ".join(verdict(n) for n in LABELS) + " The pretrained convolutions (one pretraining run, reused by every "
    "seed) never saw a 5, 6, 7, 8 or 9. "
    + " ".join(f"With {n} labels per digit, {' and '.join(helps[n])} beat{'s' if len(helps[n]) == 1 else ''} "
               f"training from scratch beyond the spread." if helps[n] else
               f"With {n} labels per digit, neither way of reusing them beats training from scratch beyond the "
               f"spread." for n in LABELS))

# %% [markdown]
# The same recipe, at a larger scale, is how most image classifiers are built today:
# take a network trained on ImageNet's 1.2 million photos, replace its last layer, and
# train on a few hundred photos of the new task. Training only the head is the cheapest
# (the features can be computed once); fine-tuning adapts the features too. Whether reuse
# pays depends on how close the two tasks are and on the scale: with ImageNet's features it
# usually does; with four convolutions trained once on five kinds of digits, the
# measurement above says how much it did here, for that one pretrained network.

# %% [markdown]
# ## 6. The timeline, measured
# Seven networks from 1998 to 2017, each at its published size, with **random weights**
# (we measure size and time, not accuracy). `summary` counts the parameters and
# multiply-adds of one image; the time is one forward pass of one image alone, the
# fastest of a few, in NumPy on this computer. (Notebook 07 timed AlexNet per image in a
# batch of 8: the matrix products then have other shapes, and the time per image differs
# from the one here; compare times within one table, not across notebooks.)
#
# Where cnnlib's networks differ from the papers (see `cnnlib/models/imagenet.py`):
# LeNet-5 is the classic form, and AlexNet the single-device network of notebook 07;
# every convolution has a bias, which the papers' batch-normalized networks (ResNet,
# MobileNet) leave out; GoogLeNet has no auxiliary classifiers (they exist only in
# training); and ResNet-50 is torchvision's "v1.5": its downsampling blocks put their
# stride in the 3×3 convolution, where the paper puts it in the first 1×1, so that 1×1
# runs on the larger map and costs more. The counts are set against the papers' after
# the table.

# %%
timeline = [(1998, "LeNet-5", lambda: LeNet5("classic"), (1, 28, 28)),
            (2012, "AlexNet", lambda: AlexNet("full"), (3, 227, 227)),
            (2014, "VGG-16", VGG16, (3, 224, 224)),
            (2014, "GoogLeNet", GoogLeNet, (3, 224, 224)),
            (2015, "ResNet-18", lambda: ResNet(18), (3, 224, 224)),
            (2015, "ResNet-50", lambda: ResNet(50), (3, 224, 224)),
            (2017, "MobileNet", MobileNet, (3, 224, 224))]
rows = []
for year, name, build, shape in timeline:
    net = build()
    s = summary(net, shape)
    image = np.random.default_rng(0).random((1, *shape), dtype=np.float32)
    seconds = fastest(lambda: net.predict(image), repeat=1 if QUICK else 3)
    rows.append((year, name, s.total_params, s.total_macs, s.total_activation_bytes, seconds))
    del net  # VGG-16's weights alone take 553 MB

# %%
table = ["| year | network | parameters | multiply-adds | activations | forward, one image | GFLOP/s |",
         "|---|---|---:|---:|---:|---:|---:|"]
for year, name, params, macs, act, seconds in rows:
    table.append(f"| {year} | {name} | {params / 1e6:,.2f} M | {macs / 1e6:,.1f} M | {act / 2**20:,.1f} MiB | "
                 f"{seconds * 1000:,.1f} ms | {2 * macs / seconds / 1e9:,.1f} |")
say("\n".join(table))

# %%
by_name = {name: (params, macs, seconds) for _, name, params, macs, _, seconds in rows}
googlenet_conv1 = 64 * 112 * 112 * (3 * 7 * 7)  # 64 filters of 7x7x3 at 112x112
say(f"Against the papers: GoogLeNet counts {by_name['GoogLeNet'][0] / 1e6:.2f} M parameters and "
    f"{by_name['GoogLeNet'][1] / 1e9:.2f} billion multiply-adds here, against the paper's about 6.8 M and "
    f"1.5 billion; its table 1 lists 34 M multiply-adds for the first convolution, whose 64 filters of 7×7×3 "
    f"at 112×112 make {googlenet_conv1 / 1e6:.0f} M. ResNet-50 counts {by_name['ResNet-50'][1] / 1e9:.2f} billion "
    f"multiply-adds here (torchvision's v1.5), against 3.8 × 10⁹ in the paper's table 1 for the original.")

# %%
fig, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
for year, name, params, macs, _, seconds in rows:
    ax.scatter(macs, seconds * 1000, s=params / 2e5 + 10, alpha=0.6, label=f"{name} ({year})")
ax.set(xscale="log", yscale="log", xlabel="multiply-adds per image", ylabel="forward time, ms (this CPU)",
       title="work and time (area: parameters)")
ax.margins(0.15)  # room for the largest discs
legend = ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)  # names apart from the points
for handle in legend.legend_handles:
    handle.set_sizes([40])  # the same marker size for every name
plt.show()

# %%
lenet, vgg, resnet50, mobilenet = (by_name[n] for n in ["LeNet-5", "VGG-16", "ResNet-50", "MobileNet"])
gtx580_peak = 512 * 1.544e9 * 2  # notebook 07: the GTX 580's 512 cores, one multiply-add per cycle each
epoch_days = 1.28e6 * 3 * vgg[2] / 86400  # a training step counted as 3 forward passes (by the multiply-adds)
say(f"From LeNet-5 to VGG-16 the multiply-adds per image grew {vgg[1] / lenet[1]:,.0f}-fold and the "
    f"parameters {vgg[0] / lenet[0]:,.0f}-fold. Then the trend turned: ResNet-50 does "
    f"{resnet50[1] / vgg[1]:.0%} of VGG-16's work with {resnet50[0] / vgg[0]:.0%} of its parameters, "
    f"and MobileNet {mobilenet[1] / vgg[1]:.1%} of the work. Time does not follow the multiply-adds exactly: "
    f"MobileNet computes at {2 * mobilenet[1] / mobilenet[2] / 1e9:.1f} GFLOP/s here, VGG-16 at "
    f"{2 * vgg[1] / vgg[2] / 1e9:.1f}"
    + (f". Its depthwise layers are slow for their work: in section 4, a depthwise layer alone ran at "
       f"{layer_speed['depthwise 3×3'] / 1e9:.1f} GFLOP/s, a standard 3×3 at "
       f"{layer_speed['standard 3×3'] / 1e9:.0f}."
       if mobilenet[1] / mobilenet[2] < vgg[1] / vgg[2] and layer_speed["depthwise 3×3"] < layer_speed["standard 3×3"]
       else ".")
    + "\n\n"
    f"**And the GPUs.** One VGG-16 forward pass takes {vgg[2] * 1000:,.0f} ms here. One epoch of ImageNet "
    f"(1.28 million images, forward and backward, counted as three forward passes each, as the multiply-adds "
    f"say; notebook 07 measures a real NumPy step against that count) would take "
    f"{epoch_days:,.0f} days on this CPU; VGG was trained for 74 epochs, which makes "
    f"{74 * epoch_days / 365:,.1f} years. At the 2010 GTX 580's peak of {gtx580_peak / 1e12:.1f} TFLOP/s, the "
    f"forward pass would take {2 * vgg[1] / gtx580_peak * 1000:.0f} ms; the paper trained on four newer "
    f"GPUs for two to three weeks. Every network after AlexNet was designed, trained and compared on GPUs.")
assert vgg[1] > 10_000 * lenet[1] and mobilenet[1] < resnet50[1] < vgg[1]

# %% [markdown]
# ## Exercises
# Each exercise has a cell for your answer, and a check cell that says ✓ or ✗ and why.
# The reference solutions are in collapsed cells below each check: try first!
#
# ### Exercise 1: the receptive field of a stack
# Write `stack_receptive_field(n, k)`: the receptive field (in pixels, along one side)
# of one unit after `n` convolutions of k×k with stride 1, stacked.

# %%
def stack_receptive_field(n, k):
    # your code here
    return None


# %%
cases_rf = [((n, k), measured_receptive_field([("conv", k, 1)] * n)) for n, k in [(1, 3), (2, 3), (3, 3), (5, 3),
                                                                                   (2, 5), (3, 7)]]
check_function(stack_receptive_field, cases_rf, why="each k×k layer with stride 1 adds k - 1 pixels: 1 + n(k - 1)",
               hint="start from one pixel; what does each layer add along one side?")

# %% jupyter={"source_hidden": true} tags=["solution"]
def solution_stack_receptive_field(n, k):
    return 1 + n * (k - 1)


# %%
assert check_function(solution_stack_receptive_field, cases_rf)

# %% [markdown]
# ### Exercise 2: the parameters of a depthwise separable convolution
# Write `separable_params(C, FN)`: the parameters (weights and biases) of a 3×3
# depthwise convolution over C channels followed by a 1×1 convolution to FN channels.

# %%
def separable_params(C, FN):
    # your code here
    return None


# %%
cases_sep = [((C, FN), summary(Sequential([one_layer(C, C, 3, groups=C), one_layer(C, FN, 1)]), (C, 8, 8)).total_params)
             for C, FN in [(1, 1), (3, 8), (32, 64), (64, 128)]]
check_function(separable_params, cases_sep, why="depthwise: C filters of 3×3 and C biases; pointwise: FN filters "
               "of C weights and FN biases: 9C + C + C·FN + FN",
               hint="count the two layers apart: a filter of the depthwise layer sees one channel")

# %% jupyter={"source_hidden": true} tags=["solution"]
def solution_separable_params(C, FN):
    return (9 * C + C) + (C * FN + FN)


# %%
assert check_function(solution_separable_params, cases_sep)

# %% [markdown]
# ### Exercise 3: what a reduction saves
# Inception 3a's 5×5 branch turns 192 channels of 28×28 into 32. Directly, that is a
# 5×5 convolution 192 → 32. GoogLeNet first reduces to 16 channels with a 1×1
# convolution, then runs the 5×5 convolution 16 → 32. How many multiply-adds per image
# does the reduction save?

# %%
reduction_saves = None  # your answer: a whole number

# %%
direct = summary(convs(192, [(32, 5)]), (192, 28, 28)).total_macs
reduced = summary(convs(192, [(16, 1), (32, 5)]), (192, 28, 28)).total_macs
check("multiply-adds saved by the 1×1 reduction", reduction_saves, direct - reduced,
      why="direct: 32·28·28·(192·25); reduced: 16·28·28·192 + 32·28·28·(16·25)",
      hint="each layer costs (output values) × (length of each dot product): FN·OH·OW · C·FH·FW")

# %% jupyter={"source_hidden": true} tags=["solution"]
solution_reduction_saves = 32 * 28 * 28 * 192 * 25 - (16 * 28 * 28 * 192 + 32 * 28 * 28 * 16 * 25)

# %%
assert check("multiply-adds saved by the 1×1 reduction", solution_reduction_saves, direct - reduced)

# %% [markdown]
# ## Summary
# - **VGG**: stacked 3×3 convolutions see as far as one large filter (5×5 for two, 7×7
#   for three, by the formula and by backpropagation) with fewer parameters and more
#   nonlinearities.
# - **1×1 convolutions** are an Affine layer applied at every pixel; as reductions
#   they make bottlenecks and Inception modules cheap. `Concat` runs the branches.
# - **ResNet**: a residual block adds its input to its output; its gradient reaches
#   the input unchanged. Measured above: the gradients at initialization, the training
#   speed of 19 convolutions with and without the skips, and whether depth hurt the
#   plain network at this scale.
# - **MobileNet**: a depthwise separable convolution costs about 1/9 of a standard
#   one; measured above, what that buys at an equal budget.
# - **Transfer learning**: features learned on digits 0–4 (one pretraining run),
#   reused three ways to learn 5–9 from 50 or 10 examples each; measured above,
#   whether reuse pays at this scale, for that pretrained network.
# - **The timeline**: from LeNet-5 to VGG-16 the work per image grew more than
#   ten-thousand-fold; after VGG, better designs did more with less. None of it would have been
#   explored without GPUs.
#
# This is where the course ends. The layers are all here, in `cnnlib`; the rest is
# scale.
