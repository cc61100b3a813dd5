"""im2col / col2im: the fast versions, the book's loops, and their relation."""

from functools import partial

import numpy as np
import pytest

from cnnlib import col2im, im2col
from cnnlib.im2col import pad_images, windows
from cnnlib.layers.columns import batch_last, fold, fold_batch_last, stride_phases, unfold, unfold_batch_last
from cnnlib.reference import col2im_loop, im2col_book


def random_case(rng):
    """Random (input_shape, FH, FW, stride, pad), where the filter fits the padded input."""
    N, C = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    H, W = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    pad = int(rng.integers(0, 3))
    FH = int(rng.integers(1, min(H + 2 * pad, 5) + 1))
    FW = int(rng.integers(1, min(W + 2 * pad, 5) + 1))
    stride = int(rng.integers(1, 4))
    return (N, C, H, W), FH, FW, stride, pad


# --- the book's shapes ------------------------------------------------------------------

def test_book_shapes():
    # Deep Learning from Scratch 7.4.3: 5x5 filters, stride 1, no pad -> 3x3 windows of 3*5*5
    x1 = np.zeros((1, 3, 7, 7))
    assert im2col(x1, 5, 5, stride=1, pad=0).shape == (9, 75)
    x2 = np.zeros((10, 3, 7, 7))
    assert im2col(x2, 5, 5, stride=1, pad=0).shape == (90, 75)


def test_small_example_by_hand():
    # one 3x3 channel, 2x2 windows, stride 1: four windows, read row by row
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    expected = np.array([[0, 1, 3, 4],
                         [1, 2, 4, 5],
                         [3, 4, 6, 7],
                         [4, 5, 7, 8]], dtype=float)
    np.testing.assert_array_equal(im2col(x, 2, 2), expected)


def test_columns_are_channel_then_row_then_column():
    # two channels: a row holds channel 0's window, then channel 1's
    x = np.arange(8.0).reshape(1, 2, 2, 2)
    np.testing.assert_array_equal(im2col(x, 2, 2), [[0, 1, 2, 3, 4, 5, 6, 7]])


def test_padding_adds_zeros():
    x = np.ones((1, 1, 1, 1))
    col = im2col(x, 3, 3, pad=1)
    np.testing.assert_array_equal(col, [[0, 0, 0, 0, 1, 0, 0, 0, 0]])


def test_col2im_small_example_adds_overlaps():
    # all-ones windows fold back into "how many windows cover this pixel"
    col = np.ones((4, 4))
    img = col2im(col, (1, 1, 3, 3), 2, 2)
    np.testing.assert_array_equal(img[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


# --- fast == book, over a seeded sweep ----------------------------------------------------

def test_im2col_matches_book_sweep():
    rng = np.random.default_rng(0)
    for _ in range(200):
        shape, FH, FW, stride, pad = random_case(rng)
        x = rng.standard_normal(shape)
        fast, book = im2col(x, FH, FW, stride, pad, strict=False), im2col_book(x, FH, FW, stride, pad)
        assert fast.shape == book.shape, (shape, FH, FW, stride, pad)
        np.testing.assert_array_equal(fast, book, err_msg=f"{shape=} {FH=} {FW=} {stride=} {pad=}")


def test_col2im_matches_book_sweep():
    rng = np.random.default_rng(1)
    for _ in range(200):
        shape, FH, FW, stride, pad = random_case(rng)
        rows = im2col(np.zeros(shape), FH, FW, stride, pad, strict=False).shape
        col = rng.standard_normal(rows)
        np.testing.assert_allclose(col2im(col, shape, FH, FW, stride, pad, strict=False),
                                   col2im_loop(col, shape, FH, FW, stride, pad),
                                   rtol=1e-12, atol=1e-12, err_msg=f"{shape=} {FH=} {FW=} {stride=} {pad=}")


def test_col2im_is_not_the_inverse_when_windows_overlap():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    back = col2im(im2col(x, 2, 2), x.shape, 2, 2)
    # the centre pixel was copied into all four windows, so it comes back 4 times
    assert back[0, 0, 1, 1] == 4 * x[0, 0, 1, 1]


def test_im2col_col2im_round_trip_without_overlap():
    # stride == filter size, no pad: every pixel is in exactly one window
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 4))
    np.testing.assert_array_equal(col2im(im2col(x, 2, 2, stride=2), x.shape, 2, 2, stride=2), x)


