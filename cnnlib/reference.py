"""The readable references: what the fast code of cnnlib equals, written to be obviously right.

Two kinds, both slow, both used by the tests (and the benchmarks) to check the library:

- **The book's code** (Deep Learning from Scratch, ``common/util.py`` and
  ``common/layers.py``): :func:`im2col_book`, the double loop over filter offsets, and
  :class:`BookConvolution` and :class:`BookPooling` over im2col / col2im, float64 in,
  float64 out, as in the book. :class:`cnnlib.layers.Convolution` and
  :class:`cnnlib.layers.Pooling` (max) compute the same numbers.
- **Plain loops, one window at a time**, following the definitions with no im2col and no
  clever indexing: :func:`conv_forward_loop`, :func:`conv_backward_loop`,
  :func:`pool_forward_loop`, :func:`pool_backward_loop`, :func:`col2im_loop`,
  :func:`lrn_forward_loop`. Use them on small arrays.

All take the window arithmetic of the library: a window starts at
``(i*SH, j*SW)`` of the padded input, its taps ``(DH, DW)`` apart, and
``OH = (H + 2*PH - (DH*(FH-1)+1)) // SH + 1`` (floored, so they also cover
``strict=False``). ``stride``, ``pad`` and ``dilation`` are ints or ``(h, w)`` pairs; the
convolution loops take ``groups`` (filter f sees the channels of its group only).
"""

import numpy as np

from .im2col import check_images, col2im, output_hw, pad_images
from .sizes import pair

__all__ = ["im2col_book", "col2im_loop", "BookConvolution", "BookPooling", "conv_forward_loop",
           "conv_backward_loop", "pool_forward_loop", "pool_backward_loop", "lrn_forward_loop"]


def _pad(x, pad, value=0.0):
    """Pad the spatial axes of x (N, C, H, W) with ``value``."""
    (PH, PW) = pair(pad, "pad")
    return np.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)), constant_values=value)


def _out_size(size, window, stride, pad, dilation=1):
    return (size + 2 * pad - dilation * (window - 1) - 1) // stride + 1


def _pairs(stride, pad, dilation=1):
    """((SH, SW), (PH, PW), (DH, DW)) from ints or pairs."""
    return pair(stride, "stride", 1), pair(pad, "pad"), pair(dilation, "dilation", 1)


def _window(xp, i, j, FH, FW, stride, dilation):
    """Slices of the window (i, j): rows i*SH, i*SH + DH, ... (FH of them), and the columns likewise."""
    (SH, SW), (DH, DW) = stride, dilation
    return slice(i * SH, i * SH + DH * (FH - 1) + 1, DH), slice(j * SW, j * SW + DW * (FW - 1) + 1, DW)


# ---------------------------------------------------------------- the book's code

def im2col_book(input_data, filter_h, filter_w, stride=1, pad=0, dilation=1):
    """Deep Learning from Scratch's im2col, loop for loop; equals :func:`cnnlib.im2col.im2col`
    (floored, as in the book). Beyond the book: (h, w) pairs, and the dilation's ``y*DH``.

    (It works in the input's dtype; the book's version always produces float64.)
    """
    N, C, H, W = check_images(input_data)
    OH, OW = output_hw(H, W, filter_h, filter_w, stride, pad, dilation)
    (SH, SW), _, (DH, DW) = _pairs(stride, pad, dilation)
    img = pad_images(input_data, pad)
    col = np.zeros((N, C, filter_h, filter_w, OH, OW), dtype=input_data.dtype)
    for y in range(filter_h):
        y_max = y * DH + SH * OH
        for x in range(filter_w):
            x_max = x * DW + SW * OW
            col[:, :, y, x, :, :] = img[:, :, y * DH:y_max:SH, x * DW:x_max:SW]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, -1)


class BookConvolution:
    """The book's Convolution: im2col, ``col @ W.T``, back to NCHW; col2im in backward."""

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = 1 + int((H + 2 * self.pad - FH) / self.stride)
        out_w = 1 + int((W + 2 * self.pad - FW) / self.stride)
        col = im2col_book(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = np.dot(col, col_W) + self.b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
        self.x, self.col, self.col_W = x, col, col_W
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout).transpose(1, 0).reshape(FN, C, FH, FW)
        dcol = np.dot(dout, self.col_W.T)
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad, strict=False)  # the book floors


class BookPooling:
    """The book's max Pooling: im2col, one row per window and channel, max and argmax."""

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = int(1 + (H - self.pool_h) / self.stride)
        out_w = int(1 + (W - self.pool_w) / self.stride)
        col = im2col_book(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x, self.arg_max = x, arg_max
        return out

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))
        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad, strict=False)


# ---------------------------------------------------------------- plain loops

def col2im_loop(col, input_shape, filter_h, filter_w, stride=1, pad=0, dilation=1):
    """col2im one window at a time: row ``(n, oh, ow)`` of ``col`` is added back onto the
    window it was copied from. Equals :func:`cnnlib.im2col.col2im`."""
    N, C, H, W = input_shape
    stride, (PH, PW), dilation = _pairs(stride, pad, dilation)
    OH, OW = _out_size(H, filter_h, stride[0], PH, dilation[0]), _out_size(W, filter_w, stride[1], PW, dilation[1])
    img = np.zeros((N, C, H + 2 * PH, W + 2 * PW), dtype=col.dtype)
    rows = col.reshape(N, OH, OW, C, filter_h, filter_w)
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                img[(n, slice(None)) + _window(img, i, j, filter_h, filter_w, stride, dilation)] += rows[n, i, j]
    return img[:, :, PH:PH + H, PW:PW + W]


