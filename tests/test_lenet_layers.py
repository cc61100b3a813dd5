"""The paper's LeNet-5 layers (Subsampling, SparseConvolution, ScaledTanh): outputs by hand,
float64 gradient checks, the connection table, and LeNet5("paper") against the paper's
parameter counts."""

import numpy as np
import pytest

from cnnlib import LeNet5, Sequential, check_layer, summary
from cnnlib.layers import C3_TABLE, Affine, Convolution, Flatten, ScaledTanh, SparseConvolution, Subsampling
from cnnlib.optim import Adam
from tests.helpers import assert_layer_does_not_mutate

GRAD_TOL = 1e-7


# --- by hand -------------------------------------------------------------------------------

def test_subsampling_by_hand():
    layer = Subsampling(np.array([2.0, -1.0]), np.array([0.5, 1.0]))
    x = np.arange(32.0).reshape(1, 2, 4, 4)
    out = layer.forward(x)
    # channel 0, top-left window: 0 + 1 + 4 + 5 = 10, times 2, plus 0.5
    np.testing.assert_array_equal(out[0, 0], [[20.5, 36.5], [84.5, 100.5]])
    np.testing.assert_array_equal(out[0, 1], [[-73.0, -81.0], [-105.0, -113.0]])
    dx = layer.backward(np.ones((1, 2, 2, 2)))
    np.testing.assert_array_equal(dx[0, 0], np.full((4, 4), 2.0))  # each input gets its window's coefficient
    np.testing.assert_array_equal(layer.grads["b"], [4.0, 4.0])
    np.testing.assert_array_equal(layer.grads["W"], [x[0, 0].sum(), x[0, 1].sum()])
    assert layer.output_shape((2, 4, 4)) == (2, 2, 2) and layer.macs((2, 4, 4)) == 8


def test_scaled_tanh_by_hand():
    act = ScaledTanh()
    out = act.forward(np.array([-1.0, 0.0, 1.0, 30.0]))
    np.testing.assert_allclose(out, [-1.0, 0.0, 1.0, 1.7159], atol=1e-4)  # f(+-1) = +-1, saturates at A
    np.testing.assert_allclose(act.backward(np.ones(4))[1], 1.7159 * 2 / 3)  # slope A * S at 0
    assert act.forward(np.ones(2, np.float32)).dtype == np.float32


def test_c3_table_is_the_papers_table_one():
    assert C3_TABLE.shape == (16, 6)
    assert list(C3_TABLE.sum(axis=1)) == [3] * 6 + [4] * 9 + [6]
    assert list(np.flatnonzero(C3_TABLE[4])) == [0, 4, 5]        # contiguous, wrapping around
    assert list(np.flatnonzero(C3_TABLE[9])) == [0, 3, 4, 5]
    assert [list(np.flatnonzero(C3_TABLE[f])) for f in (12, 13, 14)] == [[0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5]]
    assert C3_TABLE.sum() == 60 and (C3_TABLE.sum(axis=0) == 10).all()  # each S2 map feeds 10 C3 maps


def test_sparse_convolution_equals_a_convolution_with_masked_weights():
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((16, 6, 5, 5)), rng.standard_normal(16)
    sparse = SparseConvolution(W, b, C3_TABLE)
    dense = Convolution(W * C3_TABLE[:, :, None, None], b.copy())
    x = rng.standard_normal((2, 6, 14, 14))
    np.testing.assert_allclose(sparse.forward(x), dense.forward(x), rtol=1e-12)
    dout = rng.standard_normal((2, 16, 10, 10))
    np.testing.assert_allclose(sparse.backward(dout), dense.backward(dout), rtol=1e-12)
    assert (sparse.grads["W"][C3_TABLE == 0] == 0).all()        # no gradient outside the table
    assert np.abs(sparse.grads["W"][C3_TABLE == 1]).min() > 0
    assert sparse.param_count() == 1_516 and sparse.macs((6, 14, 14)) == 100 * 60 * 25


def test_sparse_convolution_ignores_weights_outside_the_table():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((16, 6, 5, 5))
    sparse = SparseConvolution(W, np.zeros(16), C3_TABLE)
    x = rng.standard_normal((1, 6, 14, 14))
    before = sparse.forward(x)
    sparse.params["W"][C3_TABLE == 0] = 100.0  # e.g. loaded from a file
    np.testing.assert_array_equal(sparse.forward(x), before)


def test_bad_arguments_name_the_numbers():
    with pytest.raises(ValueError, match=r"table must be an \(FN, C\) = \(16, 6\)"):
        SparseConvolution(np.zeros((16, 6, 5, 5)), np.zeros(16), C3_TABLE[:, :5])
    with pytest.raises(ValueError, match="divisible by 2, got H = 5"):
        Subsampling(np.ones(3), np.zeros(3)).output_shape((3, 5, 4))
    with pytest.raises(ValueError, match="C = 4 channels but Subsampling has 3"):
        Subsampling(np.ones(3), np.zeros(3)).output_shape((4, 4, 4))


