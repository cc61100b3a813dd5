"""cnnlib.course.filters: snapshots on disk, the shipped snapshots, per-filter normalization, feature maps."""

import json

import numpy as np
import pytest

from cnnlib import SimpleConvNet
from cnnlib.course.filters import (explorer_images, filter_evolution, first_layer_maps, layer_outputs, load_pretrained_history,
                                   load_pretrained_snapshots, load_snapshots, normalize_filters)
from cnnlib.course.make_snapshots import train_snapshots
from cnnlib.io import save_npz
from cnnlib.layers import Convolution
from cnnlib.train import Trainer


def test_load_snapshots_reads_what_the_trainer_saves(tmp_path):
    rng = np.random.default_rng(0)
    x, t = rng.random((20, 1, 12, 12), dtype=np.float32), rng.integers(0, 3, 20)
    net = SimpleConvNet(input_dim=(1, 12, 12), conv_param={"filter_num": 4, "filter_size": 3},
                        hidden_size=8, output_size=3)
    trainer = Trainer(net, x, t, x, t, epochs=2, batch_size=10, progress=False, snapshot_epochs=(0, 2),
                      snapshot_params=("W1", "b1"))
    trainer.train()
    path = trainer.save_snapshots(tmp_path / "run.snapshots.npz")
    loaded = load_snapshots(path)
    assert list(loaded) == [0, 2]
    for epoch in (0, 2):
        assert set(loaded[epoch]) == {"W1", "b1"}
        np.testing.assert_array_equal(loaded[epoch]["W1"], trainer.snapshots[epoch]["W1"])
    assert not np.array_equal(loaded[0]["W1"], loaded[2]["W1"])  # training changed the filters


def test_epochs_are_sorted_numerically(tmp_path):
    arrays = {f"W1@epoch{e}": np.full((1, 1, 2, 2), e, np.float32) for e in (10, 2, 0)}
    path = save_npz(tmp_path / "s.npz", arrays)
    assert list(load_snapshots(path)) == [0, 2, 10]


def test_a_weights_file_is_refused_with_a_clear_message(tmp_path):
    path = save_npz(tmp_path / "weights.npz", {"W1": np.zeros(3)})
    with pytest.raises(ValueError, match="not of the form 'W1@epoch3'"):
        load_snapshots(path)


def test_shipped_snapshots_and_history():
    snapshots = load_pretrained_snapshots()
    assert list(snapshots) == list(range(21))
    for params in snapshots.values():
        assert params["W1"].shape == (30, 1, 5, 5) and params["b1"].shape == (30,)
        assert params["W1"].dtype == np.float32
    history = load_pretrained_history()
    assert len(history["test_acc"]) == 20 and history["test_acc"][-1] > 0.9
    assert "--snapshot-epochs 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20" in history["command"]
    # epoch 0 is the book's initialization: std 0.01; training moved the filters far from it
    assert 0.007 < snapshots[0]["W1"].std() < 0.013
    assert snapshots[20]["W1"].std() > 3 * snapshots[0]["W1"].std()


def test_normalize_filters_scales_each_filter_on_its_own():
    W = np.stack([np.arange(4.0).reshape(1, 2, 2), 10 * np.arange(4.0).reshape(1, 2, 2) - 5, np.full((1, 2, 2), 7.0)])
    out = normalize_filters(W)
    assert out.shape == W.shape
    np.testing.assert_allclose(out[0, 0], [[0, 1 / 3], [2 / 3, 1]])
    np.testing.assert_allclose(out[1], out[0])  # scale and shift do not matter
    np.testing.assert_array_equal(out[2], 0.5)  # a constant filter has no contrast
    with pytest.raises(ValueError, match="4 dimensions"):
        normalize_filters(np.zeros((2, 5, 5)))


