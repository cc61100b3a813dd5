"""Two widgets for trained networks: the learned-filter explorer and single-image inference.

The logic is in plain functions, testable without a browser:

- :func:`filter_view` -> the arrays and the text the filter explorer shows;
- :func:`predict_one`, :func:`prediction_text` -> class probabilities of one image, and
  the line "Prediction: 7 (p = 0.98), true label: 7";
- :func:`filter_explorer` -> sliders "epoch", "filter", "image" over weight snapshots
  (by default the shipped ones of :func:`cnnlib.course.filters.load_pretrained_snapshots`;
  ``.add_run`` adds a student's own run to its "weights" menu);
- :func:`prediction_explorer` -> a slider "image" and an index box over a test set.

Each widget shows its text and a PNG figure in one ``ipywidgets.Output``; moving a
slider replaces both. The figure is drawn once and only its image data changes, so a
redraw takes a few tens of milliseconds.
"""

import base64
import io

import numpy as np

from .filters import explorer_images, first_layer_maps, load_pretrained_snapshots, normalize_filters
from ..layers import softmax

__all__ = ["filter_view", "filter_text", "filter_figure", "filter_explorer", "predict_one", "prediction_text",
           "prediction_explorer", "load_pretrained_snapshots"]


# --- pure logic ------------------------------------------------------------------------

def filter_text(index, epoch, image_label, maps):
    """Two lines: 'filter 3, epoch 5', then the image and the range of the response."""
    conv, relu = maps["conv"], maps["relu"]
    active = 100 * np.mean(relu > 0)
    return (f"filter {index}, epoch {epoch}\n{image_label}: response from {conv.min():.2f} to {conv.max():.2f}, "
            f"positive (kept by ReLU) at {active:.0f}% of the positions")


def filter_view(snapshots, epoch, index, image, image_label="image", weight="W1", bias="b1"):
    """What the explorer shows for one filter at one epoch on one image.

    Args:
        snapshots: ``{epoch: {name: array}}`` (``Trainer.snapshots`` or
            :func:`cnnlib.course.filters.load_snapshots`); ``weight`` (FN, C, FH, FW) is
            required, ``bias`` (FN,) is used when present (else zero).
        epoch: a key of ``snapshots``; index: filter number 0..FN-1.
        image: (H, W) or (C, H, W) with C matching the filters.

    Returns:
        dict: ``"filter"`` (FH, FW) normalized to [0, 1] (channels averaged when C > 1),
        ``"conv"``, ``"relu"`` (OH, OW), ``"pool"`` (OH // 2, OW // 2), ``"text"`` (str).
    """
    if epoch not in snapshots:
        raise ValueError(f"no snapshot for epoch {epoch}; the snapshots have epochs {sorted(snapshots)}")
    W = snapshots[epoch][weight]
    FN = W.shape[0]
    if not 0 <= index < FN:
        raise ValueError(f"filter index must be in 0..{FN - 1}, got {index}")
    b = snapshots[epoch].get(bias, np.zeros(FN, W.dtype))
    maps = first_layer_maps(W[index:index + 1], b[index:index + 1], image)
    maps = {name: m[0] for name, m in maps.items()}
    return {"filter": normalize_filters(W[index:index + 1])[0].mean(axis=0), **maps,
            "text": filter_text(index, epoch, image_label, maps)}


def predict_one(network, x):
    """Class probabilities of one image.

    Args:
        network: a trained :class:`cnnlib.Sequential`.
        x: one image (C, H, W).

    Returns:
        float64 array (K,): softmax of the network's scores in inference mode.
    """
    scores = network.predict(np.asarray(x)[None], train=False)
    return softmax(scores.astype(np.float64))[0]


def prediction_text(probs, label=None, label_names=None):
    """'Prediction: 7 (p = 0.98), true label: 7' for probabilities (K,) and the true label."""
    names = label_names or [str(k) for k in range(len(probs))]
    k = int(np.argmax(probs))
    text = f"Prediction: {names[k]} (p = {probs[k]:.2f})"
    if label is not None:
        text += f", true label: {names[int(label)]}"
    return text


# --- figures as PNG outputs --------------------------------------------------------------

def _png_output(fig, text_plain):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"), "text/plain": text_plain}}


def _text_output(text):
    return {"output_type": "stream", "name": "stdout", "text": text + "\n"}


