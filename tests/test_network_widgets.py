"""The learned-filter explorer and the single-image inference widget, driven by slider values."""


import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from cnnlib import SimpleConvNet  # noqa: E402
from cnnlib.course.filters import explorer_images, first_layer_maps, load_pretrained_snapshots  # noqa: E402
from cnnlib.course.network_widgets import (filter_explorer, filter_view, predict_one, prediction_explorer,  # noqa: E402
                                    prediction_text)

widgets = pytest.importorskip("ipywidgets")


def text_of(box):
    return box.output.outputs[0]["text"]


def png_of(box):
    return box.output.outputs[1]["data"]["image/png"]


# --- pure logic ----------------------------------------------------------------------------

def test_filter_view_shows_one_filter_of_one_epoch():
    snapshots = load_pretrained_snapshots()
    label, image = explorer_images(photo=False)[7]
    view = filter_view(snapshots, 5, 3, image, label)
    assert view["text"].splitlines()[0] == "filter 3, epoch 5"
    assert label in view["text"]
    maps = first_layer_maps(snapshots[5]["W1"], snapshots[5]["b1"], image)
    np.testing.assert_allclose(view["conv"], maps["conv"][3], rtol=1e-6)
    np.testing.assert_allclose(view["pool"], maps["pool"][3], rtol=1e-6)
    assert view["filter"].shape == (5, 5) and view["filter"].min() == 0 and view["filter"].max() == 1


def test_filter_view_explains_bad_epoch_and_index():
    snapshots = load_pretrained_snapshots()
    image = np.zeros((28, 28), np.float32)
    with pytest.raises(ValueError, match=r"no snapshot for epoch 4; the snapshots have epochs \[0, 1, 2, 3, 5"):
        filter_view({e: snapshots[e] for e in (0, 1, 2, 3, 5, 10, 20)}, 4, 0, image)
    with pytest.raises(ValueError, match=r"filter index must be in 0..29, got 30"):
        filter_view(snapshots, 5, 30, image)


def test_filter_view_without_bias_uses_zero():
    W = np.zeros((2, 1, 3, 3))
    W[1, 0, 1, 1] = 2.0  # doubles the centre pixel
    image = np.arange(25.0).reshape(5, 5)
    view = filter_view({0: {"W1": W}}, 0, 1, image)
    np.testing.assert_allclose(view["conv"], 2 * image[1:4, 1:4])


def test_prediction_text_and_probabilities():
    assert prediction_text(np.array([0.01, 0.01, 0.98]), 2) == "Prediction: 2 (p = 0.98), true label: 2"
    assert prediction_text(np.array([0.7, 0.3]), label_names=["cat", "dog"]) == "Prediction: cat (p = 0.70)"
    net = SimpleConvNet(input_dim=(1, 12, 12), conv_param={"filter_num": 4, "filter_size": 3},
                        hidden_size=8, output_size=3)
    x = np.random.default_rng(0).random((1, 12, 12), dtype=np.float32)
    probs = predict_one(net, x)
    assert probs.shape == (3,) and np.isclose(probs.sum(), 1)
    assert probs.argmax() == net.predict(x[None]).argmax()


# --- the widgets, without a browser ---------------------------------------------------------

def test_filter_explorer_opens_on_the_shipped_snapshots_and_redraws():
    box = filter_explorer()
    sliders = box.sliders
    assert [s.description for s in sliders.values()] == ["epoch", "filter", "image"]
    assert (sliders["epoch"].min, sliders["epoch"].max, sliders["filter"].max) == (0, 20, 29)
    assert text_of(box).startswith("filter 0, epoch 20\n")
    before = png_of(box)
    sliders["filter"].value = 3
    sliders["epoch"].value = 5
    assert text_of(box).startswith("filter 3, epoch 5\n")
    after = png_of(box)
    assert after != before
    sliders["image"].value = 10  # the photo
    assert "photo" in text_of(box) and png_of(box) != after


