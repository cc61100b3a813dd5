"""cnnlib as a drop-in for the book's ``common/``: chapter 7's patterns, written the book's way.

Each test follows what a reader of *Deep Learning from Scratch* runs: ``ch07/simple_convnet.py``
(a network built from ``common.layers`` in an ``OrderedDict``), ``ch07/gradient_check.py``
(one 10x10 image, labels shaped (1, 1), mean absolute differences printed per parameter),
``ch07/train_convnet.py`` with ``common/trainer.py`` (random mini-batches, ``gradient``, an
optimizer's ``update(params, grads)``), and ``load_params`` of a pickled ``params.pkl``.
The book's code is not copied here; these are the same patterns, written against cnnlib.
"""

import os
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import cnnlib
from cnnlib import Sequential, SimpleConvNet
from cnnlib.layers import Affine, BatchNormalization, Convolution, Dropout, Pooling, Relu, SoftmaxWithLoss
from cnnlib.optim import Adam
from cnnlib.train import Trainer

BOOK_CONV = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}


class BookStyleConvNet:
    """The book's SimpleConvNet pattern on cnnlib's layers: a plain ``params`` dict shared
    with the layers, an ``OrderedDict`` of layers, gradients read from ``.dW`` / ``.db``,
    ``numerical_gradient(f, x)`` with ``f(w)``, and ``load_params`` assigning ``layer.W``."""

    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size=100, output_size=10,
                 weight_init_std=0.01, seed=0):
        p = conv_param or BOOK_CONV
        rng = np.random.default_rng(seed)
        C, H, _ = input_dim
        conv_out = (H - p["filter_size"] + 2 * p["pad"]) // p["stride"] + 1
        pool_out = p["filter_num"] * (conv_out // 2) ** 2
        self.params = {
            "W1": weight_init_std * rng.standard_normal((p["filter_num"], C, p["filter_size"], p["filter_size"])),
            "b1": np.zeros(p["filter_num"]),
            "W2": weight_init_std * rng.standard_normal((pool_out, hidden_size)),
            "b2": np.zeros(hidden_size),
            "W3": weight_init_std * rng.standard_normal((hidden_size, output_size)),
            "b3": np.zeros(output_size),
        }
        self.layers = OrderedDict()
        self.layers["Conv1"] = Convolution(self.params["W1"], self.params["b1"], p["stride"], p["pad"])
        self.layers["Relu1"] = Relu()
        self.layers["Pool1"] = Pooling(pool_h=2, pool_w=2, stride=2)
        self.layers["Affine1"] = Affine(self.params["W2"], self.params["b2"])
        self.layers["Relu2"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W3"], self.params["b3"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t, batch_size=100):
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        correct = sum(np.sum(np.argmax(self.predict(x[i:i + batch_size]), axis=1) == t[i:i + batch_size])
                      for i in range(0, len(x), batch_size))
        return correct / len(x)

    def numerical_gradient(self, x, t):
        loss_w = lambda w: self.loss(x, t)  # noqa: E731 (the book's f(w) form)
        return {key: cnnlib.numerical_gradient(loss_w, self.params[key]) for key in self.params}

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)
        grads = {}
        for i, name in enumerate(["Conv1", "Affine1", "Affine2"], start=1):
            grads[f"W{i}"], grads[f"b{i}"] = self.layers[name].dW, self.layers[name].db
        return grads

    def load_params(self, params):
        for key, val in params.items():
            self.params[key] = val
        for i, name in enumerate(["Conv1", "Affine1", "Affine2"], start=1):
            self.layers[name].W = self.params[f"W{i}"]
            self.layers[name].b = self.params[f"b{i}"]


def quadrant_data(n, size=28, seed=0):
    """Images whose class (0..3) is the quadrant that holds a bright square: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 4, n)
    x = rng.random((n, 1, size, size)) * 0.2
    half = size // 2
    for i, label in enumerate(t):
        r, c = divmod(int(label), 2)
        x[i, 0, r * half:(r + 1) * half, c * half:(c + 1) * half] += 0.8
    return x.astype(np.float32), t


# --- ch07/gradient_check.py ----------------------------------------------------------------------

def gradient_check(network):
    """The gradient_check.py pattern: one 10x10 image, a label shaped (1, 1), mean |difference|."""
    rng = np.random.default_rng(0)
    X = rng.random(100).reshape((1, 1, 10, 10))
    T = np.array([1]).reshape((1, 1))
    grad_num = network.numerical_gradient(X, T)
    grad = network.gradient(X, T)
    return {key: np.abs(grad_num[key] - grad[key]).mean() for key in grad_num}


GRADIENT_CHECK_NET = dict(input_dim=(1, 10, 10), conv_param={"filter_num": 10, "filter_size": 3, "pad": 0,
                                                             "stride": 1},
                          hidden_size=10, output_size=10, weight_init_std=0.01)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_check_on_cnnlib_network(dtype):
    network = SimpleConvNet(**GRADIENT_CHECK_NET, dtype=dtype)
    before = {key: val.copy() for key, val in network.params.items()}
    diffs = gradient_check(network)
    print({key: f"{d:.1e}" for key, d in diffs.items()})
    assert sorted(diffs) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    assert all(d < 1e-6 for d in diffs.values()), diffs
    # the check ran in float64, and the network got its own arrays back, unchanged
    assert all(val.dtype == dtype for val in network.params.values())
    for key, val in network.params.items():
        np.testing.assert_array_equal(val, before[key])
        assert val is network.layers[{"1": "Conv1", "2": "Affine1", "3": "Affine2"}[key[1]]].params[key[0]]


def test_gradient_check_on_book_style_network():
    diffs = gradient_check(BookStyleConvNet(**GRADIENT_CHECK_NET))
    assert all(d < 1e-6 for d in diffs.values()), diffs


def test_numerical_gradient_takes_both_forms():
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    expected = 3 * x ** 2
    np.testing.assert_allclose(cnnlib.numerical_gradient(lambda w: np.sum(w ** 3), x), expected, rtol=1e-8)
    np.testing.assert_allclose(cnnlib.numerical_gradient(lambda: np.sum(x ** 3), x), expected, rtol=1e-8)


# --- ch07/simple_convnet.py: params, layers and their attributes ---------------------------------

def test_layers_by_the_books_names_and_by_position():
    network = SimpleConvNet(input_dim=(1, 28, 28), conv_param=BOOK_CONV, hidden_size=100, output_size=10,
                            weight_init_std=0.01)
    assert network.layers.keys() == ["Conv1", "Relu1", "Pool1", "Affine1", "Relu2", "Affine2"]
    assert network.layers["Conv1"] is network.layers[0] and network.layers["Affine2"] is network.layers[-1]
    assert len(network.layers) == 6
    assert [type(layer).__name__ for layer in reversed(network.layers)] == \
        ["Affine", "Relu", "Affine", "Pooling", "Relu", "Convolution"]
    assert list(network.layers.values()) == list(network.layers)
    assert network.layers["Conv1"].W.shape == (30, 1, 5, 5) and network.layers["Conv1"].b.shape == (30,)
    assert network.layers["Conv1"].W is network.params["W1"]
    assert isinstance(network.last_layer, SoftmaxWithLoss)
    with pytest.raises(KeyError, match=r"no layer named 'Conv2'; the layers are \['Conv1', 'Relu1'"):
        network.layers["Conv2"]
    with pytest.raises(AttributeError, match="Relu has no parameter 'W'"):
        network.layers["Relu1"].W


def test_dW_db_after_backward_are_the_gradients():
    network = SimpleConvNet(**GRADIENT_CHECK_NET)
    assert network.layers["Conv1"].dW is None  # as in the book, before any backward pass
    x, t = quadrant_data(4, size=10)
    grads = network.gradient(x, t)
    for i, name in enumerate(["Conv1", "Affine1", "Affine2"], start=1):
        np.testing.assert_array_equal(network.layers[name].dW, grads[f"W{i}"])
        np.testing.assert_array_equal(network.layers[name].db, grads[f"b{i}"])


def test_assigning_params_takes_effect():
    network = SimpleConvNet(input_dim=(1, 28, 28), conv_param=BOOK_CONV, hidden_size=100, output_size=10,
                            weight_init_std=0.01)
    x, _ = quadrant_data(5)
    rng = np.random.default_rng(1)
    before = network.predict(x)
    new_W3 = rng.standard_normal((100, 10))
    network.params["W3"] = new_W3
    after = network.predict(x)
    assert not np.allclose(after, before)
    np.testing.assert_allclose(network.layers["Affine2"].W, new_W3.astype(np.float32))
    # the book's way to load weights: every key assigned, then predictions as the weights give
    book = BookStyleConvNet(seed=2)
    for key, val in book.params.items():
        network.params[key] = val
    np.testing.assert_allclose(network.predict(x), book.predict(x.astype(np.float64)), rtol=1e-4, atol=1e-6)


def test_assigning_a_wrong_shape_is_refused():
    network = SimpleConvNet(**GRADIENT_CHECK_NET)
    with pytest.raises(ValueError, match=r"params\['W1'\] must have shape \(10, 1, 3, 3\), got \(10, 1, 5, 5\)"):
        network.params["W1"] = np.zeros((10, 1, 5, 5))
    with pytest.raises(KeyError, match="'W9' is not a parameter of this network"):
        network.params["W9"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"Convolution.W must be an array of shape \(10, 1, 3, 3\)"):
        network.layers["Conv1"].W = np.zeros((3, 3))


def test_book_style_load_params_rebinds_layers():
    network = BookStyleConvNet(**GRADIENT_CHECK_NET)
    other = BookStyleConvNet(**GRADIENT_CHECK_NET, seed=5)
    x, _ = quadrant_data(3, size=10)
    network.load_params({key: val.copy() for key, val in other.params.items()})
    np.testing.assert_array_equal(network.predict(x), other.predict(x))
    assert network.layers["Affine1"].W is network.params["W2"]


def test_sequential_keeps_the_names_of_an_ordered_dict():
    rng = np.random.default_rng(0)
    layers = OrderedDict(Affine1=Affine(rng.standard_normal((4, 3)), np.zeros(3)), Relu1=Relu(),
                         Affine2=Affine(rng.standard_normal((3, 2)), np.zeros(2)))
    net = Sequential(layers)
    assert net.layers.keys() == ["Affine1", "Relu1", "Affine2"] and sorted(net.params) == ["W1", "W2", "b1", "b2"]


# --- labels ------------------------------------------------------------------------------------

def test_labels_as_integers_column_or_one_hot():
    network = SimpleConvNet(**GRADIENT_CHECK_NET)
    x, t = quadrant_data(8, size=10)
    one_hot = np.eye(10)[t]
    losses = [network.loss(x, labels) for labels in (t, t.reshape(-1, 1), one_hot)]
    accuracies = [network.accuracy(x, labels) for labels in (t, t.reshape(-1, 1), one_hot)]
    assert losses[0] == losses[1] == losses[2]
    assert accuracies[0] == accuracies[1] == accuracies[2]
    grads = [network.gradient(x, labels) for labels in (t, t.reshape(-1, 1))]
    np.testing.assert_array_equal(grads[0]["W1"], grads[1]["W1"])


# --- layers: the book's keywords and Pooling's stride ---------------------------------------------

def test_pooling_stride_defaults_to_the_window():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    assert Pooling(2, 2).forward(x).shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(Pooling(2, 2).forward(x), Pooling(2, 2, stride=2).forward(x))
    assert Pooling(3, 3).forward(x).shape == (1, 1, 2, 2)
    assert Pooling(2, 2, stride=1).forward(x).shape == (1, 1, 5, 5)
    assert Pooling(2, 3).forward(x).shape == (1, 1, 3, 2)   # a 2x3 window steps (2, 3), as in PyTorch


def test_book_keywords():
    x = np.ones((2, 3, 4, 4))
    drop = Dropout(dropout_ratio=0.3, rng=0)
    assert drop.ratio == 0.3
    np.testing.assert_array_equal(drop.forward(x, train_flg=False), x)
    assert (drop.forward(x, train_flg=True) == 0).any()
    with pytest.raises(TypeError, match="give ratio or dropout_ratio"):
        Dropout(0.2, dropout_ratio=0.3)
    mean, var = np.full(3, 0.5), np.full(3, 4.0)
    bn = BatchNormalization(np.ones(3), np.zeros(3), momentum=0.9, running_mean=mean, running_var=var)
    np.testing.assert_allclose(bn.forward(x, train_flg=False), (1 - 0.5) / np.sqrt(4 + 1e-5))
    np.testing.assert_array_equal(bn.running_mean, mean)
    bn.forward(x, train_flg=True)
    bn.backward(np.ones_like(x))
    assert bn.dgamma.shape == (3,) and bn.gamma is bn.params["gamma"]
    with pytest.raises(ValueError, match=r"running_mean must have shape \(D,\) = \(3,\)"):
        BatchNormalization(np.ones(3), np.zeros(3), running_mean=np.zeros(4))


# --- ch07/train_convnet.py and common/trainer.py ----------------------------------------------------

class BookSGD:
    """The book's optimizer idiom: ``params[key] -= lr * grads[key]``, in place through the dict."""

    def __init__(self, lr=0.1):
        self.lr = lr

    def update(self, params, grads):
        for key in params.keys():
            params[key] -= self.lr * grads[key]


def test_book_style_training_loop_trains_cnnlib_network():
    x_train, t_train = quadrant_data(100)
    network = SimpleConvNet(input_dim=(1, 28, 28), conv_param=BOOK_CONV, hidden_size=100, output_size=4,
                            weight_init_std=0.01)
    optimizer = BookSGD(lr=0.3)
    rng = np.random.default_rng(0)
    first_loss = network.loss(x_train, t_train)
    for _ in range(20):
        batch_mask = rng.choice(len(x_train), 20)
        x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]
        grads = network.gradient(x_batch, t_batch)
        optimizer.update(network.params, grads)
    assert network.loss(x_train, t_train) < 0.5 * first_loss
    assert network.accuracy(x_train, t_train) > 0.9
    assert network.params["W1"].dtype == np.float32


