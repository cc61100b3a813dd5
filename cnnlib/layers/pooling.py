"""Max and average pooling (Deep Learning from Scratch, 7.4.4)."""

import numpy as np

from ..im2col import col2im, im2col, pad_images
from ..sizes import check_window_args, conv_output_size
from .base import Layer, check_ndim

__all__ = ["Pooling"]


class Pooling(Layer):
    """Max or average pooling over ``pool_h x pool_w`` windows, channel by channel.

    Args:
        pool_h, pool_w: window size.
        stride: step between windows (the book's default is 1; 2x2 pooling usually
            has stride 2).
        pad: padding on each side (max pooling pads with -inf so padding never wins;
            average pooling pads with zeros, which count in the mean, like PyTorch).
        mode: ``"max"`` or ``"average"``.
        strict: if True, sizes that do not divide raise ``ValueError``; if False floor
            like PyTorch.

    ``forward(x)``: x (N, C, H, W) -> out (N, C, OH, OW). No parameters.
    """

    def __init__(self, pool_h, pool_w, stride=1, pad=0, mode="max", strict=True):
        super().__init__()
        if mode not in ("max", "average"):
            raise ValueError(f"mode must be 'max' or 'average', got mode = {mode!r}")
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad
        self.mode, self.strict = mode, strict
        check_window_args(pool_h, pool_h, stride, pad, dim="pool_h")  # fail early on bad numbers
        check_window_args(pool_w, pool_w, stride, pad, dim="pool_w")

    def output_shape(self, input_shape):
        """(C, OH, OW) for an input of shape (C, H, W)."""
        C, H, W = input_shape
        OH = conv_output_size(H, self.pool_h, self.stride, self.pad, self.strict)
        OW = conv_output_size(W, self.pool_w, self.stride, self.pad, self.strict)
        return C, OH, OW

    def forward(self, x, train=True):
        check_ndim(x, (4,), "x", "(N, C, H, W)")
        N = x.shape[0]
        C, OH, OW = self.output_shape(x.shape[1:])
        self.x_shape = x.shape
        # max pooling pads with -inf, so that padding is never the maximum
        x = pad_images(x, self.pad, value=-np.inf if self.mode == "max" else 0.0)
        self.padded_shape = x.shape
        # one row per (n, oh, ow, c) window
        col = im2col(x, self.pool_h, self.pool_w, self.stride).reshape(-1, self.pool_h * self.pool_w)
        if self.mode == "max":
            self.arg_max = col.argmax(axis=1)
            out = col[np.arange(col.shape[0]), self.arg_max]
        else:
            out = col.mean(axis=1)
        return out.reshape(N, OH, OW, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        """dout (N, C, OH, OW) -> dx (N, C, H, W)."""
        N, C, OH, OW = dout.shape
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1).reshape(-1)             # (N*OH*OW*C,)
        if self.mode == "max":
            dcol = np.zeros((dout.size, size), dtype=dout.dtype)
            dcol[np.arange(dout.size), self.arg_max] = dout       # only the max saw the input
        else:
            dcol = np.repeat(dout[:, None] / size, size, axis=1)  # the mean spreads evenly
        dx = col2im(dcol.reshape(N * OH * OW, C * size), self.padded_shape, self.pool_h, self.pool_w, self.stride)
        H, W = self.x_shape[2:]
        return dx[:, :, self.pad:self.pad + H, self.pad:self.pad + W]
