"""A weights file says which network it belongs to, and a load is all or nothing."""

import json
import re

import numpy as np
import pytest

from cnnlib import AlexNet, LeNet5, Sequential, SimpleConvNet
from cnnlib.io import load_npz, save_npz
from cnnlib.layers import Affine, Relu, Sigmoid
from cnnlib.io import MODEL_KEY
from cnnlib.train import Trainer


def snapshot(net):
    return {k: v.copy() for k, v in {**net.params, **net.buffers}.items()}


def assert_unchanged(net, before):
    for k, v in {**net.params, **net.buffers}.items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def mlp(activation, seed=0):
    rng = np.random.default_rng(seed)
    return Sequential([Affine(rng.standard_normal((4, 3)), np.zeros(3)), activation(),
                       Affine(rng.standard_normal((3, 2)), np.zeros(2))])


# same shapes, other networks: each pair must be refused, naming both
SAME_SHAPES = {
    "classic-into-modern": (lambda: LeNet5("classic"), lambda: LeNet5("modern", rng=1),
                            r"LeNet5\(variant='classic', activation='tanh'.*this network is LeNet5\(variant='modern', activation='relu'"),
    "modern-into-classic": (lambda: LeNet5("modern"), lambda: LeNet5("classic", rng=1),
                            r"LeNet5\(variant='modern'.*this network is LeNet5\(variant='classic'"),
    "tanh-into-sigmoid": (lambda: LeNet5("classic"), lambda: LeNet5("classic", activation="sigmoid"),
                          r"activation='tanh'.*this network is LeNet5\(variant='classic', activation='sigmoid'"),
    "stride-1-into-stride-2": (lambda: SimpleConvNet(input_dim=(1, 9, 9), conv_param={"filter_size": 3, "pad": 1}, hidden_size=5),
                               lambda: SimpleConvNet(input_dim=(1, 15, 15), conv_param={"filter_size": 3, "stride": 2, "pad": 2}, hidden_size=5),
                               r"SimpleConvNet\(input_dim=\[1, 9, 9\].*'stride': 1.*this network is SimpleConvNet\(input_dim=\[1, 15, 15\].*'stride': 2"),
    "relu-into-sigmoid": (lambda: mlp(Relu), lambda: mlp(Sigmoid, 1),
                          r"Sequential\(\[Affine, Relu, Affine, SoftmaxWithLoss\]\), but this network is "
                          r"Sequential\(\[Affine, Sigmoid, Affine, SoftmaxWithLoss\]\)"),
    "simpleconvnet-into-sequential": (lambda: SimpleConvNet(input_dim=(1, 6, 6), conv_param={"filter_size": 3}, hidden_size=4),
                                      None, r"SimpleConvNet\(input_dim=\[1, 6, 6\].*but this network is Sequential\(\["),
}


@pytest.mark.parametrize("name", sorted(SAME_SHAPES))
def test_weights_of_another_network_with_the_same_shapes_are_refused(tmp_path, name):
    make_source, make_target, pattern = SAME_SHAPES[name]
    source = make_source()
    target = make_target() if make_target else Sequential(source.layers, source.last_layer)  # same layers, plain
    assert {k: v.shape for k, v in source.params.items()} == {k: v.shape for k, v in target.params.items()}
    path = source.save_params(tmp_path / "w.npz")
    before = snapshot(target)
    with pytest.raises(ValueError, match=pattern) as err:
        target.load_params(path)
    assert str(path) in str(err.value) and "build " in str(err.value)
    assert_unchanged(target, before)


def test_the_same_model_and_configuration_loads(tmp_path):
    a, b = AlexNet("small", width=0.25, dropout=0.5, rng=1), AlexNet("small", width=0.25, dropout=0.3, rng=2)
    b.load_params(a.save_params(tmp_path / "w.npz"))  # dropout does not change the weights' meaning
    for k, v in a.params.items():
        np.testing.assert_array_equal(b.params[k], v)
    f32, f64 = LeNet5("classic"), LeNet5("classic", rng=5, dtype=np.float64)
    f64.load_params(f32.save_params(tmp_path / "f32.npz"))  # dtype is not the architecture
    np.testing.assert_allclose(f64.params["W1"], f32.params["W1"])


