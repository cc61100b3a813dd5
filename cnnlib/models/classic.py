"""The networks of the course, built from cnnlib layers: SimpleConvNet, LeNet-5, AlexNet.

Each is a :class:`cnnlib.Sequential`, so each has the book's API: ``params``,
``predict``, ``loss``, ``accuracy``, ``gradient``, ``save_params``, ``load_params``.
Weights are drawn from ``rng`` (a seed or ``np.random.Generator``) in ``dtype``
(float32 to train, float64 to check gradients).

Each records ``config``, the constructor arguments that decide its architecture (not
``rng`` or ``dtype``); ``save_params`` stores it with the weights, and ``load_params``
refuses weights of another model or configuration even when the shapes match.
"""

import numpy as np

from ..init import init_weights, positive_ints
from ..layers import (C3_TABLE, LRN, Affine, Convolution, Dropout, Flatten, Pooling, Relu, ScaledTanh, Sigmoid,
                      SparseConvolution, Subsampling, Tanh)
from ..network import Sequential

__all__ = ["SimpleConvNet", "LeNet5", "AlexNet", "MODELS"]


class _Builder:
    """Creates layers one after the other, tracking the shape of one sample."""

    def __init__(self, input_dim, rng, dtype, weight_init_std):
        self.shape = positive_ints("input_dim", input_dim, "(C, H, W)", length=3)
        self.rng = np.random.default_rng(rng)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 (to train) or float64 (to check gradients), got {self.dtype}")
        self.weight_init_std = weight_init_std
        self.layers = []

    def add(self, layer):
        self.shape = layer.output_shape(self.shape)  # raises a clear error if sizes do not fit
        self.layers.append(layer)
        return self

    def _weights(self, shape, fan_in):
        return init_weights(shape, self.weight_init_std, self.rng, self.dtype, fan_in)

    def conv(self, filter_num, filter_size, stride=1, pad=0, strict=True, groups=1):
        C = self.shape[0] // groups  # the channels one filter sees
        W = self._weights((filter_num, C, filter_size, filter_size), C * filter_size * filter_size)
        return self.add(Convolution(W, np.zeros(filter_num, self.dtype), stride, pad, strict, groups=groups))

    def affine(self, size):
        D = int(np.prod(self.shape))
        return self.add(Affine(self._weights((D, size), D), np.zeros(size, self.dtype)))

    def pool(self, size, stride, mode="max", strict=True):
        return self.add(Pooling(size, size, stride, mode=mode, strict=strict))

    def dropout(self, ratio):
        return self.add(Dropout(ratio, rng=self.rng))


class SimpleConvNet(Sequential):
    """The book's network: conv - ReLU - 2x2/2 max pool - affine - ReLU - affine - softmax.

    Args:
        input_dim: (C, H, W) of one image.
        conv_param: dict with ``filter_num`` (30), ``filter_size`` (5), ``pad`` (0),
            ``stride`` (1); missing keys take these defaults.
        hidden_size, output_size: units of the two affine layers.
        weight_init_std: 0.01 as in the book, or ``"he"`` (see :mod:`cnnlib.init`).
        rng: seed or ``np.random.Generator`` for the initial weights.
        dtype: float32 (train) or float64 (gradient checks).

    Sizes are computed with integer arithmetic and floored like the book's im2col and
    PyTorch, so e.g. ``filter_size=4`` (a 25x25 map, pooled to 12x12) and ``stride=2``
    work; a configuration with no valid output raises ``ValueError``.
    Parameters: ``W1``, ``b1`` (conv), ``W2``, ``b2``, ``W3``, ``b3`` (affine), as in the book.
    """

    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size=100, output_size=10,
                 weight_init_std=0.01, rng=0, dtype=np.float32):
        p = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1, **(conv_param or {})}
        unknown = set(p) - {"filter_num", "filter_size", "pad", "stride"}
        if unknown:
            raise ValueError(f"conv_param has unknown keys {sorted(unknown)}; "
                             f"expected filter_num, filter_size, pad, stride")
        for name in ("filter_num", "filter_size", "stride"):
            positive_ints(f"conv_param['{name}']", p[name])
        positive_ints("hidden_size", hidden_size)
        positive_ints("output_size", output_size)
        self.conv_param = p
        # what decides the architecture (not rng, dtype, init): saved with the weights
        self.config = {"input_dim": list(input_dim), "conv_param": p, "hidden_size": hidden_size,
                       "output_size": output_size}
        b = _Builder(input_dim, rng, dtype, weight_init_std)
        b.conv(p["filter_num"], p["filter_size"], p["stride"], p["pad"], strict=False).add(Relu())
        if min(b.shape[1:]) < 2:
            raise ValueError(f"the convolution's output {b.shape[1:]} is too small for 2x2 pooling; "
                             f"use a smaller filter_size or stride, or a larger pad")
        b.pool(2, 2, strict=False)
        b.affine(hidden_size).add(Relu()).affine(output_size)
        super().__init__(b.layers)


