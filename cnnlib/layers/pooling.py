"""Max and average pooling (Deep Learning from Scratch, 7.4.4)."""

import numpy as np

from ..im2col import pad_images
from ..sizes import check_stride_pad, check_window_args, conv_output_size, pair
from .base import Layer, check_ndim

__all__ = ["Pooling"]


class Pooling(Layer):
    """Max or average of each ``pool_h x pool_w`` window, channel by channel.

    ``out[n, c, i, j] = max (or mean) of x[n, c]`` over the window whose top-left corner
    is ``(i*stride, j*stride)`` of the padded input: equal to
    :class:`cnnlib.reference.BookPooling` (max, the book's im2col and argmax) and to the
    loops of :func:`cnnlib.reference.pool_forward_loop` / ``pool_backward_loop``, ties
    included (``tests/test_conv_pool.py`` asserts it).

    Args:
        pool_h, pool_w: window size.
        stride: step between windows, an int or an (h, w) pair (the book's default is 1;
            2x2 pooling usually has stride 2).
        pad: padding on each side, an int or an (h, w) pair (max pooling pads with -inf so padding never wins;
            average pooling pads with zeros, which count in the mean, like PyTorch).
        mode: ``"max"`` or ``"average"``.
        strict: if True, sizes that do not divide raise ``ValueError``; if False floor.

    ``forward(x)``: x (N, C, H, W) -> out (N, C, OH, OW). No parameters. Instead of the
    book's ``col`` (a row per window), it looks at one position (i, j) *inside* the
    window at a time: that position of every window is the strided view
    ``x[:, :, i::SH, j::SW]``, so the max is built up view by view, with no copy.
    ``backward``: the mean spreads each window's gradient evenly; the max sends it all
    to the window's maximum (the first one, if several tie, as in PyTorch).
    """

    def __init__(self, pool_h, pool_w, stride=1, pad=0, mode="max", strict=True):
        super().__init__()
        if mode not in ("max", "average"):
            raise ValueError(f"mode must be 'max' or 'average', got mode = {mode!r}")
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad
        self.mode, self.strict = mode, strict
        check_stride_pad(stride, pad)  # fail early on bad numbers
        for name, size in (("pool_h", pool_h), ("pool_w", pool_w)):
            check_window_args(size, 1, 1, 0, dim=name)  # a window size >= 1
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
        self.x_shape = x.shape
        x = pad_images(x, self.pad, value=-np.inf if self.mode == "max" else 0.0)  # padding never wins a max
        self.padded_shape = x.shape
        views = [x[s] for s in self._positions(OH, OW)]   # position (i, j) of every window, (N, C, OH, OW)
        if self.mode == "average":
            return sum(views[1:], views[0].copy()) / len(views)
        running = _running_max(views, keep=train)         # what backward needs to find each max
        self.running = running if train else None
        return running[-1]

    def backward(self, dout):
        """dout (N, C, OH, OW) -> dx (N, C, H, W)."""
        dx = np.zeros(self.padded_shape, dtype=np.result_type(dout, 1.0))  # floats even for integer dout
        positions = self._positions(*dout.shape[2:])
        if self.mode == "average":
            share, weights = np.divide, [len(positions)] * len(positions)   # the mean spreads evenly
        else:
            share, weights = np.multiply, _first_max(self.running)          # only the max saw the output
        for k, (s, weight) in enumerate(zip(positions, weights)):
            if self._first_to_touch(k):
                share(dout, weight, out=dx[s])   # no window has written these inputs yet: write
            else:
                dx[s] += share(dout, weight)     # windows overlap here (3x3 pooling with stride 2...)
        H, W = self.x_shape[2:]
        PH, PW = pair(self.pad, "pad")
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
