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
    ``pool_backward_loop``, ties included (finite inputs; ``tests/test_conv_pool.py``).

    Args:
        pool_h, pool_w: window size.
        stride: an int or an (h, w) pair; default the window's size (2 for 2x2), as in
            PyTorch; the book's ``common/layers.py`` defaults to 1 (its networks pass 2).
        pad: an int or an (h, w) pair; max pooling pads with -inf (padding never wins),
            average pooling with zeros, which count in the mean (as in PyTorch).
        mode: ``"max"`` or ``"average"``.
        strict: sizes that do not divide raise ``ValueError`` (True) or floor (False).

    ``forward``: x (N, C, H, W) -> (N, C, OH, OW). It takes one position (i, j) of the window
    at a time: (i, j) of every window is a strided view, ``x[:, :, i::SH, j::SW]``, so the max
    is built up view by view, without copying the windows (no ``col``). Overlapping windows
    (3x3, stride 2) go in two steps, fewer views: a window's max (mean) is the max (mean) of
    its rows' maxima (means), so forward pools along each row, ``rows`` (N, C, Hp, OW), then
    down the columns of ``rows``. ``backward``: the mean spreads each window's gradient
    evenly; the max sends it all to the window's first maximum in reading order (np.argmax's
    choice). Integer inputs are averaged and padded in float64. An inference forward keeps
    nothing: a later ``backward`` pools the last training forward's input again.
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
        # overlapping windows on images of a few pixels (AlexNet's 13x13): NumPy's loops run along
        # the last axis and take time to start, so rows of C numbers beat rows of OW < 8
        channels_last = self._overlap() and OW < 8 <= C
        self._check_memory(x.shape, x.itemsize, OH, OW, train, channels_last)
        x = pad_images(x, self.pad, value=-np.inf if self.mode == "max" else 0.0)  # padding never wins a max
        if channels_last:
            x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))                     # (N, Hp, Wp, C)
        rows, pooled = self._pool(x, OH, OW, channels_last, keep=train)
        out = np.ascontiguousarray(pooled[-1].transpose(0, 3, 1, 2)) if channels_last else pooled[-1]
        if train:
            return self._keep(out, x=x, rows=rows, pooled=pooled, channels_last=channels_last)
        saved = getattr(self, "_saved", None)
        if saved is not None:  # the last training forward's: let its rows and maxima go (memory);
            saved.update(rows=None, pooled=None)  # a later backward pools its input again
        return out

    def _check_memory(self, x_shape, itemsize, OH, OW, train, channels_last):
        """A MemoryError naming the arrays if forward's would exceed the memory limit."""
        N, C, H, W = x_shape
        PH, PW = pair(self.pad, "pad")
        Hp, Wp = H + 2 * PH, W + 2 * PW
        copies = Hp * Wp * (((PH, PW) != (0, 0)) + channels_last)          # padded, transposed
        if self._overlap():
            size, what = Hp * OW + OH * OW, f"output ({N}, {C}, {OH}, {OW}) and pooled rows ({N}, {C}, {Hp}, {OW})"
        else:
            kept = self.pool_h * self.pool_w if train and self.mode == "max" else 1   # the running maxima
            size = kept * OH * OW
            what = f"output ({N}, {C}, {OH}, {OW})" if kept == 1 else \
                f"running maxima and output ({N}, {C}, {OH}, {OW}) times {kept}"
        check_workspace(N * C * (size + copies) * itemsize, f"Pooling's {what}", f"pass fewer images at a time (N = {N})")

    def _pool(self, x, OH, OW, channels_last, keep):
        """Forward's poolings of the padded x: its pooled rows (None for windows side by side)
        and ``pooled``, whose last is the output, (N, C, OH, OW) or (N, OH, OW, C) with the
        channels last. Windows side by side (2x2, stride 2) take one step over the window's
        positions; with ``keep`` (for backward), ``pooled`` holds all its running maxima."""
        H_axis = 1 if channels_last else 2
        if not self._overlap():
            return None, _pool_over(x, self._window_positions(OH, OW, H_axis), self.mode, keep)
        SH, SW = pair(self.stride, "stride")
        rows = _pool_over(x, _positions_1d(self.pool_w, SW, OW, H_axis + 1), self.mode)[-1]  # each row's windows
        return rows, _pool_over(rows, _positions_1d(self.pool_h, SH, OH, H_axis), self.mode)   # then down columns

    def _overlap(self):
        SH, SW = pair(self.stride, "stride")
        return SH < self.pool_h or SW < self.pool_w

    def _window_positions(self, OH, OW, H_axis):
        """Position (i, j) of the window, in reading order: the slice that selects it in every window."""
        (SH, SW) = pair(self.stride, "stride")
        rows, cols = _positions_1d(self.pool_h, SH, OH, H_axis), _positions_1d(self.pool_w, SW, OW, H_axis + 1)
        return [r + c[-1:] for r in rows for c in cols]

    def backward(self, dout):
        """dout (N, C, OH, OW) -> dx (N, C, H, W): back through forward's poolings."""
        saved = self._kept(dout)
        (SH, SW), (PH, PW) = pair(self.stride, "stride"), pair(self.pad, "pad")
        x, rows, pooled, channels_last = saved["x"], saved["rows"], saved["pooled"], saved["channels_last"]
        OH, OW = dout.shape[2:]
        if channels_last:
            dout = np.ascontiguousarray(dout.transpose(0, 2, 3, 1))
        H_axis = 1 if channels_last else 2
        if pooled is None:                                              # see forward
            rows, pooled = self._pool(x, OH, OW, channels_last, keep=True)
        # Positions 0..S-1 along an axis select inputs p, p+S, ...: disjoint, and together all of
        # them up to S*count; they write. A position p >= S selects inputs that position p - S
        # has written (overlapping windows): it adds.
        if not self._overlap():   # windows side by side: every position writes its share
            dx = _gradient_array(x, dout, [(H_axis, SH * OH), (H_axis + 1, SW * OW)],
                                 gaps=(SH, SW) != (self.pool_h, self.pool_w))
            positions = self._window_positions(OH, OW, H_axis)
            _unpool_over(x, pooled, dout, positions, dx, len(positions), self.mode, running=True)
        else:
            drows = _gradient_array(rows, dout, [(H_axis, SH * OH)], gaps=SH > self.pool_h)
            _unpool_over(rows, pooled, dout, _positions_1d(self.pool_h, SH, OH, H_axis), drows, SH, self.mode)
            dx = _gradient_array(x, dout, [(H_axis + 1, SW * OW)], gaps=SW > self.pool_w)
            _unpool_over(x, [rows], drows, _positions_1d(self.pool_w, SW, OW, H_axis + 1), dx, SW, self.mode,
                         own_dout=True)
        if channels_last:
            dx = np.ascontiguousarray(dx.transpose(0, 3, 1, 2))
        return dx[:, :, PH:dx.shape[2] - PH, PW:dx.shape[3] - PW]


