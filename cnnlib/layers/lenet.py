"""The layers of the paper's LeNet-5 (LeCun, Bottou, Bengio & Haffner, 1998) that later
networks dropped: trainable subsampling, a convolution with a sparse connection table,
and the scaled tanh.

- :class:`Subsampling`: ``out[c] = W[c] * (sum of a size x size window) + b[c]``, two
  parameters per channel (the paper's S2 and S4 layers);
- :class:`SparseConvolution`: a :class:`~cnnlib.layers.Convolution` whose filter f sees
  only the input channels that ``table[f]`` marks (the paper's C3, Table I);
- :class:`ScaledTanh`: ``A * tanh(S * x)`` with the paper's A = 1.7159, S = 2/3
  (Appendix A), so that f(1) = 1 and f(-1) = -1.

``C3_TABLE`` is the paper's Table I as a (16, 6) array of 0/1: row f lists the S2 maps
that C3 map f reads.
"""

import numpy as np

from .base import Layer, SameShape, as_float, check_float_array, check_ndim, check_number
from .conv import Convolution

__all__ = ["Subsampling", "SparseConvolution", "ScaledTanh", "C3_TABLE"]


def _c3_table():
    """Table I: maps 0-5 read 3 contiguous S2 maps, 6-11 four contiguous, 12-14 four
    discontinuous, 15 all six (contiguous wraps around: map 4 reads 4, 5, 0)."""
    rows = [[(f + i) % 6 for i in range(3)] for f in range(6)]
    rows += [[(f + i) % 6 for i in range(4)] for f in range(6)]
    rows += [[0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5], list(range(6))]
    table = np.zeros((16, 6), dtype=np.int8)
    for f, maps in enumerate(rows):
        table[f, maps] = 1
    return table


C3_TABLE = _c3_table()


class Subsampling(Layer):
    """Trainable subsampling: each ``size`` x ``size`` window (stride ``size``) is summed,
    multiplied by its channel's coefficient ``W[c]`` and shifted by its bias ``b[c]``.

    Args:
        W: coefficients, shape (C,).  b: biases, shape (C,).
        size: window side and stride (2 in LeNet-5); H and W must be divisible by it.

    ``forward``: x (N, C, H, W) -> (N, C, H/size, W/size). Unlike average pooling it
    learns a gain and an offset per channel: 2 * C parameters (S2: 12, S4: 32).
    """

    def __init__(self, W, b, size=2):
        super().__init__()
        check_float_array(W, (1,), "W", "(C,)")
        check_float_array(b, (1,), "b", "(C,)")
        if b.shape != W.shape:
            raise ValueError(f"b must have the shape of W {W.shape} (one per channel), got {b.shape}")
        if check_number(size, "size", integer=True) < 1:
            raise ValueError(f"size must be >= 1, got size = {size}")
        self.params = {"W": W, "b": b}
        self.size = int(size)

    def output_shape(self, input_shape):
        """(C, H/size, W/size); a ValueError if C does not match or size does not divide H, W."""
        C, H, W = input_shape
        if C != self.params["W"].shape[0]:
            raise ValueError(f"input has C = {C} channels but Subsampling has {self.params['W'].shape[0]} coefficients")
        if H % self.size or W % self.size:
            raise ValueError(f"Subsampling with size = {self.size} needs H and W divisible by {self.size}, "
                             f"got H = {H}, W = {W}")
        return C, H // self.size, W // self.size

    def macs(self, input_shape):
        """One multiplication per output (the coefficient); the window sums are additions,
        left out as for pooling."""
        return int(np.prod(self.output_shape(input_shape)))

    def forward(self, x, train=True):
        check_ndim(x, (4,), "x", "(N, C, H, W)")
        N = x.shape[0]
        C, OH, OW = self.output_shape(x.shape[1:])
        s = self.size
        sums = x.reshape(N, C, OH, s, OW, s).sum(axis=(3, 5))       # (N, C, OH, OW)
        out = sums * self.params["W"][:, None, None] + self.params["b"][:, None, None]
        return self._keep(out, sums=sums) if train else out

    def backward(self, dout):
        """dout (N, C, OH, OW) -> dx (N, C, H, W); fills grads W (C,) and b (C,)."""
        sums = self._kept(dout)["sums"]
        self.grads = {"W": (dout * sums).sum(axis=(0, 2, 3)), "b": dout.sum(axis=(0, 2, 3))}
        d = dout * self.params["W"][:, None, None]                  # every input of a window gets it
        s = self.size
        return np.repeat(np.repeat(d, s, axis=2), s, axis=3)


