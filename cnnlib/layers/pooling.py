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

    ``forward``: x (N, C, H, W) -> (N, C, OH, OW). It takes one position p of the window at a
    time: p of every window is a strided view (``x[..., p::SW]``), so the max is built up
    view by view, with no copy and no ``col``. Windows that overlap (3x3, stride 2) go in
    two steps, fewer views: a window's max (mean) is the max (mean) of its rows' maxima, so
    forward pools along each row, ``rows`` (N, C, H, OW), then down the columns of ``rows``.
    ``backward``: the mean spreads each window's gradient evenly; the max sends it all to
    the window's first maximum in reading order (np.argmax's choice, ties included). Integer
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
        last = self._overlap() and OW < 8 <= C  # overlapping windows, short rows: channels last (see _pool)
        copies = Hp * Wp * (((PH, PW) != (0, 0)) + last)        # padded, transposed
        if self._overlap():
            need, what = Hp * OW + OH * OW, f"output ({N}, {C}, {OH}, {OW}) and pooled rows ({N}, {C}, {Hp}, {OW})"
        else:
            kept = self.pool_h * self.pool_w if train and self.mode == "max" else 1   # the running maxima
            need = kept * OH * OW
            what = f"running maxima and output ({N}, {C}, {OH}, {OW}) times {kept}" if kept > 1 else \
                f"output ({N}, {C}, {OH}, {OW})"
        check_workspace(N * C * (need + copies) * x.itemsize, f"Pooling's {what}", f"pass fewer images at a time (N = {N})")
        x = pad_images(x, self.pad, value=-np.inf if self.mode == "max" else 0.0)  # padding never wins a max
        if last:
            x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
        rows, maxima = self._pool(x, OH, OW, last, keep=train)
        out = maxima[-1]
        result = np.ascontiguousarray(out.transpose(0, 3, 1, 2)) if last else out
        if train:
            return self._keep(result, x=x, rows=rows, maxima=maxima, last=last)
        saved = getattr(self, "_saved", None)
        if saved is not None:  # inference keeps nothing big: a later backward pools the last
            saved.update(rows=None, maxima=None)  # training input again
        return result

    def _pool(self, x, OH, OW, last, keep):
        """The padded x's pooled rows (N, C, Hp, OW) and ``maxima``, whose last is the output
        (N, C, OH, OW); or, ``last``, of x (N, Hp, Wp, C) with the channels last: (N, Hp, OW, C)
        and (N, OH, OW, C). NumPy's loops run along the last axis and take time to start: for
        images of a few pixels (AlexNet's 13x13) rows of C numbers are faster than rows of OW,
        for overlapping windows (more passes than the transposes cost). Windows side by side
        (2x2, stride 2) take one step over the window's positions, no rows; with ``keep`` (for
        backward) that step's maxima are all its running maxima."""
        H_axis = 1 if last else 2
        if not self._overlap():
            return None, _pool_over(x, self._positions(OH, OW, H_axis), self.mode, keep)
        SH, SW = pair(self.stride, "stride")
        rows = _pool_over(x, _positions(self.pool_w, SW, OW, H_axis + 1), self.mode)[-1]  # every row's windows
        return rows, _pool_over(rows, _positions(self.pool_h, SH, OH, H_axis), self.mode)   # then down columns

    def _overlap(self):
        SH, SW = pair(self.stride, "stride")
        return SH < self.pool_h or SW < self.pool_w

    def _positions(self, OH, OW, H_axis):
        """Position (i, j) of the window, in reading order: the slice that selects it in every window."""
        rows = _positions(self.pool_h, pair(self.stride, "stride")[0], OH, H_axis)
        cols = _positions(self.pool_w, pair(self.stride, "stride")[1], OW, H_axis + 1)
        return [r + c[-1:] for r in rows for c in cols]

    def backward(self, dout):
        """dout (N, C, OH, OW) -> dx (N, C, H, W): back through forward's poolings."""
        saved = self._kept(dout)
        (SH, SW), (PH, PW) = pair(self.stride, "stride"), pair(self.pad, "pad")
        x, rows, maxima, last = saved["x"], saved["rows"], saved["maxima"], saved["last"]   # x padded
        if last:
            dout = np.ascontiguousarray(dout.transpose(0, 2, 3, 1))
        OH, OW, H_axis = (*dout.shape[1:3], 1) if last else (*dout.shape[2:], 2)
        if maxima is None:                                                     # see forward
            rows, maxima = self._pool(x, OH, OW, last, keep=True)
        if not self._overlap():   # windows side by side: one step, each position writes its share
            gaps = (SH, SW) != (self.pool_h, self.pool_w)
            dx = _gradient_array(x, dout, [(H_axis, SH * OH), (H_axis + 1, SW * OW)], gaps)
            _unpool_over(x, maxima, dout, self._positions(OH, OW, H_axis), dx, self.pool_h * self.pool_w, self.mode)
        else:
            drows = _gradient_array(rows, dout, [(H_axis, SH * OH)], gaps=SH > self.pool_h)
            _unpool_over(rows, maxima, dout, _positions(self.pool_h, SH, OH, H_axis), drows, SH, self.mode)
            dx = _gradient_array(x, dout, [(H_axis + 1, SW * OW)], gaps=SW > self.pool_w)
            _unpool_over(x, [rows], drows, _positions(self.pool_w, SW, OW, H_axis + 1), dx, SW, self.mode)
        if last:
            dx = np.ascontiguousarray(dx.transpose(0, 3, 1, 2))
        return dx[:, :, PH:dx.shape[2] - PH, PW:dx.shape[3] - PW]