class _FilterFigure:
    """Five panels drawn once; ``draw(view, image)`` only swaps their data."""

    TITLES = ("filter (normalized)", "input image", "response (conv + bias)", "after ReLU", "after 2x2 max pool")

    def __init__(self, dpi=72):
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=(11, 2.6), dpi=dpi, layout="constrained")
        axes = self.fig.subplots(1, 5)
        cmaps = ("gray", "gray", "RdBu_r", "magma", "magma")
        self.images = []
        for ax, title, cmap in zip(axes, self.TITLES, cmaps):
            self.images.append(ax.imshow(np.zeros((2, 2)), cmap=cmap, interpolation="nearest"))
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        self.colorbar = self.fig.colorbar(self.images[2], ax=axes[2], shrink=0.8)

    def draw(self, view, image):
        panels = (view["filter"], image if image.ndim == 2 else image.mean(axis=0),
                  view["conv"], view["relu"], view["pool"])
        limit = max(np.abs(view["conv"]).max(), 1e-6)
        top = max(view["relu"].max(), 1e-6)
        limits = ((0, 1), (0, 1), (-limit, limit), (0, top), (0, top))
        for artist, data, (low, high) in zip(self.images, panels, limits):
            artist.set_data(data)
            artist.set_extent((-0.5, data.shape[1] - 0.5, data.shape[0] - 0.5, -0.5))
            artist.set_clim(low, high)
        return _png_output(self.fig, f"<filter explorer: {view['text'].splitlines()[0]}>")


def _prediction_figure(image, probs, names, label, dpi=72):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 2.4), dpi=dpi, layout="constrained")
    ax_img, ax_bar = fig.subplots(1, 2, width_ratios=(1, 2.2))
    ax_img.imshow(image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0), cmap="gray", vmin=0, vmax=1)
    ax_img.set_axis_off()
    ax_img.set_title(f"true label: {names[int(label)]}" if label is not None else "input", fontsize=9)
    k = int(np.argmax(probs))
    colors = ["#1f77b4"] * len(probs)
    colors[k] = "#2ca02c" if label is None or k == int(label) else "#d62728"
    ax_bar.bar(range(len(probs)), probs, color=colors)
    ax_bar.set_xticks(range(len(probs)), names)
    ax_bar.set_ylim(0, 1)
    ax_bar.set_ylabel("probability")
    ax_bar.set_title(prediction_text(probs, label, names), fontsize=9)
    return _png_output(fig, "<prediction figure>")


# --- widgets -----------------------------------------------------------------------------

def filter_figure(view, image):
    """The explorer's five panels for one :func:`filter_view`, as a new matplotlib Figure
    (for a static notebook or a report; the widget redraws its own figure)."""
    figure = _FilterFigure()
    figure.draw(view, np.asarray(image))
    return figure.fig


def _nearest_snapshot(snapshots, epoch):
    """The latest snapshot epoch <= epoch (or the first one)."""
    before = [e for e in snapshots if e <= epoch]
    return max(before) if before else min(snapshots)


