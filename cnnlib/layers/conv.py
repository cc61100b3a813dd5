"""The convolution layer, through im2col (Deep Learning from Scratch, 7.4)."""

import numpy as np

from ..sizes import check_stride_pad, conv_output_size
from .base import Layer, check_ndim
from .columns import Columns

__all__ = ["Convolution"]


class Convolution(Layer):
    """2-D convolution (strictly: cross-correlation, as in every deep learning library).

    ``out[n, f, i, j] = sum(W[f] * window(n, i, j)) + b[f]``, the window of image n whose
    top-left corner is ``(i*stride, j*stride)`` of the padded input: equal to
    :class:`cnnlib.reference.BookConvolution` and to the loops of
    :func:`cnnlib.reference.conv_forward_loop` (``tests/test_conv_pool.py`` asserts both).

    Args:
        W: filters, shape (FN, C, FH, FW).  b: biases, shape (FN,).
        stride, pad: see :func:`cnnlib.conv_output_size`.
        strict: if True, sizes that do not divide raise ``ValueError``; if False floor
            like PyTorch.
        layout: the order of ``col``'s columns, ``"batch_first"``, ``"batch_last"`` or
            ``"auto"`` (see :class:`cnnlib.layers.columns.Columns`). Same results.

    ``forward(x)``: x (N, C, H, W) -> out (N, FN, OH, OW), ``OH = (H + 2*pad - FH) / stride + 1``.
    Every window becomes a column of ``col`` (C*FH*FW, N*OH*OW) (im2col, transposed: the
    book's ``col`` has a row per window and computes ``col @ W.T``), so that one product
    ``W (FN, C*FH*FW) @ col`` gives every output at once. ``backward`` goes back the same
    way: ``dW = dout @ col.T``, ``dcol = W.T @ dout``, then col2im. How the columns are
    copied fast (their order, chunks when ``col`` would exceed ``max_col_bytes``, one
    array reused from step to step) is :class:`~cnnlib.layers.columns.Columns`' business.

    ``need_dx = False`` (set by :class:`cnnlib.Sequential` for its first layer, whose input
    is the data) skips the input's gradient: ``backward`` then returns None.
    """

    max_col_bytes = 256 * 2**20

    def __init__(self, W, b, stride=1, pad=0, strict=True, layout="auto"):
        super().__init__()
        check_ndim(W, (4,), "W", "(FN, C, FH, FW)")
        check_ndim(b, (1,), "b", "(FN,)")
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape (FN,) = ({W.shape[0]},) to match W {W.shape}, got {b.shape}")
        check_stride_pad(stride, pad)  # fail early on bad numbers
        self.params = {"W": W, "b": b}
        self.stride, self.pad, self.strict = stride, pad, strict
        self.need_dx = True
        self.columns = Columns(W.shape, stride, pad, layout)

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

    def macs(self, input_shape):
        """Multiply-adds for one input (C, H, W): every output value is one window · one filter."""
        FN, OH, OW = self.output_shape(input_shape)
        return FN * OH * OW * self.params["W"][0].size

    def forward(self, x, train=True):
        check_ndim(x, (4,), "x", "(N, C, H, W)")
        FN, OH, OW = self.output_shape(x.shape[1:])
        W, b = self.params["W"], self.params["b"]
        out = np.empty((len(x), FN, OH, OW), dtype=np.result_type(x, W))
        # col takes W's dtype, not x's: backward writes dcol into its memory (uint8 images...)
        parts = self.columns.chunks(len(x), W[0].size * OH * OW * out.itemsize, self.max_col_bytes)
        for part in parts:
            col = self.columns.unfold(x[part], out.dtype)           # im2col: a column per window
            self.columns.to_nchw(W.reshape(FN, -1) @ col, b, out[part])  # one product; + b, to NCHW
        # backward needs col: kept if it came in one piece, else rebuilt from x part by part
        self.x, self.col, self.parts = x, (col if len(parts) == 1 and train else None), parts
        if not train:
            self.columns.release()
        return out

    def backward(self, dout):
        """dout (N, FN, OH, OW) -> dx (N, C, H, W) (None if ``need_dx`` is False);
        fills grads W (FN, C, FH, FW) and b (FN,)."""
        W = self.params["W"]
        W_mat = W.reshape(W.shape[0], -1)                           # (FN, C*FH*FW)
        dW, db = np.zeros(W_mat.shape, dtype=W.dtype), np.zeros(W.shape[0], dtype=W.dtype)
        dx = np.empty(self.x.shape, dtype=dout.dtype) if self.need_dx else None
        col_dtype = np.result_type(self.x, W)  # as in forward
        for part in self.parts:
            col = self.col if self.col is not None else self.columns.unfold(self.x[part], col_dtype)
            d = self.columns.from_nchw(dout[part])                  # (FN, n*OH*OW), col's order
            dW += d @ col.T              # each window, weighted by its output's gradient
            db += d @ np.ones(d.shape[1], dtype=d.dtype)            # row sums (BLAS beats d.sum(1))
            if self.need_dx:
                dcol = np.matmul(W_mat.T, d, out=col)               # col is done with: reuse its memory
                self.col = None                                     # (a second backward rebuilds it)
                dx[part] = self.columns.fold(dcol, dx[part].shape)  # col2im
        self.grads = {"W": dW.reshape(W.shape), "b": db}
        return dx
