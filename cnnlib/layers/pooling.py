"""Max and average pooling (Deep Learning from Scratch, 7.4.4)."""

import itertools

import numpy as np

from ..im2col import pad_images
from ..sizes import check_stride_pad, check_window_args, conv_output_size
from .base import Layer, check_ndim

__all__ = ["Pooling"]


class Pooling(Layer):
    """Max or average pooling over ``pool_h x pool_w`` windows, channel by channel.

    Args:
        pool_h, pool_w: window size.
        stride: step between windows (the book's default is 1; 2x2 pooling usually
            has stride 2).
        pad: padding on each side (max pooling pads with -inf so padding never wins;
            average pooling pads with zeros, which count in the mean, like PyTorch).
        mode: ``"max"`` or ``"average"``.
        strict: if True, sizes that do not divide raise ``ValueError``; if False floor
            like PyTorch.

    ``forward(x)``: x (N, C, H, W) -> out (N, C, OH, OW). No parameters.

    How: the book builds ``col`` with one row per window and takes the max of each
    row. Here we loop over the ``pool_h * pool_w`` positions *inside* a window instead
    (4 for 2x2): position (i, j) of every window at once is the strided view
    ``x[:, :, i::stride, j::stride]`` of the padded x (cut to OH x OW), so the max is
    built up view by view, and no ``col`` is ever copied. In training the layer keeps
    that running max, position by position (``forward(x, train=False)`` keeps
    nothing): in backward, the gradient of a window goes to the position where its
    running max first reaches the window's max (so ties go to the first position, as
    in PyTorch; a window holding a NaN outputs NaN and sends its gradient to its last
    position). dx starts at zero, and positions (i, j) with i and j below the stride
    are, in loop order, the first to touch their inputs: their gradient is written in
    place; only the others (where windows overlap, as in 3x3 pooling with stride 2)
    are added.
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
        if mode == "max" and 2 * pad > min(pool_h, pool_w):
            # a window made only of padding would output -inf (PyTorch refuses this too)
            raise ValueError(f"pad = {pad} is too large for a {pool_h}x{pool_w} max pooling window: "
                             f"use pad <= {min(pool_h, pool_w) // 2}")

    def output_shape(self, input_shape):
        """(C, OH, OW) for an input of shape (C, H, W)."""
        C, H, W = input_shape
        OH = conv_output_size(H, self.pool_h, self.stride, self.pad, self.strict)
        OW = conv_output_size(W, self.pool_w, self.stride, self.pad, self.strict)
        return C, OH, OW

    def _offsets(self, OH, OW):
        """For each position (i, j) in the window: the slices that select it in every window."""
        s = self.stride
        return [(np.s_[:, :, i:i + s * (OH - 1) + 1:s, j:j + s * (OW - 1) + 1:s])
                for i in range(self.pool_h) for j in range(self.pool_w)]

    def forward(self, x, train=True):
        check_ndim(x, (4,), "x", "(N, C, H, W)")
        C, OH, OW = self.output_shape(x.shape[1:])
        self.x_shape = x.shape
        # max pooling pads with -inf, so that padding is never the maximum
        x = pad_images(x, self.pad, value=-np.inf if self.mode == "max" else 0.0)
        self.padded_shape = x.shape
        views = [x[s] for s in self._offsets(OH, OW)]              # each (N, C, OH, OW), no copy
        if self.mode == "average":
            return sum(views[1:], views[0].copy()) / (self.pool_h * self.pool_w)
        if not train:                                              # nothing to keep: max in place
            self.running = None
            out = views[0].copy()
            for view in views[1:]:
                np.maximum(out, view, out=out)
            return out
        # running[k]: the max over positions 0..k of every window; the last is the output
        self.running = list(itertools.accumulate(views, np.maximum))
        return self.running[-1]

    def backward(self, dout):
        """dout (N, C, OH, OW) -> dx (N, C, H, W)."""
        dx = np.zeros(self.padded_shape, dtype=np.result_type(dout, 1.0))  # floats even for integer dout
        size = self.pool_h * self.pool_w
        for k, s in enumerate(self._offsets(*dout.shape[2:])):
            if self.mode == "average":
                dx[s] += dout / size                               # the mean spreads evenly
                continue
            # only the max saw the output: it goes to the position where the running max
            # first reaches the window's max (if several tie, to the first of them)
            if k < size - 1:
                now = self.running[k] == self.running[-1]          # reached by position k?
            else:
                now = True                                         # the last: running[-1] is the max
            # reached now and not before: now & ~reached, in one pass (True > False)
            hit = now if k == 0 else np.greater(now, reached)
            reached = now
            i, j = divmod(k, self.pool_w)
            if i < self.stride and j < self.stride:                # the first to touch these inputs:
                np.multiply(dout, hit, out=dx[s])                  # write (bool masks: multiply, not np.where)
            else:
                dx[s] += dout * hit
        H, W = self.x_shape[2:]
        return dx[:, :, self.pad:self.pad + H, self.pad:self.pad + W]
