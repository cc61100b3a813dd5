"""Sequential: parameter names, backprop against numerical gradients on a small conv net,
accuracy in batches, and saving / loading weights."""

import numpy as np
import pytest

from cnnlib import Sequential, rel_error
from cnnlib.network import run_order
from cnnlib.im2col import im2col
from cnnlib.io import load_npz, save_npz
from cnnlib.layers import Affine, BatchNormalization, Convolution, Pooling, Relu
from cnnlib.io import MODEL_KEY
from cnnlib.optim import SGD

GRAD_TOL = 1e-7


def small_convnet(seed, dtype=np.float64):
    """Convolution -> Relu -> Pooling -> Affine -> Relu -> Affine, for (N, 1, 6, 6) images, 3 classes.

    (1, 6, 6) --conv 3x3, pad 1--> (2, 6, 6) --pool 2x2, stride 2--> (2, 3, 3) = 18 --> 4 --> 3
    """
    # weights scaled so that the scores stay of order 1: a saturated softmax has gradients
    # of 1e-10, whose relative error means nothing
    rng = np.random.default_rng(seed)

    def normal(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(dtype)

    return Sequential([
        Convolution(normal(2, 1, 3, 3, scale=0.5), normal(2, scale=0.1), pad=1),
        Relu(),
        Pooling(2, 2, stride=2),
        Affine(normal(18, 4, scale=0.3), normal(4, scale=0.1)),
        Relu(),
        Affine(normal(4, 3, scale=0.5), normal(3, scale=0.1)),
    ])


def bn_convnet(seed):
    """Convolution -> BatchNormalization -> Relu -> Pooling -> Affine."""
    rng = np.random.default_rng(seed)
    return Sequential([
        Convolution(rng.standard_normal((2, 1, 3, 3)), np.zeros(2), pad=1),
        BatchNormalization(rng.uniform(0.5, 1.5, 2), rng.standard_normal(2)),
        Relu(),
        Pooling(2, 2, stride=2),
        Affine(rng.standard_normal((18, 3)) * 0.3, rng.standard_normal(3) * 0.1),
    ])


def data(seed, N=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, 1, 6, 6)), rng.integers(0, 3, size=N)


# --- parameters -------------------------------------------------------------------------------

def test_param_names_follow_the_book():
    net = small_convnet(0)
    assert net.param_names == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert net.buffers == {}
    bn_net = bn_convnet(0)
    assert bn_net.param_names == ["W1", "b1", "gamma2", "beta2", "W3", "b3"]
    assert set(bn_net.buffers) == {"running_mean2", "running_var2", "num_batches2"}


def test_params_are_the_layers_arrays():
    net = small_convnet(0)
    conv, affine1, affine2 = net.layers[0], net.layers[3], net.layers[5]
    assert net.params["W1"] is conv.params["W"] and net.params["b1"] is conv.params["b"]
    assert net.params["W2"] is affine1.params["W"] and net.params["W3"] is affine2.params["W"]


def test_optimizer_on_net_params_updates_the_layers():
    net = small_convnet(0)
    x, t = data(1)
    W1_before = net.layers[0].params["W"].copy()
    loss_before = net.loss(x, t)
    SGD(lr=0.01).update(net.params, net.gradient(x, t))
    assert not np.array_equal(net.layers[0].params["W"], W1_before)
    assert net.loss(x, t) < loss_before  # a small step downhill


def test_dtype_and_predict_casts_input():
    net32 = small_convnet(0, dtype=np.float32)
    assert net32.dtype == np.float32
    x, _ = data(1)
    assert net32.predict(x).dtype == np.float32  # float64 images are cast to the weights' dtype
    assert small_convnet(0).dtype == np.float64


# --- gradients -----------------------------------------------------------------------------------

