"""Convolution and Pooling: hand-computed examples, gradient checks, and a seeded sweep
against the references of :mod:`cnnlib.reference` (plain loops, and the book's layers)."""

import tracemalloc

import numpy as np
import pytest

from cnnlib import check_layer
from cnnlib.layers import Convolution, Pooling
from cnnlib.reference import (BookConvolution, BookPooling, conv_backward_loop, conv_forward_loop, pool_backward_loop,
                              pool_forward_loop)
from tests.helpers import assert_layer_does_not_mutate, distinct_values

# The book's example (Deep Learning from Scratch, figures 7-3 to 7-6)
BOOK_X = np.array([[1, 2, 3, 0],
                   [0, 1, 2, 3],
                   [3, 0, 1, 2],
                   [2, 3, 0, 1]], dtype=np.float64).reshape(1, 1, 4, 4)
BOOK_W = np.array([[2, 0, 1],
                   [0, 1, 2],
                   [1, 0, 2]], dtype=np.float64).reshape(1, 1, 3, 3)

GRAD_TOL = 1e-7  # float64 numerical gradients agree with backprop to about 1e-9


# --- Convolution: expected outputs ------------------------------------------------------

def test_conv_book_example():
    conv = Convolution(BOOK_W, np.zeros(1))
    np.testing.assert_array_equal(conv.forward(BOOK_X)[0, 0], [[15, 16], [6, 15]])


def test_conv_book_example_with_bias():
    conv = Convolution(BOOK_W, np.array([3.0]))
    np.testing.assert_array_equal(conv.forward(BOOK_X)[0, 0], [[18, 19], [9, 18]])


def test_conv_book_example_with_padding():
    # figure 7-6: pad 1 keeps the 4x4 size
    conv = Convolution(BOOK_W, np.zeros(1), pad=1)
    np.testing.assert_array_equal(conv.forward(BOOK_X)[0, 0], [[7, 12, 10, 2],
                                                                [4, 15, 16, 10],
                                                                [10, 6, 15, 6],
                                                                [8, 10, 4, 3]])


def test_conv_book_example_with_stride_two():
    # a 2x2 filter with stride 2 sees four disjoint blocks
    conv = Convolution(np.ones((1, 1, 2, 2)), np.zeros(1), stride=2)
    np.testing.assert_array_equal(conv.forward(BOOK_X)[0, 0], [[4, 8], [8, 4]])


def test_conv_sums_over_channels_and_stacks_filters():
    # 1x1 filters: out[f] = W[f, 0] * x[0] + W[f, 1] * x[1] + b[f]
    x = np.stack([np.full((2, 2), 1.0), np.full((2, 2), 10.0)])[None]  # (1, 2, 2, 2)
    W = np.array([[1.0, 2.0], [-1.0, 0.5]]).reshape(2, 2, 1, 1)        # (FN=2, C=2, 1, 1)
    b = np.array([0.5, -1.0])
    out = Convolution(W, b).forward(x)
    assert out.shape == (1, 2, 2, 2)
    np.testing.assert_array_equal(out[0, 0], np.full((2, 2), 1 + 20 + 0.5))
    np.testing.assert_array_equal(out[0, 1], np.full((2, 2), -1 + 5 - 1.0))


def test_conv_backward_by_hand():
    # dout = 1 everywhere: db counts the outputs, dW[i, j] sums the pixels filter entry (i, j) touched
    conv = Convolution(BOOK_W.copy(), np.zeros(1))
    out = conv.forward(BOOK_X)
    dx = conv.backward(np.ones_like(out))
    np.testing.assert_array_equal(conv.grads["b"], [4.0])
    np.testing.assert_array_equal(conv.grads["W"][0, 0], [[4, 8, 8], [4, 4, 8], [8, 4, 4]])
    # each pixel receives the sum of the filter entries that covered it, e.g. pixel (1, 1)
    # is under W[1, 1] = 1 (window at (0, 0)) and W[0, 0] = 2 (window at (1, 1)), and under
    # W[1, 0] = W[0, 1] = 0 (the other two windows): 3
    np.testing.assert_array_equal(dx[0, 0], [[2, 2, 1, 1], [2, 3, 4, 3], [1, 2, 5, 4], [1, 1, 2, 2]])


def test_conv_output_shape():
    conv = Convolution(np.zeros((4, 3, 5, 5)), np.zeros(4), stride=3, pad=2)
    assert conv.output_shape((3, 28, 31)) == (4, 10, 11)
    assert conv.forward(np.zeros((2, 3, 28, 31))).shape == (2, 4, 10, 11)


