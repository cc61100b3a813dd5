"""Make the shipped first-layer snapshots (``pretrained/``) with the training command.

    python -m cnnlib.course.make_snapshots           # 20 epochs, about 20 s; replaces the shipped files

It trains the book's SimpleConvNet offline on the 4,000 embedded training digits with the
book's settings (Adam, lr 0.001, batch 100, weights with standard deviation 0.01, seed 0),
keeps ``W1`` and ``b1`` after every epoch, and writes ``simpleconvnet_mnist.snapshots.npz``
and ``simpleconvnet_mnist.history.json``; then ``digits.npz``, the first embedded test
digit of each class. Run it again whenever a change to the library moves training's
float32 rounding: ``tests/test_filters.py`` fails when the shipped first epoch no longer
matches what the library trains.
"""

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..io import save_npz
from ..train.cli import main as train_command
from .filters import PRETRAINED_DIGITS, PRETRAINED_HISTORY, PRETRAINED_SNAPSHOTS

__all__ = ["train_snapshots", "make_digits", "main"]

EPOCHS = 20


def train_snapshots(folder, epochs=EPOCHS):
    """Run the training command into ``folder``; return the paths of its snapshots and history."""
    out = Path(folder) / "simpleconvnet_mnist.npz"
    args = ["--model", "simpleconvnet", "--epochs", str(epochs), "--data", "embedded",
            "--snapshot-epochs", ",".join(str(e) for e in range(epochs + 1)), "--snapshot-params", "W1,b1",
            "--out", str(out), "--no-progress"]
    if train_command(args) != 0:
        raise RuntimeError("the training command failed: see the message above")
    return out.with_suffix(".snapshots.npz"), out.with_suffix(".history.json")


def make_digits(path=PRETRAINED_DIGITS):
    """The first embedded test digit of each class: the filter explorer's inputs."""
    from ..data import load_mnist

    (_, _), (x, t) = load_mnist(source="embedded", normalize=False)
    index = np.array([np.flatnonzero(t == d)[0] for d in range(10)])
    save_npz(path, {"x": x[index, 0], "t": t[index], "index": index}, overwrite=True)


def main():
    with tempfile.TemporaryDirectory() as folder:
        snapshots, history = train_snapshots(folder)
        shutil.copyfile(snapshots, PRETRAINED_SNAPSHOTS)   # the full weights (1.7 MB) are not shipped
        shutil.copyfile(history, PRETRAINED_HISTORY)
    make_digits()
    print(f"wrote {PRETRAINED_SNAPSHOTS}, {PRETRAINED_HISTORY}, {PRETRAINED_DIGITS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
