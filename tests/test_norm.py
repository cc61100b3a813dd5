"""BatchNormalization and LRN: hand examples, running statistics, gradient checks, and
LRN against the paper's formula written as a loop."""

import numpy as np
import pytest

from cnnlib import check_layer
from cnnlib.layers import LRN, BatchNormalization
from cnnlib.reference import lrn_forward_loop
from tests.helpers import assert_layer_does_not_mutate

GRAD_TOL = 1e-7


def bn(D, momentum=0.9, eps=1e-5, dtype=np.float64):
    """Batch normalization with gamma = 1, beta = 0."""
    return BatchNormalization(np.ones(D, dtype), np.zeros(D, dtype), momentum=momentum, eps=eps)


# --- BatchNormalization: forward by hand ------------------------------------------------------

def test_bn_dense_by_hand():
    # column 0: mean 2, variance 1; column 1: mean 4, variance 4 -> both normalize to (-1, 1)
    layer = BatchNormalization(np.array([2.0, 1.0]), np.array([0.0, 10.0]), eps=1e-300)
    out = layer.forward(np.array([[1.0, 2.0], [3.0, 6.0]]))
    np.testing.assert_allclose(out, [[-2, 9], [2, 11]], rtol=1e-15)  # gamma * xn + beta


def test_bn_conv_normalizes_each_channel_over_n_h_w():
    # channel 0: values 1, 3, 1, 3 (mean 2, var 1); channel 1: 0, 0, 4, 4 (mean 2, var 4)
    x = np.array([[[[1.0, 3.0], [1.0, 3.0]],
                   [[0.0, 0.0], [4.0, 4.0]]]])  # (1, 2, 2, 2)
    out = bn(2, eps=1e-300).forward(x)
    np.testing.assert_allclose(out[0, 0], [[-1, 1], [-1, 1]], rtol=1e-15)
    np.testing.assert_allclose(out[0, 1], [[-1, -1], [1, 1]], rtol=1e-15)


def test_bn_conv_equals_dense_on_pixels_as_rows():
    rng = np.random.default_rng(0)
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    x = rng.standard_normal((4, 3, 2, 5))
    out = BatchNormalization(gamma, beta).forward(x)
    rows = x.transpose(0, 2, 3, 1).reshape(-1, 3)  # one row per pixel, one column per channel
    expected = BatchNormalization(gamma, beta).forward(rows).reshape(4, 2, 5, 3).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    # and each channel now has mean beta and standard deviation |gamma| (up to eps)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), beta, atol=1e-14)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), np.abs(gamma), rtol=1e-3)


# --- running statistics ----------------------------------------------------------------------------

def test_bn_running_stats_exponential_moving_average():
    layer = bn(2, momentum=0.9)
    b1 = np.array([[1.0, 2.0], [3.0, 6.0]])     # mean (2, 4), var (1, 4)
    b2 = np.array([[0.0, 0.0], [0.0, 10.0]])    # mean (0, 5), var (0, 25)
    layer.forward(b1)
    # running = 0.9 * running + 0.1 * batch, starting from mean 0, var 1
    np.testing.assert_allclose(layer.buffers["running_mean"], [0.2, 0.4], rtol=1e-15)
    np.testing.assert_allclose(layer.buffers["running_var"], [1.0, 1.3], rtol=1e-15)
    layer.forward(b2)
    np.testing.assert_allclose(layer.buffers["running_mean"], [0.18, 0.86], rtol=1e-14)
    np.testing.assert_allclose(layer.buffers["running_var"], [0.9, 3.67], rtol=1e-14)
    assert layer.buffers["num_batches"] == 2


def test_bn_running_stats_conv_use_per_channel_batch_stats():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 4, 4)) * np.array([1.0, 3.0])[:, None, None] + np.array([5.0, -2.0])[:, None, None]
    layer = bn(2, momentum=0.5)
    layer.forward(x)
    np.testing.assert_allclose(layer.buffers["running_mean"], 0.5 * x.mean(axis=(0, 2, 3)), rtol=1e-14)
    np.testing.assert_allclose(layer.buffers["running_var"], 0.5 + 0.5 * x.var(axis=(0, 2, 3)), rtol=1e-14)