def filter_explorer(snapshots=None, images=None, epoch=None, filter=0, image=0,
                    name="shipped: SimpleConvNet, 20 epochs", weight="W1", bias="b1"):
    """The learned-filter explorer: a "weights" menu and sliders "epoch", "filter", "image".

    Shows the filter (normalized), the input image, the filter's response map (conv +
    bias), the map after ReLU and after 2x2 max pooling, and the text
    "filter 3, epoch 5" with a line about the response.

    Args:
        snapshots: ``{epoch: {"W1": (FN, C, FH, FW), "b1": (FN,)}}``, e.g. ``trainer.snapshots``
            of a run with ``snapshot_params=("W1", "b1")``; None: the shipped snapshots of
            SimpleConvNet, one per epoch 0..20 (opens instantly, no training needed).
        images: list of ``(label, image (H, W))``; None: :func:`cnnlib.course.filters.explorer_images`.
        epoch: first epoch shown (default: the last snapshot); filter, image: first indices.
        name: the menu entry of these snapshots.

    Returns:
        ``ipywidgets.VBox`` with ``.sliders`` (dict "epoch", "filter", "image"), ``.runs``
        (the menu), ``.output`` (the ``Output`` widget holding the text and the PNG) and
        ``.add_run(name, snapshots)``, which adds another run to the menu and shows it.
        The epoch slider covers every epoch from the first snapshot to the last; at an
        epoch without a snapshot the latest earlier one is shown, and the text says so.
    """
    import ipywidgets as widgets

    snapshots = load_pretrained_snapshots() if snapshots is None else snapshots
    images = explorer_images() if images is None else images
    if not snapshots or not images:
        raise ValueError("filter_explorer needs at least one snapshot and one image")
    runs = {name: snapshots}
    layout = widgets.Layout(width="420px")
    menu = widgets.Dropdown(options=[name], value=name, description="weights", layout=layout)
    sliders = {
        "epoch": widgets.IntSlider(description="epoch", continuous_update=False, layout=layout),
        "filter": widgets.IntSlider(value=0, min=0, max=1, description="filter", continuous_update=False,
                                    layout=layout),
        "image": widgets.IntSlider(value=image, min=0, max=len(images) - 1, description="image",
                                   continuous_update=False, layout=layout),
    }
    output = widgets.Output()
    output.add_class("filter-explorer-output")
    figure = _FilterFigure()
    state = {"quiet": False}

    def update(change=None):
        if state["quiet"]:
            return
        run = runs[menu.value]
        label, picture = images[sliders["image"].value]
        asked = sliders["epoch"].value
        shown = _nearest_snapshot(run, asked)
        view = filter_view(run, shown, sliders["filter"].value, picture, label, weight, bias)
        if shown != asked:
            first, rest = view["text"].split("\n", 1)
            view["text"] = (first.replace(f"epoch {shown}", f"epoch {asked}")
                            + f" (no snapshot at epoch {asked}: showing epoch {shown})\n{rest}")
        output.outputs = (_text_output(view["text"]), figure.draw(view, picture))

    def configure(change=None, epoch=None, index=None):
        """Fit the epoch and filter sliders to the selected run, then redraw once."""
        run = runs[menu.value]
        epochs = sorted(run)
        FN = run[epochs[0]][weight].shape[0]
        state["quiet"] = True
        e, f = sliders["epoch"], sliders["filter"]
        e.min, e.max = min(e.min, epochs[0]), max(e.max, epochs[-1])  # widen first: min <= max always
        e.value = epochs[-1] if epoch is None else epoch
        e.min, e.max = epochs[0], epochs[-1]
        f.max = max(f.max, FN - 1)
        f.value = min(f.value if index is None else index, FN - 1)
        f.max = FN - 1
        state["quiet"] = False
        update()

    def add_run(run_name, run_snapshots):
        if not run_snapshots:
            raise ValueError(f"the run {run_name!r} has no snapshots")
        runs[run_name] = run_snapshots
        menu.options = list(runs)
        menu.value = run_name  # calls configure

    for slider in sliders.values():
        slider.observe(update, names="value")
    menu.observe(configure, names="value")
    configure(epoch=epoch, index=filter)
    box = widgets.VBox([menu, *sliders.values(), output])
    box.sliders, box.runs, box.output, box.add_run = sliders, menu, output, add_run
    return box


def prediction_explorer(network, x, t=None, index=0, label_names=None):
    """Single-image inference: pick a test image, see the prediction and the probabilities.

    Args:
        network: a trained :class:`cnnlib.Sequential`.
        x: images (N, C, H, W) in [0, 1]; t: labels (N,) or None.
        index: first image shown.
        label_names: class names (default "0", "1", ...).

    Returns:
        ``ipywidgets.VBox`` with ``.slider`` (IntSlider "image"), ``.index_box`` (linked
        ``BoundedIntText``) and ``.output``: the text "test image 12 of 1,000" and
        "Prediction: 7 (p = 0.98), true label: 7", and the image with its probability bars.
    """
    import ipywidgets as widgets

    N = len(x)
    slider = widgets.IntSlider(value=index, min=0, max=N - 1, description="image", continuous_update=False,
                               layout=widgets.Layout(width="420px"))
    index_box = widgets.BoundedIntText(value=index, min=0, max=N - 1, description="index",
                                       layout=widgets.Layout(width="160px"))
    widgets.link((slider, "value"), (index_box, "value"))
    output = widgets.Output()
    output.add_class("prediction-explorer-output")

    def update(change=None):
        i = slider.value
        probs = predict_one(network, x[i])
        label = None if t is None else int(t[i])
        names = label_names or [str(k) for k in range(len(probs))]
        text = f"test image {i} of {N:,}\n{prediction_text(probs, label, names)}"
        output.outputs = (_text_output(text), _prediction_figure(np.asarray(x[i]), probs, names, label))

    slider.observe(update, names="value")
    update()
    box = widgets.VBox([widgets.HBox([slider, index_box]), output])
    box.slider, box.index_box, box.output = slider, index_box, output
    return box