def kink_margin(net, x):
    """Smallest distance of the data to a kink: a ReLU input near 0, or the two largest
    entries of a max-pooling window nearly tied. Far from every kink, the loss is smooth
    where the numerical gradient (step 1e-5) looks. (Windows whose two largest entries are
    both exactly 0 come from dead ReLUs, which pass no gradient: they do not count.)"""
    margin = np.inf
    for layer in net.layers:
        if isinstance(layer, Relu):
            margin = min(margin, np.abs(x).min())
        if isinstance(layer, Pooling):
            col = im2col(x, layer.pool_h, layer.pool_w, layer.stride, layer.pad)
            col = col.reshape(-1, layer.pool_h * layer.pool_w)  # one row per window
            top2 = np.sort(col, axis=1)[:, -2:]
            live = top2[:, 1] != 0
            margin = min(margin, (top2[live, 1] - top2[live, 0]).min(initial=np.inf))
        x = layer.forward(x, train=True)
    return margin


def test_backprop_matches_numerical_gradient():
    net = small_convnet(0)
    x, t = data(1)
    assert kink_margin(net, x) > 1e-3  # the seeds were chosen so; see kink_margin
    grads = net.gradient(x, t)
    numerical = net.numerical_gradient(x, t)
    assert set(grads) == set(numerical) == set(net.param_names)
    errors = {k: rel_error(grads[k], numerical[k]) for k in grads}
    assert max(errors.values()) < GRAD_TOL, errors


def test_backprop_matches_numerical_gradient_with_batch_norm():
    net = bn_convnet(2)
    x, t = data(3, N=3)
    assert kink_margin(net, x) > 1e-3
    grads = net.gradient(x, t)
    numerical = net.numerical_gradient(x, t)
    # batch norm subtracts the batch mean, so a bias just before it changes nothing: its
    # gradient is exactly 0, and a relative error between two roundoff noises means nothing
    assert np.abs(grads.pop("b1")).max() < 1e-12 and np.abs(numerical.pop("b1")).max() < 1e-8
    errors = {k: rel_error(grads[k], numerical[k]) for k in grads}
    assert max(errors.values()) < GRAD_TOL, errors


def test_numerical_gradient_restores_batch_norm_buffers():
    net = bn_convnet(2)
    x, t = data(3, N=3)
    net.loss(x, t, train=True)
    before = {k: v.copy() for k, v in net.buffers.items()}
    net.numerical_gradient(x, t)
    for k, v in net.buffers.items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_loss_and_gradient_does_not_mutate_inputs():
    net = small_convnet(0)
    x, t = data(1)
    x0, t0 = x.copy(), t.copy()
    loss, grads = net.loss_and_gradient(x, t)
    assert loss == pytest.approx(net.loss(x, t), rel=1e-14)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(t, t0)


# --- accuracy ---------------------------------------------------------------------------------------

def test_accuracy_batched_equals_unbatched():
    net = small_convnet(0)
    x, t = data(5, N=23)
    expected = np.mean(net.predict(x).argmax(axis=1) == t)
    for batch_size in (1, 4, 7, 23, 100):
        assert net.accuracy(x, t, batch_size=batch_size) == expected
    assert net.accuracy(x, np.eye(3)[t]) == expected  # one-hot labels


def test_accuracy_of_no_images_is_an_error():
    net = small_convnet(0)
    with pytest.raises(ValueError, match=r"accuracy of 0 images is undefined: x has shape \(0, 1, 6, 6\)"):
        net.accuracy(np.zeros((0, 1, 6, 6)), np.zeros(0, dtype=int))


# --- saving and loading --------------------------------------------------------------------------------

def test_save_load_round_trip_gives_identical_predictions(tmp_path):
    net, fresh = small_convnet(0), small_convnet(99)
    x, _ = data(1)
    assert not np.array_equal(net.predict(x), fresh.predict(x))
    path = net.save_params(tmp_path / "weights.npz")
    arrays_before = dict(fresh.params)
    fresh.load_params(path)
    np.testing.assert_array_equal(fresh.predict(x), net.predict(x))
    for k, arr in fresh.params.items():
        assert arr is arrays_before[k]  # loaded in place: the layers keep their arrays


