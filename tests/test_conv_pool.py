"""Convolution and Pooling: hand-computed examples, gradient checks, and a seeded sweep
against the plain-loop references of ``tests/reference.py``."""

import numpy as np
import pytest

from cnnlib import check_layer
from cnnlib.layers import Convolution, Pooling
from tests.reference import (assert_layer_does_not_mutate, conv_backward_loop, conv_forward_loop, distinct_values, pool_backward_loop,
                             pool_forward_loop)

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
def test_conv_gradient_check(x_shape, w_shape, stride, pad, strict):
    rng = np.random.default_rng(0)
    conv = Convolution(rng.standard_normal(w_shape), rng.standard_normal(w_shape[0]), stride, pad, strict)
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


def test_conv_matches_loop_reference_sweep():
    rng = np.random.default_rng(2024)
    for trial in range(60):
        N, C, FN = (int(v) for v in rng.integers(1, 4, size=3))
        H, W = (int(v) for v in rng.integers(1, 8, size=2))
        FH, FW, stride, pad = random_window(rng, H, W)
        case = f"trial {trial}: x=({N},{C},{H},{W}) W=({FN},{C},{FH},{FW}) {stride=} {pad=}"
        x = rng.standard_normal((N, C, H, W))
        Wt, b = rng.standard_normal((FN, C, FH, FW)), rng.standard_normal(FN)
        conv = Convolution(Wt, b, stride, pad, strict=False)
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
