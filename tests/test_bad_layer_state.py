"""Misuse of the layers (issue 14, phase 2): state, integers, numbers, bounded work, memory.

Each case asserts the error type and that the message names the parameter and the numbers;
a hang is tested with a bound (a subprocess with a timeout), never a timing assertion."""

import subprocess
import sys

import numpy as np
import pytest

from cnnlib import Sequential, col2im, im2col
from cnnlib.layers import (LRN, Affine, BatchNormalization, Convolution, Dropout, Flatten, Pooling, Relu,
                           Sigmoid, SoftmaxWithLoss, Tanh)

RNG = np.random.default_rng(0)


def conv(stride=1, pad=1):
    return Convolution(RNG.standard_normal((2, 3, 3, 3)), RNG.standard_normal(2), stride, pad)


# (make a layer, the shape of x): every layer that backpropagates
LAYERS = {
    "conv": (lambda: conv(), (2, 3, 6, 6)),
    "conv_chunked": (lambda: _chunked(conv()), (3, 3, 6, 6)),
    "max_pool": (lambda: Pooling(2, 2), (2, 3, 6, 6)),
    "max_pool_padded": (lambda: Pooling(3, 3, 2, pad=1, strict=False), (2, 3, 6, 6)),
    "avg_pool": (lambda: Pooling(2, 2, mode="average"), (2, 3, 6, 6)),
    "affine": (lambda: Affine(RNG.standard_normal((12, 4)), RNG.standard_normal(4)), (2, 3, 2, 2)),
    "flatten": (lambda: Flatten(), (2, 3, 2, 2)),
    "relu": (lambda: Relu(), (2, 5)),
    "sigmoid": (lambda: Sigmoid(), (2, 5)),
    "tanh": (lambda: Tanh(), (2, 5)),
    "dropout": (lambda: Dropout(0.5, rng=1), (4, 5)),
    "batchnorm": (lambda: BatchNormalization(np.ones(3), np.zeros(3)), (2, 3, 4, 4)),
    "lrn": (lambda: LRN(n=3), (2, 4, 3, 3)),
}


def _chunked(layer):
    layer.max_col_bytes = 1  # one image at a time: col is rebuilt in backward
    return layer


# --- an inference forward never spoils the last training forward's cache ------------------------

@pytest.mark.parametrize("name", LAYERS)
def test_inference_between_training_forward_and_backward(name):
    make, shape = LAYERS[name]
    x1, x2 = RNG.standard_normal(shape), RNG.standard_normal(shape) * 3
    reference, layer = make(), make()
    layer.params = {k: v.copy() for k, v in reference.params.items()}
    if name == "dropout":
        layer.rng = np.random.default_rng(1)
    dout = RNG.standard_normal(reference.forward(x1).shape)
    expected = reference.backward(dout)
    layer.forward(x1)
    layer.forward(x2, train=False)          # an accuracy check between two steps
    np.testing.assert_array_equal(layer.backward(dout), expected)
    for key in reference.grads:
        np.testing.assert_array_equal(layer.grads[key], reference.grads[key])


@pytest.mark.parametrize("name", LAYERS)
def test_backward_before_any_training_forward(name):
    make, shape = LAYERS[name]
    layer = make()
    out = layer.forward(RNG.standard_normal(shape), train=False)
    kind = type(layer).__name__
    with pytest.raises(RuntimeError, match=rf"{kind}.backward called before forward\(x, train=True\)"):
        layer.backward(np.ones_like(out))


def test_loss_backward_before_forward():
    with pytest.raises(RuntimeError, match=r"SoftmaxWithLoss.backward called before forward"):
        SoftmaxWithLoss().backward()


@pytest.mark.parametrize("name", LAYERS)
def test_dout_of_the_wrong_shape(name):
    make, shape = LAYERS[name]
    layer = make()
    out = layer.forward(RNG.standard_normal(shape))
    wrong = out.shape[:-1] + (out.shape[-1] + 1,)
    with pytest.raises(ValueError, match=rf"dout must have the shape of {type(layer).__name__}'s last training "
                                         rf"output \({out.shape[0]}, .*got dout of shape \({wrong[0]}, "):
        layer.backward(np.ones(wrong))


def test_loss_dout_must_be_a_number():
    loss = SoftmaxWithLoss()
    loss.forward(np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"last training output \(\), got dout of shape \(2, 3\)"):
        loss.backward(np.ones((2, 3)))


