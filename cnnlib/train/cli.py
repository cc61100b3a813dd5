"""The training command: ``cnnlib-train --model simpleconvnet --epochs 20 --out PATH``
(or ``python -m cnnlib.train ...``).

It prints the data source, a progress line and the final test accuracy, and writes

- ``PATH``: the weights (``.npz``, load with ``model.load_params(PATH)``),
- ``PATH`` with ``.history.json``: the history (loss per iteration, accuracies per epoch),
- ``PATH`` with ``.snapshots.npz``: copies of chosen weights at chosen epochs, if asked,

refusing to overwrite any of them unless ``--force``. Every flag and the output folder are
checked before training starts; a file that appears there during training is kept, and the
finished training is saved beside it under a fresh name (``PATH`` with ``.<time>`` before
``.npz``), said in a warning. A user's mistake (a bad flag, a file that exists, no
data, a diverging loss) is one line of error; a bug in the code keeps its traceback.
"""

import argparse
import itertools
import json
import math
import os
import shlex
import sys
import time
from pathlib import Path


from ..data.download import DataUnavailableError
from ..io import save_text
from ..models import MODELS
from ..optim import OPTIMIZERS
from .trainer import Trainer, TrainingDiverged

__all__ = ["main", "build_parser", "output_paths"]

MAX_SHIFT = 13  # pixels: a 28x28 digit shifted further leaves less than half of itself


def _int_at_least(minimum, maximum=None):
    """An argparse type: an integer in [minimum, maximum]."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            top = f" and <= {maximum}" if maximum is not None else ""
            raise argparse.ArgumentTypeError(f"must be >= {minimum}{top}, got {value}")
        return value
    return parse


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _weight_init(text):
    if text.lower() in ("he", "relu", "xavier", "sigmoid", "tanh"):
        return text.lower()
    try:
        return _positive_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"must be a number > 0 (the book: 0.01), 'he' or 'xavier', "
                                         f"got {text!r}") from None


def build_parser():
    p = argparse.ArgumentParser(prog="cnnlib-train", description="Train a cnnlib network on MNIST "
                                "(also: python -m cnnlib.train).")
    p.add_argument("--model", default="simpleconvnet", choices=sorted(MODELS), help="network (default: %(default)s)")
    p.add_argument("--epochs", type=_int_at_least(0), default=20,
                   help="passes over the training set (default: %(default)s)")
    p.add_argument("--batch-size", type=_int_at_least(1), default=100, help="images per update (default: %(default)s)")
    p.add_argument("--lr", type=_positive_float, default=None,
                   help="learning rate (default: the optimizer's own, 0.001 for adam, 0.01 for sgd)")
    p.add_argument("--optimizer", default="adam", choices=sorted(OPTIMIZERS), help="(default: %(default)s)")
    p.add_argument("--augment", type=_int_at_least(0, MAX_SHIFT), default=0, metavar="K",
                   help=f"shift training images randomly by up to K pixels, 0..{MAX_SHIFT} (default: 0, off)")
    p.add_argument("--weight-init", type=_weight_init, default=None,
                   help="SimpleConvNet's weight_init_std: a number (the book: 0.01), 'he' or 'xavier' (default: 0.01)")
    p.add_argument("--seed", type=_int_at_least(0), default=0,
                   help="seeds weights, shuffling and augmentation (default: 0)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="(default: %(default)s)")
    p.add_argument("--data", default="auto", choices=["auto", "embedded", "download"],
                   help="MNIST source: auto (full set if cached or downloadable, else the embedded "
                        "5,000 digits), embedded or download (default: %(default)s)")
    p.add_argument("--snapshot-epochs", default="", metavar="E1,E2,...",
                   help="save copies of --snapshot-params after these epochs (0 = before training)")
    p.add_argument("--snapshot-params", default="W1", metavar="NAME,...", help="(default: %(default)s)")
    p.add_argument("--out", required=True, type=Path, help="where to write the weights (.npz)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--no-progress", action="store_true", help="no progress line")
    return p


def output_paths(out):
    """The files the command writes for ``--out out``: weights, history, snapshots."""
    stem = out.with_suffix("") if out.suffix == ".npz" else out
    return {"weights": out, "history": stem.with_name(stem.name + ".history.json"),
            "snapshots": stem.with_name(stem.name + ".snapshots.npz")}


def _fresh_paths(paths):
    """``paths`` if none of them exists, else the same files under a name nothing uses yet:
    net.npz -> net.20250101-120000.npz, net.20250101-120000.history.json, ... (-2, -3 added if taken)."""
    if not any(os.path.lexists(p) for p in paths.values()):
        return paths
    out = paths["weights"]
    stem = out.with_suffix("") if out.suffix == ".npz" else out
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in itertools.count(1):
        fresh = output_paths(stem.with_name(f"{stem.name}.{stamp}{f'-{n}' if n > 1 else ''}.npz"))
        fresh = {key: fresh[key] for key in paths}
        if not any(os.path.lexists(p) for p in fresh.values()):
            return fresh


def _epoch_list(text, epochs):
    """``--snapshot-epochs``: comma-separated epochs, each in 0..epochs."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"--snapshot-epochs must be comma-separated integers, got {text!r}") from None
    wrong = [v for v in values if not 0 <= v <= epochs]
    if wrong:
        raise UsageError(f"--snapshot-epochs must lie in 0..{epochs} (--epochs {epochs}), got {wrong}")
    return values


