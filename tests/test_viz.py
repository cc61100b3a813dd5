"""Drawing helpers: what they put on the axes, for the cases the notebooks use."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from cnnlib.sizes import size_report  # noqa: E402
from cnnlib.course.viz import draw_matrix, draw_padded_grid, plot_output_size, show_images, to_display  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def rectangles(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_draw_matrix_writes_every_number_and_outlines_windows():
    fig, ax = plt.subplots()
    draw_matrix(ax, np.arange(12).reshape(3, 4), highlight=[(0, 0, 2, 2), (1, 1, 2, 2, "blue")])
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(i) for i in range(12))
    boxes = rectangles(ax)
    assert [(b.get_xy(), b.get_width(), b.get_height()) for b in boxes] == [((-0.5, -0.5), 2, 2), ((0.5, 0.5), 2, 2)]


def test_draw_matrix_vlim_sets_the_colour_scale():
    fig, ax = plt.subplots()
    draw_matrix(ax, np.array([[1.0, -2.0]]), cmap="RdBu_r", vlim=(-3, 3))
    assert ax.images[0].get_clim() == (-3, 3)


def test_draw_matrix_labels_replace_numbers():
    fig, ax = plt.subplots()
    draw_matrix(ax, np.zeros((2, 2)), labels=[["a", "b"], ["c", "d"]])
    assert [t.get_text() for t in ax.texts] == ["a", "b", "c", "d"]


def grid_of(ax):
    return ax.images[0].get_array()


def test_padded_grid_marks_padding_input_and_windows():
    fig, ax = plt.subplots()
    draw_padded_grid(ax, size_report(4, 3, 1, 1), size_report(5, 3, 1, 1))
    grid = grid_of(ax)
    assert grid.shape == (6, 7)
    assert (grid[0] == 0).all() and (grid[:, 0] == 0).all()   # padding
    assert (grid[1:5, 1:6] == 1).all()                          # input, all seen
    first, last = rectangles(ax)[0], rectangles(ax)[2]
    # input pixel (0, 0) sits at (0, 0): the padded corner at (-1, -1)
    assert first.get_xy() == (-1.5, -1.5) and (first.get_width(), first.get_height()) == (3, 3)
    assert last.get_xy() == (2.5, 1.5)  # last start: padded (row 3, col 4) -> input (2, 3)
    assert "never seen" not in [t.get_text() for t in ax.get_legend().get_texts()]


def test_padded_grid_marks_never_seen_rows_and_columns():
    fig, ax = plt.subplots()
    draw_padded_grid(ax, size_report(28, 5, 2, 0), size_report(10, 3, 5, 0))
    grid = grid_of(ax)
    assert (grid[27] == 2).all() and (grid[:27, 8:] == 2).all()
    assert (grid[:27, 3:5] == 2).all()                           # the gap between windows 0-2 and 5-7
    assert (grid[:27, :3] == 1).all() and (grid[:27, 5:8] == 1).all()
    assert "never seen" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_output_size_when_filter_does_not_fit():
    fig = plot_output_size(5, 5, 9, 3, 1, 1)
    ax = fig.axes[0]
    assert "does not fit" in ax.get_title()
    assert grid_of(ax).shape == (7, 7)


def test_plot_output_size_for_large_inputs_skips_cell_lines():
    fig = plot_output_size(64, 64, 3, 3, 0, 1)
    assert len(fig.axes[0].lines) == 0
    fig = plot_output_size(8, 8, 3, 3, 0, 1)
    assert len(fig.axes[0].lines) == 9 + 9


@pytest.mark.parametrize("shape, shown", [((5, 6), (5, 6)), ((1, 5, 6), (5, 6)), ((3, 5, 6), (5, 6, 3))])
def test_to_display(shape, shown):
    assert to_display(np.zeros(shape)).shape == shown


def test_to_display_rejects_other_shapes():
    with pytest.raises(ValueError, match=r"\(H, W\), \(1, H, W\) or \(3, H, W\)"):
        to_display(np.zeros((2, 5, 6)))


def test_show_images_normalizes_each_image():
    rng = np.random.default_rng(0)
    images = [rng.random((4, 4)) * 100 - 50, rng.random((1, 6, 6)) * 0.01]
    fig = show_images(images, titles=["big", "tiny"])
    for ax in fig.axes:
        data = ax.images[0].get_array()
        assert data.min() == pytest.approx(0) and data.max() == pytest.approx(1)
    assert [ax.get_title() for ax in fig.axes] == ["big", "tiny"]


def test_show_images_signed_keeps_zero_in_the_middle():
    fig = show_images(np.array([[[-2.0, 1.0], [0.0, 0.5]]]), signed=True)
    data = fig.axes[0].images[0].get_array()
    assert data.min() == -1 and data.max() == 0.5 and data[1, 0] == 0
    assert fig.axes[0].images[0].get_cmap().name == "RdBu_r"


def test_show_images_signed_per_image():
    fig = show_images([np.ones((2, 2)), -np.ones((2, 2))], signed=[False, True])
    assert [ax.images[0].get_cmap().name for ax in fig.axes] == ["gray", "RdBu_r"]
    assert fig.axes[1].images[0].get_array().min() == -1


def test_show_images_grid_layout_for_a_batch():
    fig = show_images(np.zeros((10, 3, 8, 8)), ncols=4)
    assert len(fig.axes) == 12            # 3 rows of 4, the last two empty
    assert sum(len(ax.images) for ax in fig.axes) == 10


def test_plot_output_size_draws_the_output_grid_and_the_window():
    fig = plot_output_size(8, 8, 3, 5, (0, 1), (3, 4), position=3)
    ax, out_ax = fig.axes
    assert grid_of(ax).shape == (8, 10)                          # pads (0, 1)
    current = [r for r in rectangles(ax) if r.get_edgecolor()[:3] == matplotlib.colors.to_rgb("#2ca02c")]
    assert current and current[0].get_xy() == (3 - 0.5, 3 - 0.5)   # window 3: input rows 3-5, columns 3-7
    out = grid_of(out_ax)
    assert out.shape == (2, 2) and out[1, 1] == 1 and out.sum() == 1
    assert "cell (1, 1)" in out_ax.get_title()


def test_plot_output_size_draws_dilated_taps():
    fig = plot_output_size(7, 7, 3, 3, 0, 1, D=2)
    ax = fig.axes[0]
    taps = [r for r in rectangles(ax) if (r.get_width(), r.get_height()) == (1, 1)]
    assert len(taps) == 3 * 9                                    # first, last and current window, 9 taps each
    assert "dilation 2" in ax.get_title()
    fig = plot_output_size(5, 5, 3, 3, 0, 1, D=3)
    assert "dilated: spans 7×7" in fig.axes[0].get_title() and len(fig.axes) == 1


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_legends_list_padding_only_when_there_is_some():
    fig, ax = plt.subplots()
    draw_padded_grid(ax, size_report(7, 3, 3, 0), size_report(7, 3, 3, 0))
    assert not any(text.startswith("padding") for text in legend_texts(ax))
    assert legend_texts(ax)[:2] == ["input", "never seen"]
    fig, ax = plt.subplots()
    draw_padded_grid(ax, size_report(7, 3, 1, 0), size_report(7, 3, 1, 1))
    assert legend_texts(ax)[0] == "padding (P=(0, 1))"
    assert not any(t.startswith("padding") for t in legend_texts(plot_output_size(5, 5, 9, 3, 0, 1).axes[0]))
    assert "padding (P=1)" in legend_texts(plot_output_size(5, 5, 9, 3, 1, 1).axes[0])
