"""The ImageNet networks after AlexNet, as published, for ``summary`` and timed forward passes.

VGG-16 (2014), GoogLeNet (2014), ResNet-18/34/50 (2015) and MobileNet (2017), for
224x224 color images and 1,000 classes. The weights are **random** (He's rule, drawn
from ``rng``): these networks are here to be counted and timed, not to classify (trained
weights would be hundreds of megabytes of downloads). ``tests/test_blocks.py`` checks the
counts against the published figures. Differences from the papers:

- cnnlib's convolutions always have a bias; the papers' batch-normalized networks
  (ResNet, MobileNet) have none there (a few thousand parameters more);
- GoogLeNet is built without its two auxiliary classifiers, which exist only during
  training; its pooling with stride 2 pads by 1 and floors (Caffe rounds up instead:
  the same sizes);
- ResNet-50 puts the stride of its downsampling blocks in the 3x3 convolution, as
  torchvision does ("v1.5", 4.1 G multiply-adds; in the paper the first 1x1 has it: its
  table 1 says 3.8 x 10^9).

GoogLeNet counts 7.0 M parameters and 1.58 G multiply-adds against the paper's "about
6.8 M" and "1.5 billion": its table 1 lists 34 M multiply-adds for the first convolution,
whose 64 filters of 7x7x3 at 112x112 make 118 M.
"""

import numpy as np

from ..layers import Flatten, Relu
from ..network import Sequential
from .builder import Builder

__all__ = ["VGG16", "GoogLeNet", "ResNet", "MobileNet"]

