"""Optimizers: first steps against the formulas, in-place updates, saving and restoring state."""

import numpy as np
import pytest

from cnnlib.io import load_npz, save_npz
from cnnlib.optim import OPTIMIZERS, SGD, AdaGrad, Adam, Momentum


def params_and_grads():
    return {"W": np.array([1.0, 2.0, -3.0])}, {"W": np.array([0.5, -1.0, 2.0])}


# --- first steps against the formulas ---------------------------------------------------------

def test_sgd_step():
    params, grads = params_and_grads()
    SGD(lr=0.1).update(params, grads)
    np.testing.assert_allclose(params["W"], [0.95, 2.1, -3.2], rtol=1e-15)  # W - lr * dW


def test_momentum_two_steps():
    params, grads = params_and_grads()
    opt = Momentum(lr=0.1, momentum=0.9)
    opt.update(params, grads)
    # v = -lr * dW = (-0.05, 0.1, -0.2); W += v
    np.testing.assert_allclose(params["W"], [0.95, 2.1, -3.2], rtol=1e-15)
    opt.update(params, grads)
    # v = 0.9 v - lr * dW = (-0.095, 0.19, -0.38)
    np.testing.assert_allclose(params["W"], [0.855, 2.29, -3.58], rtol=1e-14)


def test_adagrad_two_steps():
    params, grads = params_and_grads()
    g = grads["W"]
    opt = AdaGrad(lr=0.1, eps=1e-7)
    opt.update(params, grads)
    w1 = np.array([1.0, 2.0, -3.0]) - 0.1 * g / (np.sqrt(g * g) + 1e-7)  # h = g^2
    np.testing.assert_allclose(params["W"], w1, rtol=1e-15)
    np.testing.assert_allclose(params["W"], [0.9, 2.1, -3.1], rtol=1e-6)  # about lr * sign(g)
    opt.update(params, grads)
    w2 = w1 - 0.1 * g / (np.sqrt(2 * g * g) + 1e-7)  # h = 2 g^2: the step shrinks by sqrt(2)
    np.testing.assert_allclose(params["W"], w2, rtol=1e-15)


def test_adam_first_step_is_about_lr_times_sign():
    params, grads = params_and_grads()
    g = grads["W"]
    Adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7).update(params, grads)
    # m = 0.1 g, v = 0.001 g^2, lr_t = lr sqrt(1 - 0.999) / (1 - 0.9)
    lr_t = 0.001 * np.sqrt(0.001) / 0.1
    expected = np.array([1.0, 2.0, -3.0]) - lr_t * (0.1 * g) / (np.sqrt(0.001 * g * g) + 1e-7)
    np.testing.assert_allclose(params["W"], expected, rtol=1e-15)
    np.testing.assert_allclose(params["W"], [0.999, 2.001, -3.001], rtol=1e-8)


def test_adam_matches_the_paper_with_bias_correction():
    # Kingma & Ba, algorithm 1, with eps = 1e-300 (eps must be > 0) so that where eps goes does not matter
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal(5)}
    w = params["W"].copy()
    m, v = np.zeros(5), np.zeros(5)
    opt = Adam(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-300)
    for t in range(1, 5):
        g = rng.standard_normal(5)
        opt.update(params, {"W": g})
        m = 0.8 * m + 0.2 * g
        v = 0.99 * v + 0.01 * g * g
        m_hat, v_hat = m / (1 - 0.8 ** t), v / (1 - 0.99 ** t)
        w = w - 0.01 * m_hat / np.sqrt(v_hat)
        np.testing.assert_allclose(params["W"], w, rtol=1e-13, err_msg=f"step {t}")


