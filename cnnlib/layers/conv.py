"""The convolution layer, through im2col (Deep Learning from Scratch, 7.4)."""

import numpy as np

from ..im2col import fold, unfold
from ..sizes import check_stride_pad, conv_output_size
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

    How: ``unfold`` copies every window of image n into a column of
    ``col[n]`` (C*FH*FW, OH*OW); then one matrix product per image,
    ``W (FN, C*FH*FW) @ col[n]``, gives the output, already in NCHW order. (The book
    uses ``im2col``'s transposed layout and transposes the result back; notebook 03
    builds that version and checks it against this one.)

    Memory: ``col`` is C*FH*FW times larger than the output of one filter. When it
    would exceed ``max_col_bytes``, the batch is processed in chunks of images, and
    ``col`` is rebuilt chunk by chunk in ``backward`` instead of being kept.

    ``need_dx``: set to False when nothing needs the gradient of the input (the first
    layer of a network: its input is the data); ``backward`` then returns None and
    skips a third of the work. :class:`cnnlib.Sequential` does this for you.
    """

    max_col_bytes = 256 * 2**20

    def __init__(self, W, b, stride=1, pad=0, strict=True):
        super().__init__()
        check_ndim(W, (4,), "W", "(FN, C, FH, FW)")
        check_ndim(b, (1,), "b", "(FN,)")
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape (FN,) = ({W.shape[0]},) to match W {W.shape}, got {b.shape}")
        self.params = {"W": W, "b": b}
        self.stride, self.pad, self.strict = stride, pad, strict
        self.need_dx = True
        check_stride_pad(stride, pad)  # fail early on bad numbers

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

    def _unfold(self, x):
        FH, FW = self.params["W"].shape[2:]
        return unfold(x, FH, FW, self.stride, self.pad)  # (n, C*FH*FW, OH*OW)

    def _chunks(self, N, col_bytes_per_image):
        """Slices of the batch whose ``col`` fits in ``max_col_bytes`` (at least one image each)."""
        limit = self.max_col_bytes
        size = N if limit is None else max(1, min(N, limit // max(col_bytes_per_image, 1)))
        return [slice(i, i + size) for i in range(0, N, size)]

    def forward(self, x, train=True):
        check_ndim(x, (4,), "x", "(N, C, H, W)")
        N = x.shape[0]
        FN, OH, OW = self.output_shape(x.shape[1:])
        W, b = self.params["W"], self.params["b"]
        W_mat = W.reshape(FN, -1)                                   # (FN, C*FH*FW)
        out = np.empty((N, FN, OH * OW), dtype=np.result_type(x, W))
        chunks = self._chunks(N, W_mat.shape[1] * OH * OW * out.itemsize)
        for chunk in chunks:
            col = self._unfold(x[chunk])                            # (n, C*FH*FW, OH*OW)
            np.matmul(W_mat, col, out=out[chunk])                   # (n, FN, OH*OW)
        out += b[:, None]
        # keep what backward needs: col if it came in one piece, else x to rebuild it
        self.x, self.col, self.chunks = x, (col if len(chunks) == 1 and train else None), chunks
        return out.reshape(N, FN, OH, OW)

    def backward(self, dout):
        """dout (N, FN, OH, OW) -> dx (N, C, H, W) (None if ``need_dx`` is False);
        fills grads W (FN, C, FH, FW) and b (FN,)."""
        W = self.params["W"]
        FN, C, FH, FW = W.shape
        N = dout.shape[0]
        W_mat = W.reshape(FN, -1)
        dout = dout.reshape(N, FN, -1)                              # (N, FN, OH*OW)
        dW = np.zeros(W_mat.shape, dtype=W.dtype)
        dx = np.empty(self.x.shape, dtype=dout.dtype) if self.need_dx else None
        for chunk in self.chunks:
            col = self.col if self.col is not None else self._unfold(self.x[chunk])
            # dW = sum over images of dout[n] @ col[n].T: each window, weighted by its output's gradient
            dW += np.matmul(dout[chunk], col.transpose(0, 2, 1)).sum(axis=0)
            if self.need_dx:
                dcol = np.matmul(W_mat.T, dout[chunk])              # (n, C*FH*FW, OH*OW)
                dx[chunk] = fold(dcol, dx[chunk].shape, FH, FW, self.stride, self.pad)
        self.grads = {"W": dW.reshape(W.shape), "b": dout.sum(axis=(0, 2))}
        return dx