class LeNet5(Sequential):
    """LeNet-5 (LeCun et al., 1998) for 28x28 digits, padded to the paper's 32x32 by the
    first convolution (``pad=2``): C1 6@5x5 - S2 - C3 16@5x5 - S4 - C5 120 - F6 84 - output 10.

    ``variant="paper"``: the paper's layers (:mod:`cnnlib.layers.lenet`): S2 and S4 are
    trainable subsampling (a coefficient and a bias per map), C3 follows the sparse
    connection table (Table I: 1,516 parameters), C5 is a 5x5 convolution, every
    activation is the scaled tanh 1.7159 tanh(2x/3), and the weights start uniform in
    +-2.4 / fan-in, as in the paper: 60,000 parameters before the output. The output
    layer is an Affine + softmax, not the paper's 10 RBF units (nor its loss).

    ``variant="classic"``: the form most courses call LeNet-5: tanh (or
    ``activation="sigmoid"``), parameter-free average pooling, C3 connected to all six
    S2 maps, Xavier initialization (61,706 parameters).

    ``variant="modern"``: the classic shapes with ReLU and max pooling, He initialization.
    """

    def __init__(self, variant="classic", input_dim=(1, 28, 28), output_size=10, activation=None,
                 rng=0, dtype=np.float32):
        if variant not in ("paper", "classic", "modern"):
            raise ValueError(f"variant must be 'paper', 'classic' or 'modern', got {variant!r}")
        if variant == "paper":
            if activation not in (None, "scaled_tanh"):
                raise ValueError(f"the paper's LeNet-5 uses activation='scaled_tanh', got {activation!r}")
            activation = "scaled_tanh"
        activation = activation or ("tanh" if variant == "classic" else "relu")
        act = {"tanh": Tanh, "sigmoid": Sigmoid, "relu": Relu, "scaled_tanh": ScaledTanh}.get(activation)
        if act is None or (act is ScaledTanh and variant != "paper"):
            raise ValueError(f"activation must be 'tanh', 'sigmoid' or 'relu', got {activation!r}")
        self.variant, self.activation = variant, activation
        self.config = {"variant": variant, "activation": activation, "input_dim": list(input_dim),
                       "output_size": output_size}
        if variant == "paper":
            super().__init__(_paper_lenet5(input_dim, output_size, rng, dtype))
            return
        pool_mode = "average" if variant == "classic" else "max"
        b = _Builder(input_dim, rng, dtype, "xavier" if act is not Relu else "he")
        b.conv(6, 5, pad=2).add(act()).pool(2, 2, pool_mode)      # C1, S2: 32 -> 28 -> 14
        b.conv(16, 5).add(act()).pool(2, 2, pool_mode)            # C3, S4: 14 -> 10 -> 5
        b.add(Flatten()).affine(120).add(act())                   # C5: a 5x5 conv on 5x5 maps = affine
        b.affine(84).add(act()).affine(output_size)               # F6, output
        super().__init__(b.layers)


def _paper_lenet5(input_dim, output_size, rng, dtype):
    """The layers of the paper's LeNet-5; weights uniform in +-2.4 / fan-in (the paper's
    section II-B), biases 0 (the paper does not say)."""
    b = _Builder(input_dim, rng, dtype, None)

    def uniform(shape, fan_in):  # fan_in: a number, or one per filter (FN, 1, 1, 1)
        return (b.rng.uniform(-1.0, 1.0, shape) * (2.4 / np.asarray(fan_in))).astype(b.dtype)

    def zeros(n):
        return np.zeros(n, b.dtype)

    C = b.shape[0]
    b.add(Convolution(uniform((6, C, 5, 5), C * 25), zeros(6), pad=2)).add(ScaledTanh())    # C1: 32 -> 28
    b.add(Subsampling(uniform(6, 4), zeros(6))).add(ScaledTanh())                            # S2: 28 -> 14
    fan_in = C3_TABLE.sum(axis=1)[:, None, None, None] * 25                                  # 75, 100 or 150
    b.add(SparseConvolution(uniform((16, 6, 5, 5), fan_in), zeros(16), C3_TABLE)).add(ScaledTanh())  # C3: 14 -> 10
    b.add(Subsampling(uniform(16, 4), zeros(16))).add(ScaledTanh())                          # S4: 10 -> 5
    b.add(Convolution(uniform((120, 16, 5, 5), 400), zeros(120))).add(ScaledTanh())           # C5: 5 -> 1
    b.add(Flatten()).add(Affine(uniform((120, 84), 120), zeros(84))).add(ScaledTanh())       # F6
    b.add(Affine(uniform((84, output_size), 84), zeros(output_size)))  # the paper: 10 RBF units
    return b.layers