def test_conv_params_are_the_given_arrays():
    W, b = np.zeros((1, 1, 3, 3)), np.zeros(1)
    conv = Convolution(W, b)
    assert conv.params["W"] is W and conv.params["b"] is b


def test_conv_not_strict_floors():
    conv = Convolution(np.ones((1, 1, 3, 3)), np.zeros(1), stride=3, strict=False)
    x = np.arange(49.0).reshape(1, 1, 7, 7)
    np.testing.assert_array_equal(conv.forward(x), conv_forward_loop(x, conv.params["W"], np.zeros(1), 3, 0))
    assert conv.forward(x).shape == (1, 1, 2, 2)


# --- Pooling: expected outputs ------------------------------------------------------------

POOL_X = np.array([[1, 2, 1, 0],
                   [0, 1, 2, 3],
                   [3, 0, 1, 2],
                   [2, 4, 0, 1]], dtype=np.float64).reshape(1, 1, 4, 4)


def test_max_pool_book_example():
    # figure 7-14: 2x2 max pooling with stride 2
    out = Pooling(2, 2, stride=2).forward(POOL_X)
    np.testing.assert_array_equal(out[0, 0], [[2, 3], [4, 2]])


def test_average_pool_example():
    out = Pooling(2, 2, stride=2, mode="average").forward(POOL_X)
    np.testing.assert_array_equal(out[0, 0], [[1, 1.5], [2.25, 1]])


def test_max_pool_backward_routes_to_the_max():
    pool = Pooling(2, 2, stride=2)
    pool.forward(POOL_X)
    dx = pool.backward(np.array([[10.0, 20.0], [30.0, 40.0]]).reshape(1, 1, 2, 2))
    np.testing.assert_array_equal(dx[0, 0], [[0, 10, 0, 0],
                                             [0, 0, 0, 20],
                                             [0, 0, 0, 40],
                                             [0, 30, 0, 0]])


def test_average_pool_backward_spreads_evenly():
    pool = Pooling(2, 2, stride=2, mode="average")
    pool.forward(POOL_X)
    dx = pool.backward(np.array([[4.0, 8.0], [12.0, 16.0]]).reshape(1, 1, 2, 2))
    np.testing.assert_array_equal(dx[0, 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])


def test_max_pool_padding_never_wins():
    # all inputs negative: zero padding would win every window; -inf padding never does
    x = -np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    out = Pooling(2, 2, stride=2, pad=1).forward(x)
    np.testing.assert_array_equal(out[0, 0], [[-1, -2], [-3, -4]])


def test_average_pool_padding_counts_as_zero():
    x = np.ones((1, 1, 2, 2))
    out = Pooling(2, 2, stride=2, pad=1, mode="average").forward(x)
    np.testing.assert_array_equal(out[0, 0], np.full((2, 2), 0.25))  # one real pixel in four


def test_pool_keeps_channels_apart():
    x = np.stack([POOL_X[0, 0], -POOL_X[0, 0]])[None]  # (1, 2, 4, 4)
    out = Pooling(2, 2, stride=2).forward(x)
    np.testing.assert_array_equal(out[0, 0], [[2, 3], [4, 2]])
    np.testing.assert_array_equal(out[0, 1], [[0, 0], [0, 0]])


def test_pool_overlapping_windows_stride_one():
    out = Pooling(3, 3, stride=1).forward(POOL_X)
    np.testing.assert_array_equal(out[0, 0], [[3, 3], [4, 4]])


# --- gradient checks (float64) ------------------------------------------------------------

@pytest.mark.parametrize("x_shape, w_shape, stride, pad, strict", [
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1, True),
    ((2, 2, 7, 7), (3, 2, 3, 3), 2, 0, True),
    ((1, 2, 6, 5), (2, 2, 2, 3), 2, 1, True),
    ((2, 1, 7, 7), (2, 1, 3, 3), 3, 0, False),   # floored: the last row and column are unseen
])
@pytest.mark.parametrize("layout", ["batch_first", "batch_last"])
def test_conv_gradient_check(x_shape, w_shape, stride, pad, strict, layout):
    rng = np.random.default_rng(0)
    conv = Convolution(rng.standard_normal(w_shape), rng.standard_normal(w_shape[0]), stride, pad, strict, layout)
    errors = check_layer(conv, rng.standard_normal(x_shape), rng=1)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < GRAD_TOL, errors


