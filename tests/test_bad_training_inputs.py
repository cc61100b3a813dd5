"""Bad numbers given to the optimizers and the Trainer, and a loss that explodes: each a
TypeError or ValueError (or TrainingDiverged) naming the parameter and the numbers."""

import math

import numpy as np
import pytest

from cnnlib.optim import OPTIMIZERS, SGD, AdaGrad, Adam, Momentum
from cnnlib.train import Trainer, TrainingDiverged

from .test_train import RecordingNet, tiny_data, tiny_net


def fmt(value):
    return "nan" if isinstance(value, float) and math.isnan(value) else str(value)


# --- optimizers ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("lr", [float("inf"), -float("inf"), 0.0, -1])
def test_learning_rate_must_be_finite_and_positive(name, lr):
    with pytest.raises(ValueError, match=rf"lr \(learning rate\) must be a finite number > 0, got lr = {fmt(lr)}$"):
        OPTIMIZERS[name](lr=lr)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("lr", ["0.01", None, True], ids=["string", "None", "bool"])
def test_learning_rate_must_be_a_number(name, lr):
    with pytest.raises(TypeError, match=rf"lr \(learning rate\) must be a number, got lr = {lr!r} \({type(lr).__name__}\)"):
        OPTIMIZERS[name](lr=lr)


@pytest.mark.parametrize("make, name, value", [
    (Momentum, "momentum", 1.0), (Momentum, "momentum", -0.1), (Momentum, "momentum", 1.5),
    (Momentum, "momentum", float("nan")),
    (Adam, "beta1", 1.0), (Adam, "beta1", -0.5), (Adam, "beta1", float("inf")),
    (Adam, "beta2", 1.0), (Adam, "beta2", 2), (Adam, "beta2", -1e-3),
])
def test_decay_rates_must_be_in_zero_one(make, name, value):
    with pytest.raises(ValueError, match=rf"{name} must be a finite number in \[0, 1\), got {name} = {fmt(value)}$"):
        make(**{name: value})


@pytest.mark.parametrize("make", [Adam, AdaGrad])
@pytest.mark.parametrize("eps", [0, -1e-8, float("nan"), float("inf")])
def test_eps_must_be_finite_and_positive(make, eps):
    with pytest.raises(ValueError, match=rf"eps must be a finite number > 0, got eps = {fmt(eps)}$"):
        make(eps=eps)


@pytest.mark.parametrize("make, name, value", [(Momentum, "momentum", "0.9"), (Adam, "beta1", [0.9]),
                                               (AdaGrad, "eps", None)])
def test_hyper_parameters_must_be_numbers(make, name, value):
    with pytest.raises(TypeError, match=rf"{name} must be a number, got {name} = "):
        make(**{name: value})


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("grad_shape", [(1,), (4,), (3, 1), (1, 3, 4)])
def test_a_gradient_of_another_shape_is_refused_before_any_change(name, grad_shape):
    # each of these broadcasts against (3, 4): numpy would update silently with the wrong values
    params = {"W": np.ones((3, 4)), "b": np.ones(4)}
    before = {k: v.copy() for k, v in params.items()}
    opt = OPTIMIZERS[name]()
    with pytest.raises(ValueError, match=rf"grads\['W'\] has shape {grad_shape!s}".replace("(", r"\(").replace(")", r"\)")
                       + r" but params\['W'\] has shape \(3, 4\)"):
        opt.update(params, {"b": np.ones(4), "W": np.ones(grad_shape)})  # b first: it must not move either
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    assert opt.t == 0


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_gradient_without_parameter_is_refused(name):
    with pytest.raises(ValueError, match=r"grads\['W9'\] has no parameter params\['W9'\]; params has \['W'\]"):
        OPTIMIZERS[name]().update({"W": np.ones(2)}, {"W9": np.ones(2)})


def test_state_of_another_network_is_refused():
    opt = Momentum()
    opt.update({"W": np.ones(3)}, {"W": np.ones(3)})
    params = {"W": np.ones(5)}
    with pytest.raises(ValueError, match=r"Momentum state v/W has shape \(3,\) but params\['W'\] has shape \(5,\)"):
        opt.update(params, {"W": np.ones(5)})
    np.testing.assert_array_equal(params["W"], np.ones(5))


# --- the Trainer -----------------------------------------------------------------------------

def make_trainer(**kw):
    x_train, t_train, x_test, t_test = tiny_data()
    data = dict(x_train=x_train, t_train=t_train, x_test=x_test, t_test=t_test)
    data.update({k: kw.pop(k) for k in list(kw) if k in data})
    return Trainer(tiny_net(), data["x_train"], data["t_train"], data["x_test"], data["t_test"],
                   progress=False, **kw)


