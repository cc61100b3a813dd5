"""Inputs an adversarial review found to give a silent wrong answer, a corrupted state or an
error without the parameter's name; each now raises (or works) as the message says."""

import numpy as np
import pytest

from cnnlib import check_layer, numerical_gradient
from cnnlib.layers import (Affine, BatchNormalization, Concat, Convolution, Dropout, Flatten, GlobalAvgPool,
                           Relu, SoftmaxWithLoss, cross_entropy_error)
from cnnlib.models import AlexNet, SimpleConvNet, SmallVGG


# --- silent wrong answers ---------------------------------------------------------------------------

def test_numerical_gradient_refuses_integers_instead_of_rounding_the_nudges():
    f = lambda x: x[0] ** 2 + x[1] ** 2                     # the book's example  # noqa: E731
    with pytest.raises(TypeError, match=r"x must be a NumPy array of floats .* got dtype int64: pass x.astype"):
        numerical_gradient(f, np.array([3, 4]))             # gave [249999, 350000]
    with pytest.raises(TypeError, match=r"got list"):
        numerical_gradient(f, [3.0, 4.0])
    np.testing.assert_allclose(numerical_gradient(f, np.array([3.0, 4.0])), [6, 8], rtol=1e-8)


def test_convolution_backward_of_an_integer_dout_is_not_truncated():
    rng = np.random.default_rng(0)
    layer = Convolution(rng.standard_normal((2, 1, 3, 3)), np.zeros(2))
    out = layer.forward(rng.standard_normal((2, 1, 5, 5)))
    dx_int = layer.backward(np.ones(out.shape, dtype=np.int64))
    dW_int = layer.grads["W"].copy()
    dx = layer.backward(np.ones(out.shape))
    assert dx_int.dtype == np.float64 and np.array_equal(dx_int, dx)   # was int64, off by up to 0.84
    np.testing.assert_allclose(dW_int, layer.grads["W"], rtol=1e-12)


def test_accuracy_checks_labels_as_the_loss_does():
    net, x = SimpleConvNet(), np.zeros((5, 1, 28, 28), np.float32)
    for t, error, pattern in [(np.array([0, 1, 2, 3, 99]), ValueError, r"t holds labels in \[0, 99\], but there are only K = 10"),
                              (np.array([0, 1, 2, -1, 3]), ValueError, r"t holds labels in \[-1, 3\]"),
                              (np.arange(5.0), TypeError, r"t must hold integer class labels, got dtype float64"),
                              (np.full((5, 10), 0.1), ValueError, r"must be one-hot"),
                              (np.eye(7)[:5], ValueError, r"one-hot of shape \(N, K\) = \(5, 10\), got shape \(5, 7\)"),
                              (3, ValueError, r"x has 5 samples but t has 1 labels")]:
        with pytest.raises(error, match=pattern):
            net.accuracy(x, t)                                   # each gave 0.0 or 0.2 before
    t = np.arange(5)
    assert net.accuracy(x, t) == net.accuracy(x, np.eye(10)[t]) == net.accuracy(x, t[:, None], batch_size=2)


# --- layers whose state an inference forward or a check changed ------------------------------------

@pytest.mark.parametrize("make", [GlobalAvgPool, lambda: Concat([[Relu()], [Relu()]])],
                         ids=["global_avg_pool", "concat"])
def test_an_inference_forward_between_does_not_change_backward(make):
    rng = np.random.default_rng(0)
    layer = make()
    with pytest.raises(RuntimeError, match=r"backward called before forward\(x, train=True\)"):
        layer.backward(np.zeros((4, 3)))
    x = rng.standard_normal((4, 3, 2, 2))
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    layer.forward(rng.standard_normal((4, 3, 5, 5)), train=False)    # another size, for inference
    np.testing.assert_array_equal(layer.backward(dout), dx)           # gave dx of shape (4, 3, 5, 5)
    with pytest.raises(ValueError, match=r"dout must have the shape of .* last training output"):
        layer.backward(np.zeros((4, 7)))


def test_check_layer_leaves_the_running_statistics_and_refuses_random_layers():
    rng = np.random.default_rng(0)
    bn = BatchNormalization(np.ones(4), np.zeros(4))
    before = {k: v.copy() for k, v in bn.buffers.items()}
    assert set(check_layer(bn, rng.standard_normal((6, 4)), rng=0)) == {"x", "gamma", "beta"}
    for key, value in before.items():
        np.testing.assert_array_equal(bn.buffers[key], value)       # were overwritten by ~34 forwards
    with pytest.raises(ValueError, match=r"Dropout's forward gives different outputs for the same input"):
        check_layer(Dropout(0.5, rng=0), rng.standard_normal((6, 4)))
    assert check_layer(Dropout(0.0), rng.standard_normal((6, 4)))["x"] < 1e-8