def test_batch_norm_buffers_are_saved_and_restored(tmp_path):
    net = bn_convnet(2)
    rng = np.random.default_rng(4)
    for _ in range(3):  # training moves the running statistics
        net.loss(rng.standard_normal((5, 1, 6, 6)), rng.integers(0, 3, 5), train=True)
    net.save_params(tmp_path / "bn.npz")
    fresh = bn_convnet(2)
    fresh.load_params(tmp_path / "bn.npz")
    for k, v in net.buffers.items():
        np.testing.assert_array_equal(fresh.buffers[k], v, err_msg=k)
    assert int(fresh.buffers["num_batches2"]) == 3
    x, _ = data(5)
    np.testing.assert_array_equal(fresh.predict(x), net.predict(x))  # inference uses the running stats


def test_save_refuses_to_overwrite(tmp_path):
    path = tmp_path / "weights.npz"
    small_convnet(0).save_params(path)
    saved = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        small_convnet(1).save_params(path)
    assert path.read_bytes() == saved
    small_convnet(1).save_params(path, overwrite=True)
    assert path.read_bytes() != saved


def test_saved_file_loads_without_pickle(tmp_path):
    net = bn_convnet(0)
    path = net.save_params(tmp_path / "weights.npz")
    with np.load(path, allow_pickle=False) as f:
        names = set(f.files)
        for name in f.files:
            assert f[name].dtype != object
    assert names == set(net.params) | set(net.buffers) | {MODEL_KEY}


def test_load_reports_missing_and_unexpected_names(tmp_path):
    net = small_convnet(0)
    arrays = {k: v for k, v in net.params.items() if k != "b3"}
    arrays["W9"] = np.zeros(3)
    save_npz(tmp_path / "bad.npz", arrays)
    with pytest.raises(ValueError, match=r"missing \['b3'\]; unexpected \['W9'\]"):
        net.load_params(tmp_path / "bad.npz")


def test_load_reports_misshaped_arrays(tmp_path):
    net = small_convnet(0)
    arrays = dict(net.params)
    arrays["W2"] = np.zeros((4, 18))
    save_npz(tmp_path / "bad.npz", arrays)
    with pytest.raises(ValueError, match=r"W2 has shape \(4, 18\), the network expects \(18, 4\)"):
        net.load_params(tmp_path / "bad.npz")


def test_failed_load_changes_nothing(tmp_path):
    net = small_convnet(0)
    before = {k: v.copy() for k, v in net.params.items()}
    arrays = {k: np.zeros_like(v) for k, v in net.params.items()}
    arrays["W3"] = np.zeros((1, 1))
    save_npz(tmp_path / "bad.npz", arrays)
    with pytest.raises(ValueError, match="W3"):
        net.load_params(tmp_path / "bad.npz")
    for k, v in net.params.items():
        np.testing.assert_array_equal(v, before[k])


def test_load_npz_round_trip(tmp_path):
    net = small_convnet(0)
    net.save_params(tmp_path / "w.npz")
    loaded = load_npz(tmp_path / "w.npz")
    assert set(loaded) == set(net.params) | {MODEL_KEY}
    for k, v in net.params.items():
        np.testing.assert_array_equal(loaded[k], v)


# --- the run order: a max pooling after a ReLU runs first -----------------------------------

def tied_convnet():
    """A network of integer weights on integer images (float64): windows full of equal
    numbers and zeros, the ties where the order of ReLU and pooling could show."""
    rng = np.random.default_rng(0)

    def ints(*shape):
        return rng.integers(-1, 2, shape).astype(np.float64)

    return Sequential([
        Convolution(ints(3, 1, 3, 3), np.zeros(3), pad=1), Relu(), Pooling(2, 2),              # (3, 4, 4)
        Convolution(ints(4, 3, 3, 3), ints(4), pad=1), Relu(), Pooling(3, 3, 2, pad=1, strict=False),  # (4, 2, 2)
        Affine(ints(16, 5), ints(5)), Relu(), Affine(ints(5, 3) / 4, np.zeros(3)),
    ])