@pytest.mark.parametrize("x_shape, pool_h, pool_w, stride, pad, mode", [
    ((2, 2, 6, 6), 2, 2, 2, 0, "max"),
    ((2, 2, 5, 5), 3, 3, 1, 1, "max"),
    ((2, 2, 5, 5), 3, 3, 2, 1, "max"),
    ((2, 2, 5, 4), 3, 2, 1, 0, "max"),
    ((2, 2, 6, 6), 2, 2, 2, 0, "average"),
    ((2, 2, 5, 5), 3, 3, 2, 1, "average"),
])
def test_pool_gradient_check(x_shape, pool_h, pool_w, stride, pad, mode):
    # max pooling has a kink where two entries of a window tie: distinct_values keeps all
    # entries 0.1 apart, much more than the step h = 1e-5, so no tie is ever crossed
    rng = np.random.default_rng(0)
    x = distinct_values(rng, x_shape)
    errors = check_layer(Pooling(pool_h, pool_w, stride, pad, mode), x, rng=1)
    assert errors["x"] < GRAD_TOL, errors


# --- seeded sweep against the loop references -------------------------------------------

def random_window(rng, H, W, max_window=4):
    """A window (FH, FW, stride, pad) that fits the padded (H, W) input."""
    pad = int(rng.integers(0, 3))
    FH = int(rng.integers(1, min(H + 2 * pad, max_window) + 1))
    FW = int(rng.integers(1, min(W + 2 * pad, max_window) + 1))
    return FH, FW, int(rng.integers(1, 4)), pad


@pytest.mark.parametrize("layout", ["auto", "batch_first", "batch_last"])
def test_conv_matches_loop_reference_sweep(layout):
    rng = np.random.default_rng(2024)
    for trial in range(60):
        N, C, FN = (int(v) for v in rng.integers(1, 4, size=3))
        H, W = (int(v) for v in rng.integers(1, 8, size=2))
        FH, FW, stride, pad = random_window(rng, H, W)
        case = f"trial {trial}: x=({N},{C},{H},{W}) W=({FN},{C},{FH},{FW}) {stride=} {pad=}"
        x = rng.standard_normal((N, C, H, W))
        Wt, b = rng.standard_normal((FN, C, FH, FW)), rng.standard_normal(FN)
        conv = Convolution(Wt, b, stride, pad, strict=False, layout=layout)
        out = conv.forward(x)
        np.testing.assert_allclose(out, conv_forward_loop(x, Wt, b, stride, pad), rtol=1e-12, atol=1e-12,
                                   err_msg=case)
        dout = rng.standard_normal(out.shape)
        dx = conv.backward(dout)
        dx_ref, dW_ref, db_ref = conv_backward_loop(x, Wt, dout, stride, pad)
        np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12, err_msg=case)
        np.testing.assert_allclose(conv.grads["W"], dW_ref, rtol=1e-12, atol=1e-12, err_msg=case)
        np.testing.assert_allclose(conv.grads["b"], db_ref, rtol=1e-12, atol=1e-12, err_msg=case)


@pytest.mark.parametrize("mode", ["max", "average"])
def test_pool_matches_loop_reference_sweep(mode):
    rng = np.random.default_rng(7 if mode == "max" else 8)
    for trial in range(60):
        N, C = (int(v) for v in rng.integers(1, 4, size=2))
        H, W = (int(v) for v in rng.integers(1, 8, size=2))
        pool_h, pool_w = (int(v) for v in rng.integers(1, 4, size=2))
        # pad <= pool_size // 2, as PyTorch requires: no window lies entirely in the padding
        pad = int(rng.integers(0, min(pool_h, pool_w) // 2 + 1))
        if pool_h > H + 2 * pad or pool_w > W + 2 * pad:
            continue
        stride = int(rng.integers(1, 4))
        case = f"trial {trial}: x=({N},{C},{H},{W}) pool=({pool_h},{pool_w}) {stride=} {pad=} {mode=}"
        x = rng.standard_normal((N, C, H, W))  # continuous values: no ties in a window
        pool = Pooling(pool_h, pool_w, stride, pad, mode, strict=False)
        out = pool.forward(x)
        np.testing.assert_allclose(out, pool_forward_loop(x, pool_h, pool_w, stride, pad, mode),
                                   rtol=1e-12, atol=1e-12, err_msg=case)
        np.testing.assert_array_equal(pool.forward(x, train=False), out, err_msg=case)  # inference: max in place
        pool.forward(x)
        dout = rng.standard_normal(out.shape)
        np.testing.assert_allclose(pool.backward(dout),
                                   pool_backward_loop(x, dout, pool_h, pool_w, stride, pad, mode),
                                   rtol=1e-12, atol=1e-12, err_msg=case)


def test_strict_and_not_strict_agree_when_sizes_divide():
    rng = np.random.default_rng(3)
    x, W, b = rng.standard_normal((2, 3, 7, 7)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2)
    np.testing.assert_array_equal(Convolution(W, b, 2, 1).forward(x),
                                  Convolution(W, b, 2, 1, strict=False).forward(x))


# --- inputs untouched, dtypes kept ----------------------------------------------------------

def conv_layer(rng, dtype):
    return Convolution(rng.standard_normal((3, 2, 3, 3)).astype(dtype), rng.standard_normal(3).astype(dtype),
                       stride=2, pad=1)


LAYERS = {
    "conv": conv_layer,
    "max_pool": lambda rng, dtype: Pooling(3, 3, stride=2, pad=1),
    "average_pool": lambda rng, dtype: Pooling(3, 3, stride=2, pad=1, mode="average"),
}


@pytest.mark.parametrize("name", LAYERS)
def test_inputs_not_mutated(name):
    rng = np.random.default_rng(5)
    layer = LAYERS[name](rng, np.float64)
    assert_layer_does_not_mutate(layer, rng.standard_normal((2, 2, 5, 5)), rng)


@pytest.mark.parametrize("name", LAYERS)
def test_float32_in_float32_out(name):
    rng = np.random.default_rng(6)
    layer = LAYERS[name](rng, np.float32)
    x = rng.standard_normal((2, 2, 5, 5)).astype(np.float32)
    out = layer.forward(x)
    assert out.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32
    for g in layer.grads.values():
        assert g.dtype == np.float32


# --- layouts, chunks and the reused col: the same numbers every way -----------------------

def conv_case(rng, x_shape=(5, 3, 9, 8), w_shape=(4, 3, 3, 3)):
    x = rng.standard_normal(x_shape)
    return x, rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])


