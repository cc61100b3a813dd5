"""Max and average pooling (Deep Learning from Scratch, 7.4.4)."""

import numpy as np

from ..im2col import check_workspace, pad_images
from ..sizes import check_stride_pad, check_window_args, conv_output_size, pair
from .base import Layer, as_float, check_ndim

__all__ = ["Pooling"]


class Pooling(Layer):
    """Max or average of each ``pool_h x pool_w`` window, channel by channel.

    ``out[n, c, i, j] = max (or mean) of x[n, c]`` over the window whose top-left corner
    is ``(i*SH, j*SW)`` of the padded input: equal to :class:`cnnlib.reference.BookPooling`
    (max: the book's im2col and argmax) and to :func:`cnnlib.reference.pool_forward_loop` /
    ``pool_backward_loop``, ties included (``tests/test_conv_pool.py`` asserts it).

    Args:
        pool_h, pool_w: window size.
        stride: an int or an (h, w) pair; default the window's size, so that windows do
            not overlap (2 for 2x2, as in PyTorch and the book's current ``common/layers.py``).
        pad: an int or an (h, w) pair; max pooling pads with -inf (padding never wins),
            average pooling with zeros, which count in the mean (as in PyTorch).
        mode: ``"max"`` or ``"average"``.
        strict: sizes that do not divide raise ``ValueError`` (True) or floor (False).

    ``forward``: x (N, C, H, W) -> (N, C, OH, OW). A window's max (mean) is the max (mean)
    of its rows' maxima (means): forward pools along each row first, ``rows`` (N, C, H, OW),
    then down the columns of ``rows``. Each 1-D pooling takes one position p of the window
    at a time: p of every window is a strided view (``x[..., p::SW]``), so the max is built
    up view by view, with no copy and no ``col``. ``backward``: the mean spreads each
    window's gradient evenly; the max sends it all to the window's first maximum in reading
    order (its first row holding the max, that row's first: np.argmax's choice). Integer
    inputs are averaged and padded in float64. An inference forward keeps nothing: a later
    ``backward`` pools the last training forward's input again.
    """

    def __init__(self, pool_h, pool_w, stride=None, pad=0, mode="max", strict=True):
        super().__init__()
        if not isinstance(mode, str) or mode not in ("max", "average"):
            raise ValueError(f"mode must be 'max' or 'average', got mode = {mode!r}")
        for name, size in (("pool_h", pool_h), ("pool_w", pool_w)):
            check_window_args(size, 1, 1, 0, dim=name)  # a window size >= 1
        if stride is None:  # the window's size: windows side by side, as in PyTorch
            stride = pool_h if pool_h == pool_w else (pool_h, pool_w)
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad
        self.mode, self.strict = mode, strict
        check_stride_pad(stride, pad)  # fail early on bad numbers
        PH, PW = pair(pad, "pad")
        if mode == "max" and (2 * PH > pool_h or 2 * PW > pool_w):
            # a window made only of padding would output -inf (PyTorch refuses this too)
            raise ValueError(f"pad = {pad} is too large for a {pool_h}x{pool_w} max pooling window: "
                             f"use pad <= {min(pool_h, pool_w) // 2}" if PH == PW else
                             f"pad = {pad} is too large for a {pool_h}x{pool_w} max pooling window: "
                             f"use pad <= ({pool_h // 2}, {pool_w // 2})")

    def output_shape(self, input_shape):
        """(C, OH, OW) for an input of shape (C, H, W)."""
        C, H, W = input_shape
        (SH, SW), (PH, PW) = pair(self.stride, "stride"), pair(self.pad, "pad")
        OH = conv_output_size(H, self.pool_h, SH, PH, strict=self.strict)
        OW = conv_output_size(W, self.pool_w, SW, PW, strict=self.strict)
        return C, OH, OW

    def forward(self, x, train=True):
        check_ndim(x, (4,), "x", "(N, C, H, W)")
        C, OH, OW = self.output_shape(x.shape[1:])
        PH, PW = pair(self.pad, "pad")
        if self.mode == "average" or (PH, PW) != (0, 0):
            x = as_float(x)  # integers: a sum of uint8 wraps around, and -inf padding has no integer
        N, Hp, Wp = x.shape[0], x.shape[2] + 2 * PH, x.shape[3] + 2 * PW
        padded = Hp * Wp if (PH, PW) != (0, 0) else 0
        check_workspace(N * C * (Hp * OW + OH * OW + padded) * x.itemsize,
                        f"Pooling's output ({N}, {C}, {OH}, {OW}) and pooled rows ({N}, {C}, {Hp}, {OW})",
                        f"pass fewer images at a time (N = {N})")
        x = pad_images(x, self.pad, value=-np.inf if self.mode == "max" else 0.0)  # padding never wins a max
        rows, out = self._pool(x, OH, OW)
        if train:
            return self._keep(out, x=x, rows=rows, out=out)
        saved = getattr(self, "_saved", None)
        if saved is not None:  # inference keeps nothing big: a later backward pools the last
            saved.update(rows=None, out=None)  # training input again
        return out

    def _pool(self, x, OH, OW):
        """The padded x's pooled rows, (N, C, Hp, OW), and output (N, C, OH, OW)."""
        SH, SW = pair(self.stride, "stride")
        rows = _pool_along(x, self.pool_w, SW, OW, 3, self.mode)     # every row's windows
        return rows, _pool_along(rows, self.pool_h, SH, OH, 2, self.mode)  # then down the columns of rows

    def backward(self, dout):
        """dout (N, C, OH, OW) -> dx (N, C, H, W): back through forward's two poolings."""
        saved = self._kept(dout)
        (SH, SW), (PH, PW) = pair(self.stride, "stride"), pair(self.pad, "pad")
        x, rows, out = saved["x"], saved["rows"], saved["out"]                 # x is padded
        if rows is None:                                                       # see forward
            rows, out = self._pool(x, *dout.shape[2:])
        drows = _unpool_along(rows, out, dout, self.pool_h, SH, 2, self.mode)
        dx = _unpool_along(x, rows, drows, self.pool_w, SW, 3, self.mode)
        return dx[:, :, PH:dx.shape[2] - PH, PW:dx.shape[3] - PW]


