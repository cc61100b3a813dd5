"""Training: a ``Trainer`` that shows what is happening, and checkpoints to resume.

Each epoch visits every training image once, in a new random order (the book samples
mini-batches with replacement, so some images are seen twice and others never). At the
end of each epoch the accuracy is measured on the *whole* training and test sets.

Run ``python -m cnnlib.train --help`` (or ``cnnlib-train --help``) for the command line (``cli.py``).
"""

import json
import time

import numpy as np

from ..data.augment import random_shift
from ..io import MODEL_KEY, load_npz, model_description, save_npz
from ..layers.loss import _labels
from ..optim import OPTIMIZERS, Optimizer
from .plots import LivePlot
from .progress import Progress

__all__ = ["Trainer", "TrainingDiverged"]


class TrainingDiverged(FloatingPointError):
    """The loss became NaN, infinite, or exploded (see ``Trainer.divergence_factor``)."""


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {name} = {value!r} ({type(value).__name__})")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {name} = {value}")
    return int(value)


def _check_sets(x_train, t_train, x_test, t_test):
    for name, value in (("x_train", x_train), ("t_train", t_train), ("x_test", x_test), ("t_test", t_test)):
        if not isinstance(value, np.ndarray):  # a list breaks later, in batch indexing, without its name
            raise TypeError(f"{name} must be a NumPy array, got a {type(value).__name__}; use {name} = np.asarray({name})")
    for x, t, part in ((x_train, t_train, "train"), (x_test, t_test, "test")):
        if len(x) != len(t):
            raise ValueError(f"x_{part} has {len(x)} images but t_{part} has {len(t)} labels; "
                             f"they must be the same images and labels")
        if len(x) == 0:
            use = "nothing to train on" if part == "train" else "the accuracy at each epoch end needs test images"
            raise ValueError(f"x_{part} is empty (0 images, shape {np.shape(x)}): {use}")


def _check_fit(network, x_train, t_train, x_test, t_test):
    """Before training: the test images have the training images' shape, one image goes through
    the network (it fits; K = its number of scores), and every label is checked as the loss
    will check it (integers in 0..K-1, or one-hot)."""
    if x_test.shape[1:] != x_train.shape[1:]:
        raise ValueError(f"x_test holds images of shape {x_test.shape[1:]}, but x_train holds {x_train.shape[1:]}: "
                         f"the test images must have the training images' shape")
    if not hasattr(network, "predict"):  # a stand-in network: its loss checks the labels
        return
    try:
        K = np.shape(network.predict(x_train[:1]))[-1]
    except (TypeError, ValueError) as err:
        raise ValueError(f"x_train (images of shape {x_train.shape[1:]}) does not fit the network: {err}") from None
    for name, t in (("t_train", t_train), ("t_test", t_test)):
        _labels(t, len(t), K, name)   # checked as the loss checks them


def _make_optimizer(optimizer, lr):
    if isinstance(optimizer, Optimizer):
        if lr is not None:  # the object's own lr would win, silently
            cls = type(optimizer).__name__
            named = f" or optimizer='{cls.lower()}', lr={lr}" if OPTIMIZERS.get(cls.lower()) is type(optimizer) else ""
            raise TypeError(f"got optimizer={cls}(lr={getattr(optimizer, 'lr', '?')}) and lr={lr}: give the learning "
                            f"rate once, {cls}(lr={lr}){named}")
        return optimizer
    cls = OPTIMIZERS.get(str(optimizer).lower())
    if cls is None:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)} or an Optimizer, got {optimizer!r}")
    return cls(lr=lr) if lr is not None else cls()


def _rng_to_array(rng):
    # the generator's state as JSON text: an .npz stores it without pickle
    return np.array(json.dumps(rng.bit_generator.state))


def _rng_from_array(rng, text):
    rng.bit_generator.state = json.loads(str(text))