# --- gradient checks in float64 ------------------------------------------------------------

@pytest.mark.parametrize("make, shape", [
    (lambda rng: Subsampling(rng.standard_normal(3), rng.standard_normal(3)), (2, 3, 6, 4)),
    (lambda rng: Subsampling(rng.standard_normal(2), rng.standard_normal(2), size=3), (2, 2, 6, 6)),
    (lambda rng: SparseConvolution(rng.standard_normal((16, 6, 3, 3)), rng.standard_normal(16), C3_TABLE), (2, 6, 5, 5)),
    (lambda rng: SparseConvolution(rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2), [[1, 0, 1], [0, 1, 0]],
                                   stride=2, pad=1), (2, 3, 5, 5)),
    (lambda rng: ScaledTanh(), (3, 4)),
])
def test_gradient_check(make, shape):
    rng = np.random.default_rng(2)
    layer = make(rng)
    errors = check_layer(layer, rng.standard_normal(shape), rng=3)
    assert set(errors) == {"x"} | set(layer.params)
    assert max(errors.values()) < GRAD_TOL, errors
    assert_layer_does_not_mutate(make(rng), rng.standard_normal(shape), rng)


def test_paper_layers_chained_gradient_check():
    rng = np.random.default_rng(4)
    net = Sequential([Subsampling(rng.standard_normal(6), rng.standard_normal(6)), ScaledTanh(),
                      SparseConvolution(rng.standard_normal((16, 6, 3, 3)) * 0.3, rng.standard_normal(16), C3_TABLE),
                      ScaledTanh(), Flatten(), Affine(rng.standard_normal((16 * 4 * 4, 3)) * 0.3, np.zeros(3))])
    x, t = rng.standard_normal((2, 6, 12, 12)), np.array([0, 2])
    backprop, numerical = net.gradient(x, t), net.numerical_gradient(x, t)
    for key in net.params:
        np.testing.assert_allclose(backprop[key], numerical[key], rtol=1e-5, atol=1e-9, err_msg=key)


# --- the paper's LeNet-5 --------------------------------------------------------------------

def test_paper_lenet5_has_the_papers_parameter_counts():
    s = summary(LeNet5("paper"), (1, 28, 28))
    with_params = [(r.name, r.output_shape, r.params) for r in s.rows if r.params]
    assert with_params == [("Convolution1", (6, 28, 28), 156), ("Subsampling1", (6, 14, 14), 12),
                           ("SparseConvolution1", (16, 10, 10), 1_516), ("Subsampling2", (16, 5, 5), 32),
                           ("Convolution2", (120, 1, 1), 48_120), ("Affine1", (84,), 10_164),
                           ("Affine2", (10,), 850)]
    assert s.total_params - 850 == 60_000
    assert sum(r.macs for r in s.rows) == 117_600 + 1_176 + 150_000 + 400 + 48_000 + 10_080 + 840
    assert sum(isinstance(layer, ScaledTanh) for layer in LeNet5("paper").layers) == 6


def test_paper_lenet5_initial_weights_are_uniform_within_2_4_over_fan_in():
    net = LeNet5("paper", rng=0)
    for layer, fan_in in [(net.layers[0], 25), (net.layers[8], 400), (net.layers[11], 120)]:
        W = layer.params["W"]
        assert np.abs(W).max() <= 2.4 / fan_in and np.abs(W).max() > 0.9 * 2.4 / fan_in
    c3 = net.layers[4].params["W"]
    assert np.abs(c3[15]).max() <= 2.4 / 150 < np.abs(c3[0]).max() <= 2.4 / 75
    assert (c3[C3_TABLE == 0] == 0).all()


def test_paper_lenet5_trains_keeps_its_table_and_round_trips(tmp_path):
    rng = np.random.default_rng(5)
    net = LeNet5("paper", rng=1)
    x, t = rng.random((8, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 8)
    loss0 = net.loss(x, t)
    optimizer = Adam(lr=0.01)
    for _ in range(5):
        _, grads = net.loss_and_gradient(x, t)
        optimizer.update(net.params, grads)
    assert net.loss(x, t) < loss0
    assert (net.layers[4].params["W"][C3_TABLE == 0] == 0).all()  # masked weights stay 0
    path = net.save_params(tmp_path / "paper.npz")
    other = LeNet5("paper", rng=2)
    other.load_params(path)
    np.testing.assert_array_equal(other.predict(x), net.predict(x))
    with pytest.raises(ValueError, match=r"LeNet5\(variant='paper'.*this network is LeNet5\(variant='classic'"):
        LeNet5("classic").load_params(path)


def test_paper_variant_refuses_another_activation():
    with pytest.raises(ValueError, match="scaled_tanh"):
        LeNet5("paper", activation="relu")
    with pytest.raises(ValueError, match="activation must be"):
        LeNet5("classic", activation="scaled_tanh")
