"""Plain-loop reference implementations, written for the tests only.

They follow the definitions one window at a time, with no im2col and no clever
indexing, so that the fast library code can be compared with something obviously
right. They are slow: use them on small arrays.

All of them take the window arithmetic of the library: a window starts at
``(i*stride, j*stride)`` of the padded input, and ``OH = (H + 2*pad - FH) // stride + 1``
(floored, so they also cover ``strict=False``).
"""

import numpy as np


def _pad(x, pad, value=0.0):
    """Pad the spatial axes of x (N, C, H, W) with ``value``."""
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=value)


def _out_size(size, window, stride, pad):
    return (size + 2 * pad - window) // stride + 1


def conv_forward_loop(x, W, b, stride=1, pad=0):
    """Cross-correlation: out[n, f, i, j] = sum(window * W[f]) + b[f]."""
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = _out_size(H, FH, stride, pad), _out_size(Wd, FW, stride, pad)
    xp = _pad(x, pad)
    out = np.zeros((N, FN, OH, OW), dtype=np.result_type(x, W))
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    window = xp[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out


def conv_backward_loop(x, W, dout, stride=1, pad=0):
    """Gradients (dx, dW, db) of the loop convolution, one window at a time.

    Each output entry used one window: it sends ``dout * W[f]`` back to that window
    of the input and ``dout * window`` to the filter.
    """
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    _, _, OH, OW = dout.shape
    xp = _pad(x, pad)
    dxp = np.zeros_like(xp)
    dW = np.zeros_like(W)
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    rows = slice(i * stride, i * stride + FH)
                    cols = slice(j * stride, j * stride + FW)
                    dxp[n, :, rows, cols] += dout[n, f, i, j] * W[f]
                    dW[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
    db = dout.sum(axis=(0, 2, 3))
    return dxp[:, :, pad:pad + H, pad:pad + Wd], dW, db


def pool_forward_loop(x, pool_h, pool_w, stride=1, pad=0, mode="max"):
    """Max or average of each window, channel by channel.

    Max pooling pads with -inf (padding never wins); average pooling pads with zeros,
    which count in the mean (PyTorch's ``count_include_pad=True``).
    """
    N, C, H, W = x.shape
    OH, OW = _out_size(H, pool_h, stride, pad), _out_size(W, pool_w, stride, pad)
    xp = _pad(x, pad, -np.inf if mode == "max" else 0.0)
    out = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = xp[n, c, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w]
                    out[n, c, i, j] = window.max() if mode == "max" else window.mean()
    return out


def pool_backward_loop(x, dout, pool_h, pool_w, stride=1, pad=0, mode="max"):
    """dx of the loop pooling: the max takes all of ``dout``, the mean spreads it evenly."""
    N, C, H, W = x.shape
    _, _, OH, OW = dout.shape
    xp = _pad(x, pad, -np.inf if mode == "max" else 0.0)
    dxp = np.zeros(xp.shape, dtype=dout.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    r0, c0 = i * stride, j * stride
                    if mode == "max":
                        window = xp[n, c, r0:r0 + pool_h, c0:c0 + pool_w]
                        r, s = np.unravel_index(np.argmax(window), window.shape)
                        dxp[n, c, r0 + r, c0 + s] += dout[n, c, i, j]
                    else:
                        dxp[n, c, r0:r0 + pool_h, c0:c0 + pool_w] += dout[n, c, i, j] / (pool_h * pool_w)
    return dxp[:, :, pad:pad + H, pad:pad + W]


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


def distinct_values(rng, shape, spacing=0.1):
    """A random array whose entries differ pairwise by at least ``spacing``.

    Max pooling has a kink where two entries of a window tie; a numerical gradient with
    step h = 1e-5 that crosses a tie is wrong, so gradient checks of max pooling use
    inputs whose values are far apart compared with h.
    """
    size = int(np.prod(shape))
    return (rng.permutation(size) * spacing - size * spacing / 2).reshape(shape).astype(np.float64)


def away_from_zero(rng, shape, margin=0.1, high=2.0):
    """Random float64 values with ``margin <= |x| <= high`` and random signs.

    ReLU's kink at 0 is never crossed by a step h = 1e-5; and ``|x| <= 2`` keeps the
    slopes of sigmoid and tanh away from 0, where a relative error means little.
    """
    return rng.uniform(margin, high, shape) * rng.choice([-1.0, 1.0], shape)


def assert_layer_does_not_mutate(layer, x, rng):
    """Run forward and backward on ``x``; assert x, dout and the parameters are unchanged."""
    params_before = {k: v.copy() for k, v in layer.params.items()}
    x_before = x.copy()
    out = layer.forward(x, train=True)
    dout = rng.standard_normal(out.shape)
    dout_before = dout.copy()
    layer.backward(dout)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)
    for k, v in layer.params.items():
        np.testing.assert_array_equal(v, params_before[k])