def conv_forward_loop(x, W, b, stride=1, pad=0, dilation=1, groups=1):
    """Cross-correlation: out[n, f, i, j] = sum(window * W[f]) + b[f], the window taken from
    the channels of f's group (W: (FN, C/groups, FH, FW))."""
    N, C, H, Wd = x.shape
    FN, Cg, FH, FW = W.shape
    stride, (PH, PW), dilation = _pairs(stride, pad, dilation)
    OH, OW = _out_size(H, FH, stride[0], PH, dilation[0]), _out_size(Wd, FW, stride[1], PW, dilation[1])
    xp = _pad(x, pad)
    out = np.zeros((N, FN, OH, OW), dtype=np.result_type(x, W))
    for n in range(N):
        for f in range(FN):
            channels = slice(f // (FN // groups) * Cg, (f // (FN // groups) + 1) * Cg)  # f's group
            for i in range(OH):
                for j in range(OW):
                    window = xp[(n, channels) + _window(xp, i, j, FH, FW, stride, dilation)]
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out


def conv_backward_loop(x, W, dout, stride=1, pad=0, dilation=1, groups=1):
    """Gradients (dx, dW, db) of the loop convolution, one window at a time.

    Each output entry used one window: it sends ``dout * W[f]`` back to that window
    of the input and ``dout * window`` to the filter.
    """
    N, C, H, Wd = x.shape
    FN, Cg, FH, FW = W.shape
    _, _, OH, OW = dout.shape
    stride, (PH, PW), dilation = _pairs(stride, pad, dilation)
    xp = _pad(x, pad)
    dxp = np.zeros_like(xp)
    dW = np.zeros_like(W)
    for n in range(N):
        for f in range(FN):
            channels = slice(f // (FN // groups) * Cg, (f // (FN // groups) + 1) * Cg)  # f's group
            for i in range(OH):
                for j in range(OW):
                    window = (n, channels) + _window(xp, i, j, FH, FW, stride, dilation)
                    dxp[window] += dout[n, f, i, j] * W[f]
                    dW[f] += dout[n, f, i, j] * xp[window]
    db = dout.sum(axis=(0, 2, 3))
    return dxp[:, :, PH:PH + H, PW:PW + Wd], dW, db


def pool_forward_loop(x, pool_h, pool_w, stride=1, pad=0, mode="max"):
    """Max or average of each window, channel by channel.

    Max pooling pads with -inf (padding never wins); average pooling pads with zeros,
    which count in the mean (PyTorch's ``count_include_pad=True``).
    """
    N, C, H, W = x.shape
    stride, (PH, PW), one = _pairs(stride, pad)
    OH, OW = _out_size(H, pool_h, stride[0], PH), _out_size(W, pool_w, stride[1], PW)
    xp = _pad(x, pad, -np.inf if mode == "max" else 0.0)
    out = np.zeros((N, C, OH, OW), dtype=xp.dtype if mode == "max" else np.result_type(xp, 1.0))  # means: floats
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = xp[(n, c) + _window(xp, i, j, pool_h, pool_w, stride, one)]
                    out[n, c, i, j] = window.max() if mode == "max" else window.mean()
    return out


def pool_backward_loop(x, dout, pool_h, pool_w, stride=1, pad=0, mode="max"):
    """dx of the loop pooling: the max takes all of ``dout``, the mean spreads it evenly."""
    N, C, H, W = x.shape
    _, _, OH, OW = dout.shape
    (SH, SW), (PH, PW), _ = _pairs(stride, pad)
    xp = _pad(x, pad, -np.inf if mode == "max" else 0.0)
    dxp = np.zeros(xp.shape, dtype=np.result_type(dout, 1.0))  # floats, as the layer's (dout / window size)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    r0, c0 = i * SH, j * SW
                    if mode == "max":
                        window = xp[n, c, r0:r0 + pool_h, c0:c0 + pool_w]
                        r, s = np.unravel_index(np.argmax(window), window.shape)
                        dxp[n, c, r0 + r, c0 + s] += dout[n, c, i, j]
                    else:
                        dxp[n, c, r0:r0 + pool_h, c0:c0 + pool_w] += dout[n, c, i, j] / (pool_h * pool_w)
    return dxp[:, :, PH:PH + H, PW:PW + W]


def lrn_forward_loop(x, k=2.0, n=5, alpha=1e-4, beta=0.75):
    """AlexNet's formula, channel by channel:
    ``b[c] = a[c] / (k + alpha * sum(a[j]**2 for j in max(0, c-n//2) .. min(C-1, c+n//2))) ** beta``.
    """
    N, C, H, W = x.shape
    out = np.zeros_like(x)
    for c in range(C):
        lo, hi = max(0, c - n // 2), min(C - 1, c + n // 2)
        s = (x[:, lo:hi + 1] ** 2).sum(axis=1)
        out[:, c] = x[:, c] / (k + alpha * s) ** beta
    return out
