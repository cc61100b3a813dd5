"""Activations, Affine, Flatten, Dropout and SoftmaxWithLoss: expected outputs by hand,
gradient checks, inputs left untouched, dtypes kept."""

import warnings

import numpy as np
import pytest

from cnnlib import check_layer, numerical_gradient, rel_error
from cnnlib.layers import (Affine, Dropout, Flatten, Relu, Sigmoid, SoftmaxWithLoss, Tanh, cross_entropy_error,
                           softmax)
from tests.helpers import assert_layer_does_not_mutate, away_from_zero

GRAD_TOL = 1e-7


# --- Relu, Sigmoid, Tanh ----------------------------------------------------------------

def test_relu_by_hand():
    relu = Relu()
    out = relu.forward(np.array([[1.0, -0.5], [-2.0, 3.0]]))
    np.testing.assert_array_equal(out, [[1, 0], [0, 3]])
    dx = relu.backward(np.array([[10.0, 20.0], [30.0, 40.0]]))
    np.testing.assert_array_equal(dx, [[10, 0], [0, 40]])


def test_relu_zero_passes_no_gradient():
    relu = Relu()
    relu.forward(np.array([0.0]))
    assert relu.backward(np.array([1.0]))[0] == 0


def test_sigmoid_by_hand():
    sig = Sigmoid()
    x = np.array([0.0, np.log(3.0), -np.log(3.0)])  # 1 / (1 + 1/3) = 3/4
    np.testing.assert_allclose(sig.forward(x), [0.5, 0.75, 0.25], rtol=1e-15)
    np.testing.assert_allclose(sig.backward(np.ones(3)), [0.25, 0.1875, 0.1875], rtol=1e-15)  # y (1 - y)