def test_conv_inference_keeps_gradients_of_the_training_input_with_one_layer():
    # the training col lived in the workspace the inference forward reused: backward rebuilds it
    c = conv()
    x1, x2 = RNG.standard_normal((2, 3, 6, 6)), RNG.standard_normal((5, 3, 6, 6))
    out = c.forward(x1)
    dout = RNG.standard_normal(out.shape)
    c.backward(dout)
    dW = c.grads["W"].copy()
    c.forward(x1)
    c.forward(x2, train=False)
    c.backward(dout)
    np.testing.assert_array_equal(c.grads["W"], dW)


# --- integer inputs ---------------------------------------------------------------------------

def test_average_pooling_of_uint8():
    x = np.full((1, 1, 4, 4), 200, dtype=np.uint8)
    np.testing.assert_array_equal(Pooling(2, 2, mode="average").forward(x), np.full((1, 1, 2, 2), 200.0))


def test_padded_max_pooling_of_uint8():
    x = np.full((1, 1, 4, 4), 200, dtype=np.uint8)
    out = Pooling(3, 3, 1, pad=1).forward(x)
    np.testing.assert_array_equal(out, np.full((1, 1, 4, 4), 200.0))


def test_max_pooling_of_uint8_without_padding_stays_exact():
    x = np.arange(16, dtype=np.uint8).reshape(1, 1, 4, 4) * 15
    np.testing.assert_array_equal(Pooling(2, 2).forward(x).ravel(), [75, 105, 195, 225])


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int64])
def test_col2im_of_integers_does_not_wrap(dtype):
    x_shape = (1, 1, 4, 4)
    col = np.full((9, 4), 100, dtype=dtype)  # 3x3 windows of 2x2 filters: the middle pixels get 4 * 100
    img = col2im(col, x_shape, 2, 2)
    assert img.dtype == np.float64
    assert img[0, 0, 1, 1] == 400 and img[0, 0, 0, 0] == 100


def test_dropout_of_integers():
    x = np.full((100, 10), 7, dtype=np.int64)
    out = Dropout(0.5, rng=0).forward(x)
    assert set(np.unique(out)) == {0.0, 14.0}


def test_lrn_of_uint8():
    x = np.full((1, 3, 2, 2), 200, dtype=np.uint8)
    np.testing.assert_allclose(LRN(k=1.0, n=1, alpha=1.0, beta=1.0).forward(x), 200 / (1 + 200.0 ** 2))


def test_relu_of_integers():
    np.testing.assert_array_equal(Relu().forward(np.array([-3, 0, 5])), [0, 0, 5])


# --- constructors validate their numbers ------------------------------------------------------

@pytest.mark.parametrize("make, error, pattern", [
    (lambda: Dropout("0.5"), TypeError, r"ratio must be a number, got ratio = '0.5' \(str\)"),
    (lambda: Dropout(float("nan")), ValueError, r"ratio must be finite, got ratio = nan"),
    (lambda: BatchNormalization(np.ones(2), np.zeros(2), momentum="0.9"), TypeError,
     r"momentum must be a number, got momentum = '0.9'"),
    (lambda: BatchNormalization(np.ones(2), np.zeros(2), eps=0.0), ValueError, r"eps must be > 0, got eps = 0.0"),
    (lambda: BatchNormalization(np.ones(2), np.zeros(2), eps=-1e-5), ValueError,
     r"eps must be > 0, got eps = -1e-05"),
    (lambda: BatchNormalization(np.ones(2), np.zeros(2), eps="1e-5"), TypeError, r"eps must be a number"),
    (lambda: BatchNormalization(np.ones(2, dtype=int), np.zeros(2)), TypeError,
     r"gamma must hold floating-point numbers .*got dtype int64"),
    (lambda: LRN(k=0), ValueError, r"k must be > 0, got k = 0"),
    (lambda: LRN(k=-1.0), ValueError, r"k must be > 0, got k = -1.0"),
    (lambda: LRN(alpha=-1e-4), ValueError, r"alpha must be >= 0, got alpha = -0.0001"),
    (lambda: LRN(beta=-0.75), ValueError, r"beta must be >= 0, got beta = -0.75"),
    (lambda: LRN(n=3.0), TypeError, r"n must be an integer, got n = 3.0"),
    (lambda: LRN(n="5"), TypeError, r"n must be an integer, got n = '5'"),
    (lambda: LRN(k="2"), TypeError, r"k must be a number, got k = '2'"),
    (lambda: LRN(alpha=float("inf")), ValueError, r"alpha must be finite, got alpha = inf"),
    (lambda: Pooling(2, 2, mode=["max"]), ValueError, r"mode must be 'max' or 'average', got mode = \['max'\]"),
    (lambda: Convolution(np.zeros((2, 3, 3, 3), dtype=np.int64), np.zeros(2)), TypeError,
     r"W must hold floating-point numbers .*got dtype int64"),
    (lambda: Convolution(np.zeros((2, 3, 3, 3)), np.zeros(2, dtype=np.uint8)), TypeError,
     r"b must hold floating-point numbers .*got dtype uint8"),
    (lambda: Affine(np.zeros((4, 3), dtype=bool), np.zeros(3)), TypeError,
     r"W must hold floating-point numbers .*got dtype bool"),
    (lambda: Affine(np.zeros((4, 3)), np.zeros(3, dtype=np.int32)), TypeError,
     r"b must hold floating-point numbers .*got dtype int32"),
], ids=["dropout_str", "dropout_nan", "bn_momentum_str", "bn_eps_0", "bn_eps_negative", "bn_eps_str",
        "bn_gamma_int", "lrn_k_0", "lrn_k_negative", "lrn_alpha", "lrn_beta", "lrn_n_float", "lrn_n_str",
        "lrn_k_str", "lrn_alpha_inf", "pool_mode_list", "conv_W_int", "conv_b_uint8", "affine_W_bool",
        "affine_b_int"])
