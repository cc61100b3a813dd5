"""The convolution layer, through im2col (Deep Learning from Scratch, 7.4)."""

import numpy as np

from ..im2col import fold, fold_batch_last, unfold, unfold_batch_last
from ..sizes import check_stride_pad, conv_output_size
from .base import Layer, check_ndim

__all__ = ["Convolution"]

LAYOUTS = ("auto", "batch_first", "batch_last")
# (N, FN, OH, OW) -> (FN, ...) in the order of col's columns: (n, oh, ow) or (oh, ow, n)
COLUMN_ORDER = {"batch_first": (1, 0, 2, 3), "batch_last": (1, 2, 3, 0)}


class Convolution(Layer):
    """2-D convolution (strictly: cross-correlation, as in every deep learning library).

    Args:
        W: filters, shape (FN, C, FH, FW).
        b: biases, shape (FN,).
        stride, pad: see :func:`cnnlib.conv_output_size`.
        strict: if True, sizes that do not divide raise ``ValueError``; if False floor
            like PyTorch.
        layout: the order of ``col``'s columns, ``"batch_first"``, ``"batch_last"``,
            or ``"auto"`` (the default) to pick the faster one (below). Same results.

    ``forward(x)``: x (N, C, H, W) -> out (N, FN, OH, OW) with
    ``OH = (H + 2*pad - FH) / stride + 1`` and ``OW = (W + 2*pad - FW) / stride + 1``.

    How: copy every window of the batch into a column of a matrix ``col``
    ``(C*FH*FW, N*OH*OW)`` (im2col, transposed), then one matrix product
    ``W (FN, C*FH*FW) @ col`` computes every output at once, ``(FN, N*OH*OW)``, which
    goes back to NCHW with the bias added on the way. (The book's ``col`` is the
    transpose of this one, a row per window, so it computes ``col @ W.T``; notebook 03
    builds that version and checks it against this one.) Two orders of the columns:

    - ``"batch_first"`` (:func:`cnnlib.im2col.unfold`): image by image, ``(n, oh, ow)``,
      so a copy moves rows of ``OW`` numbers;
    - ``"batch_last"`` (:func:`cnnlib.im2col.unfold_batch_last`): ``(oh, ow, n)``, the
      images side by side. With stride 1, every copy then moves runs of ``OW*N``
      numbers instead of ``OW``; but x and dx must be transposed to and from it.

    ``"auto"`` takes ``"batch_last"`` when the stride is 1 and ``col`` has more than
    twice as many rows as the output has channels (``C*FH*FW > 2*FN``): then the
    transposes cost less than what they save (measured in
    ``benchmarks/bench_performance.py``).

    Memory: ``col`` is C*FH*FW times larger than the output of one filter. When it
    would exceed ``max_col_bytes``, the batch is processed in chunks of images, and
    ``col`` is rebuilt chunk by chunk in ``backward`` instead of being kept. The layer
    reuses one ``col``-sized array from training step to training step (a fresh one of
    tens of MB costs the operating system's page faults every step), and ``backward``
    writes ``dcol`` into it once ``dW`` is done. ``forward(x, train=False)`` lets it go.

    ``need_dx``: set to False when nothing needs the gradient of the input (the first
    layer of a network: its input is the data); ``backward`` then returns None and
    skips a third of the work. :class:`cnnlib.Sequential` does this for you.
    """

    max_col_bytes = 256 * 2**20

    def __init__(self, W, b, stride=1, pad=0, strict=True, layout="auto"):
        super().__init__()
        check_ndim(W, (4,), "W", "(FN, C, FH, FW)")
        check_ndim(b, (1,), "b", "(FN,)")
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape (FN,) = ({W.shape[0]},) to match W {W.shape}, got {b.shape}")
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got layout = {layout!r}")
        self.params = {"W": W, "b": b}
        self.stride, self.pad, self.strict, self.layout = stride, pad, strict, layout
        self.need_dx = True
        self.workspace = None  # the col-sized array reused from step to step
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

    @property
    def batch_last(self):
        """True if this layer orders ``col``'s columns batch last (see the class docstring)."""
        if self.layout != "auto":
            return self.layout == "batch_last"
        FN, C, FH, FW = self.params["W"].shape
        return self.stride == 1 and C * FH * FW > 2 * FN

    def _column_order(self):
        """The transpose from (N, FN, OH, OW) to (FN, ...) in the order of ``col``'s columns."""
        return COLUMN_ORDER["batch_last" if self.batch_last else "batch_first"]

    def _unfold(self, x):
        """col of the images x: (C*FH*FW, n*OH*OW), columns in this layer's order."""
        FN, C, FH, FW = self.params["W"].shape
        _, OH, OW = self.output_shape(x.shape[1:])
        size = x.shape[0] * C * FH * FW * OH * OW
        dtype = np.result_type(x, self.params["W"])  # not x's: backward writes dcol into it (uint8 images...)
        if self.workspace is None or self.workspace.size < size or self.workspace.dtype != dtype:
            self.workspace = np.empty(size, dtype=dtype)
        unfold_fn = unfold_batch_last if self.batch_last else unfold
        return unfold_fn(x, FH, FW, self.stride, self.pad, out=self.workspace[:size])

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
        order = self._column_order()
        out = np.empty((N, FN, OH, OW), dtype=np.result_type(x, W))
        chunks = self._chunks(N, W_mat.shape[1] * OH * OW * out.itemsize)
        for chunk in chunks:
            col = self._unfold(x[chunk])
            # a view of out in col's column order, (FN, n, OH, OW) or (FN, OH, OW, n):
            # writing it fills out, NCHW
            out_cols = out[chunk].transpose(order)
            # one product for the chunk; the bias is added on the way back to NCHW
            np.add((W_mat @ col).reshape(out_cols.shape), b[:, None, None, None], out=out_cols)
        # keep what backward needs: col if it came in one piece, else x to rebuild it
        self.x, self.col, self.chunks = x, (col if len(chunks) == 1 and train else None), chunks
        if not train:
            self.workspace = None  # inference keeps no col-sized memory between calls
        return out

    def backward(self, dout):
        """dout (N, FN, OH, OW) -> dx (N, C, H, W) (None if ``need_dx`` is False);
        fills grads W (FN, C, FH, FW) and b (FN,)."""
        W = self.params["W"]
        FN, C, FH, FW = W.shape
        W_mat = W.reshape(FN, -1)
        order = self._column_order()
        dW = np.zeros(W_mat.shape, dtype=W.dtype)
        db = np.zeros(FN, dtype=W.dtype)
        dx = np.empty(self.x.shape, dtype=dout.dtype) if self.need_dx else None
        for chunk in self.chunks:
            col = self.col if self.col is not None else self._unfold(self.x[chunk])
            d = np.ascontiguousarray(dout[chunk].transpose(order)).reshape(FN, -1)  # (FN, n*OH*OW), col's order
            dW += d @ col.T         # each window, weighted by its output's gradient, over the batch
            db += d @ np.ones(d.shape[1], dtype=d.dtype)  # each row's sum: BLAS is faster than d.sum(axis=1)
            if self.need_dx:
                dcol = np.matmul(W_mat.T, d, out=col)               # col is done with: reuse its memory
                self.col = None                                     # (a second backward rebuilds it)
                fold_fn = fold_batch_last if self.batch_last else fold
                dx[chunk] = fold_fn(dcol, dx[chunk].shape, FH, FW, self.stride, self.pad)
        self.grads = {"W": dW.reshape(W.shape), "b": db}
        return dx
