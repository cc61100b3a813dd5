"""The convolution's speed machinery, kept out of :class:`cnnlib.layers.Convolution`.

The layer's idea is the book's: copy every window into a column of ``col``, multiply
once, go back to NCHW. :class:`Columns` does the copying for it, fast:

- **Two orders of col's columns**, ``(C*FH*FW, ...)``, one column per window:
  "batch first", ``(n, oh, ow)`` (:func:`unfold`: ``im2col(x).T``), and "batch last",
  ``(oh, ow, n)`` (:func:`unfold_batch_last`), the images side by side. With stride 1
  a row of windows is then ``OW*N`` numbers in a row instead of ``OW``, so copies and
  col2im's additions move long runs; but x and dx must be transposed to and from it.
  (cuda-convnet, the code AlexNet was trained with, kept its images this way.)
- **Strided windows read consecutive numbers**: :func:`stride_phases` splits the image
  into its ``stride x stride`` interleaved sub-images first.
- **One product per image** in the batch-first order (one group): ``W @ col`` for one
  image is its output, already in NCHW order, and a row of ones in col adds the bias.
- **Chunks**: when ``col`` would exceed a byte limit, the batch goes a few images at a time.
- **One reused array**: a fresh ``col`` of tens of MB costs the operating system's page
  faults every step, so the workspace lives from step to step.

Every function here equals :func:`cnnlib.im2col.im2col` / :func:`cnnlib.im2col.col2im`
with its rows and columns rearranged (``tests/test_im2col.py`` asserts it); like them,
they take ``stride``, ``pad`` and ``dilation`` as ints or ``(h, w)`` pairs, and floor
(the layer checks the sizes first, with its own ``strict``).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..im2col import check_images, check_workspace, memory_limit, output_hw, pad_images
from ..sizes import pair

__all__ = ["Columns", "unfold", "fold", "unfold_batch_last", "fold_batch_last", "stride_phases", "grouped_matmul"]

LAYOUTS = ("auto", "batch_first", "batch_last")
# (N, FN, OH, OW) -> (FN, ...) in the order of col's columns: (n, oh, ow) or (oh, ow, n)
COLUMN_ORDER = {"batch_first": (1, 0, 2, 3), "batch_last": (1, 2, 3, 0)}


class Columns:
    """im2col and col2im for one convolution layer: column order, chunks, reused memory.

    Args:
        filter_shape: (FN, C, FH, FW) of the layer's filters.
        stride, pad, dilation: the layer's (ints or (h, w) pairs).
        layout: ``"batch_first"``, ``"batch_last"`` or ``"auto"``: batch last when the
            stride is 1 and ``col`` has more than twice as many rows as the output has
            channels (``C*FH*FW > 2*FN``), where the transposes cost less than they save.
        groups: the layer's. Batch first with one group (``per_image``), the products go
            image by image, and col has a last row of ones: ``[W b] @ [col; 1] = W @ col + b``.
    """

    def __init__(self, filter_shape, stride, pad, layout="auto", dilation=1, groups=1):
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got layout = {layout!r}")
        FN, C, FH, FW = filter_shape
        if layout == "auto":
            layout = "batch_last" if pair(stride, "stride") == (1, 1) and C * FH * FW > 2 * FN else "batch_first"
        self.FH, self.FW, self.stride, self.pad, self.layout = FH, FW, stride, pad, layout
        self.dilation, self.rows = dilation, C * FH * FW   # col's rows, all groups together
        self.order = COLUMN_ORDER[layout]
        self.per_image = layout == "batch_first" and groups == 1
        self.workspace = None  # the col-sized array reused from step to step

    def plan(self, N, out_shape, dtype, max_bytes):
        """The chunks of a batch of N images, checked against the memory limit before anything
        is allocated: the output (N, FN, OH, OW), one image's col, and col within
        ``min(max_bytes, memory_limit())`` (``max_bytes`` None: the memory limit only)."""
        FN, OH, OW = out_shape
        itemsize = np.dtype(dtype).itemsize
        check_workspace(N * FN * OH * OW * itemsize, f"Convolution's output ({N}, {FN}, {OH}, {OW})",
                        f"pass fewer images at a time (N = {N})")
        per_image = (self.rows + self.per_image) * OH * OW * itemsize
        check_workspace(per_image, f"Convolution's col for one image ({self.rows + self.per_image}, {OH}*{OW})",
                        "use a smaller image, fewer channels or a smaller filter")
        limit = memory_limit() if max_bytes is None else min(max_bytes, memory_limit())
        return self.chunks(N, per_image, limit)

    def chunks(self, N, bytes_per_image, max_bytes):
        """Slices of a batch of N images whose ``col`` fits in ``max_bytes`` (None: no limit)."""
        size = N if max_bytes is None else max(1, min(N, max_bytes // max(bytes_per_image, 1)))
        return [slice(i, i + size) for i in range(0, N, size)]

    def unfold(self, x, dtype):
        """col of the images x (n, C, H, W), ``(C*FH*FW (+ 1 if per_image), n*OH*OW)``, in the workspace."""
        N, C, H, W = x.shape
        OH, OW = output_hw(H, W, self.FH, self.FW, self.stride, self.pad, self.dilation)
        size, ones = self.rows * N * OH * OW, self.per_image * N * OH * OW
        if self.workspace is None or self.workspace.size < size + ones or self.workspace.dtype != dtype:
            self.workspace = np.empty(size + ones, dtype=dtype)
        unfold_fn = unfold_batch_last if self.layout == "batch_last" else unfold
        col = unfold_fn(x, self.FH, self.FW, self.stride, self.pad, out=self.workspace[:size], dilation=self.dilation)
        if not ones:
            return col
        self.workspace[size:size + ones] = 1                                  # the bias's row
        return self.workspace[:size + ones].reshape(-1, col.shape[1])

    def fold(self, dcol, x_shape):
        """col2im: ``(C*FH*FW, n*OH*OW)`` -> dx ``x_shape`` (n, C, H, W), overlaps added."""
        fold_fn = fold_batch_last if self.layout == "batch_last" else fold
        return fold_fn(dcol, x_shape, self.FH, self.FW, self.stride, self.pad, dilation=self.dilation)

    def product(self, W_mat, b, col, out):
        """``out = W @ col + b`` into out (n, FN, OH, OW); W_mat (G, FN/G, C/G*FH*FW), a matrix
        per group. Batch first with one group: a product per image, straight into ``out[n]``
        (no transpose after, no product-sized temporary); else one product for the batch."""
        G, n, FN = W_mat.shape[0], out.shape[0], out.shape[1]
        if self.per_image:
            out3 = out.reshape(n, FN, -1)                                     # (n, FN, OH*OW), a view
            by_image = col.reshape(-1, n, out3.shape[2]).transpose(1, 0, 2)   # (n, C*FH*FW + 1, OH*OW), a view
            np.matmul(np.concatenate([W_mat[0], b[:, None]], axis=1), by_image, out=out3)  # [W b] @ [col; 1]
        else:
            products = grouped_matmul(W_mat, col.reshape(G, -1, col.shape[1])).reshape(FN, -1)
            out_cols = out.transpose(self.order)                              # a view of out in col's order
            np.add(products.reshape(out_cols.shape), b[:, None, None, None], out=out_cols)

    def gradients(self, W_mat, dout, col, need_dcol):
        """Backward's products for dout (n, FN, OH, OW): ``dW = dout @ col.T`` (G, FN/G,
        C/G*FH*FW), db (FN,) and, if ``need_dcol``, ``dcol = W.T @ dout`` in col's memory
        (col is done with). Per image or for the batch, as in :meth:`product`."""
        G, n, FN = W_mat.shape[0], dout.shape[0], dout.shape[1]
        if self.per_image:                                                    # as in product
            d = dout.reshape(n, FN, -1)                                       # (n, FN, OH*OW), a view
            by_image = col.reshape(-1, n, d.shape[2]).transpose(1, 0, 2)      # (n, C*FH*FW + 1, OH*OW), a view
            dWb = np.matmul(d, by_image.transpose(0, 2, 1)).sum(axis=0)       # [dW db]: per image, then summed
            if need_dcol:
                np.matmul(W_mat[0].T, d, out=by_image[:, :-1])                # dcol, into col's memory
            return dWb[None, :, :-1], dWb[:, -1], col[:-1] if need_dcol else None
        d = np.ascontiguousarray(dout.transpose(self.order)).reshape(FN, -1)  # (FN, n*OH*OW), col's order
        col_g, d_g = col.reshape(G, -1, col.shape[1]), d.reshape(G, -1, d.shape[1])
        # dW = d @ col.T, computed as (col @ d.T).T: OpenBLAS runs this long, thin shape faster
        dW = grouped_matmul(col_g, d_g.transpose(0, 2, 1)).transpose(0, 2, 1)
        db = d @ np.ones(d.shape[1], dtype=d.dtype)                           # row sums (BLAS beats d.sum(1))
        dcol = grouped_matmul(W_mat.transpose(0, 2, 1), d_g, out=col_g) if need_dcol else None  # into col's memory
        return dW, db, None if dcol is None else dcol.reshape(col.shape)

    def release(self):
        """Let the workspace go (inference keeps no col-sized memory between calls)."""
        self.workspace = None


def _output(out, size, dtype):
    """``out`` (an array to reuse, any shape, checked to hold ``size`` contiguous numbers) or a new array."""
    if out is None:
        return np.empty(size, dtype=dtype)
    if out.size != size or not out.flags.c_contiguous:  # reshape would then copy, and lose the result
        raise ValueError(f"out must be a contiguous array of {size} numbers, got shape {out.shape}")
    return out


def _sum_dtype(cols):
    """The dtype col2im adds in: cols' own if floating, else float64 (uint8 sums would wrap)."""
    return cols.dtype if np.issubdtype(cols.dtype, np.floating) else np.dtype(np.float64)