def _positions(size, stride, count, axis):
    """For each position p in a 1-D window of ``size`` along ``axis``: the slice that
    selects it in all ``count`` windows, ``stride`` apart: ``p, p + stride, ...``."""
    before = (slice(None),) * axis
    return [before + (slice(p, p + stride * (count - 1) + 1, stride),) for p in range(size)]


def _pool_over(x, positions, mode, keep=False):
    """Max or mean of every window of x, given the slices that select each position of the
    window in all windows, built up position by position. Returns ``[out]``; with ``keep``
    (max), every running maximum: ``[k]`` = the max over positions 0..k, the last is out."""
    views = [x[s] for s in positions]
    if keep and mode == "max":
        running = [views[0]]
        for view in views[1:]:
            running.append(np.maximum(running[-1], view))
        return running
    out = views[0].copy()
    for view in views[1:]:
        (np.maximum if mode == "max" else np.add)(out, view, out=out)
    return [out if mode == "max" else np.divide(out, len(views), out=out)]


def _gradient_array(x, dout, covered, gaps):
    """An array for the gradient of x, in floats even for an integer dout: zeros where windows
    leave gaps between them, else only beyond ``covered`` ([(axis, length)]: what the writing
    positions of :func:`_unpool_over` reach) along each axis."""
    dtype = np.result_type(dout, 1.0)
    if gaps:
        return np.zeros(x.shape, dtype)
    dx = np.empty(x.shape, dtype)
    for axis, length in covered:
        dx[(slice(None),) * axis + (slice(length, None),)] = 0
    return dx


def _unpool_over(x, maxima, dout, positions, dx, writes, mode):
    """The gradient of :func:`_pool_over` into dx (x's shape), given its ``maxima`` and
    ``dout`` (out's shape): each window's ``dout`` spread evenly (mean) or all to the window's
    first maximum (max; a window holding a NaN: to its last position). The first ``writes``
    positions are the first to reach the inputs they select: they write, the others add."""
    out = maxima[-1]
    # does position p hold the max? Ask the running max up to p if kept (contiguous, and
    # smaller than x), else x's numbers at p
    held = maxima if len(maxima) == len(positions) else [x[s] for s in positions]
    share = np.divide(dout, len(positions), dtype=dx.dtype) if mode == "average" else dout
    reached = None                     # max: windows whose max an earlier position holds
    for p, s in enumerate(positions):
        gets = True                    # which windows send their gradient to position p: all (mean)
        if mode == "max" and p < len(positions) - 1:
            now = held[p] == out
            if reached is None:
                gets = reached = now
            else:
                gets = np.greater(now, reached)                 # the max, not reached before
                np.logical_or(reached, now, out=reached)
        elif mode == "max" and reached is not None:
            gets = np.logical_not(reached, out=reached)         # the last position: the rest
        if p < writes:
            np.multiply(share, gets, out=dx[s])   # the first position to reach these inputs: write
        else:
            dx[s] += share * gets                 # windows overlap here (3x3 pooling with stride 2...)