class UsageError(Exception):
    """A flag that does not fit the others (found before training starts)."""


def _check_outputs(paths, force):
    """Before training: the folder exists and is writable, no output is a folder, nothing
    would be overwritten without ``--force``."""
    folder = paths["weights"].parent
    if not folder.is_dir():
        raise UsageError(f"the folder of --out does not exist: {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"the folder of --out is not writable: {folder}")
    folders = [str(p) for p in paths.values() if p.is_dir()]
    if folders:
        raise UsageError(f"--out would write over a folder: {', '.join(folders)}; give a file name such as net.npz")
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not force:
        raise UsageError(f"{', '.join(existing)} already exist(s); pass --force to overwrite")


def run(args, argv=None, written=None):
    """Train as ``args`` say; append each file written to ``written``."""
    from ..data import load_mnist

    written = [] if written is None else written
    snapshot_epochs = _epoch_list(args.snapshot_epochs, args.epochs)
    paths = output_paths(args.out)
    if not snapshot_epochs:
        del paths["snapshots"]
    if args.weight_init is not None and args.model != "simpleconvnet":
        raise UsageError("--weight-init applies to --model simpleconvnet only")
    _check_outputs(paths, args.force)

    data = load_mnist(source=args.data, dtype=args.dtype)
    print(f"data: {data.info}")
    (x_train, t_train), (x_test, t_test) = data
    kwargs = {"rng": args.seed, "dtype": args.dtype}
    if args.weight_init is not None:
        kwargs["weight_init_std"] = args.weight_init
    network = MODELS[args.model](**kwargs)
    snapshot_params = args.snapshot_params.split(",")
    unknown = sorted(set(snapshot_params) - set(network.params)) if snapshot_epochs else []
    if unknown:
        raise UsageError(f"--snapshot-params {unknown} are not parameters of {args.model} "
                         f"(it has {', '.join(network.params)})")
    trainer = Trainer(network, x_train, t_train, x_test, t_test, optimizer=args.optimizer, lr=args.lr,
                      epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, augment_shift=args.augment,
                      snapshot_epochs=snapshot_epochs, snapshot_params=snapshot_params,
                      progress=not args.no_progress)
    start = time.perf_counter()
    history = trainer.train()
    seconds = time.perf_counter() - start
    final = history["test_acc"][-1] if history["test_acc"] else network.accuracy(x_test, t_test)
    print(f"test accuracy: {final:.4f} on {len(x_test):,} test images ({data.info.source}), "
          f"{args.epochs} epochs in {seconds:.1f} s")

    planned = dict(paths)
    if not args.force:  # checked before training, but a file may have appeared since: keep both
        paths = _fresh_paths(paths)
    # (a file that appears in the milliseconds between here and its save is refused, as io refuses any)
    written.append(network.save_params(paths["weights"], overwrite=args.force))
    record = {"command": "cnnlib-train " + shlex.join(sys.argv[1:] if argv is None else argv),
              "model": args.model, "data": str(data.info), "seconds": seconds,
              "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, **history}
    written.append(save_text(paths["history"], json.dumps(record, indent=1), overwrite=args.force))
    if snapshot_epochs:
        written.append(trainer.save_snapshots(paths["snapshots"], overwrite=args.force))
    if paths != planned:
        taken = [str(p) for p in planned.values() if os.path.lexists(p) and p not in written]
        print(f"warning: {', '.join(taken)} appeared during training and {'is' if len(taken) == 1 else 'are'} kept "
              f"(without --force nothing is overwritten): the training is saved under "
              f"{', '.join(map(str, written))} instead", file=sys.stderr)
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def main(argv=None):
    """Run the command; returns the exit status (0, 2 for a user's error, 130 if interrupted)."""
    args = build_parser().parse_args(argv)
    written = []
    try:
        return run(args, argv, written)
    # a user's mistake, or what the situation causes: no data, a file system that refuses,
    # a diverging loss (DataUnavailableError is an OSError; named for the reader)
    except (UsageError, DataUnavailableError, OSError, TrainingDiverged) as err:
        print("error: " + str(err).replace("pass overwrite=True", "pass --force"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        done = ", ".join(str(p) for p in written) if written else "nothing"
        print(f"interrupted: wrote {done}", file=sys.stderr)
        return 130