def test_filter_explorer_redraws_from_memory(monkeypatch):
    # what keeps a redraw quick: the snapshots are read once, when the explorer is made;
    # moving a slider reads no file and trains nothing
    box = filter_explorer()

    def refuse(*args, **kwargs):
        raise AssertionError("a slider move read a file")

    monkeypatch.setattr(np, "load", refuse)
    before = png_of(box)
    for value in (1, 2, 3):
        box.sliders["filter"].value = value
    assert text_of(box).startswith("filter 3,") and png_of(box) != before


def students_run(epochs=(0, 1, 2), FN=6, seed=0):
    rng = np.random.default_rng(seed)
    return {e: {"W1": rng.standard_normal((FN, 1, 3, 3)).astype(np.float32), "b1": np.zeros(FN, np.float32)}
            for e in epochs}


def test_filter_explorer_works_on_a_students_run():
    rng = np.random.default_rng(0)
    images = [("noise", rng.random((12, 12), dtype=np.float32)), ("ones", np.ones((12, 12), np.float32))]
    box = filter_explorer(students_run(), images, epoch=1, filter=5, image=1, name="mine")
    assert box.sliders["filter"].max == 5 and box.sliders["image"].max == 1
    assert text_of(box).startswith("filter 5, epoch 1\nones")
    box.sliders["epoch"].value = 2
    assert text_of(box).startswith("filter 5, epoch 2\n")


def test_an_epoch_without_snapshot_shows_the_previous_one_and_says_so():
    box = filter_explorer(students_run(epochs=(0, 1, 5)), [("ones", np.ones((12, 12), np.float32))])
    assert (box.sliders["epoch"].min, box.sliders["epoch"].max, box.sliders["epoch"].value) == (0, 5, 5)
    box.sliders["epoch"].value = 3
    first_line = text_of(box).splitlines()[0]
    assert first_line == "filter 0, epoch 3 (no snapshot at epoch 3: showing epoch 1)"


def test_add_run_switches_the_explorer_to_the_new_run_and_back():
    box = filter_explorer()  # shipped: 30 filters, epochs 0..20
    box.sliders["filter"].value = 12
    box.add_run("your run", students_run(epochs=(0, 1), FN=6))
    assert list(box.runs.options) == ["shipped: SimpleConvNet, 20 epochs", "your run"]
    assert box.runs.value == "your run"
    assert (box.sliders["epoch"].min, box.sliders["epoch"].max, box.sliders["epoch"].value) == (0, 1, 1)
    assert box.sliders["filter"].max == 5 and box.sliders["filter"].value == 5  # clamped
    assert text_of(box).startswith("filter 5, epoch 1\n")
    box.runs.value = "shipped: SimpleConvNet, 20 epochs"
    assert (box.sliders["epoch"].max, box.sliders["filter"].max) == (20, 29)
    assert text_of(box).startswith("filter 5, epoch 20\n")
    with pytest.raises(ValueError, match="has no snapshots"):
        box.add_run("empty", {})


def test_prediction_explorer_text_follows_the_slider_and_the_index_box():
    rng = np.random.default_rng(0)
    net = SimpleConvNet(input_dim=(1, 12, 12), conv_param={"filter_num": 4, "filter_size": 3},
                        hidden_size=8, output_size=3)
    x = rng.random((5, 1, 12, 12), dtype=np.float32)
    t = np.array([0, 1, 2, 0, 1])
    box = prediction_explorer(net, x, t)
    assert box.slider.description == "image"
    expected = [f"test image {i} of 5\n" + prediction_text(predict_one(net, x[i]), t[i]) for i in range(5)]
    assert text_of(box).strip() == expected[0]
    before = png_of(box)
    box.slider.value = 2
    assert text_of(box).strip() == expected[2] and box.index_box.value == 2
    assert png_of(box) != before
    box.index_box.value = 4
    assert box.slider.value == 4 and text_of(box).strip() == expected[4]
    assert text_of(box).splitlines()[1].startswith("Prediction: ") and ", true label: 1" in text_of(box)
