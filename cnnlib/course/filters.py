"""What the first layer of a trained CNN has learned: its filters and their responses.

Pure functions (no widgets) used by notebook 06 and the learned-filter explorer in
:mod:`cnnlib.course.network_widgets`:

- :func:`load_snapshots`             the ``.snapshots.npz`` of the training command
                                     (keys ``"W1@epoch3"``) -> ``{epoch: {name: array}}``
- :func:`load_pretrained_snapshots`  the snapshots shipped in ``cnnlib/course/pretrained/``
- :func:`normalize_filters`          each filter scaled to [0, 1] on its own (the book's figure)
- :func:`filter_evolution`           a grid of snapshots: rows epochs, columns the same filters
- :func:`first_layer_maps`           one image through conv -> ReLU -> max pool
- :func:`layer_outputs`              the output of every layer of a network, for one batch
- :func:`explorer_images`            the explorer's inputs: ten digits and a photo

Shapes follow the course: filters ``(FN, C, FH, FW)``, biases ``(FN,)``, one image
``(H, W)`` or ``(C, H, W)``, feature maps ``(FN, OH, OW)``.
"""

import json
import re
from pathlib import Path

import numpy as np

from ..io import load_npz
from ..layers import Convolution, Pooling, Relu

__all__ = ["load_snapshots", "load_pretrained_snapshots", "load_pretrained_history", "normalize_filters",
           "filter_evolution", "first_layer_maps", "layer_outputs", "explorer_images", "PRETRAINED_DIR", "PRETRAINED_SNAPSHOTS"]

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
PRETRAINED_SNAPSHOTS = PRETRAINED_DIR / "simpleconvnet_mnist.snapshots.npz"
PRETRAINED_HISTORY = PRETRAINED_DIR / "simpleconvnet_mnist.history.json"
PRETRAINED_DIGITS = PRETRAINED_DIR / "digits.npz"
_KEY = re.compile(r"^(?P<name>\w+)@epoch(?P<epoch>\d+)$")


def load_snapshots(path):
    """Read a snapshots file written by ``Trainer.save_snapshots`` (or ``--snapshot-epochs``).

    Args:
        path: ``.npz`` file with keys ``"<name>@epoch<E>"``, e.g. ``"W1@epoch3"``.

    Returns:
        dict ``{epoch: {name: array}}`` with the epochs in increasing order, the same
        structure as ``Trainer.snapshots``.

    Raises:
        ValueError: a key that does not look like ``"W1@epoch3"``.
    """
    snapshots = {}
    for key, value in load_npz(path).items():
        match = _KEY.match(key)
        if match is None:
            raise ValueError(f"{path}: key {key!r} is not of the form 'W1@epoch3'; "
                             f"is this a snapshots file (PATH.snapshots.npz)?")
        snapshots.setdefault(int(match["epoch"]), {})[match["name"]] = value
    return dict(sorted(snapshots.items()))


def load_pretrained_snapshots():
    """The shipped first-layer snapshots of SimpleConvNet (``W1`` (30, 1, 5, 5), ``b1`` (30,))
    after every epoch 0..20 (0: before training); ``cnnlib/course/pretrained/README.md`` has the command."""
    return load_snapshots(PRETRAINED_SNAPSHOTS)


def load_pretrained_history():
    """The training command's record for the shipped snapshots: ``command``, ``data``,
    ``loss`` (per iteration), ``train_acc``, ``test_acc`` (per epoch), ..."""
    return json.loads(PRETRAINED_HISTORY.read_text(encoding="utf-8"))