def test_a_max_pooling_after_a_relu_runs_first_and_nothing_else_moves():
    names = [type(layer).__name__ for layer in run_order(tied_convnet().layers)]
    assert names == ["Convolution", "Pooling", "Relu", "Convolution", "Pooling", "Relu", "Affine", "Relu", "Affine"]
    relu, average, maximum = Relu(), Pooling(2, 2, mode="average"), Pooling(2, 2)
    assert run_order([relu, average]) == [relu, average]          # the mean of ReLUs is not the ReLU of a mean
    assert run_order([relu, maximum, Pooling(2, 2)])[-1] is relu   # past two max poolings
    other = type("LeakyRelu", (Relu,), {})()                       # another activation, even a subclass, stays
    assert run_order([other, maximum]) == [other, maximum]


@pytest.mark.parametrize("pool", [
    dict(pool_h=2, pool_w=2, strict=False), dict(pool_h=2, pool_w=2, pad=1, strict=False),
    dict(pool_h=3, pool_w=3, stride=2, strict=False), dict(pool_h=3, pool_w=3, stride=2, pad=1, strict=False),
    dict(pool_h=3, pool_w=3, stride=1),
    dict(pool_h=2, pool_w=2, stride=3, strict=False), dict(pool_h=2, pool_w=3, stride=(1, 2), strict=False),
], ids=["2x2", "2x2 pad 1", "3x3/2", "3x3/2 pad 1", "3x3/1", "2x2/3 gaps", "2x3/(1,2)"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_and_max_pooling_commute_forward_and_backward(pool, dtype):
    rng = np.random.default_rng(2)
    x = rng.integers(-2, 3, (3, 2, 9, 9)).astype(dtype)            # ties and zeros everywhere
    listed, swapped = [Relu(), Pooling(**pool)], [Pooling(**pool), Relu()]
    outs = []
    for layers in (listed, swapped):
        h = x
        for layer in layers:
            h = layer.forward(h)
        outs.append(h)
    np.testing.assert_array_equal(outs[0], outs[1])
    dout = rng.integers(-3, 4, outs[0].shape).astype(dtype)
    dxs = []
    for layers in (listed, swapped):
        d = dout
        for layer in reversed(layers):
            d = layer.backward(d)
        dxs.append(d)
    np.testing.assert_array_equal(dxs[0], dxs[1])                  # == (a zero's sign may differ)


def test_running_pooling_first_gives_the_listed_orders_numbers():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, (4, 1, 8, 8)).astype(np.float64)
    t = rng.integers(0, 3, 4)
    net = tied_convnet()
    h = x
    for layer in net.layers:                                       # the book's order, by hand
        h = layer.forward(h, train=True)
    listed_loss, dout = net.last_layer.forward(h, t), net.last_layer.backward(1.0)
    for layer in reversed(net.layers):
        dout = layer.backward(dout)
    listed = {key: layer.grads[name].copy() for layer, name, key in net._names}
    assert len(np.unique(h)) < h.size                               # ties reached the end
    conv_out = net.layers[0].forward(x)
    windows = conv_out[..., :8, :8].reshape(4, 3, 4, 2, 4, 2).max(axis=(3, 5))
    assert (windows <= 0).mean() > 0.2                              # and many 2x2 windows are all <= 0

    loss, grads = net.loss_and_gradient(x, t)
    assert net.layers[1]._saved_out_shape == (4, 3, 4, 4)           # the ReLU ran after the pooling
    assert loss == listed_loss
    for key in listed:
        np.testing.assert_array_equal(grads[key], listed[key], err_msg=key)
    np.testing.assert_array_equal(net.predict(x), h)