def test_batch_normalization_refuses_an_empty_batch_before_touching_its_statistics():
    bn = BatchNormalization(np.ones(3), np.zeros(3))
    for shape in [(0, 3), (0, 3, 2, 2)]:
        with pytest.raises(ValueError, match=rf"cannot train on an empty batch, got x of shape \({shape[0]}, 3"):
            bn.forward(np.zeros(shape))
    np.testing.assert_array_equal(bn.running_mean, 0)                # was NaN for good
    assert bn.forward(np.zeros((0, 3)), train=False).shape == (0, 3)


# --- empty batches ----------------------------------------------------------------------------------

def test_an_empty_batch_flows_through_the_layers_and_the_loss_says_what_is_wrong():
    x = np.zeros((0, 2, 3, 3))
    assert Flatten().forward(x).shape == (0, 18)
    assert Affine(np.ones((18, 4)), np.zeros(4)).forward(x).shape == (0, 4)   # 'cannot reshape array of size 0'
    with pytest.raises(ValueError, match=r"an empty batch \(N = 0\) has no mean loss"):
        SoftmaxWithLoss().forward(np.zeros((0, 10)), np.zeros(0, dtype=int))  # gave nan
    with pytest.raises(ValueError, match=r"an empty batch \(N = 0\)"):
        SimpleConvNet().loss(np.zeros((0, 1, 28, 28)), np.zeros(0, dtype=int))


def test_cross_entropy_error_takes_one_sample_as_the_book_does():
    y = np.array([0.1, 0.7, 0.2])
    assert cross_entropy_error(y, 1) == cross_entropy_error(y, np.array([0, 1, 0])) == pytest.approx(-np.log(0.7))


# --- model constructors -----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(hidden_size=0), ValueError, r"hidden_size must be a whole number >= 1, got hidden_size = 0"),
    (dict(hidden_size=-1), ValueError, r"hidden_size must be a whole number >= 1, got hidden_size = -1"),
    (dict(hidden_size=2.5), ValueError, r"hidden_size must be a whole number >= 1, got hidden_size = 2.5"),
    (dict(output_size=0), ValueError, r"output_size must be a whole number >= 1"),
    (dict(conv_param={"filter_size": 2.0}), ValueError, r"conv_param\['filter_size'\] must be a whole number >= 1"),
    (dict(conv_param={"filter_num": 0}), ValueError, r"conv_param\['filter_num'\] must be a whole number >= 1"),
    (dict(input_dim=(28, 28)), ValueError, r"input_dim must be 3 whole numbers >= 1 \(C, H, W\), got input_dim = \(28, 28\)"),
    (dict(dtype=np.float16), TypeError, r"dtype must be float32 \(to train\) or float64 .* got float16"),
    (dict(weight_init_std=float("inf")), ValueError, r"weight_init_std must be a finite number > 0"),
], ids=lambda v: str(v)[:40])
def test_simpleconvnet_names_the_bad_argument(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        SimpleConvNet(**kwargs)


def test_huge_weights_are_refused_before_they_are_allocated(monkeypatch):
    monkeypatch.setenv("CNNLIB_MEMORY_LIMIT", str(100 * 2**20))
    with pytest.raises(MemoryError, match=r"weights of shape \(4320, 1000000\) would need 16.1 GiB"):
        SimpleConvNet(hidden_size=10**6)


def test_other_models_name_their_bad_arguments():
    with pytest.raises(ValueError, match=r"output_size must be a whole number >= 1, got output_size = 0"):
        AlexNet("small", output_size=0)                                 # became 10 classes
    with pytest.raises(ValueError, match=r"width must be a positive number"):
        AlexNet("small", width=-1)
    with pytest.raises(ValueError, match=r"widths must be one or more whole numbers >= 1, got widths = \(0,\)"):
        SmallVGG(widths=(0,))


# --- optimizers, memory, summary, Sequential ---------------------------------------------------------

@pytest.mark.parametrize("name", ["sgd", "momentum", "adagrad", "adam"])
def test_optimizers_take_integer_gradients_and_refuse_complex_ones_before_any_change(name):
    from cnnlib.optim import OPTIMIZERS
    params = {"A": np.ones(3), "B": np.ones(2)}
    OPTIMIZERS[name]().update(params, {"A": np.ones(3, dtype=int), "B": np.ones(2)})  # UFuncTypeError before
    assert params["A"].dtype == np.float64 and (params["A"] < 1).all()
    before = {k: v.copy() for k, v in params.items()}
    with pytest.raises(TypeError, match=r"grads\['B'\] has dtype complex128, which params\['B'\] \(float64\) cannot take"):
        OPTIMIZERS[name]().update(params, {"A": np.ones(3), "B": np.ones(2) + 1j})
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])   # A was updated before B failed


