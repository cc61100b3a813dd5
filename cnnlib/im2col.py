"""im2col and col2im: turn a convolution into one matrix product.

``im2col`` copies every filter-sized window of the input into one row of a matrix:

    input (N, C, H, W)  ->  col (N*OH*OW, C*FH*FW)

Row ``(n, oh, ow)`` holds the window whose top-left corner is at
``(oh*stride, ow*stride)`` of the padded image ``n``, flattened in ``(c, fh, fw)``
order, so that a filter bank reshaped to ``(FN, C*FH*FW)`` multiplies it directly.
This is the layout of Deep Learning from Scratch, chapter 7.

``col2im`` goes back: it adds every entry of ``col`` to the input pixel it was copied
from. Windows overlap, so one pixel receives several contributions: that is why it
accumulates with ``+=`` (the gradient of a copy is a sum).

Two versions of im2col live here: ``im2col`` builds a strided *view* of all windows
and copies it once; ``im2col_book`` is the book's double loop, kept as the readable
reference that the tests compare against.

``unfold`` / ``fold`` are the same idea, transposed: ``(C*FH*FW, N*OH*OW)``, one
*column* per window (``unfold(x)`` equals ``im2col(x).T``, made contiguous). The
convolution layer uses this layout because ``W (FN, C*FH*FW) @ unfold(x)`` comes out
as ``(FN, N*OH*OW)``, one row per filter with the pixels in NCHW order, and because
building it copies whole rows of ``OW`` output pixels at a time (``im2col``'s copy
moves runs of only ``FW`` numbers). (PyTorch's ``unfold`` returns the same columns
split per image, ``(N, C*FH*FW, OH*OW)``.)

``unfold_batch_last`` / ``fold_batch_last`` order the columns with the batch axis last
instead: ``(C*FH*FW, OH*OW*N)``, the images side by side in every row (the "CHWN"
layout of cuda-convnet, the code AlexNet was trained with). With stride 1, one filter
offset across a row of windows is then ``OW*N`` consecutive numbers, so copies and
col2im's additions move long runs instead of rows of ``OW``.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .sizes import conv_output_size

__all__ = ["im2col", "col2im", "unfold", "fold", "unfold_batch_last", "fold_batch_last", "batch_last",
           "stride_phases", "im2col_book", "col2im_book", "pad_images", "windows"]


def _check_images(input_data, name="input_data"):
    if not isinstance(input_data, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of shape (N, C, H, W), got {type(input_data).__name__}")
    if input_data.ndim != 4:
        raise ValueError(f"{name} must have 4 dimensions (N, C, H, W), got shape {input_data.shape}")
    return input_data.shape


def _output_hw(H, W, filter_h, filter_w, stride, pad):
    # Floors like the book: callers that want the strict check make it first.
    OH = conv_output_size(H, filter_h, stride, pad, strict=False)
    OW = conv_output_size(W, filter_w, stride, pad, strict=False)
    return OH, OW


def _check_cols(cols, expected, layout, input_shape, name="cols"):
    if cols.shape != expected:
        raise ValueError(f"{name} must have shape {layout} = {expected} for input_shape "
                         f"{tuple(input_shape)}, got {cols.shape}")


def pad_images(x, pad, value=0.0):
    """Pad the two spatial axes of ``x`` (N, C, H, W) by ``pad`` on each side."""
    if pad == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant", constant_values=value)


def windows(x, filter_h, filter_w, stride=1):
    """All windows of an (already padded) ``x`` as a read-only view, no copy.

    Returns shape ``(N, C, OH, OW, FH, FW)``: ``windows(x)[n, c, i, j]`` is the
    ``FH x FW`` patch whose top-left corner is ``x[n, c, i*stride, j*stride]``.
    """
    view = sliding_window_view(x, (filter_h, filter_w), axis=(2, 3))
    return view[:, :, ::stride, ::stride]


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """Unfold filter-sized windows into rows of a matrix.

    Args:
        input_data: images, shape (N, C, H, W).
        filter_h, filter_w: FH, FW, the window size.
        stride, pad: as in the output-size formula.

    Returns:
        col: shape (N*OH*OW, C*FH*FW), same dtype as ``input_data``, with
        ``OH = (H + 2*pad - FH) // stride + 1`` (and OW likewise).
    """
    N, C, H, W = _check_images(input_data)
    OH, OW = _output_hw(H, W, filter_h, filter_w, stride, pad)
    win = windows(pad_images(input_data, pad), filter_h, filter_w, stride)[:, :, :OH, :OW]
    # (N, C, OH, OW, FH, FW) -> (N, OH, OW, C, FH, FW): always one copy (never a view of the input)
    return np.array(win.transpose(0, 2, 3, 1, 4, 5), order="C").reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """Fold rows of ``col`` back onto the image, adding overlapping contributions.

    Args:
        col: shape (N*OH*OW, C*FH*FW), as returned by :func:`im2col`.
        input_shape: (N, C, H, W) of the original input.

    Returns:
        array of shape (N, C, H, W): pixel ``(n, c, y, x)`` is the sum of all entries
        of ``col`` that ``im2col`` copied from it (so ``col2im`` is the transpose, the
        backward pass, of ``im2col``; it is not its inverse).
    """
    N, C, H, W = input_shape
    OH, OW = _output_hw(H, W, filter_h, filter_w, stride, pad)
    _check_cols(col, (N * OH * OW, C * filter_h * filter_w), "(N*OH*OW, C*FH*FW)", input_shape, "col")
    # view as (C, FH, FW, N, OH, OW): entry [c, y, x] is what window offset (y, x) copied
    return _fold6(col.reshape(N, OH, OW, C, filter_h, filter_w).transpose(3, 4, 5, 0, 1, 2), input_shape, stride, pad)


def _output(out, size, dtype):
    """``out`` (an array to reuse, any shape, checked to hold ``size`` contiguous numbers) or a new array."""
    if out is None:
        return np.empty(size, dtype=dtype)
    if out.size != size or not out.flags.c_contiguous:  # reshape would then copy, and lose the result
        raise ValueError(f"out must be a contiguous array of {size} numbers, got shape {out.shape}")
    return out


def _copy_into(out, shape, view):
    """Copy ``view`` into ``out`` (see :func:`_output`) and return it in ``shape``."""
    out = _output(out, view.size, view.dtype)
    np.copyto(out.reshape(view.shape), view)
    return out.reshape(shape)


def stride_phases(x, stride, Hq, Wq):
    """Split images into their ``stride x stride`` interleaved sub-images.

    ``x`` (N, C, H, W) -> ``(stride, stride, N, C, Hq, Wq)``: entry ``[ry, rx]`` is
    ``x[:, :, ry::stride, rx::stride]``, cut or padded with zeros to ``Hq x Wq``. Filter
    offset ``(y, x)`` of the window at ``(oh, ow)``, the pixel
    ``(oh*stride + y, ow*stride + x)``, is then the pixel
    ``(oh + y // stride, ow + x // stride)`` of sub-image ``[y % stride, x % stride]``:
    so even when the stride skips pixels, a row of windows reads consecutive numbers.
    With stride 1 there is one sub-image, x itself (a view, no copy: cut to
    ``Hq x Wq`` but never padded).
    """
    N, C = x.shape[:2]
    if stride == 1:
        return x[None, None, :, :, :Hq, :Wq]
    subs = np.zeros((stride, stride, N, C, Hq, Wq), dtype=x.dtype)
    for ry in range(stride):
        for rx in range(stride):
            part = x[:, :, ry::stride, rx::stride][:, :, :Hq, :Wq]
            subs[ry, rx, :, :, :part.shape[2], :part.shape[3]] = part
    return subs


def _sub_image_size(OH, FH, stride):
    """Rows (or columns) of a sub-image that the windows read: OH windows, plus the
    furthest filter offset counted in strides."""
    return OH + (FH - 1) // stride


def unfold(input_data, filter_h, filter_w, stride=1, pad=0, out=None):
    """im2col, transposed: ``(N, C, H, W)`` -> ``(C*FH*FW, N*OH*OW)``.

    Column ``(n*OH + oh)*OW + ow`` is the window at ``(oh*stride, ow*stride)`` of image
    ``n``, flattened in ``(c, fh, fw)`` order: row for row the columns of
    ``im2col(x).T``. ``out``: an array of that size to write into (the layer reuses one
    from step to step).

    How: the book's loop over the FH*FW filter offsets, each copying one slice of the
    whole batch, but read from :func:`stride_phases`, so that every copy moves whole
    rows of ``OW`` consecutive numbers even with a stride.
    """
    N, C, H, W = _check_images(input_data)
    OH, OW = _output_hw(H, W, filter_h, filter_w, stride, pad)
    out = _output(out, C * filter_h * filter_w * N * OH * OW, input_data.dtype)
    col = out.reshape(C, filter_h, filter_w, N, OH, OW)
    subs = stride_phases(pad_images(input_data, pad), stride,
                         _sub_image_size(OH, filter_h, stride), _sub_image_size(OW, filter_w, stride))
    for y in range(filter_h):                                   # filter offsets, as in the book
        for x in range(filter_w):
            # offset (y, x) of every window: sub-image [y % stride, x % stride], shifted by
            # (y // stride, x // stride); (N, C, OH, OW) -> (C, N, OH, OW)
            i, j = y // stride, x // stride
            col[:, y, x] = subs[y % stride, x % stride, :, :, i:i + OH, j:j + OW].transpose(1, 0, 2, 3)
    return out.reshape(C * filter_h * filter_w, N * OH * OW)


def batch_last(x, pad=0):
    """``(N, C, H, W)`` -> ``(C, H + 2*pad, W + 2*pad, N)``, padded with zeros, in one copy."""
    N, C, H, W = x.shape
    out = np.zeros((C, H + 2 * pad, W + 2 * pad, N), dtype=x.dtype)
    out[:, pad:pad + H, pad:pad + W] = x.transpose(1, 2, 3, 0)
    return out


def unfold_batch_last(input_data, filter_h, filter_w, stride=1, pad=0, out=None):
    """im2col with the batch axis last: ``(N, C, H, W)`` -> ``(C*FH*FW, OH*OW*N)``.

    Column ``(oh*OW + ow)*N + n`` is the window at ``(oh*stride, ow*stride)`` of image
    ``n``, flattened in ``(c, fh, fw)`` order. ``out`` as in :func:`unfold`.
    """
    N, C, H, W = _check_images(input_data)
    OH, OW = _output_hw(H, W, filter_h, filter_w, stride, pad)
    x = batch_last(input_data, pad)                                  # (C, Hp, Wp, N)
    win = sliding_window_view(x, (filter_h, filter_w), axis=(1, 2))[:, ::stride, ::stride][:, :OH, :OW]
    # (C, OH, OW, N, FH, FW) -> (C, FH, FW, OH, OW, N): with stride 1, runs of OW*N numbers
    return _copy_into(out, (C * filter_h * filter_w, OH * OW * N), win.transpose(0, 4, 5, 1, 2, 3))


def fold_batch_last(cols, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The backward pass of :func:`unfold_batch_last`: ``(C*FH*FW, OH*OW*N)`` -> ``(N, C, H, W)``."""
    N, C, H, W = input_shape
    OH, OW = _output_hw(H, W, filter_h, filter_w, stride, pad)
    _check_cols(cols, (C * filter_h * filter_w, OH * OW * N), "(C*FH*FW, OH*OW*N)", input_shape)
    cols6 = cols.reshape(C, filter_h, filter_w, OH, OW, N)
    img = np.zeros((C, H + 2 * pad, W + 2 * pad, N), dtype=cols.dtype)
    for y in range(filter_h):
        y_max = y + stride * OH
        for x in range(filter_w):
            x_max = x + stride * OW
            img[:, y:y_max:stride, x:x_max:stride] += cols6[:, y, x]   # overlaps add up
    # back to (N, C, H, W), contiguous for the layers before
    return np.ascontiguousarray(img[:, pad:H + pad, pad:W + pad].transpose(3, 0, 1, 2))


def fold(cols, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The backward pass of :func:`unfold`: ``(C*FH*FW, N*OH*OW)`` -> ``(N, C, H, W)``, adding overlaps."""
    N, C, H, W = input_shape
    OH, OW = _output_hw(H, W, filter_h, filter_w, stride, pad)
    _check_cols(cols, (C * filter_h * filter_w, N * OH * OW), "(C*FH*FW, N*OH*OW)", input_shape)
    return _fold6(cols.reshape(C, filter_h, filter_w, N, OH, OW), input_shape, stride, pad)


def _fold6(cols6, input_shape, stride, pad):
    """Add ``cols6`` (C, FH, FW, N, OH, OW) back onto a (N, C, H, W) image: the loop of col2im.

    The additions go into the :func:`stride_phases` sub-images (consecutive numbers
    even with a stride), which are then interleaved back into the image.
    """
    N, C, H, W = input_shape
    _, FH, FW, _, OH, OW = cols6.shape
    Hq, Wq = _sub_image_size(OH, FH, stride), _sub_image_size(OW, FW, stride)
    subs = np.zeros((stride, stride, C, N, Hq, Wq), dtype=cols6.dtype)
    for y in range(FH):
        for x in range(FW):
            i, j = y // stride, x // stride
            subs[y % stride, x % stride, :, :, i:i + OH, j:j + OW] += cols6[:, y, x]  # overlaps add up
    # the pixels that no window reaches (when the sizes do not divide) stay 0; and the
    # interleaved sub-images may reach past the padded edge (stride*Hq > H + 2*pad)
    img = np.zeros((N, C, max(H + 2 * pad, stride * Hq), max(W + 2 * pad, stride * Wq)), dtype=cols6.dtype)
    for ry in range(stride):
        for rx in range(stride):
            img[:, :, ry:stride * Hq:stride, rx:stride * Wq:stride] = subs[ry, rx].transpose(1, 0, 2, 3)
    return img[:, :, pad:H + pad, pad:W + pad]


def im2col_book(input_data, filter_h, filter_w, stride=1, pad=0):
    """Deep Learning from Scratch's im2col, loop for loop: the reference for the tests.

    Same arguments and result as :func:`im2col` (it works in the input's dtype; the
    book's version always produces float64).
    """
    N, C, H, W = _check_images(input_data)
    OH, OW = _output_hw(H, W, filter_h, filter_w, stride, pad)
    img = pad_images(input_data, pad)
    col = np.zeros((N, C, filter_h, filter_w, OH, OW), dtype=input_data.dtype)
    for y in range(filter_h):
        y_max = y + stride * OH
        for x in range(filter_w):
            x_max = x + stride * OW
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, -1)


def col2im_book(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The book's col2im, kept beside :func:`col2im` as the reference."""
    N, C, H, W = input_shape
    OH, OW = _output_hw(H, W, filter_h, filter_w, stride, pad)
    col = col.reshape(N, OH, OW, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * OH
        for x in range(filter_w):
            x_max = x + stride * OW
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]