def _check_cols(cols, expected, layout, input_shape, name="cols"):
    if cols.shape != expected:
        raise ValueError(f"{name} must have shape {layout} = {expected} for input_shape "
                         f"{tuple(input_shape)}, got {cols.shape}")


def grouped_matmul(a, b, out=None):
    """``a @ b`` for stacks ``(G, M, K) @ (G, K, L)`` (one product per group of a grouped
    convolution); with one group, the plain 2-D product (the same numbers as without groups)."""
    if a.shape[0] == 1:
        return np.matmul(a[0], b[0], out=None if out is None else out[0])[None]
    return np.matmul(a, b, out=out)


def stride_phases(x, stride, Hq, Wq):
    """Split images into their ``SH x SW`` interleaved sub-images (stride: an int or a pair).

    ``x`` (N, C, H, W) -> ``(min(SH, H), min(SW, W), N, C, Hq, Wq)``: entry ``[ry, rx]`` is
    ``x[:, :, ry::SH, rx::SW]``, cut or padded with zeros to ``Hq x Wq``. The pixel
    ``(oh*SH + y, ow*SW + x)`` (a window at ``(oh, ow)``, a filter offset ``(y, x)``, which
    with dilation is the tap times the dilation) is then the pixel
    ``(oh + y // SH, ow + x // SW)`` of sub-image ``[y % SH, x % SW]``:
    so even when the stride skips pixels, a row of windows reads consecutive numbers.
    With stride 1 there is one sub-image, x itself (a view, no copy: cut to
    ``Hq x Wq`` but never padded).
    """
    N, C, H, W = x.shape
    SH, SW = pair(stride, "stride", 1)
    if SH == SW == 1:
        return x[None, None, :, :, :Hq, :Wq]
    # sub-images [ry, rx] with ry >= H or rx >= W would be empty: only min(SH, H) x min(SW, W)
    # exist, so that a stride far beyond the image costs nothing (a window's offsets, which
    # fit in the image, never reach them)
    subs = np.zeros((min(SH, H), min(SW, W), N, C, Hq, Wq), dtype=x.dtype)
    for ry in range(min(SH, H)):
        for rx in range(min(SW, W)):
            part = x[:, :, ry::SH, rx::SW][:, :, :Hq, :Wq]
            subs[ry, rx, :, :, :part.shape[2], :part.shape[3]] = part
    return subs