def forward_backward(conv, x, dout):
    out = conv.forward(x)
    dx = conv.backward(dout)
    return out, dx, conv.grads["W"], conv.grads["b"]


@pytest.mark.parametrize("layout", ["batch_first", "batch_last"])
@pytest.mark.parametrize("stride, pad", [(1, 0), (1, 1), (2, 1)])
def test_conv_chunks_give_the_same_result(layout, stride, pad):
    rng = np.random.default_rng(11)
    x, Wt, b = conv_case(rng)
    whole = Convolution(Wt, b, stride, pad, strict=False, layout=layout)
    dout = rng.standard_normal((x.shape[0],) + whole.output_shape(x.shape[1:]))
    expected = forward_backward(whole, x, dout)
    _, OH, OW = whole.output_shape(x.shape[1:])
    per_image = 3 * 3 * 3 * OH * OW * x.itemsize                     # bytes of col for one image
    for limit in (1, 2 * per_image, 3 * per_image):                 # one image, then 2 or 3 per chunk
        chunked = Convolution(Wt, b, stride, pad, strict=False, layout=layout)
        chunked.max_col_bytes = limit
        got = forward_backward(chunked, x, dout)
        for name, a, e in zip(("out", "dx", "dW", "db"), got, expected):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12, err_msg=f"{name}, max_col_bytes={limit}")


def traced(*calls):
    """For each call in turn: (bytes still allocated once its result is dropped, its peak),
    both counted by tracemalloc from before the first call."""
    tracemalloc.start()
    try:
        before, results = tracemalloc.get_traced_memory()[0], []
        for call in calls:
            tracemalloc.reset_peak()
            result = call()
            del result
            now, peak = tracemalloc.get_traced_memory()
            results.append((now - before, peak - before))
        return results
    finally:
        tracemalloc.stop()


def retained_and_peak(fn):
    return traced(fn)[0]


def retained_after_each(*calls):
    return [retained for retained, _ in traced(*calls)]


def test_conv_chunks_bound_the_memory_of_col():
    # 20 images whose col is 20 * 3*3*3 * 64*64 * 8 bytes = 17 MiB: with a 1 MiB limit the
    # peak of forward + backward stays far below one whole col
    rng = np.random.default_rng(18)
    x, Wt, b = conv_case(rng, (20, 3, 64, 64))
    col_bytes = 20 * 27 * 64 * 64 * 8
    dout = rng.standard_normal((20, 4, 64, 64))
    whole, chunked = Convolution(Wt, b, 1, 1), Convolution(Wt, b, 1, 1)
    chunked.max_col_bytes = 2**20
    _, peak_whole = retained_and_peak(lambda: forward_backward(whole, x, dout))
    _, peak_chunked = retained_and_peak(lambda: forward_backward(chunked, x, dout))
    assert peak_whole > col_bytes
    assert peak_chunked < col_bytes / 2, (peak_chunked, col_bytes)