def _loss_and_gradient(network, x, t):
    """(loss, grads) at the current weights: one pass for cnnlib's networks, which have
    ``loss_and_gradient``; ``gradient(x, t)`` then ``loss(x, t)`` for any other network
    with the book's API (the book's Trainer asks for the loss after the update instead)."""
    if hasattr(network, "loss_and_gradient"):
        return network.loss_and_gradient(x, t)
    grads = network.gradient(x, t)
    return network.loss(x, t), grads


def _check_api(network):
    needed = ("params", "accuracy") + (() if hasattr(network, "loss_and_gradient") else ("gradient", "loss"))
    missing = [name for name in needed if not hasattr(network, name)]
    if missing:
        raise TypeError(f"the Trainer needs a network with the book's API (params, gradient(x, t), "
                        f"loss(x, t), accuracy(x, t)); {type(network).__name__} has no {', '.join(missing)}")


class Trainer:
    """Mini-batch training of a network with the book's API (``params``, ``gradient``, ``loss``, ``accuracy``).

    Args:
        network: e.g. :class:`cnnlib.SimpleConvNet`, or any object with the book's API:
            ``params`` (dict of arrays the optimizer updates in place), ``gradient(x, t)``
            (dict keyed like ``params``), ``loss(x, t)`` and ``accuracy(x, t)``, such as
            the book's own ``SimpleConvNet``. Checkpoints need a cnnlib network.
        x_train, t_train: training images (N, C, H, W) and labels (N,) or one-hot.
        x_test, t_test: test images and labels, evaluated in full at each epoch end.
        optimizer: ``"adam"``, ``"sgd"``, ``"momentum"``, ``"adagrad"`` or an optimizer object.
        lr: learning rate (None: the optimizer's default, 0.001 for Adam); with an optimizer
            object, give it to the object (``SGD(lr=0.1)``): both is a ``TypeError``.
        epochs: total number of epochs ``train()`` runs to.
        batch_size: images per update.
        seed: seeds the shuffling and augmentation: the same seed gives the same history.
        augment_shift: if > 0, shift each training image by up to this many pixels.
        snapshot_epochs: epochs (0 = before training) after which copies of
            ``snapshot_params`` are kept in ``self.snapshots[epoch][name]``.
        snapshot_params: names in ``network.params`` to snapshot (default ``("W1",)``).
        progress: show the progress as one line updated in place (see ``progress.py``): a
            display in notebooks, a ``\\r`` line on stderr in terminals; False shows nothing.
        live_plot: in a notebook, redraw the learning curves in place after each epoch.

    ``history``: ``loss`` (one value per iteration), ``train_acc`` and ``test_acc`` (one per
    epoch), ``epoch_time`` (seconds per epoch).

    Every argument is checked first (``TypeError``/``ValueError`` naming it and the numbers):
    non-empty NumPy arrays with as many labels as images, test images of the training images'
    shape that fit the network, labels in 0..K-1 (K: the network's outputs), integer
    ``batch_size`` >= 1, ``epochs`` >= 0, ``augment_shift`` below the image size, ``snapshot_epochs`` >= 0.
    ``train()`` raises :class:`TrainingDiverged` (naming the iteration and the learning rate)
    when a loss is NaN or infinite, or above ``divergence_factor`` (1,000) times
    max(the first loss, 1): a loss that explodes to 1e22 is not a loss that improves.
    """

    def __init__(self, network, x_train, t_train, x_test, t_test, optimizer="adam", lr=None, epochs=20,
                 batch_size=100, seed=0, augment_shift=0, snapshot_epochs=(), snapshot_params=("W1",),
                 progress=True, live_plot=False):
        _check_api(network)
        _check_sets(x_train, t_train, x_test, t_test)
        batch_size, epochs = _check_int("batch_size", batch_size, 1), _check_int("epochs", epochs, 0)
        augment_shift = _check_int("augment_shift", augment_shift, 0)
        if augment_shift:
            shape = np.shape(x_train)
            if len(shape) != 4 or augment_shift >= min(shape[2:]):
                raise ValueError(f"augment_shift = {augment_shift} needs images (N, C, H, W) larger than the shift; "
                                 f"x_train has shape {shape}: use augment_shift < min(H, W)")
        _check_fit(network, x_train, t_train, x_test, t_test)
        # epochs after the last are allowed: a resumed or extended training reaches them
        snapshot_epochs = [_check_int("snapshot_epochs", e, 0) for e in snapshot_epochs]
        unknown = set(snapshot_params) - set(network.params)
        if snapshot_epochs and unknown:
            raise ValueError(f"snapshot_params {sorted(unknown)} are not parameters of the network "
                             f"(it has {list(network.params)})")
        self.network = network
        self.x_train, self.t_train, self.x_test, self.t_test = x_train, t_train, x_test, t_test
        self.optimizer = _make_optimizer(optimizer, lr)
        self.epochs, self.batch_size, self.augment_shift = epochs, batch_size, augment_shift
        self.rng = np.random.default_rng(seed)
        self.snapshot_epochs, self.snapshot_params = sorted(set(snapshot_epochs)), tuple(snapshot_params)
        self.progress, self.live_plot = progress, live_plot
        self.divergence_factor = 1e3  # a loss above this many times max(first loss, 1) has diverged
        self.epoch = 0  # epochs completed
        self.history = {"loss": [], "train_acc": [], "test_acc": [], "epoch_time": []}
        self.snapshots = {}
        self._take_snapshot()

    @property
    def iters_per_epoch(self):
        return -(-len(self.x_train) // self.batch_size)  # ceil: the last batch may be smaller

    def _take_snapshot(self):
        if self.epoch in self.snapshot_epochs:
            params = self.network.params
            self.snapshots[self.epoch] = {name: params[name].copy() for name in self.snapshot_params}

    def train(self):
        """Train until ``self.epochs`` epochs are done; return ``self.history``."""
        remaining = self.epochs - self.epoch
        progress = Progress(self.epochs, remaining * self.iters_per_epoch,
                            enabled=bool(self.progress) and remaining > 0)
        plot = LivePlot() if self.live_plot else None
        try:
            for _ in range(remaining):
                self.train_epoch(progress)
                if plot:
                    plot.update(self.history, self.iters_per_epoch)
        finally:
            progress.close()
        return self.history

    def train_epoch(self, progress=None):
        """One pass over the training set in random order, then evaluation."""
        start = time.perf_counter()
        order = self.rng.permutation(len(self.x_train))
        for i in range(0, len(order), self.batch_size):
            batch = order[i:i + self.batch_size]
            x = self.x_train[batch]
            if self.augment_shift:
                x = random_shift(x, self.augment_shift, self.rng)
            loss, grads = _loss_and_gradient(self.network, x, self.t_train[batch])
            self._check_divergence(loss, i // self.batch_size + 1)
            self.optimizer.update(self.network.params, grads)
            self.history["loss"].append(loss)
            if progress is not None:
                progress.batch(self.epoch + 1, loss)
        self.epoch += 1
        self.history["train_acc"].append(self.network.accuracy(self.x_train, self.t_train))
        self.history["test_acc"].append(self.network.accuracy(self.x_test, self.t_test))
        self.history["epoch_time"].append(time.perf_counter() - start)
        self._take_snapshot()
        if progress is not None:
            progress.epoch_end(self.history["train_acc"][-1], self.history["test_acc"][-1])

    def _check_divergence(self, loss, iteration):
        # NaN and inf are plain; an explosion is measured against the first loss of the training
        first = self.history["loss"][0] if self.history["loss"] else loss
        limit = self.divergence_factor * max(abs(float(first)), 1.0)
        if np.isfinite(loss) and loss <= limit:
            return
        lr = self.optimizer.lr
        why = "" if not np.isfinite(loss) else (f", more than {self.divergence_factor:g} times max(the first "
                                                f"loss {first:.4g}, 1) = {limit:.4g}")
        raise TrainingDiverged(
            f"the loss became {loss:.4g} at epoch {self.epoch + 1}, iteration {iteration}{why}: the training "
            f"diverged; the learning rate lr={lr} is probably too high; try lr={lr / 10:g}")

    # -- checkpoints ---------------------------------------------------------------

    def checkpoint(self):
        """Everything needed to resume, as a flat dict of arrays (no pickles)."""
        arrays = {f"param/{k}": v for k, v in {**self.network.params, **self.network.buffers}.items()}
        # which network: load_checkpoint (through set_params) refuses another one
        arrays[f"param/{MODEL_KEY}"] = np.array(json.dumps(model_description(self.network)))
        arrays.update({f"optim/{k}": v for k, v in self.optimizer.state_dict().items()})
        arrays.update({f"history/{k}": np.array(v, dtype=np.float64) for k, v in self.history.items()})
        for epoch, params in self.snapshots.items():
            arrays.update({f"snapshot/{epoch}/{name}": value for name, value in params.items()})
        arrays["epoch"] = np.array(self.epoch)
        arrays["optimizer"] = np.array(type(self.optimizer).__name__)
        arrays["rng"] = _rng_to_array(self.rng)
        for i, layer in enumerate(self.network.layers):
            if hasattr(layer, "rng"):  # dropout masks must continue the same random sequence
                arrays[f"layer_rng/{i}"] = _rng_to_array(layer.rng)
        return arrays

    def save_checkpoint(self, path, overwrite=False):
        """Write :meth:`checkpoint` to ``path`` atomically (``FileExistsError`` unless ``overwrite``)."""
        return save_npz(path, self.checkpoint(), overwrite=overwrite)

    def load_checkpoint(self, path):
        """Restore weights, optimizer state, epoch, history, snapshots and random state from ``path``."""
        data = load_npz(path)
        missing = [key for key in ("epoch", "optimizer", "rng") if key not in data]
        if missing and MODEL_KEY in data:
            raise ValueError(f"{path} is a weights file (written by save_params), not a checkpoint: load it with "
                             f"network.load_params({str(path)!r}); a checkpoint (save_checkpoint) also holds the "
                             f"optimizer state, the epoch and the history")
        if missing:
            raise ValueError(f"{path} is not a checkpoint written by Trainer.save_checkpoint: it has no "
                             f"{', '.join(map(repr, missing))} entries (it has {', '.join(list(data)[:8]) or 'none'})")
        name = str(data["optimizer"])
        if name != type(self.optimizer).__name__:
            raise ValueError(f"{path} was saved with optimizer {name}, but this trainer uses "
                             f"{type(self.optimizer).__name__}")
        self.network.set_params({k[6:]: v for k, v in data.items() if k.startswith("param/")}, source=str(path))
        self.optimizer.load_state_dict({k[6:]: v for k, v in data.items() if k.startswith("optim/")})
        self.epoch = int(data["epoch"])
        self.history = {k[8:]: v.tolist() for k, v in data.items() if k.startswith("history/")}
        self.snapshots = {}
        for key, value in data.items():
            if key.startswith("snapshot/"):
                _, epoch, pname = key.split("/", 2)
                self.snapshots.setdefault(int(epoch), {})[pname] = value
        _rng_from_array(self.rng, data["rng"])
        for i, layer in enumerate(self.network.layers):
            if f"layer_rng/{i}" in data:
                _rng_from_array(layer.rng, data[f"layer_rng/{i}"])

    def save_snapshots(self, path, overwrite=False):
        """Save the snapshots as ``.npz`` with keys like ``"W1@epoch3"`` (see :func:`load_snapshots`)."""
        arrays = {f"{name}@epoch{epoch}": value for epoch, params in self.snapshots.items()
                  for name, value in params.items()}
        return save_npz(path, arrays, overwrite=overwrite)