def test_sigmoid_is_stable_for_large_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning from exp
        out = Sigmoid().forward(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(out, [0.0, 1.0])


def test_tanh_by_hand():
    tanh = Tanh()
    x = np.array([0.0, np.log(2.0)])  # tanh(ln 2) = (4 - 1) / (4 + 1)
    np.testing.assert_allclose(tanh.forward(x), [0.0, 0.6], rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(tanh.backward(np.array([2.0, 1.0])), [2.0, 0.64], rtol=1e-15)  # 1 - y**2


@pytest.mark.parametrize("layer_class", [Relu, Sigmoid, Tanh])
def test_activation_gradient_check(layer_class):
    # ReLU's kink at 0 would spoil the numerical gradient: inputs stay 0.1 away from it
    rng = np.random.default_rng(0)
    errors = check_layer(layer_class(), away_from_zero(rng, (2, 3, 2, 2)), rng=1)
    assert errors["x"] < GRAD_TOL, errors


@pytest.mark.parametrize("layer_class", [Relu, Sigmoid, Tanh])
def test_activation_gradient_check_sweep(layer_class):
    # The same check over several seeds and a larger input (96 values). An element-wise
    # layer's numerical gradient should not depend on how many other outputs there are.
    for seed in range(10):
        rng = np.random.default_rng(seed)
        errors = check_layer(layer_class(), away_from_zero(rng, (3, 2, 4, 4)), rng=100 + seed)
        assert errors["x"] < GRAD_TOL, (seed, errors)


# --- Affine and Flatten ----------------------------------------------------------------------

def test_affine_by_hand():
    W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # (D=3, M=2)
    b = np.array([0.5, -0.5])
    aff = Affine(W, b)
    x = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(aff.forward(x), [[1.5, 1.5], [9.5, 11.5]])
    dx = aff.backward(np.array([[1.0, 0.0], [0.0, 1.0]]))
    np.testing.assert_array_equal(dx, [[1, 3, 5], [2, 4, 6]])               # dout @ W.T
    np.testing.assert_array_equal(aff.grads["W"], [[1, 1], [0, 1], [0, 1]])  # x.T @ dout
    np.testing.assert_array_equal(aff.grads["b"], [1, 1])                    # sum over the batch


def test_affine_flattens_4d_input_and_restores_dx_shape():
    rng = np.random.default_rng(1)
    W, b = rng.standard_normal((12, 5)), rng.standard_normal(5)
    x = rng.standard_normal((2, 3, 2, 2))
    aff = Affine(W, b)
    np.testing.assert_allclose(aff.forward(x), x.reshape(2, 12) @ W + b, rtol=1e-14)
    dx = aff.backward(np.ones((2, 5)))
    assert dx.shape == (2, 3, 2, 2)


@pytest.mark.parametrize("x_shape", [(4, 6), (2, 3, 2, 1)])
def test_affine_gradient_check(x_shape):
    rng = np.random.default_rng(2)
    aff = Affine(rng.standard_normal((6, 3)), rng.standard_normal(3))
    errors = check_layer(aff, rng.standard_normal(x_shape), rng=3)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < GRAD_TOL, errors


def test_flatten():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    fl = Flatten()
    out = fl.forward(x)
    assert out.shape == (2, 12)
    np.testing.assert_array_equal(out[1], np.arange(12.0, 24.0))
    dx = fl.backward(np.arange(24.0).reshape(2, 12))
    np.testing.assert_array_equal(dx, x)


def test_flatten_gradient_check():
    errors = check_layer(Flatten(), np.random.default_rng(4).standard_normal((2, 3, 2, 2)), rng=5)
    assert errors["x"] < GRAD_TOL, errors


# --- Dropout -----------------------------------------------------------------------------------

def test_dropout_train_zeroes_or_scales():
    drop = Dropout(0.25, rng=0)
    x = np.ones((100, 100))
    out = drop.forward(x, train=True)
    # inverted dropout: survivors are scaled by 1 / (1 - 0.25) so that the mean is kept
    assert set(np.unique(out)) <= {0.0, 1 / 0.75}
    dropped = np.mean(out == 0)
    assert 0.22 < dropped < 0.28
    assert abs(out.mean() - 1.0) < 0.05


def test_dropout_backward_uses_the_same_mask():
    drop = Dropout(0.5, rng=1)
    x = np.ones((4, 5))
    out = drop.forward(x, train=True)
    dout = np.arange(20.0).reshape(4, 5)
    np.testing.assert_array_equal(drop.backward(dout), dout * out)  # out = x * mask / (1 - ratio), x = 1


def test_dropout_inference_is_identity():
    drop = Dropout(0.5, rng=2)
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(drop.forward(x, train=False), x)
    # backward follows the last training forward (tests/test_bad_inputs.py): none yet
    with pytest.raises(RuntimeError, match=r"Dropout.backward called before forward\(x, train=True\)"):
        drop.backward(np.ones((2, 3)))


def test_dropout_ratio_zero_is_identity():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(Dropout(0.0).forward(x, train=True), x)


def test_dropout_is_reproducible_with_a_seed():
    x = np.ones((10, 10))
    a, b = Dropout(0.5, rng=42), Dropout(0.5, rng=42)
    for _ in range(3):  # the same sequence of masks, not only the first one
        np.testing.assert_array_equal(a.forward(x), b.forward(x))
    c = Dropout(0.5, rng=43)
    assert not np.array_equal(Dropout(0.5, rng=42).forward(x), c.forward(x))


def test_dropout_accepts_a_generator():
    x = np.ones((10, 10))
    a = Dropout(0.5, rng=np.random.default_rng(7)).forward(x)
    b = Dropout(0.5, rng=7).forward(x)
    np.testing.assert_array_equal(a, b)


class FrozenRng:
    """Stands in for a Generator and returns the same uniform numbers at every call."""

    def __init__(self, seed, shape):
        self.values = np.random.default_rng(seed).random(shape)

    def random(self, shape):
        assert shape == self.values.shape
        return self.values


def test_dropout_gradient_check():
    # a new mask at every forward would make the numerical gradient meaningless:
    # freeze the mask, and dropout becomes a fixed linear map
    x = np.random.default_rng(8).standard_normal((4, 6))
    drop = Dropout(0.5)
    drop.rng = FrozenRng(9, x.shape)
    errors = check_layer(drop, x, rng=10)
    assert errors["x"] < GRAD_TOL, errors


# --- SoftmaxWithLoss ----------------------------------------------------------------------------

def test_softmax_loss_by_hand():
    # equal scores: each class has probability 1/3, loss ln 3
    loss = SoftmaxWithLoss()
    x = np.zeros((2, 3))
    t = np.array([0, 2])
    assert loss.forward(x, t) == pytest.approx(np.log(3.0), rel=1e-15)
    dx = loss.backward()
    # (softmax - onehot) / N
    np.testing.assert_allclose(dx, [[-1 / 3, 1 / 6, 1 / 6], [1 / 6, 1 / 6, -1 / 3]], rtol=1e-14)


def test_softmax_loss_second_example():
    # scores (ln 1, ln 2, ln 5): probabilities 1/8, 2/8, 5/8
    x = np.log(np.array([[1.0, 2.0, 5.0]]))
    loss = SoftmaxWithLoss()
    assert loss.forward(x, np.array([2])) == pytest.approx(-np.log(5 / 8), rel=1e-14)
    np.testing.assert_allclose(loss.backward(2.0), 2.0 * np.array([[1 / 8, 2 / 8, -3 / 8]]), rtol=1e-14)


def test_integer_and_one_hot_labels_agree():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((5, 4))
    t = np.array([0, 3, 1, 1, 2])
    one_hot = np.eye(4)[t]
    a, b = SoftmaxWithLoss(), SoftmaxWithLoss()
    assert a.forward(x, t) == b.forward(x, one_hot)
    np.testing.assert_array_equal(a.backward(), b.backward())


def test_softmax_loss_is_stable_for_huge_scores():
    loss = SoftmaxWithLoss()
    x = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no log(0)
        loss_right = loss.forward(x[:1], np.array([0]))
        loss_wrong = loss.forward(x[:1], np.array([1]))
        loss_tie = loss.forward(x[1:], np.array([2]))
        dx = loss.backward()
    assert loss_right == pytest.approx(0.0, abs=1e-300)
    assert loss_wrong == pytest.approx(1000.0, rel=1e-15)  # -log(e^0 / e^1000): the real value, not log(1e-12)
    assert loss_tie == pytest.approx(np.log(3.0), rel=1e-15)
    assert np.all(np.isfinite(dx))


def test_softmax_loss_gradient_check():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, 5))
    t = np.array([4, 0, 2, 2])
    loss = SoftmaxWithLoss()
    loss.forward(x, t)
    dx = loss.backward()
    num = numerical_gradient(lambda: loss.forward(x, t), x)
    assert rel_error(dx, num) < GRAD_TOL


