"""Blocks made of layers (Residual, Concat, GlobalAvgPool): outputs by hand, float64 gradient
checks, parameters shared with the network and its optimizer, and the networks after AlexNet
against their published sizes."""

import numpy as np
import pytest

from cnnlib import check_layer, rel_error, summary
from cnnlib.layers import (BatchNormalization, Concat, Convolution, GlobalAvgPool, Pooling, Relu,
                           Residual)
from cnnlib.models import VGG16, GoogLeNet, MobileNet, ResNet, SmallMobileNet, SmallResNet, SmallVGG
from cnnlib.optim import SGD
from tests.helpers import assert_layer_does_not_mutate

GRAD_TOL = 1e-6


def conv(rng, C, FN, size, stride=1, groups=1):
    W = rng.standard_normal((FN, C // groups, size, size)) * 0.5
    return Convolution(W, rng.standard_normal(FN) * 0.1, stride, size // 2, strict=False, groups=groups)


def bn(rng, C):
    return BatchNormalization(1 + 0.1 * rng.standard_normal(C), 0.1 * rng.standard_normal(C))


# --- by hand -------------------------------------------------------------------------

def test_residual_by_hand_adds_the_input_and_its_gradient():
    block = Residual([Relu()])  # out = relu(x) + x
    x = np.array([[[[-2.0, 3.0]]]])
    np.testing.assert_array_equal(block.forward(x), [[[[-2.0, 6.0]]]])
    dx = block.backward(np.array([[[[10.0, 20.0]]]]))
    np.testing.assert_array_equal(dx, [[[[10.0, 40.0]]]])  # the skip passes dout on; relu's path adds where x > 0


def test_concat_by_hand_stacks_channels_and_adds_gradients():
    block = Concat([[], [Relu()]])  # (x, relu(x)) along the channels
    x = np.array([[[[-1.0, 2.0]]]])
    np.testing.assert_array_equal(block.forward(x), [[[[-1.0, 2.0]], [[0.0, 2.0]]]])
    dx = block.backward(np.array([[[[1.0, 2.0]], [[10.0, 20.0]]]]))
    np.testing.assert_array_equal(dx, [[[[1.0, 22.0]]]])


def test_global_avg_pool_by_hand():
    gap = GlobalAvgPool()
    x = np.arange(8.0).reshape(1, 2, 2, 2)
    np.testing.assert_array_equal(gap.forward(x), [[1.5, 5.5]])
    np.testing.assert_array_equal(gap.backward(np.array([[4.0, 8.0]])), [[[[1, 1], [1, 1]], [[2, 2], [2, 2]]]])
    assert gap.output_shape((7, 5, 3)) == (7,)


# --- gradient checks in float64 --------------------------------------------------------

def assert_gradients_check(block, x, rng, before_bn=()):
    """Gradient check; a convolution's bias right before batch norm has gradient 0 (the
    normalization subtracts the mean), where a relative error compares rounding noise."""
    errors = check_layer(block, x, rng=rng)
    assert set(errors) == {"x"} | set(block.params)
    for key in before_bn:
        assert np.abs(block.grads[key]).max() < 1e-12, key
    errors = {k: v for k, v in errors.items() if k not in before_bn}
    assert max(errors.values()) < GRAD_TOL, errors


def test_residual_identity_gradient_check():
    rng = np.random.default_rng(0)
    block = Residual([conv(rng, 3, 3, 3), bn(rng, 3), Relu(), conv(rng, 3, 3, 3), bn(rng, 3)])
    assert_gradients_check(block, rng.standard_normal((2, 3, 5, 5)), 1, before_bn=("body0.b", "body3.b"))


def test_residual_projection_gradient_check():
    rng = np.random.default_rng(1)
    body = [conv(rng, 3, 4, 3, stride=2), bn(rng, 4), Relu(), conv(rng, 4, 4, 3)]
    block = Residual(body, [conv(rng, 3, 4, 1, stride=2), bn(rng, 4)])
    x = rng.standard_normal((2, 3, 6, 6))
    assert block.forward(x).shape == (2, 4, 3, 3) and block.output_shape((3, 6, 6)) == (4, 3, 3)
    assert {"skip0.W", "skip1.gamma", "body0.W", "body3.W"} <= set(block.params)
    assert_gradients_check(block, x, 2, before_bn=("body0.b", "skip0.b"))


def test_concat_inception_gradient_check():
    rng = np.random.default_rng(2)
    block = Concat([[conv(rng, 4, 2, 1), Relu()],
                    [conv(rng, 4, 2, 1), Relu(), conv(rng, 2, 3, 3)],
                    [conv(rng, 4, 1, 1), conv(rng, 1, 2, 5)],
                    [Pooling(3, 3, 1, 1, mode="average"), conv(rng, 4, 2, 1)]])
    x = rng.standard_normal((2, 4, 5, 5))
    assert block.forward(x).shape == (2, 2 + 3 + 2 + 2, 5, 5)
    errors = check_layer(block, x, rng=3)
    assert max(errors.values()) < GRAD_TOL, errors


def test_global_avg_pool_gradient_check():
    rng = np.random.default_rng(3)
    errors = check_layer(GlobalAvgPool(), rng.standard_normal((2, 3, 4, 5)), rng=4)
    assert errors["x"] < GRAD_TOL


def test_depthwise_separable_block_gradient_check():
    rng = np.random.default_rng(4)
    block = Residual([conv(rng, 4, 4, 3, groups=4), Relu(), conv(rng, 4, 4, 1)])
    errors = check_layer(block, rng.standard_normal((2, 4, 5, 5)), rng=5)
    assert max(errors.values()) < GRAD_TOL, errors


@pytest.mark.parametrize("layer", [Residual([Relu()], [Relu()]), Concat([[Relu()], []]), GlobalAvgPool()],
                         ids=["residual", "concat", "gap"])
def test_blocks_leave_their_inputs_alone(layer):
    rng = np.random.default_rng(5)
    assert_layer_does_not_mutate(layer, rng.standard_normal((2, 3, 4, 4)), rng)


def test_whole_resnet_gradient_matches_numerical_in_float64():
    net = SmallResNet(blocks=(1, 1), widths=(2, 3), input_dim=(1, 6, 6), output_size=3, rng=0, dtype=np.float64)
    rng = np.random.default_rng(6)
    x, t = rng.standard_normal((4, 1, 6, 6)), np.array([0, 1, 2, 1])
    grads, numerical = net.gradient(x, t), net.numerical_gradient(x, t)
    assert set(grads) == set(net.params) and any(".W" in key for key in grads)
    # biases right before batch norm have gradient 0: both sides are rounding noise there
    zero = {k for k in grads if np.abs(grads[k]).max() < 1e-12 and np.abs(numerical[k]).max() < 1e-9}
    assert zero == {"b1", "body0.b3", "body3.b3", "body0.b4", "body3.b4", "skip0.b4"}
    worst = max(rel_error(grads[k], numerical[k]) for k in set(grads) - zero)
    assert worst < GRAD_TOL, worst


# --- parameters shared with the network and its optimizer --------------------------

def test_block_params_are_the_inner_layers_arrays():
    rng = np.random.default_rng(7)
    inner = conv(rng, 2, 2, 3)
    block = Residual([inner, bn(rng, 2)])
    assert block.params["body0.W"] is inner.params["W"]
    assert set(block.buffers) == {"body1.running_mean", "body1.running_var", "body1.num_batches"}
    replacement = np.zeros_like(inner.params["W"])
    block.params["body0.W"] = replacement  # assigning through the view reaches the inner layer
    assert inner.params["W"] is replacement
    with pytest.raises(KeyError):
        block.params["body0.nothing"] = replacement


def test_optimizer_updates_reach_layers_inside_blocks():
    net = SmallResNet(blocks=(1,), widths=(2,), input_dim=(1, 6, 6), output_size=2, rng=0)
    block = next(layer for layer in net.layers if isinstance(layer, Residual))
    before = block.body[0].params["W"].copy()
    x, t = np.random.default_rng(8).standard_normal((3, 1, 6, 6)).astype(np.float32), np.array([0, 1, 0])
    SGD(lr=0.1).update(net.params, net.gradient(x, t))
    assert not np.array_equal(block.body[0].params["W"], before)


def test_save_and_load_with_blocks(tmp_path):
    a = SmallResNet(blocks=(1, 1), widths=(2, 4), input_dim=(1, 8, 8), rng=0)
    x = np.random.default_rng(9).standard_normal((5, 1, 8, 8)).astype(np.float32)
    a.loss_and_gradient(x, np.arange(5))  # moves batch norm's running statistics
    a.save_params(tmp_path / "w.npz")
    b = SmallResNet(blocks=(1, 1), widths=(2, 4), input_dim=(1, 8, 8), rng=1)
    assert not np.allclose(a.predict(x), b.predict(x))
    b.load_params(tmp_path / "w.npz")
    np.testing.assert_array_equal(a.predict(x), b.predict(x))


# --- shapes and errors ----------------------------------------------------------------

def test_residual_refuses_a_shortcut_of_another_shape():
    rng = np.random.default_rng(10)
    block = Residual([conv(rng, 3, 4, 3, stride=2)])
    with pytest.raises(ValueError, match=r"body gives \(4, 3, 3\) but the shortcut gives \(3, 6, 6\)"):
        block.output_shape((3, 6, 6))


def test_concat_refuses_branches_of_different_sizes():
    rng = np.random.default_rng(11)
    block = Concat([[conv(rng, 3, 2, 1)], [conv(rng, 3, 2, 3, stride=2)]])
    with pytest.raises(ValueError, match="one height and width"):
        block.output_shape((3, 6, 6))


# --- the small networks ---------------------------------------------------------------

def count_convs(layers):
    """(3x3 convolutions, all convolutions) inside ``layers``, blocks included."""
    convs = [layer for layer in _walk(layers) if isinstance(layer, Convolution)]
    return sum(c.params["W"].shape[2] == 3 for c in convs), len(convs)


def _walk(layers):
    for layer in layers:
        if isinstance(layer, Residual):
            yield from _walk(layer.body + layer.shortcut)
        elif isinstance(layer, Concat):
            yield from _walk([inner for branch in layer.branches for inner in branch])
        else:
            yield layer


def test_small_resnet_and_its_plain_counterpart_have_the_same_depth():
    res, plain = SmallResNet(), SmallResNet(residual=False)
    assert count_convs(res.layers) == (19, 21)   # 19 3x3 convolutions and 2 projections
    assert count_convs(plain.layers) == (19, 19)
    for net in (res, plain):
        assert summary(net, (1, 28, 28)).rows[-1].output_shape == (10,)
        assert net.predict(np.zeros((2, 1, 28, 28))).shape == (2, 10)


def test_separable_network_costs_less_than_its_standard_counterpart():
    sep, std = summary(SmallMobileNet(), (1, 28, 28)), summary(SmallMobileNet(separable=False), (1, 28, 28))
    assert sep.total_params * 5 < std.total_params and sep.total_macs * 5 < std.total_macs
    depthwise = next(r for r in sep.rows[3:] if r.name.startswith("Convolution"))
    C, OH, OW = depthwise.output_shape
    assert depthwise.macs == C * OH * OW * 9 and depthwise.params == C * 9 + C  # one 3x3 filter per channel


def test_small_vgg_shapes():
    s = summary(SmallVGG(widths=(8, 16), convs=2), (1, 28, 28))
    assert [r.output_shape for r in s.rows if r.name.startswith("Pooling")] == [(8, 14, 14), (16, 7, 7)]


# --- the ImageNet networks against their published sizes -------------------------------

def conv_biases_before_bn(layers):
    """Biases of convolutions followed by batch norm: the papers have none there, cnnlib does."""
    layers, total = list(layers), 0
    for layer, after in zip(layers, layers[1:]):
        if isinstance(layer, Convolution) and isinstance(after, BatchNormalization):
            total += layer.params["b"].size
    for layer in layers:
        if isinstance(layer, Residual):
            total += conv_biases_before_bn(layer.body) + conv_biases_before_bn(layer.shortcut)
    return total


def test_vgg16_published_size():
    s = summary(VGG16(), (3, 224, 224))
    assert s.total_params == 138_357_544                   # the paper's 138 M; torchvision's exact count
    assert abs(s.total_macs / 15.5e9 - 1) < 0.005          # 15.47 G
    assert s.rows[-1].output_shape == (1000,)


@pytest.mark.parametrize("depth, params, macs", [(18, 11_689_512, 1.82e9), (50, 25_557_032, 4.09e9)])
def test_resnet_published_size(depth, params, macs):
    net = ResNet(depth)
    s = summary(net, (3, 224, 224))
    # torchvision's exact counts, whose convolutions have no bias before batch norm
    assert s.total_params - conv_biases_before_bn(net.layers) == params
    assert abs(s.total_macs / macs - 1) < 0.01
    assert [r.output_shape for r in s.rows if r.name.startswith("Residual")][-1][1:] == (7, 7)


def test_mobilenet_published_size():
    net = MobileNet()
    s = summary(net, (3, 224, 224))
    # 4,231,976 trainable (Keras' MobileNet, whose convolutions have no bias); the paper: 4.2 M, 569 M
    assert s.total_params - conv_biases_before_bn(net.layers) == 4_231_976
    assert abs(s.total_macs / 569e6 - 1) < 0.001


def test_googlenet_close_to_published_size():
    s = summary(GoogLeNet(), (3, 224, 224))
    inception_3a = next(r for r in s.rows if r.name == "Concat1")
    # 3a by hand from table 1: 1x1 64; 1x1 96 -> 3x3 128; 1x1 16 -> 5x5 32; pool -> 1x1 32, on 192 x 28 x 28
    weights = 192 * 64 + 192 * 96 + 96 * 9 * 128 + 192 * 16 + 16 * 25 * 32 + 192 * 32
    assert inception_3a.output_shape == (256, 28, 28)
    assert inception_3a.params == weights + 64 + 96 + 128 + 16 + 32 + 32 and inception_3a.macs == weights * 28 * 28
    # the paper: about 6.8 M parameters (table 1) and 1.5 G multiply-adds. Without the auxiliary
    # classifiers we count 7.0 M (+2.9%: biases, and table 1's rows round) and 1.58 G (+5.5%: table 1
    # lists 34 M for conv1, whose 64 filters of 7x7x3 at 112x112 make 118 M)
    assert abs(s.total_params / 6.8e6 - 1) < 0.035
    assert abs(s.total_macs / 1.5e9 - 1) < 0.06
    conv1 = s.rows[0]
    assert conv1.macs == 64 * 112 * 112 * 7 * 7 * 3