def normalize_filters(W):
    """Scale each filter to [0, 1] on its own: ``(w - w.min()) / (w.max() - w.min())``.

    Args:
        W: filters (FN, C, FH, FW); min and max are taken over each filter's C*FH*FW values.

    Returns:
        float64 array (FN, C, FH, FW). A constant filter (no contrast) becomes 0.5.
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 4:
        raise ValueError(f"W must have 4 dimensions (FN, C, FH, FW), got shape {W.shape}")
    low = W.min(axis=(1, 2, 3), keepdims=True)
    spread = W.max(axis=(1, 2, 3), keepdims=True) - low
    return np.where(spread > 0, (W - low) / np.where(spread > 0, spread, 1), 0.5)


def filter_evolution(snapshots, filters, epochs=None, name="W1", size=1.25):
    """Draw how filters change during training: one row per epoch, one column per filter.

    Args:
        snapshots: ``{epoch: {name: array (FN, 1, FH, FW)}}``, e.g. :func:`load_pretrained_snapshots`
            or a Trainer's ``snapshots``.
        filters: the filter indices, the same in every row (column titles "filter k").
        epochs: the epochs to show, rows top to bottom (default: every snapshot's epoch).
        name: the parameter to draw.
        size: inches per cell.

    Each filter is normalized on its own in each epoch (:func:`normalize_filters`), so a
    row shows the filters' patterns, not their growing size.

    Returns:
        a new matplotlib Figure (not shown); ``fig.axes`` in row-major order.
    """
    import matplotlib.pyplot as plt  # the course's dependency, loaded on use

    filters = [int(k) for k in filters]
    epochs = list(snapshots) if epochs is None else list(epochs)
    missing = [e for e in epochs if e not in snapshots]
    if missing:
        raise ValueError(f"epochs: no snapshot for epoch(s) {missing}; the snapshots hold {list(snapshots)}")
    fig, axes = plt.subplots(len(epochs), len(filters), figsize=(size * len(filters), size * 1.05 * len(epochs)),
                             squeeze=False, layout="constrained")
    for r, epoch in enumerate(epochs):
        images = normalize_filters(np.asarray(snapshots[epoch][name])[filters])[:, 0]
        for c, k in enumerate(filters):
            ax = axes[r, c]
            ax.imshow(images[c], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"filter {k}", fontsize=9)
            if c == 0:
                ax.set_ylabel(f"epoch {epoch}", fontsize=9)
    fig.suptitle("rows: epochs; columns: the same filters", fontsize=11)
    return fig


def first_layer_maps(W, b, image, stride=1, pad=0, pool=2):
    """One image through the first block of SimpleConvNet: convolution, ReLU, max pooling.

    Args:
        W: filters (FN, C, FH, FW); b: biases (FN,).
        image: (H, W) for C = 1, or (C, H, W).
        stride, pad: of the convolution.
        pool: size and stride of the max pooling (2: 2x2 windows, stride 2); sizes that
            do not divide are floored.

    Returns:
        dict of float arrays: ``"conv"`` (FN, OH, OW) = filter responses plus bias,
        ``"relu"`` (FN, OH, OW), ``"pool"`` (FN, OH // pool, OW // pool).
    """
    image = np.asarray(image, dtype=W.dtype)
    x = image[None, None] if image.ndim == 2 else image[None]  # (1, C, H, W)
    conv = Convolution(np.asarray(W), np.asarray(b), stride=stride, pad=pad, strict=False).forward(x)
    relu = Relu().forward(conv)
    pooled = Pooling(pool, pool, pool, strict=False).forward(relu)
    return {"conv": conv[0], "relu": relu[0], "pool": pooled[0]}


def layer_outputs(network, x):
    """Run ``x`` through ``network`` in inference mode, keeping every layer's output.

    Args:
        network: a :class:`cnnlib.Sequential`.
        x: a batch (N, C, H, W).

    Returns:
        list of ``(name, output)`` with names as in :func:`cnnlib.summary`
        ("Convolution1", "Relu1", "Pooling1", "Convolution2", ...).
    """
    outputs, counts = [], {}
    h = np.asarray(x, dtype=network.dtype)
    for layer in network.layers:
        h = layer.forward(h, train=False)
        kind = type(layer).__name__
        counts[kind] = counts.get(kind, 0) + 1
        outputs.append((f"{kind}{counts[kind]}", h))
    return outputs


def explorer_images(photo=True):
    """Inputs for the learned-filter explorer, quick to load.

    Ten MNIST test digits (one of each class, from the embedded split's test set,
    shipped in ``cnnlib/course/pretrained/digits.npz``, CC BY-SA 3.0) and, if ``photo``, a
    64x64 gray crop of the "china" photograph (shipped in ``cnnlib/data/embedded/``).

    Returns:
        list of ``(label, image)`` with ``image`` float32 (H, W) in [0, 1].
    """
    data = load_npz(PRETRAINED_DIGITS)
    images = [(f"digit {int(t)} (test image {int(i)})", x.astype(np.float32) / 255)
              for x, t, i in zip(data["x"], data["t"], data["index"])]
    if photo:
        from ..data import sample_image

        images.append(("photo (china, 64x64 gray)", sample_image("china", gray=True, size=64)))
    return images