def test_bn_momentum_none_is_the_cumulative_average():
    rng = np.random.default_rng(2)
    batches = [rng.standard_normal((5, 3)) * (i + 1) + i for i in range(4)]
    layer = bn(3, momentum=None)
    for x in batches:
        layer.forward(x)
    # every batch weighs the same, and the initial (0, 1) is forgotten
    np.testing.assert_allclose(layer.buffers["running_mean"], np.mean([x.mean(axis=0) for x in batches], axis=0),
                               rtol=1e-13)
    np.testing.assert_allclose(layer.buffers["running_var"], np.mean([x.var(axis=0) for x in batches], axis=0),
                               rtol=1e-13)
    assert layer.buffers["num_batches"] == 4


def test_bn_inference_uses_running_stats_and_leaves_them_alone():
    layer = BatchNormalization(np.array([2.0, 1.0]), np.array([1.0, 0.0]), eps=1e-300)
    layer.buffers["running_mean"][...] = [1.0, -1.0]
    layer.buffers["running_var"][...] = [4.0, 0.25]
    x = np.array([[3.0, 0.0], [1.0, -1.5]])
    out = layer.forward(x, train=False)
    np.testing.assert_allclose(out, [[3.0, 2.0], [1.0, -1.0]], rtol=1e-15)  # gamma (x - mean) / std + beta
    np.testing.assert_array_equal(layer.buffers["running_mean"], [1.0, -1.0])
    np.testing.assert_array_equal(layer.buffers["running_var"], [4.0, 0.25])
    assert layer.buffers["num_batches"] == 0


def test_bn_inference_after_training_on_one_repeated_batch():
    # momentum 0: the running statistics become the batch's, so inference == training
    rng = np.random.default_rng(3)
    layer = BatchNormalization(rng.standard_normal(4), rng.standard_normal(4), momentum=0.0)
    x = rng.standard_normal((8, 4, 2, 2))
    train_out = layer.forward(x, train=True)
    np.testing.assert_allclose(layer.forward(x, train=False), train_out, rtol=1e-12, atol=1e-12)


# --- BatchNormalization: gradients --------------------------------------------------------------------

@pytest.mark.parametrize("x_shape", [(4, 3), (6, 5), (2, 3, 2, 2), (3, 2, 3, 2)])
def test_bn_gradient_check(x_shape):
    rng = np.random.default_rng(4)
    D = x_shape[1]
    # gamma kept away from 0: a near-zero gamma makes dx tiny and its relative error meaningless
    layer = BatchNormalization(rng.uniform(0.5, 1.5, D), rng.standard_normal(D))
    errors = check_layer(layer, rng.standard_normal(x_shape), rng=5)
    assert set(errors) == {"x", "gamma", "beta"}
    assert max(errors.values()) < GRAD_TOL, errors


def test_bn_backward_by_hand():
    # gamma = 1: dbeta = sum(dout); dgamma = sum(dout * xn); dx sums to zero per column
    layer = bn(1, eps=1e-300)
    layer.forward(np.array([[1.0], [3.0]]))  # xn = (-1, 1), std 1
    dx = layer.backward(np.array([[1.0], [5.0]]))
    np.testing.assert_allclose(layer.grads["beta"], [6.0])
    np.testing.assert_allclose(layer.grads["gamma"], [4.0])
    # dx = (dxn - mean(dxn) - xn * mean(dxn * xn)) / std = ((1, 5) - 3 - (-1, 1) * 2) = (0, 0)
    np.testing.assert_allclose(dx, [[0.0], [0.0]], atol=1e-15)


# --- LRN -----------------------------------------------------------------------------------------------

