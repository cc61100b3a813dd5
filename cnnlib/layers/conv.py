"""The convolution layer, through im2col (Deep Learning from Scratch, 7.4)."""

import numpy as np

from ..sizes import check_stride_pad, conv_output_size, pair
from .base import Layer, check_float_array, check_ndim
from .columns import Columns

__all__ = ["Convolution"]


class Convolution(Layer):
    """2-D convolution (strictly: cross-correlation, as in every deep learning library).

    ``out[n, f, i, j] = sum(W[f] * window(n, i, j)) + b[f]``, the window of image n whose
    top-left corner is ``(i*SH, j*SW)`` of the padded input: equal to
    :class:`cnnlib.reference.BookConvolution` and to :func:`cnnlib.reference.conv_forward_loop`
    (``tests/test_conv_pool.py`` asserts both, forward and backward).

    Args:
        W: filters (FN, C/groups, FH, FW), as in PyTorch.  b: biases (FN,).
        stride, pad, dilation: ints or (h, w) pairs (see :func:`cnnlib.conv_output_size`).
        strict: sizes that do not divide raise ``ValueError`` (True) or floor (False).
        layout: the order of col's columns, "auto" (default), "batch_first" or "batch_last".
        groups: filter f sees only the C/groups channels of its group (C = groups: depthwise).

    ``forward``: x (N, C, H, W) -> (N, FN, OH, OW). Every window becomes a column of
    ``col`` (C*FH*FW, N*OH*OW) (im2col transposed: the book's ``col`` has a row per window),
    so that the product ``W (FN, C*FH*FW) @ col`` gives every output. ``backward``:
    ``dW = dout @ col.T``, ``dcol = W.T @ dout``, then col2im. How col is copied and
    multiplied fast (column order, one product per image or per group, chunks within
    ``max_col_bytes`` and the memory limit, one array reused from step to step) is
    :class:`~cnnlib.layers.columns.Columns`'.
    An inference forward keeps no col: a later ``backward`` rebuilds the last training
    forward's. ``need_dx = False`` (the first layer, see :class:`cnnlib.Sequential`) skips dx.
    """

    max_col_bytes = 256 * 2**20
    fresh_output = True  # forward's out is new and not kept (backward needs x and col)

    def __init__(self, W, b, stride=1, pad=0, strict=True, layout="auto", dilation=1, groups=1):
        super().__init__()
        check_float_array(W, (4,), "W", "(FN, C, FH, FW)")  # C: the channels of one group
        check_float_array(b, (1,), "b", "(FN,)")
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape (FN,) = ({W.shape[0]},) to match W {W.shape}, got {b.shape}")
        check_stride_pad(stride, pad, dilation)  # fail early on bad numbers
        if isinstance(groups, (tuple, list)):
            raise TypeError(f"groups must be an integer, got {groups!r}")
        groups = pair(groups, "groups", 1)[0]
        if W.shape[0] % groups:
            raise ValueError(f"the number of filters FN = {W.shape[0]} must be divisible by groups = {groups}")
        self.params = {"W": W, "b": b}
        self.stride, self.pad, self.strict = stride, pad, strict
        self.dilation, self.groups = dilation, groups
        self.need_dx = True
        self.columns = Columns((W.shape[0], W.shape[1] * groups) + W.shape[2:], stride, pad, layout, dilation,
                               groups)

    def output_shape(self, input_shape):
        """(FN, OH, OW) for an input of shape (C, H, W); raises ValueError if it does not fit."""
        C, H, W = input_shape
        FN, FC, FH, FW = self.params["W"].shape
        if C != FC * self.groups:
            grouping = f" ({FC} per group, groups = {self.groups})" if self.groups > 1 else ""
            raise ValueError(f"input has C = {C} channels but the filters W {self.params['W'].shape} "
                             f"expect C = {FC * self.groups}{grouping}")
        (SH, SW), (PH, PW), (DH, DW) = pair(self.stride, "stride"), pair(self.pad, "pad"), pair(self.dilation, "dilation")
        OH = conv_output_size(H, FH, SH, PH, DH, strict=self.strict)
        OW = conv_output_size(W, FW, SW, PW, DW, strict=self.strict)
        return FN, OH, OW

    def macs(self, input_shape):
        """Multiply-adds for one input (C, H, W): every output value is one window of its
        group's C/groups channels · one filter."""
        FN, OH, OW = self.output_shape(input_shape)
        return FN * OH * OW * self.params["W"][0].size

    def forward(self, x, train=True):
        check_ndim(x, (4,), "x", "(N, C, H, W)")
        FN, OH, OW = self.output_shape(x.shape[1:])
        W, b, G = self.params["W"], self.params["b"], self.groups
        dtype = np.result_type(x, W)    # col's too, not x's: backward writes dcol into it (uint8 images...)
        parts = self.columns.plan(len(x), (FN, OH, OW), dtype, self.max_col_bytes)  # chunks within the memory limit
        out = np.empty((len(x), FN, OH, OW), dtype=dtype)
        for part in parts:
            col = self.columns.unfold(x[part], out.dtype)           # im2col: a column per window
            self.columns.product(W.reshape(G, FN // G, -1), b, col, out[part])  # out = W @ col + b, in NCHW
        # backward needs col: kept if it came in one piece, else rebuilt from x part by part
        if train:
            return self._keep(out, x=x, col=col if len(parts) == 1 else None, parts=parts)
        saved = getattr(self, "_saved", None)
        if saved is not None:  # the last training forward's col lived in the workspace just reused:
            saved["col"] = None  # backward rebuilds it from that forward's x
        self.columns.release()
        return out

    def backward(self, dout):
        """dout (N, FN, OH, OW) -> dx (N, C, H, W) (None if ``need_dx`` is False);
        fills grads W (FN, C, FH, FW) and b (FN,)."""
        saved = self._kept(dout)
        x, W, G = saved["x"], self.params["W"], self.groups
        W_mat = W.reshape(G, W.shape[0] // G, -1)                   # (G, FN/G, C/G*FH*FW)
        dW, db = np.zeros(W_mat.shape, dtype=W.dtype), np.zeros(W.shape[0], dtype=W.dtype)
        dx = np.empty(x.shape, dtype=np.result_type(dout, W)) if self.need_dx else None  # floats, even for an integer dout
        col_dtype = np.result_type(x, W)  # as in forward
        for part in saved["parts"]:
            col = saved["col"] if saved["col"] is not None else self.columns.unfold(x[part], col_dtype)
            # dW = dout @ col.T (each window, weighted by its output's gradient), db = dout summed,
            # dcol = W.T @ dout (written into col's memory: col is done with)
            dW_part, db_part, dcol = self.columns.gradients(W_mat, dout[part], col, self.need_dx)
            dW += dW_part
            db += db_part
            if self.need_dx:
                saved["col"] = None                                 # (a second backward rebuilds it)
                dx[part] = self.columns.fold(dcol, dx[part].shape)  # col2im
        self.grads = {"W": dW.reshape(W.shape), "b": db}
        return dx