@pytest.mark.parametrize("make", [lambda: BookStyleConvNet(output_size=4),
                                  lambda: SimpleConvNet(conv_param=BOOK_CONV, output_size=4)],
                         ids=["book-style network", "cnnlib network"])
def test_cnnlib_trainer_trains_a_network_with_the_books_api(make):
    x_train, t_train = quadrant_data(100)
    x_test, t_test = quadrant_data(50, seed=1)
    network = make()
    trainer = Trainer(network, x_train, t_train, x_test, t_test, optimizer=Adam(lr=0.003), epochs=2,
                      batch_size=25, progress=False)
    history = trainer.train()
    assert len(history["loss"]) == 8 and history["loss"][-1] < history["loss"][0]
    assert history["test_acc"][-1] > 0.9


def test_trainer_names_what_a_network_lacks():
    class NoGradient:
        params = {}

        def loss(self, x, t):
            return 0.0

        def accuracy(self, x, t):
            return 0.0

    x, t = quadrant_data(4)
    with pytest.raises(TypeError, match="the Trainer needs a network with the book's API.*has no gradient"):
        Trainer(NoGradient(), x, t, x, t, progress=False)


# --- params.pkl ----------------------------------------------------------------------------------

@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_load_params_reads_a_pickled_dict_of_arrays(tmp_path, protocol):
    book = BookStyleConvNet(seed=3)
    path = tmp_path / "params.pkl"
    params = {key: val for key, val in book.params.items()}  # the book's save_params
    with open(path, "wb") as f:
        pickle.dump(params, f, protocol=protocol)
    network = SimpleConvNet(conv_param=BOOK_CONV)
    with pytest.warns(UserWarning, match=r"params.pkl is a pickle: its 6 numpy arrays were read with a "
                                         r"restricted unpickler and converted"):
        network.load_params(path)
    x, _ = quadrant_data(5)
    np.testing.assert_allclose(network.predict(x), book.predict(x.astype(np.float64)), rtol=1e-4, atol=1e-6)
    assert network.params["W1"].dtype == np.float32