def test_first_layer_maps_match_the_layers():
    rng = np.random.default_rng(1)
    W, b = rng.standard_normal((3, 1, 5, 5)), rng.standard_normal(3)
    image = rng.random((28, 28))
    maps = first_layer_maps(W, b, image)
    conv = Convolution(W, b).forward(image[None, None])[0]
    np.testing.assert_allclose(maps["conv"], conv)
    np.testing.assert_allclose(maps["relu"], np.maximum(conv, 0))
    assert maps["pool"].shape == (3, 12, 12)
    np.testing.assert_allclose(maps["pool"][1, 4, 7], maps["relu"][1, 8:10, 14:16].max())
    # an odd size is floored by the pooling: 64 - 5 + 1 = 60 -> 30; 63 - 5 + 1 = 59 -> 29
    assert first_layer_maps(W, b, rng.random((63, 64)))["pool"].shape == (3, 29, 30)


def test_layer_outputs_names_and_final_scores():
    net = SimpleConvNet(input_dim=(1, 12, 12), conv_param={"filter_num": 4, "filter_size": 3},
                        hidden_size=8, output_size=3)
    x = np.random.default_rng(2).random((2, 1, 12, 12), dtype=np.float32)
    outs = layer_outputs(net, x)
    assert [name for name, _ in outs] == ["Convolution1", "Relu1", "Pooling1", "Affine1", "Relu2", "Affine2"]
    assert outs[0][1].shape == (2, 4, 10, 10) and outs[2][1].shape == (2, 4, 5, 5)
    np.testing.assert_allclose(outs[-1][1], net.predict(x))


def test_explorer_images_are_ten_digits_and_a_photo():
    images = explorer_images()
    digits = [label for label, _ in images if label.startswith("digit")]
    assert [label.split()[1] for label in digits] == [str(d) for d in range(10)]
    for label, image in images:
        assert image.dtype == np.float32 and image.ndim == 2
        assert 0 <= image.min() and image.max() <= 1
    assert len(explorer_images(photo=False)) == 10


def test_shipped_snapshots_match_what_the_library_trains(tmp_path, monkeypatch):
    # the first epoch of the script that made them (cnnlib.course.make_snapshots), a second
    # of training: a change that moves training's numbers fails here until the script is
    # run again (float32 round-off between CPUs stays far below the tolerance)
    monkeypatch.setenv("CNNLIB_DATA_DIR", str(tmp_path / "cache"))
    snapshots_path, history_path = train_snapshots(tmp_path, epochs=1)
    ours, shipped = load_snapshots(snapshots_path), load_pretrained_snapshots()
    np.testing.assert_array_equal(ours[0]["W1"], shipped[0]["W1"])   # the same initial weights
    np.testing.assert_allclose(ours[1]["W1"], shipped[1]["W1"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours[1]["b1"], shipped[1]["b1"], rtol=0, atol=1e-5)
    history = json.loads(history_path.read_text())
    assert history["loss"] == pytest.approx(load_pretrained_history()["loss"][:40], abs=1e-4)


def test_filter_evolution_draws_epochs_by_filters():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    snapshots = {e: {"W1": rng.standard_normal((6, 1, 3, 3))} for e in range(4)}
    fig = filter_evolution(snapshots, [4, 1], epochs=[0, 3])
    axes = fig.axes
    assert len(axes) == 4
    assert [ax.get_title() for ax in axes[:2]] == ["filter 4", "filter 1"]
    assert [axes[0].get_ylabel(), axes[2].get_ylabel()] == ["epoch 0", "epoch 3"]
    # row epoch 3, column filter 1: that filter, normalized on its own
    np.testing.assert_allclose(axes[3].images[0].get_array(), normalize_filters(snapshots[3]["W1"][1:2])[0, 0])
    assert len(filter_evolution(snapshots, [0]).axes) == 4  # every epoch by default
    with pytest.raises(ValueError, match=r"no snapshot for epoch\(s\) \[7\]"):
        filter_evolution(snapshots, [0], epochs=[0, 7])
    plt.close("all")