@pytest.mark.parametrize("kw, error, pattern", [
    (dict(batch_size=0), ValueError, r"batch_size must be >= 1, got batch_size = 0"),
    (dict(batch_size=-5), ValueError, r"batch_size must be >= 1, got batch_size = -5"),
    (dict(batch_size=2.5), TypeError, r"batch_size must be an integer, got batch_size = 2.5 \(float\)"),
    (dict(batch_size="100"), TypeError, r"batch_size must be an integer, got batch_size = '100' \(str\)"),
    (dict(batch_size=True), TypeError, r"batch_size must be an integer, got batch_size = True \(bool\)"),
    (dict(epochs=-1), ValueError, r"epochs must be >= 0, got epochs = -1"),
    (dict(epochs="3"), TypeError, r"epochs must be an integer, got epochs = '3' \(str\)"),
    (dict(epochs=1.0), TypeError, r"epochs must be an integer, got epochs = 1.0 \(float\)"),
    (dict(augment_shift=-1), ValueError, r"augment_shift must be >= 0, got augment_shift = -1"),
    (dict(augment_shift=100), ValueError, r"augment_shift = 100 needs images .* larger than the shift; "
                                          r"x_train has shape \(60, 1, 12, 12\): use augment_shift < min\(H, W\)"),
    (dict(augment_shift=12), ValueError, r"augment_shift = 12 .*\(60, 1, 12, 12\)"),
    (dict(augment_shift=1.5), TypeError, r"augment_shift must be an integer, got augment_shift = 1.5"),
    (dict(snapshot_epochs=[-1]), ValueError, r"snapshot_epochs must be >= 0, got snapshot_epochs = -1"),
    (dict(x_train=np.zeros((0, 1, 12, 12)), t_train=np.zeros(0, int)), ValueError,
     r"x_train is empty \(0 images, shape \(0, 1, 12, 12\)\): nothing to train on"),
    (dict(x_test=np.zeros((0, 1, 12, 12)), t_test=np.zeros(0, int)), ValueError,
     r"x_test is empty \(0 images, shape \(0, 1, 12, 12\)\): the accuracy at each epoch end needs test images"),
    (dict(t_train=np.zeros(61, int)), ValueError, r"x_train has 60 images but t_train has 61 labels"),
    (dict(t_test=np.zeros(19, int)), ValueError, r"x_test has 20 images but t_test has 19 labels"),
], ids=lambda v: None)
def test_trainer_arguments(kw, error, pattern):
    with pytest.raises(error, match=pattern):
        make_trainer(**kw)


def test_augment_shift_needs_images_not_rows():
    x, t, xt, tt = tiny_data()
    with pytest.raises(ValueError, match=r"augment_shift = 2 needs images \(N, C, H, W\).*shape \(60, 144\)"):
        Trainer(tiny_net(), x.reshape(60, -1), t, xt, tt, augment_shift=2, progress=False)


class ScriptedLoss(RecordingNet):
    """A network whose loss follows a script, one value per iteration."""

    def __init__(self, losses):
        super().__init__()
        self.losses = iter(losses)

    def loss_and_gradient(self, x, t):
        return next(self.losses), {"W": np.zeros(1)}


@pytest.mark.parametrize("losses, iteration, pattern", [
    ([2.3, 5.0, 1e22], 3, r"the loss became 1e\+22 at epoch 1, iteration 3, more than 1000 times max\(the first "
                          r"loss 2.3, 1\) = 2300: the training diverged; the learning rate lr=0.5"),
    ([2.3, 2.2, 2301.0], 3, r"the loss became 2301 .*iteration 3.* = 2300"),
    ([0.01, 1e4], 2, r"the loss became 1e\+04 .*iteration 2, more than 1000 times max\(the first loss 0.01, 1\) = 1000"),
    ([50.0, 60.0, 50001.0], 3, r"iteration 3, more than 1000 times max\(the first loss 50, 1\) = 5e\+04"),
    ([2.3, float("nan")], 2, r"the loss became nan at epoch 1, iteration 2: the training diverged"),
    ([2.3, -float("inf")], 2, r"the loss became -inf at epoch 1, iteration 2"),
])
def test_a_loss_that_explodes_stops_training(losses, iteration, pattern):
    x, t = np.zeros((10, 1, 2, 2), np.float32), np.zeros(10, np.int64)
    trainer = Trainer(ScriptedLoss(losses), x, t, x, t, optimizer=SGD(lr=0.5), epochs=1, batch_size=1, progress=False)
    with pytest.raises(TrainingDiverged, match=pattern + r".*try lr=0.05" if "lr=" in pattern else pattern):
        trainer.train()
    assert len(trainer.history["loss"]) == iteration - 1  # the exploded loss is not recorded