class SparseConvolution(Layer):
    """A convolution in which filter f sees only the input channels c with ``table[f, c] = 1``.

    It equals :class:`~cnnlib.layers.Convolution` with the weights ``W * mask`` (the mask
    is ``table`` spread over FH x FW): the forward pass uses the masked weights, so a
    masked weight changes nothing and its gradient is exactly 0; an optimizer leaves it 0.

    Args:
        W: filters (FN, C, FH, FW); entries outside the table are set to 0 (a copy).
        b: biases (FN,).
        table: (FN, C) array of 0/1, e.g. :data:`C3_TABLE`.
        stride, pad: as for Convolution.

    Parameters counted (``param_count``): the weights the table connects, plus the
    biases: C3 has 60 connected (f, c) pairs, 60 * 25 + 16 = 1,516.
    """

    def __init__(self, W, b, table, stride=1, pad=0):
        super().__init__()
        check_float_array(W, (4,), "W", "(FN, C, FH, FW)")
        table = np.asarray(table)
        if table.shape != W.shape[:2] or not np.isin(table, (0, 1)).all():
            raise ValueError(f"table must be an (FN, C) = {W.shape[:2]} array of 0 and 1, got shape {table.shape}")
        self.mask = np.broadcast_to(table.astype(W.dtype)[:, :, None, None], W.shape)
        self.conv = Convolution(W * self.mask, b, stride, pad)     # forward gives it W * mask
        self.params = {"W": W * self.mask, "b": b}
        self.table = table.astype(np.int8)

    def output_shape(self, input_shape):
        return self.conv.output_shape(input_shape)

    def param_count(self):
        """The trainable numbers: connected weights and biases (not the masked zeros)."""
        FH, FW = self.params["W"].shape[2:]
        return int(self.table.sum()) * FH * FW + self.params["b"].size

    def macs(self, input_shape):
        """Each output value is a dot product over the connected channels' windows only (what
        the network needs; this layer computes the full convolution, zeros included)."""
        FN, OH, OW = self.output_shape(input_shape)
        FH, FW = self.params["W"].shape[2:]
        return OH * OW * int(self.table.sum()) * FH * FW

    def forward(self, x, train=True):
        # the convolution computes with W * mask, and with whatever arrays params holds now
        self.conv.params = {"W": self.params["W"] * self.mask, "b": self.params["b"]}
        return self.conv.forward(x, train)

    def backward(self, dout):
        """dout (N, FN, OH, OW) -> dx (N, C, H, W); grads W (masked entries 0) and b."""
        dx = self.conv.backward(dout)
        self.grads = {"W": self.conv.grads["W"] * self.mask, "b": self.conv.grads["b"]}
        return dx


class ScaledTanh(SameShape):
    """``A * tanh(S * x)``, the paper's squashing function (A = 1.7159, S = 2/3, so f(±1) = ±1).

    ``backward``: ``dout * A * S * (1 - tanh(S x)**2)``. No parameters.
    """

    def __init__(self, A=1.7159, S=2 / 3):
        super().__init__()
        self.A, self.S = float(check_number(A, "A")), float(check_number(S, "S"))

    def forward(self, x, train=True):
        y = np.tanh(self.S * as_float(x))  # a Python float keeps float32 as float32 (NumPy 2)
        out = self.A * y
        return self._keep(out, y=y) if train else out

    def backward(self, dout):
        y = self._kept(dout)["y"]
        return dout * (self.A * self.S * (1 - y * y))