# --- dtypes, mutation, helpers ------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved(dtype):
    x = np.ones((2, 3, 5, 5), dtype=dtype)
    col = im2col(x, 3, 3, stride=2, pad=1)
    assert col.dtype == dtype
    assert im2col_book(x, 3, 3, stride=2, pad=1).dtype == dtype
    assert col2im(col, x.shape, 3, 3, stride=2, pad=1).dtype == dtype
    assert col2im_loop(col, x.shape, 3, 3, stride=2, pad=1).dtype == dtype


def test_inputs_not_mutated():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 5, 5))
    x0 = x.copy()
    col = im2col(x, 3, 3, stride=1, pad=1)
    col0 = col.copy()
    col2im(col, x.shape, 3, 3, stride=1, pad=1)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(col, col0)


@pytest.mark.parametrize("shape, FH, FW", [
    ((2, 3, 4, 4), 3, 3),   # overlapping windows: the copy is unavoidable
    ((1, 1, 2, 2), 2, 2),   # one window covering the whole image
    ((2, 1, 4, 4), 1, 1),   # 1x1 windows of a single channel
    ((1, 3, 4, 4), 4, 4),   # one window, several channels
], ids=["overlapping", "one-window", "1x1-one-channel", "one-window-channels"])
def test_im2col_returns_a_fresh_writable_copy(shape, FH, FW):
    # The docstring promises one copy. A view of the input would be read-only, and a layer
    # caching it (Convolution keeps col for backward) would see later changes of x.
    x = np.zeros(shape)
    col = im2col(x, FH, FW)
    assert not np.shares_memory(col, x)
    assert col.flags.writeable
    col[...] = 1.0
    assert np.all(x == 0)


def test_windows_view():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    win = windows(x, 2, 2, stride=2)
    assert win.shape == (1, 1, 2, 2, 2, 2)
    np.testing.assert_array_equal(win[0, 0, 1, 0], [[8, 9], [12, 13]])


def test_pad_images():
    x = np.ones((1, 2, 2, 3))
    assert pad_images(x, 0) is x
    p = pad_images(x, 1, value=-np.inf)
    assert p.shape == (1, 2, 4, 5)
    assert np.all(p[:, :, 0] == -np.inf) and np.all(p[:, :, 1:3, 1:4] == 1)


def test_not_dividing_sizes_follow_the_one_policy():
    # strict by default, like the layers; strict=False floors like the book and PyTorch
    x = np.zeros((1, 1, 7, 7))
    with pytest.raises(ValueError, match=r"\(7 \+ 2\*0 - 3\) = 4 is not divisible by stride = 3.*strict=False"):
        im2col(x, 3, 3, stride=3)
    with pytest.raises(ValueError, match="is not divisible by stride = 3"):
        col2im(np.zeros((4, 9)), x.shape, 3, 3, stride=3)
    assert im2col(x, 3, 3, stride=3, strict=False).shape == (4, 9)   # (7 - 3) // 3 + 1 = 2 per side
    assert col2im(np.zeros((4, 9)), x.shape, 3, 3, stride=3, strict=False).shape == x.shape
    np.testing.assert_array_equal(im2col(x, 3, 3, stride=3, strict=False), im2col_book(x, 3, 3, stride=3))


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"input_data must have 4 dimensions"):
        im2col(np.zeros((3, 7, 7)), 3, 3)
    with pytest.raises(TypeError, match=r"input_data must be a NumPy array"):
        im2col([[1.0]], 1, 1)
    with pytest.raises(ValueError, match=r"col must have shape"):
        col2im(np.zeros((9, 8)), (1, 3, 5, 5), 3, 3)
    with pytest.raises(ValueError, match=r"stride must be >= 1"):
        im2col(np.zeros((1, 1, 5, 5)), 3, 3, stride=0)
    with pytest.raises(ValueError, match=r"pad must be >= 0"):
        im2col(np.zeros((1, 1, 5, 5)), 3, 3, pad=-1)


