"""Trainer: epochs, determinism, divergence, augmentation, snapshots, checkpoints."""

import numpy as np
import pytest

from cnnlib.data import random_shift
from cnnlib.models import SimpleConvNet
from cnnlib.optim import SGD, Adam
from cnnlib.train import Trainer, TrainingDiverged


def tiny_data(n_train=60, n_test=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n_train + n_test, 1, 12, 12), dtype=np.float32)
    t = rng.integers(0, 4, n_train + n_test)
    return x[:n_train], t[:n_train], x[n_train:], t[n_train:]


def tiny_net(seed=0):
    return SimpleConvNet(input_dim=(1, 12, 12), conv_param={"filter_num": 4, "filter_size": 3},
                         hidden_size=8, output_size=4, rng=seed)


def trainer(net, epochs, **kw):
    return Trainer(net, *tiny_data(), epochs=epochs, batch_size=16, progress=False, **kw)


class RecordingNet:
    """Stands in for a network: remembers which images each batch contained."""

    def __init__(self, loss=1.0):
        self.params = {"W": np.zeros(1)}
        self.seen, self.loss = [], loss

    def loss_and_gradient(self, x, t):
        self.seen.extend(x[:, 0, 0, 0].astype(int).tolist())
        return self.loss, {"W": np.zeros(1)}

    def accuracy(self, x, t):
        return 0.0


def test_every_image_is_seen_once_per_epoch_in_a_new_order():
    x = np.arange(50, dtype=np.float32).reshape(50, 1, 1, 1) * np.ones((1, 1, 2, 2), np.float32)
    t = np.zeros(50, np.int64)
    net = RecordingNet()
    Trainer(net, x, t, x[:5], t[:5], optimizer=SGD(), epochs=2, batch_size=7, progress=False).train()
    first, second = net.seen[:50], net.seen[50:]
    assert sorted(first) == sorted(second) == list(range(50))  # each image exactly once per epoch
    assert first != second  # reshuffled


def test_history_shapes_and_accuracy_on_the_whole_sets():
    net = tiny_net()
    history = trainer(net, 2).train()
    assert len(history["loss"]) == 2 * 4  # 60 images / 16 per batch = 4 iterations per epoch
    assert len(history["train_acc"]) == len(history["test_acc"]) == len(history["epoch_time"]) == 2
    x_train, t_train, x_test, t_test = tiny_data()
    assert history["test_acc"][-1] == net.accuracy(x_test, t_test)
    assert history["train_acc"][-1] == net.accuracy(x_train, t_train)


def test_the_same_seed_gives_a_bit_identical_history():
    a = trainer(tiny_net(), 2, seed=5, augment_shift=1).train()
    b = trainer(tiny_net(), 2, seed=5, augment_shift=1).train()
    c = trainer(tiny_net(), 2, seed=6, augment_shift=1).train()
    assert a["loss"] == b["loss"] and a["test_acc"] == b["test_acc"]
    assert a["loss"] != c["loss"]


def test_training_learns_something():
    # a separable toy problem: the label is which quadrant is bright
    rng = np.random.default_rng(0)
    t = rng.integers(0, 4, 400)
    x = rng.random((400, 1, 12, 12), dtype=np.float32) * 0.2
    for i, label in enumerate(t):
        r, c = divmod(label, 2)
        x[i, 0, r * 6:(r + 1) * 6, c * 6:(c + 1) * 6] += 0.8
    net = tiny_net()
    history = Trainer(net, x[:300], t[:300], x[300:], t[300:], lr=0.01, epochs=5, batch_size=20,
                      progress=False).train()
    assert history["test_acc"][-1] > 0.9
    assert np.mean(history["loss"][-5:]) < np.mean(history["loss"][:5])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_nan_or_infinite_loss_stops_training_with_advice(bad):
    x = np.zeros((10, 1, 2, 2), np.float32)
    t = np.zeros(10, np.int64)
    with pytest.raises(TrainingDiverged, match=r"loss became .* lr=0.5 is probably too high; try lr=0.05"):
        Trainer(RecordingNet(loss=bad), x, t, x, t, optimizer=SGD(lr=0.5), epochs=1, progress=False).train()


def test_bad_arguments():
    x_train, t_train, x_test, t_test = tiny_data()
    with pytest.raises(ValueError, match="optimizer must be one of"):
        Trainer(tiny_net(), x_train, t_train, x_test, t_test, optimizer="rmsprop")
    with pytest.raises(ValueError, match=r"x_train has 60 images but t_train has 59 labels"):
        Trainer(tiny_net(), x_train, t_train[:-1], x_test, t_test)
    with pytest.raises(ValueError, match="snapshot_params"):
        Trainer(tiny_net(), x_train, t_train, x_test, t_test, snapshot_epochs=[1], snapshot_params=("W9",))