def test_lrn_by_hand_single_channel():
    # n = 1: b = a / (k + alpha a^2) ** beta; with k = alpha = beta = 1: a / (1 + a^2)
    out = LRN(k=1.0, n=1, alpha=1.0, beta=1.0).forward(np.array([1.0, 2.0]).reshape(1, 1, 1, 2))
    np.testing.assert_allclose(out.ravel(), [0.5, 0.4], rtol=1e-15)


def test_lrn_by_hand_window_clipped_at_the_edges():
    # k = 1e-300 (k must be > 0; it vanishes next to the sums), alpha = 1, beta = 1/2:
    # b[c] = a[c] / sqrt(sum of a^2 over the window)
    x = np.array([3.0, 4.0, 0.0]).reshape(1, 3, 1, 1)
    out = LRN(k=1e-300, n=3, alpha=1.0, beta=0.5).forward(x)
    # c=0: window {0, 1}: 3/5; c=1: window {0, 1, 2}: 4/5; c=2: window {1, 2}: 0/4
    np.testing.assert_allclose(out.ravel(), [0.6, 0.8, 0.0], rtol=1e-15)


def test_lrn_paper_defaults():
    layer = LRN()
    assert (layer.k, layer.n, layer.alpha, layer.beta) == (2.0, 5, 1e-4, 0.75)


def test_lrn_matches_loop_formula_sweep():
    rng = np.random.default_rng(6)
    for trial in range(30):
        N, C, H, W = (int(v) for v in rng.integers(1, 7, size=4))
        n = int(rng.choice([1, 3, 5, 7]))
        k, alpha, beta = float(rng.uniform(0.5, 2.5)), float(rng.uniform(1e-4, 0.5)), float(rng.uniform(0.5, 1.0))
        x = rng.standard_normal((N, C, H, W))
        np.testing.assert_allclose(LRN(k, n, alpha, beta).forward(x), lrn_forward_loop(x, k, n, alpha, beta),
                                   rtol=1e-13, err_msg=f"trial {trial}: x=({N},{C},{H},{W}) {n=} {k=} {alpha=} {beta=}")


@pytest.mark.parametrize("n, C", [(5, 6), (3, 4), (5, 3), (1, 2)])
def test_lrn_gradient_check(n, C):
    # alpha = 0.1 (not the paper's 1e-4) so that the cross-channel term of the gradient
    # is large enough for a mistake in it to show
    rng = np.random.default_rng(7)
    errors = check_layer(LRN(k=2.0, n=n, alpha=0.1, beta=0.75), rng.standard_normal((2, C, 2, 2)), rng=8)
    assert errors["x"] < GRAD_TOL, errors


# --- inputs untouched, dtypes kept -----------------------------------------------------------------

LAYERS = {
    "bn_dense": lambda dtype: BatchNormalization(np.full(3, 1.5, dtype), np.full(3, 0.5, dtype)),
    "bn_conv": lambda dtype: BatchNormalization(np.full(2, 1.5, dtype), np.full(2, 0.5, dtype)),
    "lrn": lambda dtype: LRN(n=3, alpha=0.1),
}
SHAPES = {"bn_dense": (4, 3), "bn_conv": (3, 2, 2, 2), "lrn": (2, 4, 3, 3)}


@pytest.mark.parametrize("name", LAYERS)
def test_inputs_not_mutated(name):
    rng = np.random.default_rng(9)
    layer = LAYERS[name](np.float64)
    assert_layer_does_not_mutate(layer, rng.standard_normal(SHAPES[name]), rng)


@pytest.mark.parametrize("name", LAYERS)
def test_float32_in_float32_out(name):
    rng = np.random.default_rng(10)
    layer = LAYERS[name](np.float32)
    x = rng.standard_normal(SHAPES[name]).astype(np.float32)
    out = layer.forward(x, train=True)
    assert out.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32
    for g in layer.grads.values():
        assert g.dtype == np.float32
    for buf in ("running_mean", "running_var"):
        if buf in layer.buffers:
            assert layer.buffers[buf].dtype == np.float32
    if name.startswith("bn"):
        assert layer.forward(x, train=False).dtype == np.float32