# GoogLeNet's Inception modules (Szegedy et al., 2014, table 1): #1x1, #3x3 reduce, #3x3,
# #5x5 reduce, #5x5, pool proj; "pool" = a 3x3/2 max pooling before the module
INCEPTION = {"3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64), "pool3": None,
             "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
             "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
             "4e": (256, 160, 320, 32, 128, 128), "pool4": None,
             "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128)}

# ResNet (He et al., 2015, table 1): blocks per stage, and the kind of block
RESNET = {18: ((2, 2, 2, 2), "basic"), 34: ((3, 4, 6, 3), "basic"), 50: ((3, 4, 6, 3), "bottleneck")}

# MobileNet (Howard et al., 2017, table 1): (pointwise filters, depthwise stride) per block
MOBILENET = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


class VGG16(Sequential):
    """VGG-16 (Simonyan & Zisserman, 2014, configuration D): 13 3x3 convolutions (pad 1,
    ReLU) in five stages of 64, 128, 256, 512, 512 filters, each ending in 2x2/2 max
    pooling; then fully-connected layers of 4096, 4096 and 1000 units (ReLU and dropout
    0.5 after each hidden one, as in AlexNet). 138.4 million parameters."""

    def __init__(self, input_dim=(3, 224, 224), output_size=1000, rng=0, dtype=np.float32):
        b = Builder(input_dim, rng, dtype, "he")
        for width, convs in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
            for _ in range(convs):
                b.conv(width, 3, pad=1).add(Relu())
            b.pool(2, 2)
        b.add(Flatten()).affine(4096).add(Relu()).dropout(0.5)
        b.affine(4096).add(Relu()).dropout(0.5).affine(output_size)
        super().__init__(b.layers)


def _inception(b, n1, r3, n3, r5, n5, pool_proj):
    """One Inception module: four branches on the same input, stacked (ReLU after each conv)."""
    b.concat(lambda p: p.conv(n1, 1).add(Relu()),
             lambda p: p.conv(r3, 1).add(Relu()).conv(n3, 3, pad=1).add(Relu()),
             lambda p: p.conv(r5, 1).add(Relu()).conv(n5, 5, pad=2).add(Relu()),
             lambda p: p.pool(3, 1, pad=1).conv(pool_proj, 1).add(Relu()))


class GoogLeNet(Sequential):
    """GoogLeNet (Szegedy et al., 2014), the Inception network that won ILSVRC 2014.

    conv 7x7/2 (64) - max pool 3x3/2 - LRN - conv 1x1 (64) - conv 3x3 (192) - LRN - max
    pool - Inception 3a, 3b - max pool - 4a to 4e - max pool - 5a, 5b - global average
    pooling - dropout 0.4 - fc 1000. Each Inception module is a
    :class:`~cnnlib.layers.Concat` of a 1x1 branch, a 1x1 -> 3x3 branch, a 1x1 -> 5x5
    branch and a 3x3 max pooling -> 1x1 branch (the 1x1 "reductions" keep it cheap).
    Without the auxiliary classifiers (see the module docstring). About 7 million
    parameters, 1.6 billion multiply-adds (the paper: "1.5 billion").
    """

    def __init__(self, input_dim=(3, 224, 224), output_size=1000, rng=0, dtype=np.float32):
        from ..layers import LRN

        b = Builder(input_dim, rng, dtype, "he")
        b.conv(64, 7, stride=2, pad=3).add(Relu()).pool(3, 2, pad=1).add(LRN())
        b.conv(64, 1).add(Relu()).conv(192, 3, pad=1).add(Relu()).add(LRN()).pool(3, 2, pad=1)
        for name, sizes in INCEPTION.items():
            if sizes is None:
                b.pool(3, 2, pad=1)
            else:
                _inception(b, *sizes)
        b.gap().dropout(0.4).affine(output_size)
        super().__init__(b.layers)


def _resnet_block(b, kind, width, stride):
    """A basic (3x3, 3x3) or bottleneck (1x1, 3x3, 1x1 x4) block, with a projection
    shortcut when the shape changes, then ReLU."""
    out = width if kind == "basic" else 4 * width

    def body(p):
        if kind == "basic":
            p.conv_bn_relu(width, 3, stride).conv(width, 3, pad=1).bn()
        else:
            p.conv_bn_relu(width, 1).conv_bn_relu(width, 3, stride).conv(out, 1).bn()

    projection = None if stride == 1 and b.shape[0] == out else (lambda p: p.conv(out, 1, stride).bn())
    b.residual(body, projection).add(Relu())


class ResNet(Sequential):
    """ResNet (He et al., 2015) with 18, 34 or 50 layers.

    conv 7x7/2 (64) - BN - ReLU - max pool 3x3/2 - four stages of residual blocks with
    64, 128, 256, 512 channels (the first block of stages 2-4 has stride 2 and a 1x1
    projection shortcut) - global average pooling - fc 1000. ResNet-18 and 34 use
    basic blocks (two 3x3 convolutions), ResNet-50 bottleneck blocks (1x1 down to the
    stage's width, 3x3, 1x1 up to 4 times the width). 11.7 (18), 21.8 (34) and 25.6 (50)
    million parameters.
    """

    def __init__(self, depth=18, input_dim=(3, 224, 224), output_size=1000, rng=0, dtype=np.float32):
        if depth not in RESNET:
            raise ValueError(f"depth must be one of {sorted(RESNET)}, got depth = {depth}")
        blocks, kind = RESNET[depth]
        self.depth = depth
        b = Builder(input_dim, rng, dtype, "he")
        b.conv_bn_relu(64, 7, stride=2).pool(3, 2, pad=1)
        for stage, (count, width) in enumerate(zip(blocks, (64, 128, 256, 512))):
            for k in range(count):
                _resnet_block(b, kind, width, 2 if stage > 0 and k == 0 else 1)
        b.gap().affine(output_size)
        super().__init__(b.layers)


class MobileNet(Sequential):
    """MobileNet v1 (Howard et al., 2017).

    conv 3x3/2 (32) - BN - ReLU, then 13 depthwise separable blocks (depthwise 3x3 with
    ``groups = C`` - BN - ReLU - pointwise 1x1 - BN - ReLU) up to 1024 channels, global
    average pooling, fc 1000. ``alpha`` (the paper's width multiplier) thins every layer.
    4.2 million parameters, 569 million multiply-adds at ``alpha=1``.
    """

    def __init__(self, alpha=1.0, input_dim=(3, 224, 224), output_size=1000, rng=0, dtype=np.float32):
        if not 0 < alpha <= 4:
            raise ValueError(f"alpha must be in (0, 4], got alpha = {alpha}")
        b = Builder(input_dim, rng, dtype, "he")
        b.conv_bn_relu(max(1, round(32 * alpha)), 3, stride=2)
        for width, stride in MOBILENET:
            C = b.shape[0]
            b.conv_bn_relu(C, 3, stride, groups=C).conv_bn_relu(max(1, round(width * alpha)), 1)
        b.gap().affine(output_size)
        super().__init__(b.layers)
