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

    ``forward``: x (N, C, H, W) -> (N, C, OH, OW), no parameters. Instead of the book's
    ``col`` (a row per window), it takes one position (i, j) *inside* the window at a time:
    that position of every window is the strided view ``x[:, :, i::SH, j::SW]``, so the max
    is built up view by view, with no copy. ``backward``: the mean spreads each window's
    gradient evenly; the max sends it all to the window's (first) maximum. Integer inputs
    are averaged and padded in float64. An inference forward keeps no running maxima: a
    later ``backward`` rebuilds the last training forward's.
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
        kept = self.pool_h * self.pool_w if train and self.mode == "max" else 1  # the running maxima
        N = x.shape[0]
        padded = N * C * (x.shape[2] + 2 * PH) * (x.shape[3] + 2 * PW) if (PH, PW) != (0, 0) else 0
        check_workspace((kept * N * C * OH * OW + padded) * x.itemsize,
                        f"Pooling's {'running maxima and output' if kept > 1 else 'output'} ({N}, {C}, {OH}, {OW})"
                        + (f" times {kept}" if kept > 1 else ""), f"pass fewer images at a time (N = {N})")
        views = self._views(x, OH, OW)
        if self.mode == "average":
            out = sum(views[1:], views[0].copy()) / len(views)
            return self._keep(out, x=x) if train else out
        running = _running_max(views, keep=train)         # what backward needs to find each max
        if train:
            return self._keep(running[-1], x=x, running=running)
        saved = getattr(self, "_saved", None)
        if saved is not None:      # inference keeps no running maxima: backward rebuilds those
            saved["running"] = None  # of the last training forward from its input
        return running[-1]

    def _views(self, x, OH, OW):
        """Position (i, j) of every window of the padded x, each (N, C, OH, OW)."""
        x = pad_images(x, self.pad, value=-np.inf if self.mode == "max" else 0.0)  # padding never wins a max
        return [x[s] for s in self._positions(OH, OW)]

    def backward(self, dout):
        """dout (N, C, OH, OW) -> dx (N, C, H, W)."""
        saved = self._kept(dout)
        x_shape = saved["x"].shape
        PH, PW = pair(self.pad, "pad")
        padded_shape = x_shape[:2] + (x_shape[2] + 2 * PH, x_shape[3] + 2 * PW)
        positions = self._positions(*dout.shape[2:])
        # floats even for integer dout; zeros first unless the windows tile the padded input
        # exactly, side by side, so that every input is written once below
        tiled = (pair(self.stride, "stride") == (self.pool_h, self.pool_w)
                 and padded_shape[2:] == (self.pool_h * dout.shape[2], self.pool_w * dout.shape[3]))
        dx = (np.empty if tiled else np.zeros)(padded_shape, dtype=np.result_type(dout, 1.0))
        if self.mode == "average":
            share, weights = np.divide, [len(positions)] * len(positions)   # the mean spreads evenly
        else:
            running = saved["running"]
            if running is None:
                running = _running_max(self._views(saved["x"], *dout.shape[2:]), keep=True)
            share, weights = np.multiply, _first_max(running)               # only the max saw the output
        for k, (s, weight) in enumerate(zip(positions, weights)):
            if self._first_to_touch(k):
                share(dout, weight, out=dx[s])   # no window has written these inputs yet: write
            else:
                dx[s] += share(dout, weight)     # windows overlap here (3x3 pooling with stride 2...)
        H, W = x_shape[2:]
        return dx[:, :, PH:PH + H, PW:PW + W]

    def _positions(self, OH, OW):
        """For each position (i, j) in the window, in reading order: the slice that selects
        it in every window."""
        SH, SW = pair(self.stride, "stride")
        return [np.s_[:, :, i:i + SH * (OH - 1) + 1:SH, j:j + SW * (OW - 1) + 1:SW]
                for i in range(self.pool_h) for j in range(self.pool_w)]

    def _first_to_touch(self, k):
        """True if position k is, in reading order, the first to reach the inputs it selects:
        positions (i, j) with i and j below the stride are."""
        i, j = divmod(k, self.pool_w)
        SH, SW = pair(self.stride, "stride")
        return i < SH and j < SW


def _running_max(views, keep):
    """The max of every window, built up position by position.

    ``keep=True``: the list of running maxima, ``[k]`` = the max over positions 0..k
    (the last is the output), which :func:`_first_max` needs. ``keep=False``
    (inference): only the output, computed in place.
    """
    if keep:
        running = [views[0]]
        for view in views[1:]:
            running.append(np.maximum(running[-1], view))
        return running
    out = views[0].copy()
    for view in views[1:]:
        np.maximum(out, view, out=out)
    return [out]


def _first_max(running):
    """For each position k, a boolean mask (N, C, OH, OW): True where position k is the first
    position at which the running max reaches the window's max (ties go to the first;
    a window holding a NaN sends its gradient to its last position)."""
    reached = None
    for k, current in enumerate(running):
        now = current == running[-1] if k < len(running) - 1 else True  # reached by position k?
        yield now if reached is None else np.greater(now, reached)        # now and not before
        reached = now