class AlexNet(Sequential):
    """AlexNet (Krizhevsky, Sutskever & Hinton, 2012).

    ``variant="full"``: the 2012 architecture for 227x227x3 images and 1,000 classes:
    conv 96@11x11/4 - ReLU - LRN - max pool 3x3/2 (overlapping) - conv 256@5x5 pad 2 -
    ReLU - LRN - pool - conv 384@3x3 - conv 384@3x3 - conv 256@3x3 (ReLU after each) -
    pool - dropout - fc 4096 - ReLU - dropout - fc 4096 - ReLU - fc 1000. The paper split
    conv2, conv4 and conv5 across two GPUs (each half sees half the channels); this is
    the single-device version, so it has 62,378,344 parameters instead of about 61 million.

    ``variant="paper"``: the same layers with the paper's two-GPU split written as grouped
    convolutions (``groups=2`` for conv2, conv4 and conv5: each filter sees the 48, 192
    or 192 channels of its own GPU's half): 60,965,224 parameters, about 0.72 billion
    multiply-adds per image (the single-device version: 1.14 billion).

    ``variant="small"``: the same ideas scaled down to 28x28 or 32x32 images (e.g. MNIST,
    CIFAR-10): five 3x3/5x5 convolutions with ReLU, LRN, overlapping pooling, dropout.
    ``width`` scales the number of filters of the small variant.
    """

    def __init__(self, variant="full", input_dim=None, output_size=None, dropout=0.5, width=1.0,
                 rng=0, dtype=np.float32):
        if variant not in ("full", "paper", "small"):
            raise ValueError(f"variant must be 'full', 'paper' or 'small', got {variant!r}")
        self.variant = variant
        full = variant in ("full", "paper")
        if output_size is not None:
            positive_ints("output_size", output_size)
        if not (isinstance(width, (int, float, np.integer, np.floating)) and np.isfinite(width) and width > 0):
            raise ValueError(f"width must be a positive number (it scales the filters), got width = {width!r}")
        self.config = {"variant": variant, "input_dim": list(input_dim or ((3, 227, 227) if full else (1, 28, 28))),
                       "output_size": output_size or (1000 if full else 10), **({} if full else {"width": width})}
        if full:
            g = 2 if variant == "paper" else 1  # the two GPUs' halves
            b = _Builder(input_dim or (3, 227, 227), rng, dtype, "he")
            b.conv(96, 11, stride=4).add(Relu()).add(LRN()).pool(3, 2)
            b.conv(256, 5, pad=2, groups=g).add(Relu()).add(LRN()).pool(3, 2)
            b.conv(384, 3, pad=1).add(Relu()).conv(384, 3, pad=1, groups=g).add(Relu())
            b.conv(256, 3, pad=1, groups=g).add(Relu()).pool(3, 2)
            b.add(Flatten()).dropout(dropout).affine(4096).add(Relu())
            b.dropout(dropout).affine(4096).add(Relu()).affine(output_size or 1000)
        else:
            c1, c2, c3 = (max(1, round(width * n)) for n in (32, 64, 96))
            b = _Builder(input_dim or (1, 28, 28), rng, dtype, "he")
            # overlapping 3x3/2 pooling floors on these sizes (28 -> 13), as in PyTorch
            b.conv(c1, 5, pad=2).add(Relu()).add(LRN()).pool(3, 2, strict=False)
            b.conv(c2, 5, pad=2).add(Relu()).add(LRN()).pool(3, 2, strict=False)
            b.conv(c3, 3, pad=1).add(Relu()).conv(c3, 3, pad=1).add(Relu())
            b.conv(c2, 3, pad=1).add(Relu()).pool(3, 2, strict=False)
            b.add(Flatten()).dropout(dropout).affine(256).add(Relu())
            b.dropout(dropout).affine(256).add(Relu()).affine(output_size or 10)
        super().__init__(b.layers)


MODELS = {
    "simpleconvnet": lambda **kw: SimpleConvNet(**kw),
    "lenet5": lambda **kw: LeNet5("modern", **kw),
    "lenet5-classic": lambda **kw: LeNet5("classic", **kw),
    "lenet5-paper": lambda **kw: LeNet5("paper", **kw),
    "alexnet-small": lambda **kw: AlexNet("small", **kw),
}