@pytest.mark.parametrize("losses", [[2.3, 2299.0, 2.0, 1.0], [0.01, 999.0, 0.5, 0.1], [1e6, 5e8, 1e5, 1e4]],
                         ids=["cross-entropy-spike", "small-first-loss", "large-scale-loss"])
def test_a_large_but_bounded_loss_is_not_divergence(losses):
    x, t = np.zeros((4, 1, 2, 2), np.float32), np.zeros(4, np.int64)
    history = Trainer(ScriptedLoss(losses), x, t, x, t, optimizer=SGD(lr=0.5), epochs=1, batch_size=1,
                      progress=False).train()
    assert history["loss"] == losses


# --- an optimizer object and lr; lists; shapes and labels checked before training -------------

@pytest.mark.parametrize("lr", [0.5, -1])
def test_an_optimizer_object_and_an_lr_are_not_both_taken(lr):
    with pytest.raises(TypeError, match=rf"optimizer=SGD\(lr=0.01\) and lr={lr}: give the learning rate once, "
                                        rf"SGD\(lr={lr}\) or optimizer='sgd', lr={lr}"):
        make_trainer(optimizer=SGD(), lr=lr)


@pytest.mark.parametrize("lr, error", [(-1, ValueError), (0, ValueError), ("0.1", TypeError)])
def test_lr_is_checked_when_the_optimizer_is_named(lr, error):
    with pytest.raises(error, match=r"lr \(learning rate\) must be"):
        make_trainer(optimizer="sgd", lr=lr)


@pytest.mark.parametrize("name", ["x_train", "t_train", "x_test", "t_test"])
def test_lists_are_refused_naming_them(name):
    data = dict(zip(["x_train", "t_train", "x_test", "t_test"], tiny_data()))
    with pytest.raises(TypeError, match=rf"{name} must be a NumPy array, got a list; "
                                        rf"use {name} = np\.asarray\({name}\)"):
        make_trainer(**{name: data[name].tolist()})


class CountingNet(RecordingNet):
    """The tiny SimpleConvNet, counting its training steps."""

    def __init__(self):
        super().__init__()
        self.net, self.steps = tiny_net(), 0
        self.params = self.net.params

    def predict(self, x):
        return self.net.predict(x)

    def accuracy(self, x, t):
        return self.net.accuracy(x, t)

    def loss_and_gradient(self, x, t):
        self.steps += 1
        return self.net.loss_and_gradient(x, t)


@pytest.mark.parametrize("change, pattern", [
    (dict(x_test=np.zeros((20, 1, 12, 11), np.float32)),
     r"x_test holds images of shape \(1, 12, 11\), but x_train holds \(1, 12, 12\)"),
    (dict(x_test=np.zeros((20, 144), np.float32)), r"x_test holds images of shape \(144,\), but x_train holds \(1, 12, 12\)"),
    (dict(t_test=np.arange(20) % 6 + 5), r"t_test holds labels in \[5, 10\], but there are only K = 4 classes \(0\.\.3\)"),
    (dict(t_test=-np.ones(20, np.int64)), r"t_test holds labels in \[-1, -1\], but there are only K = 4 classes"),
    (dict(t_train=np.full(60, 4)), r"t_train holds labels in \[4, 4\], but there are only K = 4 classes"),
    (dict(t_test=np.zeros(20)), r"t_test must hold integer class labels, got dtype float64"),
])
def test_test_images_and_labels_are_checked_before_training(change, pattern):
    net = CountingNet()
    x_train, t_train, x_test, t_test = tiny_data()
    data = {**dict(x_train=x_train, t_train=t_train, x_test=x_test, t_test=t_test), **change}
    with pytest.raises((ValueError, TypeError), match=pattern):
        Trainer(net, data["x_train"], data["t_train"], data["x_test"], data["t_test"], epochs=1, progress=False).train()
    assert net.steps == 0


def test_x_train_that_does_not_fit_the_network_is_refused_before_training():
    x_train, t_train, x_test, t_test = tiny_data()
    with pytest.raises(ValueError, match=r"x_train \(images of shape \(3, 12, 12\)\) does not fit the network: "):
        Trainer(tiny_net(), np.repeat(x_train, 3, axis=1), t_train, np.repeat(x_test, 3, axis=1), t_test, progress=False)


def test_a_weights_file_is_not_a_checkpoint(tmp_path):
    trainer = make_trainer()
    trainer.network.save_params(tmp_path / "weights.npz")
    with pytest.raises(ValueError, match=r"weights\.npz is a weights file \(written by save_params\), not a checkpoint: "
                                         r"load it with network\.load_params"):
        trainer.load_checkpoint(tmp_path / "weights.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match=r"other\.npz is not a checkpoint written by Trainer\.save_checkpoint: "
                                         r"it has no 'epoch', 'optimizer', 'rng'"):
        trainer.load_checkpoint(tmp_path / "other.npz")