def _positions(size, stride, count, axis):
    """For each position p in a 1-D window of ``size`` along ``axis`` (2 or 3): the slice that
    selects it in all ``count`` windows, ``stride`` apart: ``p, p + stride, ...``."""
    before = (slice(None),) * axis
    return [before + (slice(p, p + stride * (count - 1) + 1, stride),) for p in range(size)]


def _pool_along(x, size, stride, count, axis, mode):
    """Max or mean of ``count`` windows of ``size`` numbers along one axis of x (N, C, H, W),
    built up position by position, in place."""
    views = [x[s] for s in _positions(size, stride, count, axis)]
    out = views[0].copy()
    for view in views[1:]:
        (np.maximum if mode == "max" else np.add)(out, view, out=out)
    return out if mode == "max" else np.divide(out, size, out=out)


def _unpool_along(x, out, dout, size, stride, axis, mode):
    """The gradient of :func:`_pool_along` for its input x, given its output ``out`` and
    ``dout`` (out's shape): each window's ``dout`` spread evenly (mean) or all to the
    window's first maximum (max; a window holding a NaN: to its last position)."""
    positions = _positions(size, stride, dout.shape[axis], axis)
    dtype = np.result_type(dout, 1.0)                  # floats, even for an integer dout
    if stride > size:                                  # gaps between the windows get no gradient
        dx = np.zeros(x.shape, dtype)
    else:  # positions 0..stride-1 write every input before stride*count: zero only the rest
        dx = np.empty(x.shape, dtype)
        dx[(slice(None),) * axis + (slice(stride * dout.shape[axis], None),)] = 0
    share = np.divide(dout, size, dtype=dtype) if mode == "average" else dout
    reached = None                     # max: windows whose max an earlier position holds
    for p, s in enumerate(positions):
        gets = True                    # which windows send their gradient to position p: all (mean)
        if mode == "max" and p < size - 1:
            now = x[s] == out
            gets = now if reached is None else now & ~reached   # the first maximum only
            reached = now if reached is None else reached | now
        elif mode == "max" and reached is not None:
            gets = ~reached                                     # the last position: the rest
        if p < stride:
            np.multiply(share, gets, out=dx[s])   # the first position to reach these inputs: write
        else:
            dx[s] += share * gets                 # windows overlap here (3x3 pooling with stride 2...)
    return dx
