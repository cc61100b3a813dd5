"""im2col and col2im: turn a convolution into one matrix product (the book's 7.4.3).

``im2col`` copies every filter-sized window of the input into one row of a matrix:

    input (N, C, H, W)  ->  col (N*OH*OW, C*FH*FW)

Row ``(n, oh, ow)`` holds the window whose top-left corner is at
``(oh*stride, ow*stride)`` of the padded image ``n``, flattened in ``(c, fh, fw)``
order, so that a filter bank reshaped to ``(FN, C*FH*FW)`` multiplies it directly.
This is the layout of Deep Learning from Scratch, chapter 7. Beyond the book (keywords
only, so the book's calls read and behave as before): ``stride`` and ``pad`` may be
``(h, w)`` pairs, and ``dilation`` (an int or a pair) spaces the filter's taps, so that
the window at ``(oh, ow)`` reads pixels ``(oh*SH + fh*DH, ow*SW + fw*DW)``.

Sizes that do not divide follow the course's one policy (:mod:`cnnlib.sizes`), the same
as the layers': ``strict=True`` (the default) raises the explaining ``ValueError``;
``strict=False`` floors like the book's code and PyTorch (the last rows are dropped).
Every call of the book's chapter 7 divides, so it runs unchanged; the book's own im2col,
which always floors, is :func:`cnnlib.reference.im2col_book`.

``col2im`` goes back: it adds every entry of ``col`` to the input pixel it was copied
from. Windows overlap, so one pixel receives several contributions: that is why it
accumulates with ``+=`` (the gradient of a copy is a sum).

``im2col`` builds a strided *view* of all windows and copies it once; ``col2im`` is the
book's loop over the filter offsets. The readable references they equal (the book's
double-loop im2col, and loops one window at a time) are in :mod:`cnnlib.reference`; the
convolution layer's faster variants of the same copy (columns instead of rows, the
batch last, reused memory) are in :mod:`cnnlib.layers.columns`.
"""

import os

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .sizes import conv_output_size, effective_filter_size, pair

__all__ = ["im2col", "col2im", "memory_limit", "check_workspace"]


def memory_limit():
    """Bytes one operation may allocate: ``CNNLIB_MEMORY_LIMIT`` (bytes) if set, else a quarter
    of the machine's memory (4 GiB where the system does not say)."""
    value = os.environ.get("CNNLIB_MEMORY_LIMIT")
    if value:
        try:
            return int(float(value))
        except ValueError:
            raise ValueError(f"CNNLIB_MEMORY_LIMIT must be a number of bytes, got {value!r}") from None
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4
    except (AttributeError, ValueError, OSError):
        return 4 * 2**30


def check_workspace(nbytes, what, fix):
    """A MemoryError, before anything is allocated, if ``nbytes`` exceed :func:`memory_limit`:
    it names ``what`` needs them and what to change (``fix``)."""
    limit = memory_limit()
    if nbytes > limit:
        raise MemoryError(f"{what} would need {nbytes / 2**30:.3g} GiB ({nbytes} bytes), more than the memory "
                          f"limit of {limit / 2**30:.3g} GiB (a quarter of the machine's memory, or "
                          f"CNNLIB_MEMORY_LIMIT in bytes); {fix}")


def check_images(input_data, name="input_data"):
    """(N, C, H, W) of ``input_data``, or a TypeError/ValueError naming it."""
    if not isinstance(input_data, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of shape (N, C, H, W), got {type(input_data).__name__}")
    if input_data.ndim != 4:
        raise ValueError(f"{name} must have 4 dimensions (N, C, H, W), got shape {input_data.shape}")
    return input_data.shape


def output_hw(H, W, filter_h, filter_w, stride, pad, dilation=1, strict=False):
    """(OH, OW); floored like the book unless ``strict``. stride, pad, dilation: ints or (h, w) pairs."""
    (SH, SW), (PH, PW), (DH, DW) = pair(stride, "stride", 1), pair(pad, "pad"), pair(dilation, "dilation", 1)
    OH = conv_output_size(H, filter_h, SH, PH, DH, strict=strict)
    OW = conv_output_size(W, filter_w, SW, PW, DW, strict=strict)
    return OH, OW


def pad_images(x, pad, value=0.0):
    """Pad the two spatial axes of ``x`` (N, C, H, W) by ``pad`` (an int or an (h, w) pair) on each side."""
    PH, PW = pair(pad, "pad")
    if PH == PW == 0:
        return x
    N, C, H, W = x.shape
    shape = (N, C, H + 2 * PH, W + 2 * PW)
    check_workspace(int(np.prod(shape)) * x.itemsize, f"the padded images {shape}", f"use a smaller pad (pad = {pad})")
    return np.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)), mode="constant", constant_values=value)


