"""Fully-connected pieces: Affine, Flatten, Dropout."""

import math

import numpy as np

from ..im2col import check_workspace
from .base import Layer, SameShape, as_float, check_float_array, check_number, check_real

__all__ = ["Affine", "Flatten", "Dropout"]


class Affine(Layer):
    """Fully-connected layer ``out = x @ W + b``.

    Args:
        W: weights, shape (D, M).
        b: bias, shape (M,).

    ``forward`` accepts ``x`` of shape (N, D) or (N, C, H, W) with ``C*H*W == D``
    (it flattens, and ``backward`` returns ``dx`` in the original shape).
    """

    fresh_output = True  # forward's out is new and not kept (backward needs x)

    def __init__(self, W, b):
        super().__init__()
        check_float_array(W, (2,), "W", "(D, M)")
        check_float_array(b, (1,), "b", "(M,)")
        if b.shape != (W.shape[1],):
            raise ValueError(f"b must have shape (M,) = ({W.shape[1]},) to match W {W.shape}, got {b.shape}")
        self.params = {"W": W, "b": b}

    def output_shape(self, input_shape):
        """(M,) for one sample of D = prod(input_shape) features."""
        D = self.params["W"].shape[0]
        if int(np.prod(input_shape)) != D:
            raise ValueError(f"Affine expects {D} input features (W has shape {self.params['W'].shape}), "
                             f"got input shape {tuple(input_shape)} = {int(np.prod(input_shape))} features")
        return (self.params["W"].shape[1],)

    def macs(self, input_shape):
        """D * M multiply-adds per sample: each output is one row of x times one column of W."""
        return self.params["W"].size

    def forward(self, x, train=True):
        if not isinstance(x, np.ndarray) or x.ndim < 2:
            raise ValueError(f"x must be an array of shape (N, D) or (N, C, H, W), got shape {np.shape(x)}")
        check_real(x)
        N = x.shape[0]
        (M,) = self.output_shape(x.shape[1:])  # clear error if the feature count is wrong
        check_workspace(N * M * np.result_type(x, self.params["W"]).itemsize, f"Affine's output ({N}, {M})",
                        f"pass fewer samples at a time (N = {N})")
        x2 = x.reshape(N, math.prod(x.shape[1:]))   # (not -1: an empty batch, N = 0, has no -1 to infer)
        out = x2 @ self.params["W"] + self.params["b"]
        return self._keep(out, x2=x2, x_shape=x.shape) if train else out

    def backward(self, dout):
        saved = self._kept(dout)
        self.grads = {"W": saved["x2"].T @ dout, "b": dout.sum(axis=0)}
        return (dout @ self.params["W"].T).reshape(saved["x_shape"])


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W); backward restores the shape."""

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, train=True):
        out = x.reshape(x.shape[0], math.prod(x.shape[1:]))   # (N = 0 too)
        return self._keep(out, x_shape=x.shape) if train else out

    def backward(self, dout):
        return dout.reshape(self._kept(dout)["x_shape"])


class Dropout(SameShape):
    """Inverted dropout: during training zero each unit with probability ``ratio`` and
    scale the survivors by ``1 / (1 - ratio)``, so that at inference (``train=False``)
    the layer is the identity.

    Args:
        ratio: drop probability, 0 <= ratio < 1 (the book's keyword ``dropout_ratio`` works too).
        rng: ``np.random.Generator`` or seed for the masks.

    The book's Dropout scales at inference instead (``x * (1 - ratio)``); both give the
    same expected output, but weights trained with one do not transfer to the other.
    ``forward(x, train_flg=...)``, the book's keyword, is ``forward(x, train=...)``.
    """

    def __init__(self, ratio=0.5, rng=None, *, dropout_ratio=None):
        super().__init__()
        if dropout_ratio is not None:
            if ratio != 0.5:
                raise TypeError(f"give ratio or dropout_ratio (the book's name), not both: "
                                f"ratio = {ratio}, dropout_ratio = {dropout_ratio}")
            ratio = dropout_ratio
        check_number(ratio, "ratio")
        if not 0 <= ratio < 1:
            raise ValueError(f"ratio must be in [0, 1), got ratio = {ratio}")
        self.ratio = ratio
        self.rng = np.random.default_rng(rng)

    def forward(self, x, train=True, *, train_flg=None):
        train = train if train_flg is None else train_flg
        if not train:
            return x
        if self.ratio == 0:
            return self._keep(x, scale=None)
        x = as_float(x)  # integer inputs: a float scale (an integer 1 / (1 - ratio) would be 0 or 1)
        keep = self.rng.random(x.shape) >= self.ratio
        scale = keep.astype(x.dtype) / x.dtype.type(1 - self.ratio)
        return self._keep(x * scale, scale=scale)

    def backward(self, dout):
        scale = self._kept(dout)["scale"]
        return dout if scale is None else dout * scale
