"""The builder the networks after AlexNet share: grouped convolutions, batch norm, blocks.

It extends the classic models' builder (which tracks the shape of one sample as layers
are added) with what VGG, GoogLeNet, ResNet and MobileNet need.
"""

import numpy as np

from ..layers import BatchNormalization, Concat, Convolution, GlobalAvgPool, Pooling, Relu, Residual
from .classic import _Builder

__all__ = ["Builder"]


class Builder(_Builder):
    """Adds layers one after the other from ``input_dim`` (C, H, W), weights drawn from ``rng``.

    Sizes floor where they do not divide (``strict=False``, as in PyTorch), so that a 3x3
    convolution with stride 2 and pad 1 takes 224 to 112, as in the papers.
    """

    def conv(self, filter_num, filter_size, stride=1, pad=0, strict=False, groups=1):
        """A convolution of ``filter_num`` square filters over ``C / groups`` channels each."""
        C = self.shape[0]
        if C % groups:
            raise ValueError(f"the input's C = {C} channels must be divisible by groups = {groups}")
        fan_in = C // groups * filter_size * filter_size
        W = self._weights((filter_num, C // groups, filter_size, filter_size), fan_in)
        return self.add(Convolution(W, np.zeros(filter_num, self.dtype), stride, pad, strict, groups=groups))

    def bn(self):
        """Batch normalization over the current channels (gamma 1, beta 0)."""
        C = self.shape[0]
        return self.add(BatchNormalization(np.ones(C, self.dtype), np.zeros(C, self.dtype)))

    def conv_bn_relu(self, filter_num, filter_size, stride=1, groups=1, batchnorm=True):
        """conv ("same" padding: ``filter_size // 2``) - BN - ReLU; without BN when ``batchnorm=False``."""
        self.conv(filter_num, filter_size, stride, filter_size // 2, groups=groups)
        return (self.bn() if batchnorm else self).add(Relu())

    def pool(self, size, stride, mode="max", strict=False, pad=0):
        return self.add(Pooling(size, size, stride, pad, mode=mode, strict=strict))

    def gap(self):
        return self.add(GlobalAvgPool())

    def _path(self, fill):
        """The layers that ``fill(builder)`` adds to a new builder starting at this shape."""
        path = Builder(self.shape, self.rng, self.dtype, self.weight_init_std)
        if fill is not None:
            fill(path)
        return path.layers

    def residual(self, body, shortcut=None):
        """A :class:`~cnnlib.layers.Residual` block; ``body(b)`` and ``shortcut(b)`` add
        the layers of each path to the builder ``b`` (no shortcut: the identity)."""
        return self.add(Residual(self._path(body), self._path(shortcut)))

    def concat(self, *branches):
        """A :class:`~cnnlib.layers.Concat` of branches, each a function that fills a builder."""
        return self.add(Concat([self._path(fill) for fill in branches]))