def test_conv_reuses_col_from_step_to_step():
    # a training step allocates col once; the next step of the same size reuses it
    rng = np.random.default_rng(19)
    x, Wt, b = conv_case(rng, (20, 3, 64, 64))
    col_bytes = 20 * 27 * 64 * 64 * 8
    conv = Convolution(Wt, b, 1, 1, layout="batch_first")
    first, _ = retained_and_peak(lambda: conv.forward(x))
    second, _ = retained_and_peak(lambda: conv.forward(x))
    assert first >= col_bytes                  # kept for backward (and for the next step)
    assert second < col_bytes / 10, second     # nothing new of col's size


@pytest.mark.parametrize("layout", ["batch_first", "batch_last"])
def test_conv_reused_col_never_leaks_between_calls(layout):
    # the workspace is reused: a second input, a second backward, or a smaller batch must
    # still give the loop reference's numbers
    rng = np.random.default_rng(12)
    x1, Wt, b = conv_case(rng)
    x2 = rng.standard_normal((3,) + x1.shape[1:])
    conv = Convolution(Wt, b, 1, 1, layout=layout)
    for x in (x1, x2, x1):
        dout = rng.standard_normal((x.shape[0],) + conv.output_shape(x.shape[1:]))
        out = conv.forward(x)
        dx_ref, dW_ref, db_ref = conv_backward_loop(x, Wt, dout, 1, 1)
        np.testing.assert_allclose(out, conv_forward_loop(x, Wt, b, 1, 1), rtol=1e-12, atol=1e-12)
        for _ in range(2):  # backward twice: the second rebuilds col that the first overwrote with dcol
            np.testing.assert_allclose(conv.backward(dout), dx_ref, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(conv.grads["W"], dW_ref, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(conv.grads["b"], db_ref, rtol=1e-12, atol=1e-12)


def test_conv_need_dx_false_skips_dx_only():
    rng = np.random.default_rng(13)
    x, Wt, b = conv_case(rng)
    for layout in ("batch_first", "batch_last"):
        full, first = Convolution(Wt, b, layout=layout), Convolution(Wt, b, layout=layout)
        first.need_dx = False
        dout = rng.standard_normal((x.shape[0],) + full.output_shape(x.shape[1:]))
        _, dx, dW, db = forward_backward(full, x, dout)
        assert dx is not None and forward_backward(first, x, dout)[1] is None
        np.testing.assert_array_equal(first.grads["W"], dW)
        np.testing.assert_array_equal(first.grads["b"], db)


@pytest.mark.parametrize("layout", ["batch_first", "batch_last"])
def test_conv_backward_on_integer_images(layout):
    # uint8 pixels straight from a dataset: col takes W's type (not x's), so that
    # backward can write dcol into it
    rng = np.random.default_rng(17)
    Wt, b = rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2)
    x = rng.integers(0, 256, (2, 3, 6, 5)).astype(np.uint8)
    conv, ref = Convolution(Wt, b, 1, 1, layout=layout), Convolution(Wt, b, 1, 1, layout=layout)
    out = conv.forward(x)
    np.testing.assert_array_equal(out, ref.forward(x.astype(np.float64)))
    dout = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(conv.backward(dout), ref.backward(dout))
    np.testing.assert_array_equal(conv.grads["W"], ref.grads["W"])


def test_conv_bad_layout_names_the_parameter():
    with pytest.raises(ValueError, match="layout must be one of .*'batch_first'.*got layout = 'NHWC'"):
        Convolution(np.zeros((2, 1, 3, 3)), np.zeros(2), layout="NHWC")


def test_conv_inference_keeps_no_col():
    rng = np.random.default_rng(14)
    x, Wt, b = conv_case(rng, (20, 3, 64, 64))
    col_bytes = 20 * 27 * 64 * 64 * 8
    conv = Convolution(Wt, b, 1, 1)
    after_training, after_inference = retained_after_each(lambda: conv.forward(x),
                                                          lambda: conv.forward(x, train=False))
    assert after_training >= col_bytes                  # training: col kept for backward
    assert after_inference < col_bytes / 10, after_inference   # inference lets it go
    np.testing.assert_allclose(conv.forward(x[:2], train=False), conv_forward_loop(x[:2], Wt, b, 1, 1),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("pool_h, pool_w, stride", [(2, 2, 2), (3, 3, 2), (3, 2, 1)])
def test_max_pool_ties_go_to_the_first_position(pool_h, pool_w, stride):
    # after a ReLU whole windows are 0: each output's gradient must reach exactly one
    # input, the first of its window in reading order (as PyTorch does), never all of them
    x = np.zeros((2, 3, 7, 7))
    pool = Pooling(pool_h, pool_w, stride, strict=False)
    out = pool.forward(x)
    dout = np.random.default_rng(15).standard_normal(out.shape)
    dx = pool.backward(dout)
    expected = np.zeros_like(x)
    OH, OW = out.shape[2:]
    for i in range(OH):
        for j in range(OW):
            expected[:, :, i * stride, j * stride] += dout[:, :, i, j]
    np.testing.assert_allclose(dx, expected, rtol=1e-12, atol=1e-12)


def test_max_pool_ties_go_where_np_argmax_sends_them():
    # values from {0, 1, 2}: most windows hold their max more than once, in several rows and
    # columns; pooling rows first must still pick the window's first max in reading order
    rng = np.random.default_rng(22)
    for trial in range(40):
        pool_h, pool_w, stride = (int(v) for v in rng.integers(1, 4, size=3))
        x = rng.integers(0, 3, size=(2, 3 + 6 * (trial % 2), 8, 7)).astype(np.float64)  # 9 channels: see below
        pool = Pooling(pool_h, pool_w, stride, strict=False)
        dout = rng.standard_normal(pool.forward(x).shape)
        np.testing.assert_allclose(pool.backward(dout), pool_backward_loop(x, dout, pool_h, pool_w, stride),
                                   rtol=1e-12, atol=1e-12, err_msg=f"{pool_h}x{pool_w} {stride=}")


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("C", [3, 9])
def test_pool_on_images_of_a_few_pixels_equals_the_loops(C, mode):
    # overlapping windows on outputs narrower than 8 pixels with at least 8 channels (C = 9)
    # are pooled with the channels last; the results, the shapes and the gradients stay the loops'
    rng = np.random.default_rng(23)
    x = rng.standard_normal((2, C, 9, 9))
    for pool_h, pool_w, stride, pad in [(3, 3, 2, 0), (2, 3, (1, 2), (1, 0)), (2, 2, 3, 1)]:
        case = f"{C=} {mode} {pool_h}x{pool_w} {stride=} {pad=}"
        pool = Pooling(pool_h, pool_w, stride, pad, mode, strict=False)
        out = pool.forward(x)
        assert out.flags.c_contiguous, case
        np.testing.assert_allclose(out, pool_forward_loop(x, pool_h, pool_w, stride, pad, mode),
                                   rtol=1e-12, atol=1e-12, err_msg=case)
        dout = rng.standard_normal(out.shape)
        expected = pool_backward_loop(x, dout, pool_h, pool_w, stride, pad, mode)
        np.testing.assert_allclose(pool.backward(dout), expected, rtol=1e-12, atol=1e-12, err_msg=case)
        pool.forward(x[:1], train=False)          # inference in between: backward pools x again
        np.testing.assert_allclose(pool.backward(dout), expected, rtol=1e-12, atol=1e-12, err_msg=case)


def test_the_loop_reference_averages_integers_in_floats():
    # the reference once kept x's dtype: uint8 means were truncated (76 for 76.75)
    x = np.random.default_rng(24).integers(0, 256, size=(1, 2, 4, 4)).astype(np.uint8)
    dout = np.arange(8).reshape(1, 2, 2, 2)
    layer = Pooling(2, 2, mode="average")
    np.testing.assert_array_equal(pool_forward_loop(x, 2, 2, 2, mode="average"), layer.forward(x))
    np.testing.assert_array_equal(pool_backward_loop(x, dout, 2, 2, 2, mode="average"), layer.backward(dout))


@pytest.mark.parametrize("mode", ["max", "average"])
def test_pool_backward_of_an_integer_gradient(mode):
    # average pooling divides dout by the window size: dx must hold floats
    pool = Pooling(2, 2, 2, mode=mode)
    pool.forward(np.arange(16.0).reshape(1, 1, 4, 4))
    dx = pool.backward(np.array([[[[4, 8], [12, 16]]]]))
    assert dx.dtype == np.float64
    expected = np.kron([[4, 8], [12, 16]], [[0, 0], [0, 1]] if mode == "max" else np.full((2, 2), 0.25))
    np.testing.assert_array_equal(dx[0, 0], expected)


def test_max_pool_keeps_only_its_pooled_rows_and_inference_nothing():
    # training keeps, besides its output, the pooled rows (8, 16, 33, 16) for backward: not
    # one output-sized array per window position (9 for 3x3); inference keeps nothing
    pool = Pooling(3, 3, 2)
    x = np.random.default_rng(16).standard_normal((8, 16, 33, 33))
    out_bytes, rows_bytes = 8 * 16 * 16 * 16 * 8, 8 * 16 * 33 * 16 * 8
    after_training, after_inference = retained_after_each(lambda: pool.forward(x),
                                                          lambda: pool.forward(x, train=False))
    assert rows_bytes + out_bytes <= after_training < 1.05 * (rows_bytes + out_bytes), after_training
    assert after_inference < out_bytes / 10, after_inference


@pytest.mark.parametrize("stride, pad", [(1, 0), (2, 1), (3, 2)])
def test_conv_equals_the_books_convolution(stride, pad):
    rng = np.random.default_rng(20)
    x, Wt, b = conv_case(rng, (3, 2, 11, 11), (4, 2, 3, 3))
    conv, book = Convolution(Wt, b, stride, pad, strict=False), BookConvolution(Wt, b, stride, pad)
    np.testing.assert_allclose(conv.forward(x), book.forward(x), rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(conv.forward(x).shape)
    np.testing.assert_allclose(conv.backward(dout), book.backward(dout), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.grads["W"], book.dW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.grads["b"], book.db, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("pool_h, pool_w, stride", [(2, 2, 2), (3, 3, 2), (3, 2, 1)])
def test_max_pool_equals_the_books_pooling(pool_h, pool_w, stride):
    rng = np.random.default_rng(21)
    x = distinct_values(rng, (2, 3, 9, 9))   # the book's argmax and ours agree on ties too, but not at -0.0
    pool, book = Pooling(pool_h, pool_w, stride, strict=False), BookPooling(pool_h, pool_w, stride)
    np.testing.assert_array_equal(pool.forward(x), book.forward(x))
    dout = rng.standard_normal(pool.forward(x).shape)
    np.testing.assert_allclose(pool.backward(dout), book.backward(dout), rtol=1e-12, atol=1e-12)


# --- (h, w) pairs, dilation, groups ----------------------------------------------------------

NEW_CONV_CASES = [  # x_shape, w_shape, stride, pad, dilation, groups
    ((2, 2, 8, 8), (3, 2, 3, 5), (3, 4), (0, 1), 1, 1),        # d2l's rectangular stride
    ((2, 3, 7, 6), (2, 3, 5, 3), 1, (2, 1), 1, 1),              # padding (2, 1)
    ((2, 2, 9, 9), (3, 2, 3, 3), 1, 2, 2, 1),                   # dilation 2, "same" padding
    ((1, 2, 9, 8), (2, 2, 2, 3), (2, 1), (1, 0), (3, 2), 1),    # everything rectangular
    ((2, 4, 6, 6), (6, 2, 3, 3), 1, 1, 1, 2),                   # two groups (AlexNet's two GPUs)
    ((2, 3, 7, 7), (3, 1, 3, 3), 2, 1, 1, 3),                   # depthwise
    ((2, 4, 7, 7), (8, 1, 3, 3), 1, 2, 2, 4),                   # depthwise, two filters per channel, dilated
]


@pytest.mark.parametrize("x_shape, w_shape, stride, pad, dilation, groups", NEW_CONV_CASES)
@pytest.mark.parametrize("layout", ["batch_first", "batch_last"])
def test_conv_pairs_dilation_groups_gradient_check(x_shape, w_shape, stride, pad, dilation, groups, layout):
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    conv = Convolution(W, b, stride, pad, strict=False, layout=layout, dilation=dilation, groups=groups)
    x = rng.standard_normal(x_shape)
    np.testing.assert_allclose(conv.forward(x), conv_forward_loop(x, W, b, stride, pad, dilation, groups),
                               rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(conv.forward(x).shape)
    dx = conv.backward(dout)
    for got, expected in zip((dx, conv.grads["W"], conv.grads["b"]),
                             conv_backward_loop(x, W, dout, stride, pad, dilation, groups)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    errors = check_layer(conv, x, rng=1)
    assert set(errors) == {"x", "W", "b"} and max(errors.values()) < GRAD_TOL, errors


def test_conv_pairs_dilation_groups_sweep():
    rng = np.random.default_rng(11)
    for _ in range(60):
        groups = int(rng.choice([1, 2, 3]))
        C, FN = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        H, Wd = int(rng.integers(3, 10)), int(rng.integers(3, 10))
        stride = tuple(int(v) for v in rng.integers(1, 4, 2))
        pad = tuple(int(v) for v in rng.integers(0, 3, 2))
        dilation = tuple(int(v) for v in rng.integers(1, 3, 2))
        FH = int(rng.integers(1, min(3, (H + 2 * pad[0] - 1) // dilation[0] + 1) + 1))
        FW = int(rng.integers(1, min(3, (Wd + 2 * pad[1] - 1) // dilation[1] + 1) + 1))
        x = rng.standard_normal((2, C, H, Wd))
        W, b = rng.standard_normal((FN, C // groups, FH, FW)), rng.standard_normal(FN)
        case = f"{x.shape=} {W.shape=} {stride=} {pad=} {dilation=} {groups=}"
        conv = Convolution(W, b, stride, pad, strict=False, dilation=dilation, groups=groups)
        out = conv.forward(x)
        np.testing.assert_allclose(out, conv_forward_loop(x, W, b, stride, pad, dilation, groups), rtol=1e-11,
                                   atol=1e-11, err_msg=case)
        dout = rng.standard_normal(out.shape)
        dx = conv.backward(dout)
        ldx, ldW, _ = conv_backward_loop(x, W, dout, stride, pad, dilation, groups)
        np.testing.assert_allclose(dx, ldx, rtol=1e-11, atol=1e-11, err_msg=case)
        np.testing.assert_allclose(conv.grads["W"], ldW, rtol=1e-11, atol=1e-11, err_msg=case)


def test_depthwise_equals_separate_single_channel_convolutions():
    rng = np.random.default_rng(2)
    x, W, b = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((3, 1, 3, 3)), rng.standard_normal(3)
    out = Convolution(W, b, pad=1, groups=3).forward(x)
    for c in range(3):
        single = Convolution(W[c:c + 1], b[c:c + 1], pad=1).forward(x[:, c:c + 1])
        np.testing.assert_allclose(out[:, c:c + 1], single, rtol=1e-12, atol=1e-12)


def test_d2l_shape_examples():
    # d2l, "Padding and Stride": comp_conv2d on an 8x8 input
    x = np.zeros((1, 1, 8, 8))

    def shape(FH, FW, stride=1, pad=0):
        return Convolution(np.zeros((1, 1, FH, FW)), np.zeros(1), stride, pad, strict=False).forward(x).shape[2:]

    assert shape(3, 3, pad=1) == (8, 8)
    assert shape(5, 3, pad=(2, 1)) == (8, 8)
    assert shape(3, 3, stride=2, pad=1) == (4, 4)
    assert shape(3, 5, stride=(3, 4), pad=(0, 1)) == (2, 2)
    # and with strides (3, 2): (8 - 3)/3 floors, (8 + 2 - 5)/2 floors: strict refuses and explains
    assert shape(3, 5, stride=(3, 2), pad=(0, 1)) == (2, 3)
    with pytest.raises(ValueError, match="is not divisible by stride = 3"):
        Convolution(np.zeros((1, 1, 3, 5)), np.zeros(1), (3, 4), (0, 1)).forward(x)


def test_groups_errors_name_the_numbers():
    with pytest.raises(ValueError, match="FN = 3 must be divisible by groups = 2"):
        Convolution(np.zeros((3, 1, 3, 3)), np.zeros(3), groups=2)
    conv = Convolution(np.zeros((4, 2, 3, 3)), np.zeros(4), groups=2)
    with pytest.raises(ValueError, match=r"expect C = 4 \(2 per group, groups = 2\)"):
        conv.forward(np.zeros((1, 3, 5, 5)))
    with pytest.raises(ValueError, match=r"dilation\[0\] must be >= 1"):
        Convolution(np.zeros((1, 1, 3, 3)), np.zeros(1), dilation=(0, 1))


def test_conv_macs_count_one_group_per_filter():
    full = Convolution(np.zeros((6, 6, 3, 3)), np.zeros(6), pad=1)
    depthwise = Convolution(np.zeros((6, 1, 3, 3)), np.zeros(6), pad=1, groups=6)
    assert full.macs((6, 8, 8)) == 6 * 64 * 6 * 9 and depthwise.macs((6, 8, 8)) == 6 * 64 * 9


@pytest.mark.parametrize("x_shape, pool, stride, pad, mode", [
    ((2, 2, 7, 6), (3, 2), (2, 1), (1, 0), "max"),
    ((2, 2, 6, 9), (2, 3), (2, 3), 0, "max"),
    ((2, 2, 7, 6), (3, 2), (2, 1), (1, 0), "average"),
    ((2, 1, 5, 8), (2, 2), (1, 3), (0, 1), "average"),
])
def test_pool_pairs_match_loops_and_gradient_check(x_shape, pool, stride, pad, mode):
    rng = np.random.default_rng(0)
    x = distinct_values(rng, x_shape)
    layer = Pooling(*pool, stride, pad, mode, strict=False)
    out = layer.forward(x)
    np.testing.assert_allclose(out, pool_forward_loop(x, *pool, stride, pad, mode), rtol=1e-12)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(layer.backward(dout), pool_backward_loop(x, dout, *pool, stride, pad, mode),
                               rtol=1e-12, atol=1e-12)
    errors = check_layer(Pooling(*pool, stride, pad, mode, strict=False), x, rng=1)
    assert errors["x"] < GRAD_TOL, errors
