"""The ideas after AlexNet, scaled down to 28x28 digits so that NumPy trains them in seconds.

- :class:`SmallVGG`: stages of 3x3 convolutions, each ending in 2x2 max pooling;
- :class:`SmallResNet`: residual blocks, or (``residual=False``) the same convolutions
  without the shortcuts: the plain network of the same depth;
- :class:`SmallMobileNet`: depthwise separable blocks, or (``separable=False``) standard
  3x3 convolutions in their place.

Each is a :class:`cnnlib.Sequential`; weights are drawn from ``rng`` with He's rule, in
``dtype`` (float32 to train, float64 to check gradients).
"""

import numpy as np

from ..init import positive_ints
from ..layers import Flatten, Relu
from ..network import Sequential
from .builder import Builder

__all__ = ["SmallVGG", "SmallResNet", "SmallMobileNet"]


class SmallVGG(Sequential):
    """VGG's recipe (Simonyan & Zisserman, 2014) for small images.

    For each width in ``widths``: ``convs`` 3x3 convolutions with pad 1 (the size stays)
    and ReLU, then 2x2 max pooling with stride 2 (the size halves, floored); then a
    fully-connected layer of ``hidden`` units with ReLU and the output layer.

    Args:
        widths: filters per stage, e.g. (16, 32): VGG doubles them after each pooling.
        convs: 3x3 convolutions per stage (VGG-16 has 2, 2, 3, 3, 3).
        hidden: units of the hidden fully-connected layer (0: none).
        batchnorm: a batch normalization after each convolution.
    """

    def __init__(self, widths=(16, 32), convs=2, hidden=64, input_dim=(1, 28, 28), output_size=10,
                 batchnorm=False, rng=0, dtype=np.float32):
        widths = positive_ints("widths", widths)
        b = Builder(input_dim, rng, dtype, "he")
        for width in widths:
            for _ in range(convs):
                b.conv_bn_relu(width, 3, batchnorm=batchnorm)
            b.pool(2, 2)
        b.add(Flatten())
        if hidden:
            b.affine(hidden).add(Relu())
        b.affine(output_size)
        super().__init__(b.layers)


class SmallResNet(Sequential):
    """A ResNet for small images, as He et al. (2015, section 4.2) built for CIFAR-10.

    A 3x3 convolution (``widths[0]`` filters) - BN - ReLU, then one stage per width:
    ``blocks[i]`` basic blocks, each ``conv3x3 - BN - ReLU - conv3x3 - BN`` plus the
    shortcut, then ReLU. The first block of every stage after the first has stride 2
    (the map halves) and doubles the channels, so its shortcut is a 1x1 convolution with
    stride 2 and BN (a projection); the others are the identity. Then global average
    pooling and one Affine layer.

    ``residual=False`` builds the **plain** counterpart: the same 3x3 convolutions, BNs
    and ReLUs in the same order, without the shortcuts (so without the projections).
    Both have ``1 + 2 * sum(blocks)`` 3x3 convolutions: blocks=(3, 3, 3) gives the
    paper's 20-layer networks (with narrower widths by default).

    Args:
        blocks: basic blocks per stage.
        widths: channels per stage (same length as blocks).
        residual: True for the ResNet, False for the plain network.
        batchnorm: False leaves out every BN (the convolutions keep their biases).
    """

    def __init__(self, blocks=(3, 3, 3), widths=(8, 16, 32), residual=True, input_dim=(1, 28, 28),
                 output_size=10, batchnorm=True, rng=0, dtype=np.float32):
        blocks, widths = positive_ints("blocks", blocks), positive_ints("widths", widths)
        if len(blocks) != len(widths):
            raise ValueError(f"blocks and widths must have one entry per stage, got {len(blocks)} and {len(widths)}")
        self.residual = residual
        b = Builder(input_dim, rng, dtype, "he")
        b.conv_bn_relu(widths[0], 3, batchnorm=batchnorm)
        for stage, (count, width) in enumerate(zip(blocks, widths)):
            for k in range(count):
                stride = 2 if stage > 0 and k == 0 else 1

                def body(p, width=width, stride=stride):
                    p.conv_bn_relu(width, 3, stride, batchnorm=batchnorm).conv(width, 3, 1, 1)
                    if batchnorm:
                        p.bn()

                def projection(p, width=width, stride=stride):
                    p.conv(width, 1, stride)
                    if batchnorm:
                        p.bn()

                if not residual:
                    body(b)
                elif stride == 1 and b.shape[0] == width:
                    b.residual(body)
                else:
                    b.residual(body, projection)
                b.add(Relu())
        b.gap().affine(output_size)
        super().__init__(b.layers)


class SmallMobileNet(Sequential):
    """MobileNet's recipe (Howard et al., 2017) for small images.

    A 3x3 convolution (``stem`` filters) - BN - ReLU, then for each (width, stride) a
    **depthwise separable** block: a 3x3 depthwise convolution (``groups = C``: one filter
    per channel, with the block's stride) - BN - ReLU, then a 1x1 pointwise convolution to
    ``width`` channels - BN - ReLU. Then global average pooling and one Affine layer.

    ``separable=False`` puts one standard 3x3 convolution (C -> width, same stride) - BN -
    ReLU in place of each block: the network it is compared with.

    Args:
        widths, strides: output channels and stride of each block.
        stem: filters of the first convolution.
    """

    def __init__(self, widths=(32, 64, 64), strides=(2, 2, 1), stem=16, separable=True, input_dim=(1, 28, 28),
                 output_size=10, rng=0, dtype=np.float32):
        widths, strides = positive_ints("widths", widths), positive_ints("strides", strides)
        if len(widths) != len(strides):
            raise ValueError(f"widths and strides must have one entry per block, got {len(widths)} and {len(strides)}")
        self.separable = separable
        b = Builder(input_dim, rng, dtype, "he")
        b.conv_bn_relu(stem, 3)
        for width, stride in zip(widths, strides):
            if separable:
                b.conv_bn_relu(b.shape[0], 3, stride, groups=b.shape[0])  # depthwise: each channel alone
                b.conv_bn_relu(width, 1)                                  # pointwise: mixes the channels
            else:
                b.conv_bn_relu(width, 3, stride)
        b.gap().affine(output_size)
        super().__init__(b.layers)