class _Payload:
    def __reduce__(self):
        return (os.mkdir, (self.path,))


class _Weights:
    """A class instance: not a numpy array."""

    def __init__(self):
        self.W1 = np.zeros(3)


def test_load_params_refuses_anything_else_in_a_pickle(tmp_path):
    network = SimpleConvNet(**GRADIENT_CHECK_NET)
    payload = _Payload()
    payload.path = str(tmp_path / "pwned")
    cases = {"reduce.pkl": {"W1": payload}, "instance.pkl": {"W1": _Weights()},
             "list.pkl": [np.zeros(3)], "scalar.pkl": {"W1": np.float64(1.0)}}
    for name, content in cases.items():
        with open(tmp_path / name, "wb") as f:
            pickle.dump(content, f)
    with pytest.raises(ValueError, match=r"refusing to load posix.mkdir|refusing to load nt.mkdir"):
        network.load_params(tmp_path / "reduce.pkl")
    assert not (tmp_path / "pwned").exists()  # the pickled call never ran
    with pytest.raises(ValueError, match=r"refusing to load tests.test_book_dropin._Weights"):
        network.load_params(tmp_path / "instance.pkl")
    with pytest.raises(ValueError, match=r"list.pkl is a pickle but not a dict of named numpy arrays"):
        network.load_params(tmp_path / "list.pkl")
    with pytest.raises(ValueError, match=r"refusing to load numpy"):
        network.load_params(tmp_path / "scalar.pkl")