def test_constructor_numbers(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


@pytest.mark.parametrize("shape, pattern", [
    ((1, 3), r"x of shape \(1, 3\) \(N = 1\)"),
    ((1, 3, 1, 1), r"x of shape \(1, 3, 1, 1\) \(N\*H\*W = 1\*1\*1 = 1\)"),
], ids=["dense", "conv"])
def test_batch_norm_refuses_one_value_per_feature(shape, pattern):
    layer = BatchNormalization(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"batch normalization needs more than one value per feature.*" + pattern):
        layer.forward(np.ones(shape))
    assert layer.forward(np.ones(shape), train=False).shape == shape  # inference of one image is fine
    assert layer.forward(np.ones((1, 3, 2, 1)) if len(shape) == 4 else np.ones((2, 3))).shape  # N*H*W = 2 trains


@pytest.mark.parametrize("t, row", [
    (np.array([[0, 1, 0], [0, 0, 0]]), r"row 1 = \[0, 0, 0\] \(sum 0\)"),
    (np.array([[0.2, 0.7, 0.1], [0, 1, 0]]), r"row 0 = \[0.2, 0.7, 0.1\] \(sum 0.99"),
    (np.array([[1, 1, 0], [0, 1, 0]]), r"row 0 = \[1, 1, 0\] \(sum 2\)"),
], ids=["all_zero_row", "soft_target", "two_ones"])
def test_loss_refuses_rows_that_are_not_one_hot(t, row):
    with pytest.raises(ValueError, match=r"t of shape \(N, K\) = \(2, 3\) must be one-hot.*" + row):
        SoftmaxWithLoss().forward(np.zeros((2, 3)), t)


def test_loss_accepts_one_hot_floats():
    loss = SoftmaxWithLoss().forward(np.zeros((2, 3)), np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]))
    assert loss == pytest.approx(np.log(3))


def test_one_layer_instance_twice_in_a_sequential():
    relu = Relu()
    with pytest.raises(ValueError, match=r"layer Relu1 appears twice \(again as Relu2\); create one instance per "
                                         r"position"):
        Sequential([Affine(np.zeros((4, 4)), np.zeros(4)), relu, Affine(np.zeros((4, 4)), np.zeros(4)), relu])


# --- bounded work -----------------------------------------------------------------------------

def _returns_within(code, seconds=20):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=seconds)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("stride", [2000, (2000, 1), (1, 3000)])
def test_huge_stride_returns_at_once(stride):
    out = _returns_within(f"""
import numpy as np
from cnnlib.layers import Convolution
c = Convolution(np.ones((2, 3, 3, 3)), np.zeros(2), stride={stride!r}, strict=False)
out = c.forward(np.ones((4, 3, 28, 28)))
print(out.shape, c.backward(np.ones_like(out)).shape, float(out.ravel()[0]))
""")
    OH = 1 if stride in (2000, (2000, 1)) else 26
    OW = 1 if stride in (2000, (1, 3000)) else 26
    assert out.split("\n")[0] == f"(4, 2, {OH}, {OW}) (4, 3, 28, 28) 27.0"