def _positions_1d(size, stride, count, axis):
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
        running = [views[0] if len(views) > 1 else views[0].copy()]   # the output never shares x's memory
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


def _unpool_over(x, pooled, dout, positions, dx, writes, mode, running=False, own_dout=False):
    """The gradient of :func:`_pool_over` into dx (x's shape), given what it returned and
    ``dout`` (out's shape): each window's ``dout`` spread evenly (mean) or all to the window's
    first maximum (max; a window holding a NaN: somewhere in its last row). The first
    ``writes`` positions write, the others add. ``running``: ``pooled`` holds the running
    maxima, so "has the max been reached by position p" reads ``pooled[p]`` (already computed)
    instead of x's numbers at p. ``own_dout``: dout may be overwritten (no temporary the size
    of dout for the last position: a fresh one of megabytes costs page faults)."""
    out = pooled[-1]
    seen = pooled if running else [x[s] for s in positions]
    share = np.divide(dout, len(positions), dtype=dx.dtype) if mode == "average" else dout
    reached = None                     # max: windows whose max an earlier position holds
    for p, s in enumerate(positions):
        gets = True                    # which windows send their gradient to position p: all (mean)
        if mode == "max" and p < len(positions) - 1:
            now = seen[p] == out
            gets = now if reached is None else np.greater(now, reached)   # now, and not before
            if running or reached is None:
                reached = now     # (running maxima only grow: reached by p is reached from then on)
            else:
                np.logical_or(reached, now, out=reached)   # (now's first use, as p=0's gets, is over)
        elif mode == "max" and reached is not None:
            gets = np.logical_not(reached, out=reached)         # the last position: the rest
        if p < writes:
            np.multiply(share, gets, out=dx[s])   # the first position to reach these inputs: write
        else:                                     # windows overlap here (3x3 pooling with stride 2...):
            last = p == len(positions) - 1 and (own_dout or share is not dout)
            dx[s] += np.multiply(share, gets, out=share if last else None)  # (share's last use: in place)