def test_padding_and_affine_outputs_are_checked_against_the_memory_limit(monkeypatch):
    from cnnlib import im2col
    monkeypatch.setenv("CNNLIB_MEMORY_LIMIT", str(100 * 2**20))
    with pytest.raises(MemoryError, match=r"the padded images \(1, 1, 10001, 10001\) .* use a smaller pad \(pad = 5000\)"):
        im2col(np.zeros((1, 1, 1, 1)), 1, 1, stride=10000, pad=5000, strict=False)   # allocated 400 MB
    with pytest.raises(MemoryError, match=r"Affine's output \(1000, 100000\) .* pass fewer samples at a time"):
        Affine(np.ones((4, 10**5)), np.zeros(10**5)).forward(np.ones((1000, 4)))


def test_summary_and_sequential_say_what_they_were_given():
    from cnnlib import Sequential, summary
    net = SimpleConvNet()
    with pytest.raises(ValueError, match=r"Convolution1 cannot take the shape \(2, 1, 28, 28\): .* without the batch axis"):
        summary(net, (2, 1, 28, 28))                                  # 'too many values to unpack'
    with pytest.raises(ValueError, match=r"input_shape must be one or more whole numbers >= 1"):
        summary(net, (1, 28, 0))
    with pytest.raises(TypeError, match=r"layers\[1\] is the class Relu, not a layer: write Relu\(...\)"):
        Sequential([Relu(), Relu])                                    # "type object 'Relu' has no attribute 'params'"
    assert len(Sequential(layer for layer in [Relu(), Relu()]).layers) == 2


def test_complex_numbers_are_refused_where_they_flowed_through_or_lost_their_imaginary_part():
    from cnnlib.layers import Pooling
    x = np.zeros((1, 1, 6, 6)) + 1j
    for layer in [Convolution(np.ones((1, 1, 3, 3)), np.zeros(1)), Pooling(2, 2), Affine(np.ones((36, 2)), np.zeros(2))]:
        with pytest.raises(TypeError, match=r"x must hold real numbers, got dtype complex128"):
            layer.forward(x)                                          # returned complex outputs
    net = SimpleConvNet()
    with pytest.raises(TypeError, match=r"x must hold real numbers"):
        net.predict(np.zeros((1, 1, 28, 28)) + 1j)                    # a ComplexWarning only
    with pytest.raises(TypeError, match=r"params\['b1'\] must hold real numbers"):
        net.params["b1"] = np.zeros(30) + 1j
    assert net.predict(np.zeros((2, 1, 28, 28), np.uint8)).shape == (2, 10)   # integer images still work


def test_a_weights_file_that_is_not_an_npz_says_what_it_is(tmp_path):
    np.save(tmp_path / "w.npy", np.ones(3))
    (tmp_path / "empty.npz").write_bytes(b"")
    net = SimpleConvNet()
    with pytest.raises(ValueError, match=r"w.npy is one array in .npy format, not a weights file"):
        net.load_params(tmp_path / "w.npy")                           # 'not a valid pickle: unpickling stack underflow'
    with pytest.raises(ValueError, match=r"empty.npz is an empty file, not a weights file"):
        net.load_params(tmp_path / "empty.npz")


def test_the_checks_take_numpy_numbers_and_hint_only_where_it_helps():
    from cnnlib import summary
    from cnnlib.data import center_crop, sample_image
    net = SimpleConvNet(hidden_size=np.array(100), conv_param={"filter_num": np.int64(30)})   # 0-d array, NumPy int
    assert net.params["W2"].shape == (4320, 100)
    assert str(summary(net, np.array([1, 28, 28]))).splitlines()[2].split() == ["input", "(1,", "28,", "28)"]
    with pytest.raises(ValueError, match=r"expect C = 1$"):                  # no batch-axis hint: not a batch
        summary(net, (3, 28, 28))
    assert center_crop(sample_image("china", gray=True), np.array([8, 6])).shape == (8, 6)   # refused for a while
    with pytest.raises(ValueError, match=r"there is no gradient to compare; check it without the randomness"):
        check_layer(Dropout(0.5, rng=0), np.ones((4, 3)))