def test_adam_computes_float32_in_float32():
    # the step size is a NumPy float64; multiplied as such it would silently promote
    # every float32 array of the update to float64 (twice the memory traffic)
    rng = np.random.default_rng(1)
    w = rng.standard_normal(1000).astype(np.float32)
    g = rng.standard_normal(1000).astype(np.float32)
    params = {"W": w.copy()}
    Adam(lr=0.001).update(params, {"W": g})
    m = np.float32(0.1) * g                              # all float32, in the order of the update
    v = np.float32(0.001) * (g * g)
    lr_t = np.float32(0.001 * np.sqrt(1 - 0.999) / (1 - 0.9))
    expected = w - (m / (np.sqrt(v) + np.float32(1e-7))) * lr_t
    assert params["W"].dtype == np.float32
    np.testing.assert_array_equal(params["W"], expected)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_zero_gradient_changes_nothing(name):
    params = {"W": np.array([1.0, -2.0])}
    OPTIMIZERS[name](lr=0.1).update(params, {"W": np.zeros(2)})
    np.testing.assert_array_equal(params["W"], [1.0, -2.0])


# --- in place ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", OPTIMIZERS)
def test_update_is_in_place(name):
    W, b = np.ones((2, 3)), np.zeros(3)
    params = {"W": W, "b": b}
    grads = {"W": np.full((2, 3), 0.5), "b": np.ones(3)}
    opt = OPTIMIZERS[name](lr=0.1)
    opt.update(params, grads)
    assert params["W"] is W and params["b"] is b  # the very same arrays...
    assert np.all(W < 1) and np.all(b < 0)         # ...now holding the new values
    np.testing.assert_array_equal(grads["W"], 0.5)  # gradients untouched
    assert opt.t == 1


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_float32_params_stay_float32(name):
    params = {"W": np.ones(3, np.float32)}
    OPTIMIZERS[name](lr=0.1).update(params, {"W": np.full(3, 0.5, np.float32)})
    assert params["W"].dtype == np.float32


# --- state_dict / load_state_dict ------------------------------------------------------------------

def run_steps(opt, params, grads_list):
    for grads in grads_list:
        opt.update(params, grads)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_dict_round_trip_resumes_exactly(name, tmp_path):
    rng = np.random.default_rng(1)
    grads = [{"W": rng.standard_normal((2, 2)), "b": rng.standard_normal(2)} for _ in range(5)]
    params = {"W": rng.standard_normal((2, 2)), "b": rng.standard_normal(2)}

    first = OPTIMIZERS[name](lr=0.05)
    run_steps(first, params, grads[:3])
    state = first.state_dict()
    save_npz(tmp_path / "opt.npz", state)  # flat names like "v/W" survive a file

    resumed_params = {k: v.copy() for k, v in params.items()}
    resumed = OPTIMIZERS[name](lr=0.05)
    resumed.load_state_dict(load_npz(tmp_path / "opt.npz"))
    assert resumed.t == 3

    run_steps(first, params, grads[3:])
    run_steps(resumed, resumed_params, grads[3:])
    for k in params:
        np.testing.assert_array_equal(resumed_params[k], params[k])


def test_state_dict_names_and_copies():
    opt = Adam()
    params = {"W": np.ones(2)}
    opt.update(params, {"W": np.ones(2)})
    state = opt.state_dict()
    assert set(state) == {"m/W", "v/W", "t"}
    assert int(state["t"]) == 1
    m_saved = state["m/W"].copy()
    opt.update(params, {"W": np.ones(2)})
    np.testing.assert_array_equal(state["m/W"], m_saved)  # a snapshot, not the live state


def test_load_state_dict_copies():
    state = {"v/W": np.zeros(2), "t": np.array(1)}
    opt = Momentum(lr=0.1)
    opt.load_state_dict(state)
    opt.update({"W": np.zeros(2)}, {"W": np.ones(2)})
    np.testing.assert_array_equal(state["v/W"], [0.0, 0.0])


def test_load_state_dict_rejects_foreign_state():
    with pytest.raises(ValueError, match=r"Momentum has no state 'm'.*'m/W'"):
        Momentum().load_state_dict(Adam().state_dict() | {"m/W": np.zeros(2)})


def test_sgd_state_is_only_the_step_count():
    opt = SGD()
    opt.update({"W": np.zeros(1)}, {"W": np.ones(1)})
    assert set(opt.state_dict()) == {"t"}


# --- bad learning rates ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan")])
def test_learning_rate_must_be_positive(name, lr):
    with pytest.raises(ValueError, match=r"lr \(learning rate\) must be a finite number > 0"):
        OPTIMIZERS[name](lr=lr)