# --- the batch-first and batch-last layouts are im2col, rearranged -------------------------

def test_unfold_layouts_are_im2col_rearranged_sweep():
    rng = np.random.default_rng(3)
    for _ in range(100):
        shape, FH, FW, stride, pad = random_case(rng)
        x = rng.standard_normal(shape)
        col = im2col(x, FH, FW, stride, pad, strict=False)           # (N*OH*OW, C*FH*FW)
        N, P, K = shape[0], col.shape[0] // shape[0], col.shape[1]
        case = f"{shape=} {FH=} {FW=} {stride=} {pad=}"
        np.testing.assert_array_equal(unfold(x, FH, FW, stride, pad), col.T, err_msg=case)
        np.testing.assert_array_equal(unfold_batch_last(x, FH, FW, stride, pad),
                                      col.reshape(N, P, K).transpose(2, 1, 0).reshape(K, P * N), err_msg=case)


@pytest.mark.parametrize("unfold_fn, fold_fn", [(partial(im2col, strict=False), partial(col2im, strict=False)),
                                               (unfold, fold), (unfold_batch_last, fold_batch_last)])
def test_fold_is_the_adjoint_of_unfold_sweep(unfold_fn, fold_fn):
    # <im2col(x), c> == <x, col2im(c)> for all x, c: col2im is the transpose (the backward
    # pass) of im2col, not its inverse; and likewise for each layout
    rng = np.random.default_rng(4)
    for _ in range(100):
        shape, FH, FW, stride, pad = random_case(rng)
        x = rng.standard_normal(shape)
        cols = unfold_fn(x, FH, FW, stride, pad)
        c = rng.standard_normal(cols.shape)
        back = fold_fn(c, shape, FH, FW, stride, pad)
        assert back.shape == shape
        if fold_fn is fold_batch_last:                       # transposed back into a fresh NCHW array
            assert back.flags.c_contiguous
        assert np.sum(cols * c) == pytest.approx(np.sum(x * back), rel=1e-10, abs=1e-10), (shape, FH, FW, stride, pad)


@pytest.mark.parametrize("unfold_fn", [unfold, unfold_batch_last])
def test_unfold_writes_into_out(unfold_fn):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
    expected = unfold_fn(x, 3, 2, 1, 1)
    buffer = np.full(expected.size + 7, np.nan, dtype=np.float32)
    got = unfold_fn(x, 3, 2, 1, 1, out=buffer[:expected.size])
    np.testing.assert_array_equal(got, expected)
    assert np.shares_memory(got, buffer) and np.isnan(buffer[expected.size:]).all()
    with pytest.raises(ValueError, match="out must be a contiguous array of"):
        unfold_fn(x, 3, 2, 1, 1, out=buffer[:expected.size - 1])   # too small
    with pytest.raises(ValueError, match="out must be a contiguous array of"):
        unfold_fn(x, 3, 2, 1, 1, out=np.empty(2 * expected.size, dtype=np.float32)[::2])  # strided


@pytest.mark.parametrize("stride, Hq, Wq", [(2, 4, 3), (3, 2, 3), (3, 4, 4)])   # cut, or padded with zeros
def test_stride_phases_are_the_interleaved_sub_images(stride, Hq, Wq):
    x = np.arange(2 * 3 * 8 * 7, dtype=np.float64).reshape(2, 3, 8, 7) + 1       # no zeros of its own
    subs = stride_phases(x, stride, Hq, Wq)
    assert subs.shape == (stride, stride, 2, 3, Hq, Wq)
    for ry in range(stride):
        for rx in range(stride):
            part = x[:, :, ry::stride, rx::stride][:, :, :Hq, :Wq]
            h, w = part.shape[2:]
            np.testing.assert_array_equal(subs[ry, rx, :, :, :h, :w], part)
            assert (subs[ry, rx, :, :, h:] == 0).all() and (subs[ry, rx, :, :, :, w:] == 0).all()
    one = stride_phases(x, 1, 8, 7)                                           # stride 1: x itself, no copy
    assert one.shape == (1, 1, 2, 3, 8, 7) and np.shares_memory(one, x)


