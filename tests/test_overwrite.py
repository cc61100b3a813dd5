"""ReLU overwrites arrays only when a network owns them: the same numbers, one pass fewer."""
import numpy as np

from cnnlib import Sequential
from cnnlib.layers import Affine, Convolution, Pooling, Relu
from cnnlib.models import SimpleConvNet


def test_relu_by_hand_never_changes_its_input_or_dout():
    relu, x = Relu(), np.array([[1.0, -0.5], [-2.0, 3.0]])
    x_before = x.copy()
    out = relu.forward(x)
    dout = np.full_like(x, 7.0)
    dx = relu.backward(dout)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, np.full_like(x, 7.0))
    assert out is not x and dx is not dout


def test_relu_overwrite_writes_into_the_array_passed():
    relu, x = Relu(), np.array([[1.0, -0.5], [-2.0, 3.0]])
    out = relu.forward(x, overwrite=True)
    assert out is x
    np.testing.assert_array_equal(x, [[1, 0], [0, 3]])
    dout = np.full_like(x, 7.0)
    dx = relu.backward(dout, overwrite=True)
    assert dx is dout
    np.testing.assert_array_equal(dx, [[7, 0], [0, 7]])


def without_overwrites(monkeypatch, net, x, t):
    """loss_and_gradient with ReLU told not to overwrite: every layer makes new arrays."""
    with monkeypatch.context() as m:
        m.setattr(Relu, "overwrites", False)
        loss, grads = net.loss_and_gradient(x, t)
        return loss, {k: v.copy() for k, v in grads.items()}


def test_a_network_step_with_overwrites_equals_one_without_and_keeps_x(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 1, 12, 12)).astype(np.float32)
    t = rng.integers(0, 10, 6)
    x_before = x.copy()
    net = SimpleConvNet(input_dim=(1, 12, 12), rng=0)
    hand_loss, hand = without_overwrites(monkeypatch, net, x, t)
    loss, grads = net.loss_and_gradient(x, t)
    np.testing.assert_array_equal(x, x_before)  # the caller's images are never overwritten
    assert loss == hand_loss
    for key in hand:
        np.testing.assert_array_equal(grads[key], hand[key], err_msg=key)


def test_relu_first_does_not_overwrite_the_callers_array():
    x = np.array([[-1.0, 2.0, -3.0]], dtype=np.float32)
    net = Sequential([Relu(), Affine(np.ones((3, 2), np.float32), np.zeros(2, np.float32))])
    net.predict(x, train=True)
    np.testing.assert_array_equal(x, [[-1.0, 2.0, -3.0]])


def test_a_relu_after_pooling_leaves_the_pooling_output_it_keeps_alone(monkeypatch):
    # pooling keeps its output (the running maxima) for backward: ReLU must not overwrite it
    rng = np.random.default_rng(1)
    conv = Convolution(rng.standard_normal((2, 1, 3, 3)), np.zeros(2))
    net = Sequential([conv, Pooling(2, 2), Relu(), Affine(rng.standard_normal((2 * 2 * 2, 3)), np.zeros(3))])
    x = rng.standard_normal((4, 1, 6, 6))
    t = rng.integers(0, 3, 4)
    hand_loss, hand = without_overwrites(monkeypatch, net, x, t)
    loss, grads = net.loss_and_gradient(x, t)
    assert loss == hand_loss
    for key in hand:
        np.testing.assert_array_equal(grads[key], hand[key], err_msg=key)


def fresh_output_layers(rng):
    return [Convolution(rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)),
            Affine(rng.standard_normal((2 * 5 * 5, 4)), rng.standard_normal(4))]


def test_layers_that_say_their_output_is_fresh_do_not_keep_it():
    # fresh_output = True lets the network's next ReLU overwrite the output: so spoiling
    # that output after forward must change nothing in backward
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 2, 5, 5))
    for layer in fresh_output_layers(rng):
        assert layer.fresh_output
        out = layer.forward(x)
        assert not np.shares_memory(out, x)
        dout = rng.standard_normal(out.shape)
        dx, grads = layer.backward(dout), {k: v.copy() for k, v in layer.grads.items()}
        out2 = layer.forward(x)
        out2[...] = np.nan  # what an overwriting ReLU could do, at worst
        np.testing.assert_array_equal(layer.backward(dout), dx)
        for key, value in grads.items():
            np.testing.assert_array_equal(layer.grads[key], value, err_msg=f"{type(layer).__name__} {key}")