def windows(x, filter_h, filter_w, stride=1, dilation=1):
    """All windows of an (already padded) ``x`` as a read-only view, no copy.

    Returns shape ``(N, C, OH, OW, FH, FW)``: ``windows(x)[n, c, i, j]`` is the
    ``FH x FW`` patch whose top-left corner is ``x[n, c, i*SH, j*SW]``, its taps
    ``(DH, DW)`` apart (stride and dilation: ints or (h, w) pairs).
    """
    (SH, SW), (DH, DW) = pair(stride, "stride", 1), pair(dilation, "dilation", 1)
    span = (effective_filter_size(filter_h, DH), effective_filter_size(filter_w, DW))
    view = sliding_window_view(x, span, axis=(2, 3))
    return view[:, :, ::SH, ::SW, ::DH, ::DW]


def im2col(input_data, filter_h, filter_w, stride=1, pad=0, *, dilation=1, strict=True):
    """Unfold filter-sized windows into rows of a matrix.

    Args:
        input_data: images, shape (N, C, H, W).
        filter_h, filter_w: FH, FW, the window size.
        stride, pad: as in the output-size formula; an int or an (h, w) pair.
        dilation: distance between the filter's taps, an int or an (h, w) pair.
        strict: True: sizes that do not divide raise ``ValueError``; False: floor.

    Returns:
        col: shape (N*OH*OW, C*FH*FW), same dtype as ``input_data``, with
        ``OH = (H + 2*PH - (DH*(FH-1)+1)) / SH + 1`` (and OW likewise).
    """
    N, C, H, W = check_images(input_data)
    OH, OW = output_hw(H, W, filter_h, filter_w, stride, pad, dilation, strict)
    check_workspace(N * OH * OW * C * filter_h * filter_w * input_data.itemsize,
                    f"im2col's col ({N}*{OH}*{OW}, {C}*{filter_h}*{filter_w})",
                    f"pass fewer images at a time (N = {N})")
    win = windows(pad_images(input_data, pad), filter_h, filter_w, stride, dilation)[:, :, :OH, :OW]
    # (N, C, OH, OW, FH, FW) -> (N, OH, OW, C, FH, FW): always one copy (never a view of the input)
    return np.array(win.transpose(0, 2, 3, 1, 4, 5), order="C").reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0, *, dilation=1, strict=True):
    """Fold rows of ``col`` back onto the image, adding overlapping contributions.

    Args:
        col: shape (N*OH*OW, C*FH*FW), as returned by :func:`im2col`.
        input_shape: (N, C, H, W) of the original input.
        filter_h, filter_w, stride, pad, dilation, strict: as given to :func:`im2col`.

    Returns:
        array of shape (N, C, H, W): pixel ``(n, c, y, x)`` is the sum of all entries
        of ``col`` that ``im2col`` copied from it (so ``col2im`` is the transpose, the
        backward pass, of ``im2col``; it is not its inverse).
    """
    N, C, H, W = input_shape
    OH, OW = output_hw(H, W, filter_h, filter_w, stride, pad, dilation, strict)
    (SH, SW), (PH, PW), (DH, DW) = pair(stride, "stride", 1), pair(pad, "pad"), pair(dilation, "dilation", 1)
    if col.shape != (N * OH * OW, C * filter_h * filter_w):
        raise ValueError(f"col must have shape (N*OH*OW, C*FH*FW) = {(N * OH * OW, C * filter_h * filter_w)} "
                         f"for input_shape {tuple(input_shape)}, got {col.shape}")
    col = col.reshape(N, OH, OW, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    # integer col (uint8...) is added up in float64: overlapping windows would wrap around.
    # The padded image suffices (the book adds SH - 1 rows, which a huge stride makes huge)
    dtype = col.dtype if np.issubdtype(col.dtype, np.floating) else np.dtype(np.float64)
    check_workspace(N * C * (H + 2 * PH) * (W + 2 * PW) * dtype.itemsize, f"col2im's image {tuple(input_shape)}",
                    f"pass fewer images at a time (N = {N})")
    img = np.zeros((N, C, H + 2 * PH, W + 2 * PW), dtype=dtype)
    for y in range(filter_h):                         # the book's loop over filter offsets
        y_max = y * DH + SH * OH
        for x in range(filter_w):
            x_max = x * DW + SW * OW
            img[:, :, y * DH:y_max:SH, x * DW:x_max:SW] += col[:, :, y, x, :, :]  # overlaps add up
    return img[:, :, PH:H + PH, PW:W + PW]