def test_fold_batch_last_checks_the_shape():
    with pytest.raises(ValueError, match=r"cols must have shape \(C\*FH\*FW, OH\*OW\*N\) = \(9, 2\) for input_shape \(2, 1, 3, 3\), got \(9, 9\)"):
        fold_batch_last(np.zeros((9, 9)), (2, 1, 3, 3), 3, 3, stride=1, pad=0)


def test_batch_last_pads_and_moves_the_batch_axis():
    x = np.arange(2 * 1 * 2 * 2.0).reshape(2, 1, 2, 2)
    bl = batch_last(x, pad=1)
    assert bl.shape == (1, 4, 4, 2)
    np.testing.assert_array_equal(bl[0, 1:3, 1:3, 1], x[1, 0])
    assert bl[0, 0].sum() == 0 and bl[0, :, 0].sum() == 0


# --- (h, w) pairs and dilation: the same sweeps ---------------------------------------------

def random_pair_case(rng):
    """Random (input_shape, FH, FW, stride, pad, dilation), each setting an int or an (h, w) pair,
    the dilated filter fitting the padded input."""
    N, C = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    H, W = int(rng.integers(1, 10)), int(rng.integers(1, 10))
    stride, pad, dilation = ([int(v) for v in rng.integers(lo, hi, 2)] for lo, hi in ((1, 4), (0, 3), (1, 4)))
    FH = int(rng.integers(1, (H + 2 * pad[0] - 1) // dilation[0] + 2))
    FW = int(rng.integers(1, (W + 2 * pad[1] - 1) // dilation[1] + 2))
    as_given = [v if v[0] != v[1] or rng.random() < 0.5 else v[0] for v in (stride, pad, dilation)]
    return (N, C, H, W), min(FH, 4), min(FW, 4), *as_given


def test_pairs_and_dilation_match_the_book_loops_sweep():
    rng = np.random.default_rng(7)
    for _ in range(300):
        shape, FH, FW, stride, pad, dilation = random_pair_case(rng)
        case = f"{shape=} {FH=} {FW=} {stride=} {pad=} {dilation=}"
        x = rng.standard_normal(shape)
        col = im2col(x, FH, FW, stride, pad, dilation=dilation, strict=False)
        np.testing.assert_array_equal(col, im2col_book(x, FH, FW, stride, pad, dilation), err_msg=case)
        c = rng.standard_normal(col.shape)
        np.testing.assert_allclose(col2im(c, shape, FH, FW, stride, pad, dilation=dilation, strict=False),
                                   col2im_loop(c, shape, FH, FW, stride, pad, dilation), rtol=1e-12, atol=1e-12,
                                   err_msg=case)
        N, P, K = shape[0], col.shape[0] // shape[0], col.shape[1]
        np.testing.assert_array_equal(unfold(x, FH, FW, stride, pad, dilation=dilation), col.T, err_msg=case)
        np.testing.assert_array_equal(unfold_batch_last(x, FH, FW, stride, pad, dilation=dilation),
                                      col.reshape(N, P, K).transpose(2, 1, 0).reshape(K, P * N), err_msg=case)
        for unfold_fn, fold_fn in ((unfold, fold), (unfold_batch_last, fold_batch_last)):
            cols = unfold_fn(x, FH, FW, stride, pad, dilation=dilation)
            c = rng.standard_normal(cols.shape)
            back = fold_fn(c, shape, FH, FW, stride, pad, dilation=dilation)
            assert np.sum(cols * c) == pytest.approx(np.sum(x * back), rel=1e-10, abs=1e-10), case


def test_a_dilated_window_reads_every_dilation_th_pixel():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    # one 3x3 window with taps 2 apart: rows and columns 0, 2, 4
    np.testing.assert_array_equal(im2col(x, 3, 3, dilation=2), [[0, 2, 4, 10, 12, 14, 20, 22, 24]])
    col = im2col(x, 2, 1, stride=(3, 2), pad=(0, 1))     # OH = (5-2)/3+1 = 2, OW = (5+2-1)/2+1 = 4
    assert col.shape == (8, 2)
    np.testing.assert_array_equal(col[:4], [[0, 0], [1, 6], [3, 8], [0, 0]])   # columns -1 (pad), 1, 3, 5 (pad)