def test_huge_stride_in_im2col_returns_at_once():
    out = _returns_within("""
import numpy as np
from cnnlib import im2col, col2im
col = im2col(np.ones((2, 3, 28, 28)), 3, 3, stride=10**6, strict=False)
print(col.shape, col2im(col, (2, 3, 28, 28), 3, 3, stride=10**6, strict=False).sum())
""")
    assert out.strip() == "(2, 27) 54.0"


def test_huge_stride_in_the_size_suggestions_returns_at_once():
    out = _returns_within("""
from cnnlib import conv_output_size
try:
    conv_output_size(28, 5, stride=10**9)
except ValueError as e:
    print("ValueError", "stride = 1000000000" in str(e))
""")
    assert out.strip() == "ValueError True"


# --- the memory guard ------------------------------------------------------------------------

HUGE = np.broadcast_to(np.zeros(1), (100000, 3, 256, 256))  # a view: no memory, but > 20 GiB of work


@pytest.mark.parametrize("call, what", [
    (lambda: im2col(HUGE, 11, 11), r"im2col's col \(100000\*246\*246, 3\*11\*11\) would need 1.64e\+04 GiB"),
    (lambda: col2im(np.broadcast_to(np.zeros(1), (100000 * 4, 3 * 128 * 128)), (100000, 3, 256, 256), 128, 128,
                    stride=128), r"col2im's image \(100000, 3, 256, 256\) would need 146 GiB"),
    (lambda: Convolution(np.ones((64, 3, 3, 3)), np.zeros(64), pad=1).forward(HUGE),
     r"Convolution's output \(100000, 64, 256, 256\) would need 3.12e\+03 GiB"),
    (lambda: Pooling(3, 3, 1).forward(HUGE),
     r"Pooling's output \(100000, 3, 254, 254\) and pooled rows \(100000, 3, 256, 254\) would need 290 GiB"),
    (lambda: Pooling(2, 2, 1, mode="average").forward(HUGE),
     r"Pooling's output \(100000, 3, 255, 255\) and pooled rows \(100000, 3, 256, 255\) would need 291 GiB"),
    (lambda: Pooling(2, 2).forward(HUGE),
     r"Pooling's running maxima and output \(100000, 3, 128, 128\) times 4 would need 146 GiB"),
], ids=["im2col", "col2im", "conv_output", "max_pool", "avg_pool", "max_pool_side_by_side"])
def test_more_than_20_gib_is_refused_before_allocating(call, what):
    with pytest.raises(MemoryError, match=what + r" \(\d+ bytes\), more than the memory limit of .* GiB.*"
                                                 r"pass fewer images at a time \(N = 100000\)"):
        call()


def test_memory_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv("CNNLIB_MEMORY_LIMIT", str(2**20))
    c = Convolution(np.ones((2, 3, 3, 3)), np.zeros(2), pad=1)
    with pytest.raises(MemoryError, match=r"Convolution's col for one image \(27, 256\*256\) would need .*"
                                          r"\(14155776 bytes\).*smaller image"):
        c.forward(np.zeros((1, 3, 256, 256)))
    assert c.forward(np.zeros((4, 3, 16, 16))).shape == (4, 2, 16, 16)  # fits: one image's col is 55 KiB
    monkeypatch.setenv("CNNLIB_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match=r"CNNLIB_MEMORY_LIMIT must be a number of bytes, got 'lots'"):
        im2col(np.zeros((1, 1, 4, 4)), 2, 2)


def test_convolution_chunks_under_the_memory_limit(monkeypatch):
    # 8 images whose col is 27*32*32*8 = 221184 bytes each: with a 500 kB limit, 2 at a time; same numbers
    x = RNG.standard_normal((8, 3, 32, 32))
    W, b = RNG.standard_normal((2, 3, 3, 3)), RNG.standard_normal(2)
    expected = Convolution(W, b, pad=1).forward(x)
    monkeypatch.setenv("CNNLIB_MEMORY_LIMIT", "500000")
    np.testing.assert_allclose(Convolution(W, b, pad=1).forward(x), expected, rtol=1e-12, atol=1e-12)