def test_softmax_and_cross_entropy_functions():
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 0.0]])
    y = softmax(x)
    np.testing.assert_allclose(y.sum(axis=1), [1.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(y[1], [0.5, 0.5, 0.0], atol=1e-300)
    t = np.array([2, 0])
    loss = cross_entropy_error(y, t)
    assert loss == pytest.approx(SoftmaxWithLoss().forward(x, t), rel=1e-9)
    assert cross_entropy_error(y, np.eye(3)[t]) == loss


# --- every layer: inputs untouched, float32 kept -------------------------------------------------

def make(name, rng, dtype):
    """A small layer of each kind, with parameters in ``dtype``."""
    if name == "affine":
        return Affine(rng.standard_normal((12, 4)).astype(dtype), rng.standard_normal(4).astype(dtype))
    if name == "dropout":
        return Dropout(0.5, rng=0)
    return {"relu": Relu, "sigmoid": Sigmoid, "tanh": Tanh, "flatten": Flatten}[name]()


NAMES = ["relu", "sigmoid", "tanh", "affine", "flatten", "dropout"]


@pytest.mark.parametrize("name", NAMES)
def test_inputs_not_mutated(name):
    rng = np.random.default_rng(13)
    layer = make(name, rng, np.float64)
    assert_layer_does_not_mutate(layer, rng.standard_normal((2, 3, 2, 2)), rng)


def test_softmax_loss_does_not_mutate():
    x = np.random.default_rng(14).standard_normal((3, 4))
    t = np.array([0, 1, 3])
    x_before, t_before = x.copy(), t.copy()
    loss = SoftmaxWithLoss()
    loss.forward(x, t)
    loss.backward()
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(t, t_before)


@pytest.mark.parametrize("name", NAMES)
def test_float32_in_float32_out(name):
    rng = np.random.default_rng(15)
    layer = make(name, rng, np.float32)
    x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    out = layer.forward(x, train=True)
    assert out.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32
    for g in layer.grads.values():
        assert g.dtype == np.float32


def test_softmax_loss_float32():
    loss = SoftmaxWithLoss()
    loss.forward(np.zeros((2, 3), dtype=np.float32), np.array([0, 1]))
    assert loss.backward().dtype == np.float32