def _sub_image_size(OH, FH, stride, dilation=1):
    """Rows (or columns) of a sub-image that the windows read: OH windows, plus the
    furthest filter offset counted in strides."""
    return OH + (FH - 1) * dilation // stride


def unfold(input_data, filter_h, filter_w, stride=1, pad=0, out=None, dilation=1):
    """im2col, transposed: ``(N, C, H, W)`` -> ``(C*FH*FW, N*OH*OW)``, equal to ``im2col(x).T``.

    Column ``(n*OH + oh)*OW + ow`` is the window at ``(oh*SH, ow*SW)`` of image
    ``n``, flattened in ``(c, fh, fw)`` order. ``out``: an array of that size to write
    into (the layer reuses one from step to step).

    How: the book's loop over the FH*FW filter offsets, each copying one slice of the
    whole batch, but read from :func:`stride_phases`, so that every copy moves whole
    rows of ``OW`` consecutive numbers even with a stride.
    """
    N, C, H, W = check_images(input_data)
    OH, OW = output_hw(H, W, filter_h, filter_w, stride, pad, dilation)
    (SH, SW), (DH, DW) = pair(stride, "stride", 1), pair(dilation, "dilation", 1)
    out = _output(out, C * filter_h * filter_w * N * OH * OW, input_data.dtype)
    col = out.reshape(C, filter_h, filter_w, N, OH, OW)
    subs = stride_phases(pad_images(input_data, pad), (SH, SW),
                         _sub_image_size(OH, filter_h, SH, DH), _sub_image_size(OW, filter_w, SW, DW))
    for y in range(filter_h):                                   # filter offsets, as in the book
        for x in range(filter_w):
            # offset (y*DH, x*DW) of every window: sub-image [y*DH % SH, x*DW % SW], shifted
            # by (y*DH // SH, x*DW // SW); (N, C, OH, OW) -> (C, N, OH, OW)
            i, j = y * DH // SH, x * DW // SW
            col[:, y, x] = subs[y * DH % SH, x * DW % SW, :, :, i:i + OH, j:j + OW].transpose(1, 0, 2, 3)
    return out.reshape(C * filter_h * filter_w, N * OH * OW)


