"""Data augmentation: random shifts of whole images.

A digit moved by a pixel or two is still the same digit. Training on randomly shifted
copies teaches the network exactly that, and costs nothing but a copy per batch.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["random_shift"]


def random_shift(x, max_shift, rng):
    """Shift each image by a random whole number of pixels in ``-max_shift..max_shift``
    vertically and horizontally, filling the uncovered border with zeros.

    Args:
        x: images, shape (N, C, H, W).
        max_shift: largest shift k in pixels (0 returns ``x`` unchanged).
        rng: ``np.random.Generator``.

    Returns:
        a new array of shape (N, C, H, W); ``x`` is not modified.
    """
    if max_shift == 0:
        return x
    N, C, H, W = x.shape
    k = max_shift
    padded = np.pad(x, ((0, 0), (0, 0), (k, k), (k, k)))
    crops = sliding_window_view(padded, (H, W), axis=(2, 3))  # (N, C, 2k+1, 2k+1, H, W), a view
    rows, cols = rng.integers(0, 2 * k + 1, size=(2, N))       # where each crop starts: a shift of k - start
    return crops[np.arange(N), :, rows, cols]                  # (N, C, H, W): one crop per image
