"""The course's networks: shapes, the book's API, configurations that must (not) work."""

import numpy as np
import pytest

from cnnlib import rel_error
from cnnlib.layers import Convolution, Pooling, Relu, Sigmoid, Tanh
from cnnlib.init import init_std
from cnnlib.models import AlexNet, LeNet5, SimpleConvNet

RNG = np.random.default_rng(0)


def images(n, shape=(1, 28, 28), dtype=np.float32):
    return RNG.random((n,) + shape).astype(dtype)


def test_simpleconvnet_has_the_books_parameters():
    net = SimpleConvNet()
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {"W1": (30, 1, 5, 5), "b1": (30,), "W2": (4320, 100), "b2": (100,),
                      "W3": (100, 10), "b3": (10,)}
    assert all(v.dtype == np.float32 for v in net.params.values())
    assert net.predict(images(3)).shape == (3, 10)
    # the book's weight_init_std = 0.01
    assert abs(net.params["W2"].std() - 0.01) < 0.0005


@pytest.mark.parametrize("conv_param, affine_in", [
    ({"filter_size": 4}, 30 * 12 * 12),          # 25x25 map, pooled (floored) to 12x12: the book crashes
    ({"stride": 2}, 30 * 6 * 6),                 # (28-5)//2+1 = 12 -> 6
    ({"filter_size": 3, "pad": 1}, 30 * 14 * 14),
    ({"filter_num": 8, "filter_size": 7, "stride": 3}, 8 * 4 * 4),
])
def test_simpleconvnet_sizes_itself_for_every_working_configuration(conv_param, affine_in):
    net = SimpleConvNet(conv_param=conv_param)
    assert net.params["W2"].shape == (affine_in, 100)
    assert net.predict(images(2)).shape == (2, 10)


def test_simpleconvnet_impossible_configurations_raise_clear_errors():
    with pytest.raises(ValueError, match="filter size 29 is larger than the padded"):
        SimpleConvNet(conv_param={"filter_size": 29})
    with pytest.raises(ValueError, match="too small for 2x2 pooling"):
        SimpleConvNet(conv_param={"filter_size": 28})
    with pytest.raises(ValueError, match="unknown keys.*filter_nums"):
        SimpleConvNet(conv_param={"filter_nums": 3})
    with pytest.raises(ValueError, match="weight_init_std"):
        SimpleConvNet(weight_init_std="bogus")


def test_he_initialization():
    net = SimpleConvNet(weight_init_std="he")
    assert abs(net.params["W2"].std() - init_std("he", 4320)) < 0.001
    assert init_std("he", 50) == pytest.approx(np.sqrt(2 / 50))
    assert init_std("xavier", 50) == pytest.approx(np.sqrt(1 / 50))


def test_same_rng_same_weights_and_float64_on_request():
    a, b = SimpleConvNet(rng=3), SimpleConvNet(rng=3)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert SimpleConvNet(dtype=np.float64).params["W1"].dtype == np.float64


def test_simpleconvnet_whole_network_gradient_check():
    # float64, a tiny network; inputs are random so no ReLU input or max tie sits at a kink
    net = SimpleConvNet(input_dim=(1, 8, 8), conv_param={"filter_num": 3, "filter_size": 3},
                        hidden_size=6, output_size=4, weight_init_std=0.3, rng=1, dtype=np.float64)
    x = images(3, (1, 8, 8), np.float64)
    t = np.array([0, 3, 1])
    backprop = net.gradient(x, t)
    numerical = net.numerical_gradient(x, t)
    errors = {k: rel_error(backprop[k], numerical[k]) for k in net.params}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("variant, act, mode", [("classic", Tanh, "average"), ("modern", Relu, "max")])
def test_lenet5_variants(variant, act, mode):
    net = LeNet5(variant)
    assert sum(p.size for p in net.params.values()) == 61_706
    assert any(isinstance(layer, act) for layer in net.layers)
    assert {layer.mode for layer in net.layers if isinstance(layer, Pooling)} == {mode}
    first = net.layers[0]
    assert isinstance(first, Convolution) and first.pad == 2  # 28x28 padded to 32x32
    assert net.predict(images(2)).shape == (2, 10)


def test_lenet5_classic_with_sigmoid_and_bad_arguments():
    assert any(isinstance(layer, Sigmoid) for layer in LeNet5("classic", activation="sigmoid").layers)
    with pytest.raises(ValueError, match="variant"):
        LeNet5("ancient")
    with pytest.raises(ValueError, match="activation"):
        LeNet5(activation="swish")


@pytest.mark.parametrize("input_dim", [(1, 28, 28), (3, 32, 32)])
def test_small_alexnet_runs_on_small_images(input_dim):
    net = AlexNet("small", input_dim=input_dim)
    assert net.predict(images(2, input_dim)).shape == (2, 10)
    loss, grads = net.loss_and_gradient(images(2, input_dim), np.array([1, 2]))
    assert np.isfinite(loss) and set(grads) == set(net.params)


def test_full_alexnet_forward_on_one_227_image():
    net = AlexNet("full")
    assert sum(p.size for p in net.params.values()) == 62_378_344
    scores = net.predict(images(1, (3, 227, 227)))
    assert scores.shape == (1, 1000) and np.isfinite(scores).all()


def test_models_save_and_load(tmp_path):
    a, b = LeNet5("modern", rng=1), LeNet5("modern", rng=2)
    a.save_params(tmp_path / "lenet.npz")
    b.load_params(tmp_path / "lenet.npz")
    x = images(4)
    assert np.array_equal(a.predict(x), b.predict(x))
    with pytest.raises(ValueError, match=r"holds the weights of LeNet5\(variant='modern'.*but this network is SimpleConvNet\("):
        SimpleConvNet().load_params(tmp_path / "lenet.npz")


def test_paper_alexnet_is_the_two_gpu_split_as_groups():
    from cnnlib import summary

    s = summary(AlexNet("paper"), (3, 227, 227))
    assert s.total_params == 60_965_224  # "60 million parameters" (the paper)
    convs = [layer for layer in AlexNet("paper").layers if isinstance(layer, Convolution)]
    assert [c.groups for c in convs] == [1, 2, 1, 2, 2]
    # conv1 105.4 M + conv2 223.9 M + conv3 149.5 M + conv4 112.1 M + conv5 74.8 M + fc 58.6 M
    assert s.total_macs == 724_406_816


def test_lenet5_paper_variant_in_the_models_registry():
    from cnnlib.models import MODELS

    net = MODELS["lenet5-paper"](rng=0)
    assert net.config["variant"] == "paper" and net.predict(images(2)).shape == (2, 10)