def test_the_file_records_model_and_configuration_as_json_without_pickle(tmp_path):
    path = LeNet5("classic").save_params(tmp_path / "w.npz")
    with np.load(path, allow_pickle=False) as f:
        description = json.loads(str(f[MODEL_KEY]))
        assert f[MODEL_KEY].dtype.kind == "U"
    assert description["model"] == "LeNet5"
    assert description["config"] == {"variant": "classic", "activation": "tanh", "input_dim": [1, 28, 28],
                                     "output_size": 10}
    assert description["layers"][:3] == ["Convolution", "Tanh", "Pooling"]


def test_a_file_saved_before_the_description_still_loads(tmp_path, capsys):
    old, new = LeNet5("modern", rng=1), LeNet5("modern", rng=2)
    save_npz(tmp_path / "old.npz", {**old.params, **old.buffers})  # what save_params wrote before
    new.load_params(tmp_path / "old.npz")
    np.testing.assert_array_equal(new.params["W1"], old.params["W1"])
    out = capsys.readouterr().out
    assert f"{tmp_path / 'old.npz'} does not say which network it belongs to" in out


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"config": null}'])
def test_an_unreadable_description_is_an_error(tmp_path, text):
    net = LeNet5("modern")
    save_npz(tmp_path / "w.npz", {**net.params, MODEL_KEY: np.array(text)})
    before = snapshot(net)
    with pytest.raises(ValueError, match=rf"{re.escape(str(tmp_path / 'w.npz'))}: its {MODEL_KEY} entry .* cannot be read"):
        net.load_params(tmp_path / "w.npz")
    assert_unchanged(net, before)


# all or nothing: a bad entry late in the file leaves the earlier ones unloaded
BAD_VALUES = {
    "text": (lambda shape: np.full(shape, "a"), r"b3 holds <U1 values, not real numbers"),
    "complex": (lambda shape: np.ones(shape, complex), r"b3 holds complex128 values, not real numbers"),
    "nan": (lambda shape: np.full(shape, np.nan), r"b3 holds 10 values that are NaN or infinite \(in float32\)"),
    "too-large-for-float32": (lambda shape: np.full(shape, 1e300), r"b3 holds 10 values that are NaN or infinite \(in float32\)"),
    "boolean": (lambda shape: np.ones(shape, bool), r"b3 holds bool values, not real numbers"),
}


@pytest.mark.parametrize("kind", sorted(BAD_VALUES))
def test_a_failed_load_leaves_the_network_unchanged(tmp_path, kind):
    make, pattern = BAD_VALUES[kind]
    source, target = SimpleConvNet(rng=1), SimpleConvNet(rng=2)
    arrays = {**source.params, "b3": make(source.params["b3"].shape)}  # W1 ... W3 are fine
    save_npz(tmp_path / "w.npz", arrays)
    before = snapshot(target)
    with pytest.raises(ValueError, match=pattern):
        target.load_params(tmp_path / "w.npz")
    assert_unchanged(target, before)  # W1 was not loaded either


def test_checkpoint_of_another_network_is_refused(tmp_path):
    x, t = np.zeros((4, 1, 28, 28), np.float32), np.arange(4)
    trainer = Trainer(LeNet5("classic"), x, t, x, t, epochs=0, progress=False)
    trainer.save_checkpoint(tmp_path / "ckpt.npz")
    other = Trainer(LeNet5("modern"), x, t, x, t, epochs=0, progress=False)
    with pytest.raises(ValueError, match=r"holds the weights of LeNet5\(variant='classic'.*this network is LeNet5\(variant='modern'"):
        other.load_checkpoint(tmp_path / "ckpt.npz")
    same = Trainer(LeNet5("classic", rng=3), x, t, x, t, epochs=0, progress=False)
    same.load_checkpoint(tmp_path / "ckpt.npz")
    np.testing.assert_array_equal(same.network.params["W1"], trainer.network.params["W1"])
    assert MODEL_KEY not in same.network.params and "param/" + MODEL_KEY in load_npz(tmp_path / "ckpt.npz")
