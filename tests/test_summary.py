"""summary(): per-layer shapes, parameters and multiply-adds, against figures derived by hand."""

import numpy as np
import pytest

from cnnlib import Sequential
from cnnlib.layers import base as layers_base
from cnnlib.models import AlexNet, LeNet5, SimpleConvNet
from cnnlib.summary import summary


def test_lenet5_by_hand():
    s = summary(LeNet5("classic"), (1, 28, 28))
    rows = {r.name: r for r in s.rows}
    # C1: 6 filters of 1x5x5 + 6 biases; each of 6x28x28 outputs is a 25-term dot product
    assert (rows["Convolution1"].output_shape, rows["Convolution1"].params, rows["Convolution1"].macs) == \
        ((6, 28, 28), 6 * 25 + 6, 6 * 28 * 28 * 25)
    assert rows["Pooling1"].output_shape == (6, 14, 14) and rows["Pooling1"].params == 0
    # C3: 16 filters of 6x5x5 (all six maps, not the paper's partial table)
    assert (rows["Convolution2"].output_shape, rows["Convolution2"].params, rows["Convolution2"].macs) == \
        ((16, 10, 10), 16 * 150 + 16, 16 * 10 * 10 * 150)
    # C5 = 400 -> 120, F6 = 120 -> 84, output = 84 -> 10
    assert [rows[f"Affine{i}"].params for i in (1, 2, 3)] == [400 * 120 + 120, 120 * 84 + 84, 84 * 10 + 10]
    assert s.total_params == 156 + 2_416 + 48_120 + 10_164 + 850 == 61_706
    assert s.total_macs == 117_600 + 240_000 + 48_000 + 10_080 + 840 == 416_520
    # activations: float32, 4 bytes per value, e.g. C1 keeps 6*28*28 values
    assert rows["Convolution1"].activation_bytes == 6 * 28 * 28 * 4


def test_alexnet_by_hand():
    s = summary(AlexNet("full"), (3, 227, 227))
    # AlexNet's parameters, derived layer by layer (filters * fan-in + biases):
    #   conv1   96 * (3*11*11)   +   96 =     34,944    (227-11)/4+1 = 55, pool -> 27
    #   conv2  256 * (96*5*5)    +  256 =    614,656    pad 2 keeps 27,    pool -> 13
    #   conv3  384 * (256*3*3)   +  384 =    885,120
    #   conv4  384 * (384*3*3)   +  384 =  1,327,488
    #   conv5  256 * (384*3*3)   +  256 =    884,992                       pool -> 6
    #   fc6   4096 * (256*6*6)   + 4096 = 37,752,832
    #   fc7   4096 * 4096        + 4096 = 16,781,312
    #   fc8   1000 * 4096        + 1000 =  4,097,000
    #   total                            62,378,344  (the paper's two-GPU split: ~61 million)
    expected = [34_944, 614_656, 885_120, 1_327_488, 884_992, 37_752_832, 16_781_312, 4_097_000]
    assert [r.params for r in s.rows if r.params] == expected
    assert s.total_params == sum(expected) == 62_378_344
    shapes = {r.name: r.output_shape for r in s.rows}
    assert shapes["Convolution1"] == (96, 55, 55) and shapes["Pooling1"] == (96, 27, 27)
    assert shapes["Pooling2"] == (256, 13, 13) and shapes["Pooling3"] == (256, 6, 6)
    assert shapes["Affine3"] == (1000,)
    conv1 = next(r for r in s.rows if r.name == "Convolution1")
    assert conv1.macs == 96 * 55 * 55 * 3 * 11 * 11 == 105_415_200
    assert s.total_macs == 1_135_256_096


def test_summary_matches_a_real_forward_pass_and_prints():
    net = SimpleConvNet()
    s = summary(net, (1, 28, 28))
    x = np.zeros((2, 1, 28, 28), np.float32)
    for layer, row in zip(net.layers, s.rows):
        x = layer.forward(x, train=False)
        assert x.shape[1:] == row.output_shape
    lines = str(s).splitlines()
    assert lines[2].split() == ["input", "(1,", "28,", "28)"]          # the input's shape, on its own row
    assert lines[3].startswith("Convolution1") and len(lines) == 4 + len(s.rows) + 1
    # the total row: parameters, MACs and memory summed, and no shape (it is neither input nor output)
    assert lines[-1].split()[:3] == ["total", f"{s.total_params:,}", f"{s.total_macs:,}"]


# --- the layer contract that summary relies on --------------------------------------------

def test_every_layer_states_its_output_shape_and_macs():
    from cnnlib import layers

    rng = np.random.default_rng(0)
    made = [layers.Convolution(rng.standard_normal((4, 3, 3, 3)), np.zeros(4)), layers.Pooling(2, 2, 2),
            layers.Affine(rng.standard_normal((48, 5)), np.zeros(5)), layers.Flatten(), layers.Relu(),
            layers.Sigmoid(), layers.Tanh(), layers.Dropout(0.5), layers.BatchNormalization(np.ones(3), np.zeros(3)), layers.LRN()]
    shapes = {"Convolution": (4, 2, 2), "Pooling": (3, 2, 2), "Affine": (5,), "Flatten": (48,)}
    for layer in made:
        shape = (48,) if isinstance(layer, layers.Affine) else (3, 4, 4)
        assert layer.output_shape(shape) == shapes.get(type(layer).__name__, shape), layer
        out = layer.forward(rng.standard_normal((2,) + shape))
        assert out.shape[1:] == layer.output_shape(shape), layer
    assert made[0].macs((3, 4, 4)) == 4 * 2 * 2 * 27 and made[2].macs((48,)) == 48 * 5
    assert all(layer.macs((3, 4, 4)) == 0 for layer in made[3:])


def test_a_layer_that_does_not_say_its_shape_is_refused():
    class Halve(layers_base.Layer):   # changes the shape but forgot output_shape
        def forward(self, x, train=True):
            return x[:, :, ::2, ::2]

    with pytest.raises(NotImplementedError, match="Halve must define output_shape"):
        summary(Sequential([Halve()]), (1, 4, 4))