def test_save_params_to_a_pkl_name_writes_npz(tmp_path):
    network = SimpleConvNet(**GRADIENT_CHECK_NET)
    path = tmp_path / "params.pkl"
    with pytest.warns(UserWarning, match=r"params.pkl: cnnlib saves weights as an .npz archive, not a pickle"):
        network.save_params(path)
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == ["W1", "W2", "W3", "__model__", "b1", "b2", "b3"]  # an .npz, saying its model
    other = SimpleConvNet(**GRADIENT_CHECK_NET, rng=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an .npz under any name loads without the pickle warning
        other.load_params(path)
    for key in network.params:
        np.testing.assert_array_equal(other.params[key], network.params[key])


def test_a_layer_written_the_books_way_fills_params_and_grads():
    from cnnlib.layers import Layer

    class Scale(Layer):
        """y = x * W + b, element-wise, written with the book's attributes."""

        def __init__(self, W, b):
            super().__init__()
            self.W, self.b = W, b

        def forward(self, x, train=True):
            self.x = x
            return x * self.W + self.b

        def output_shape(self, input_shape):
            return tuple(input_shape)

        def backward(self, dout):
            self.dW, self.db = (dout * self.x).sum(axis=0), dout.sum(axis=0)
            return dout * self.W

    rng = np.random.default_rng(0)
    layer = Scale(rng.standard_normal(4), np.zeros(4))
    assert sorted(layer.params) == ["W", "b"]
    errors = cnnlib.check_layer(layer, rng.standard_normal((3, 4)), rng=0)
    assert max(errors.values()) < 1e-8, errors