def test_random_shift_moves_each_image_by_at_most_k_pixels():
    x = np.zeros((200, 1, 9, 9), np.float32)
    x[:, 0, 4, 4] = 1  # one bright pixel in the centre
    before = x.copy()
    shifted = random_shift(x, 2, np.random.default_rng(0))
    assert np.array_equal(x, before)  # not mutated
    assert shifted.shape == x.shape and shifted.sum() == 200  # nothing falls off with k=2
    rows, cols = np.nonzero(shifted[:, 0].reshape(200, -1))[1] // 9, np.nonzero(shifted[:, 0].reshape(200, -1))[1] % 9
    offsets = set(zip((rows - 4).tolist(), (cols - 4).tolist()))
    assert offsets == {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)}  # all 25 shifts occur
    assert random_shift(x, 0, np.random.default_rng(0)) is x


def test_random_shift_fills_with_zeros():
    x = np.ones((50, 1, 5, 5), np.float32)
    shifted = random_shift(x, 1, np.random.default_rng(1))
    assert set(np.unique(shifted)) <= {0.0, 1.0}
    assert (shifted.sum(axis=(1, 2, 3)) >= 16).all()  # at worst one row and one column are lost


def test_snapshots_at_chosen_epochs(tmp_path):
    net = tiny_net()
    initial = net.params["W1"].copy()
    tr = trainer(net, 2, snapshot_epochs=[0, 2], snapshot_params=["W1", "b1"])
    tr.train()
    assert sorted(tr.snapshots) == [0, 2]
    assert np.array_equal(tr.snapshots[0]["W1"], initial)
    assert np.array_equal(tr.snapshots[2]["W1"], net.params["W1"])
    assert tr.snapshots[2]["W1"] is not net.params["W1"]  # a copy, not the live array
    tr.save_snapshots(tmp_path / "snaps.npz")
    with np.load(tmp_path / "snaps.npz", allow_pickle=False) as f:
        assert sorted(f.files) == ["W1@epoch0", "W1@epoch2", "b1@epoch0", "b1@epoch2"]


@pytest.mark.parametrize("optimizer", [Adam, SGD])
def test_resume_from_a_checkpoint_continues_exactly(tmp_path, optimizer):
    # two epochs in one go ...
    straight = trainer(tiny_net(), 2, optimizer=optimizer(), seed=3, augment_shift=1, snapshot_epochs=[1, 2])
    straight.train()
    # ... equal one epoch, a checkpoint, and one more epoch in fresh objects
    first = trainer(tiny_net(), 1, optimizer=optimizer(), seed=3, augment_shift=1, snapshot_epochs=[1, 2])
    first.train()
    first.save_checkpoint(tmp_path / "ckpt.npz")
    resumed = trainer(tiny_net(seed=99), 2, optimizer=optimizer(), seed=123, augment_shift=1, snapshot_epochs=[1, 2])
    resumed.load_checkpoint(tmp_path / "ckpt.npz")
    assert resumed.epoch == 1
    resumed.train()
    assert resumed.history["loss"] == straight.history["loss"]
    assert resumed.history["test_acc"] == straight.history["test_acc"]
    for key in straight.network.params:
        assert np.array_equal(resumed.network.params[key], straight.network.params[key]), key
    assert np.array_equal(resumed.snapshots[2]["W1"], straight.snapshots[2]["W1"])


def test_checkpoints_are_never_silently_overwritten_and_check_the_optimizer(tmp_path):
    tr = trainer(tiny_net(), 1)
    tr.save_checkpoint(tmp_path / "c.npz")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        tr.save_checkpoint(tmp_path / "c.npz")
    tr.save_checkpoint(tmp_path / "c.npz", overwrite=True)
    with pytest.raises(ValueError, match="saved with optimizer Adam"):
        trainer(tiny_net(), 1, optimizer="sgd").load_checkpoint(tmp_path / "c.npz")


def test_quick_mode_reads_cnnlib_quick_and_says_so(monkeypatch, capsys):
    from cnnlib.train import quick_mode
    monkeypatch.setenv("CNNLIB_QUICK", "1")
    assert quick_mode("2 epochs per run") is True
    assert capsys.readouterr().out == ("CNNLIB_QUICK=1: short mode, 2 epochs per run; "
                                       "the numbers below are NOT the real results\n")
    for value in ("0", ""):
        monkeypatch.setenv("CNNLIB_QUICK", value)
        assert quick_mode() is False
    monkeypatch.delenv("CNNLIB_QUICK")
    assert quick_mode() is False
    assert capsys.readouterr().out == ""
