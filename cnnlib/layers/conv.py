"""The convolution layer, through im2col (Deep Learning from Scratch, 7.4)."""

from ..im2col import col2im, im2col
from ..sizes import check_window_args, conv_output_size
from .base import Layer, check_ndim

__all__ = ["Convolution"]


class Convolution(Layer):
    """2-D convolution (strictly: cross-correlation, as in every deep learning library).

    Args:
        W: filters, shape (FN, C, FH, FW).
        b: biases, shape (FN,).
        stride, pad: see :func:`cnnlib.conv_output_size`.
        strict: if True, sizes that do not divide raise ``ValueError``; if False floor
            like PyTorch.

    ``forward(x)``: x (N, C, H, W) -> out (N, FN, OH, OW) with
    ``OH = (H + 2*pad - FH) / stride + 1`` and ``OW = (W + 2*pad - FW) / stride + 1``.
    """

    def __init__(self, W, b, stride=1, pad=0, strict=True):
        super().__init__()
        check_ndim(W, (4,), "W", "(FN, C, FH, FW)")
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape (FN,) = ({W.shape[0]},) to match W {W.shape}, got {b.shape}")
        self.params = {"W": W, "b": b}
        self.stride, self.pad, self.strict = stride, pad, strict
        check_window_args(W.shape[2], W.shape[2], stride, pad, dim="filter")  # fail early on bad numbers

    def output_shape(self, input_shape):
        """(FN, OH, OW) for an input of shape (C, H, W); raises ValueError if it does not fit."""
        C, H, W = input_shape
        FN, FC, FH, FW = self.params["W"].shape
        if C != FC:
            raise ValueError(f"input has C = {C} channels but the filters W {self.params['W'].shape} "
                             f"expect C = {FC}")
        OH = conv_output_size(H, FH, self.stride, self.pad, self.strict)
        OW = conv_output_size(W, FW, self.stride, self.pad, self.strict)
        return FN, OH, OW

    def forward(self, x, train=True):
        check_ndim(x, (4,), "x", "(N, C, H, W)")
        N = x.shape[0]
        FN, OH, OW = self.output_shape(x.shape[1:])
        W, b = self.params["W"], self.params["b"]
        self.x_shape = x.shape
        self.col = im2col(x, W.shape[2], W.shape[3], self.stride, self.pad)  # (N*OH*OW, C*FH*FW)
        self.col_W = W.reshape(FN, -1).T                                      # (C*FH*FW, FN)
        out = self.col @ self.col_W + b                                       # (N*OH*OW, FN)
        return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        """dout (N, FN, OH, OW) -> dx (N, C, H, W); fills grads W (FN, C, FH, FW) and b (FN,)."""
        W = self.params["W"]
        FN, C, FH, FW = W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)                     # (N*OH*OW, FN)
        self.grads = {"W": (self.col.T @ dout).T.reshape(W.shape), "b": dout.sum(axis=0)}
        dcol = dout @ self.col_W.T                                            # (N*OH*OW, C*FH*FW)
        return col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)