def fold(cols, input_shape, filter_h, filter_w, stride=1, pad=0, dilation=1):
    """The backward pass of :func:`unfold`: ``(C*FH*FW, N*OH*OW)`` -> ``(N, C, H, W)``, adding
    overlaps; equal to ``col2im(cols.T)``.

    The additions go into the :func:`stride_phases` sub-images (consecutive numbers
    even with a stride), which are then interleaved back into the image.
    """
    N, C, H, W = input_shape
    OH, OW = output_hw(H, W, filter_h, filter_w, stride, pad, dilation)
    (SH, SW), (PH, PW), (DH, DW) = pair(stride, "stride", 1), pair(pad, "pad"), pair(dilation, "dilation", 1)
    _check_cols(cols, (C * filter_h * filter_w, N * OH * OW), "(C*FH*FW, N*OH*OW)", input_shape)
    cols6 = cols.reshape(C, filter_h, filter_w, N, OH, OW)
    Hq, Wq = _sub_image_size(OH, filter_h, SH, DH), _sub_image_size(OW, filter_w, SW, DW)
    Hp, Wp = H + 2 * PH, W + 2 * PW
    RH, RW = min(SH, Hp), min(SW, Wp)  # the sub-images that exist (see stride_phases)
    subs = np.zeros((RH, RW, C, N, Hq, Wq), dtype=_sum_dtype(cols))
    for y in range(filter_h):
        for x in range(filter_w):
            i, j = y * DH // SH, x * DW // SW
            subs[y * DH % SH, x * DW % SW, :, :, i:i + OH, j:j + OW] += cols6[:, y, x]  # overlaps add up
    # the pixels that no window reaches (when the sizes do not divide) stay 0; and the
    # interleaved sub-images may reach past the padded edge (SH*Hq > H + 2*PH)
    img = np.zeros((N, C, max(Hp, SH * (Hq - 1) + RH), max(Wp, SW * (Wq - 1) + RW)), dtype=subs.dtype)
    for ry in range(RH):
        for rx in range(RW):
            img[:, :, ry:SH * Hq:SH, rx:SW * Wq:SW] = subs[ry, rx].transpose(1, 0, 2, 3)
    return img[:, :, PH:H + PH, PW:W + PW]


