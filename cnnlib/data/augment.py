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
        max_shift: largest shift k in pixels, an int with 0 <= k < min(H, W) (0 returns ``x``
            unchanged; a shift by the image size or more would leave all-zero images).
        rng: ``np.random.Generator``, e.g. ``np.random.default_rng(seed)``.

    Returns:
        a new array of shape (N, C, H, W); ``x`` is not modified.

    Raises:
        TypeError, ValueError: naming the argument and its value when one is invalid.
    """
    if isinstance(max_shift, (bool, np.bool_)) or not isinstance(max_shift, (int, np.integer)):
        raise TypeError(f"max_shift must be an integer number of pixels, got max_shift = {max_shift!r} "
                        f"({type(max_shift).__name__})")
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got max_shift = {max_shift}")
    if max_shift == 0:
        return x
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator, e.g. np.random.default_rng(0), got {rng!r}"
                        + ("" if rng is None else f" ({type(rng).__name__})"))
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a NumPy array of images (N, C, H, W), got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"x must be images (N, C, H, W), got shape {x.shape}")
    N, C, H, W = x.shape
    if max_shift >= min(H, W):
        raise ValueError(f"max_shift = {max_shift} must be smaller than the images (H, W) = ({H}, {W}): "
                         f"a shift that large can leave all-zero images; use max_shift < {min(H, W)}")
    k = int(max_shift)
    padded = np.pad(x, ((0, 0), (0, 0), (k, k), (k, k)))
    crops = sliding_window_view(padded, (H, W), axis=(2, 3))  # (N, C, 2k+1, 2k+1, H, W), a view
    rows, cols = rng.integers(0, 2 * k + 1, size=(2, N))       # where each crop starts: a shift of k - start
    return crops[np.arange(N), :, rows, cols]                  # (N, C, H, W): one crop per image