def batch_last(x, pad=0):
    """``(N, C, H, W)`` -> ``(C, H + 2*PH, W + 2*PW, N)``, padded with zeros, in one copy."""
    N, C, H, W = x.shape
    PH, PW = pair(pad, "pad")
    out = np.zeros((C, H + 2 * PH, W + 2 * PW, N), dtype=x.dtype)
    out[:, PH:PH + H, PW:PW + W] = x.transpose(1, 2, 3, 0)
    return out


def unfold_batch_last(input_data, filter_h, filter_w, stride=1, pad=0, out=None, dilation=1):
    """im2col with the batch axis last: ``(N, C, H, W)`` -> ``(C*FH*FW, OH*OW*N)``.

    Column ``(oh*OW + ow)*N + n`` is the window at ``(oh*SH, ow*SW)`` of image
    ``n``, flattened in ``(c, fh, fw)`` order. ``out`` as in :func:`unfold`.
    """
    N, C, H, W = check_images(input_data)
    OH, OW = output_hw(H, W, filter_h, filter_w, stride, pad, dilation)
    (SH, SW), (DH, DW) = pair(stride, "stride", 1), pair(dilation, "dilation", 1)
    x = batch_last(input_data, pad)                                  # (C, Hp, Wp, N)
    span = ((filter_h - 1) * DH + 1, (filter_w - 1) * DW + 1)
    win = sliding_window_view(x, span, axis=(1, 2))[:, ::SH, ::SW, :, ::DH, ::DW][:, :OH, :OW]
    # (C, OH, OW, N, FH, FW) -> (C, FH, FW, OH, OW, N): with stride 1, runs of OW*N numbers
    view = win.transpose(0, 4, 5, 1, 2, 3)
    out = _output(out, view.size, view.dtype)
    np.copyto(out.reshape(view.shape), view)
    return out.reshape(C * filter_h * filter_w, OH * OW * N)


def fold_batch_last(cols, input_shape, filter_h, filter_w, stride=1, pad=0, dilation=1):
    """The backward pass of :func:`unfold_batch_last`: ``(C*FH*FW, OH*OW*N)`` -> ``(N, C, H, W)``."""
    N, C, H, W = input_shape
    OH, OW = output_hw(H, W, filter_h, filter_w, stride, pad, dilation)
    (SH, SW), (PH, PW), (DH, DW) = pair(stride, "stride", 1), pair(pad, "pad"), pair(dilation, "dilation", 1)
    _check_cols(cols, (C * filter_h * filter_w, OH * OW * N), "(C*FH*FW, OH*OW*N)", input_shape)
    cols6 = cols.reshape(C, filter_h, filter_w, OH, OW, N)
    img = np.zeros((C, H + 2 * PH, W + 2 * PW, N), dtype=_sum_dtype(cols))
    for y in range(filter_h):
        y_max = y * DH + SH * OH
        for x in range(filter_w):
            x_max = x * DW + SW * OW
            img[:, y * DH:y_max:SH, x * DW:x_max:SW] += cols6[:, y, x]   # overlaps add up
    # back to (N, C, H, W), contiguous for the layers before
    return np.ascontiguousarray(img[:, PH:H + PH, PW:W + PW].transpose(3, 0, 1, 2))
