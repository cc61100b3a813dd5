"""The training command: ``python -m cnnlib.train --model simpleconvnet --epochs 20 --out PATH``.

It prints the data source, a progress bar and the final test accuracy, and writes

- ``PATH``: the weights (``.npz``, load with ``model.load_params(PATH)``),
- ``PATH`` with ``.history.json``: the history (loss per iteration, accuracies per epoch),
- ``PATH`` with ``.snapshots.npz``: copies of chosen weights at chosen epochs, if asked,

refusing to overwrite any of them unless ``--force``. Errors are one line, not a traceback.
"""

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from ..io import save_text
from ..models import MODELS
from ..optim import OPTIMIZERS

__all__ = ["main", "build_parser", "output_paths"]


def build_parser():
    p = argparse.ArgumentParser(prog="python -m cnnlib.train", description="Train a cnnlib network on MNIST.")
    p.add_argument("--model", default="simpleconvnet", choices=sorted(MODELS), help="network (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=20, help="passes over the training set (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=100, help="images per update (default: %(default)s)")
    p.add_argument("--lr", type=float, default=0.001, help="learning rate (default: %(default)s)")
    p.add_argument("--optimizer", default="adam", choices=sorted(OPTIMIZERS), help="(default: %(default)s)")
    p.add_argument("--augment", type=int, default=0, metavar="K",
                   help="shift training images randomly by up to K pixels (default: 0, off)")
    p.add_argument("--weight-init", default=None,
                   help="SimpleConvNet's weight_init_std: a number (the book: 0.01) or 'he' (default: 0.01)")
    p.add_argument("--seed", type=int, default=0, help="seeds weights, shuffling and augmentation (default: 0)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="(default: %(default)s)")
    p.add_argument("--data", default="auto", choices=["auto", "embedded", "download"],
                   help="MNIST source: auto (full set if cached or downloadable, else the embedded "
                        "5,000 digits), embedded or download (default: %(default)s)")
    p.add_argument("--snapshot-epochs", default="", metavar="E1,E2,...",
                   help="save copies of --snapshot-params after these epochs (0 = before training)")
    p.add_argument("--snapshot-params", default="W1", metavar="NAME,...", help="(default: %(default)s)")
    p.add_argument("--out", required=True, type=Path, help="where to write the weights (.npz)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def output_paths(out):
    """The files the command writes for ``--out out``: weights, history, snapshots."""
    stem = out.with_suffix("") if out.suffix == ".npz" else out
    return {"weights": out, "history": stem.with_name(stem.name + ".history.json"),
            "snapshots": stem.with_name(stem.name + ".snapshots.npz")}


def _int_list(text, name):
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{name} must be comma-separated integers, got {text!r}") from None


def run(args, argv=None):
    from ..data import load_mnist
    from .trainer import Trainer

    paths = output_paths(args.out)
    snapshot_epochs = _int_list(args.snapshot_epochs, "--snapshot-epochs")
    wanted = [paths["weights"], paths["history"]] + ([paths["snapshots"]] if snapshot_epochs else [])
    existing = [str(p) for p in wanted if p.exists()]
    if existing and not args.force:
        raise FileExistsError(f"{', '.join(existing)} already exist(s); pass --force to overwrite")
    folder = args.out.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"the folder of --out does not exist: {folder}")

    data = load_mnist(source=args.data, dtype=args.dtype)
    print(f"data: {data.info}")
    (x_train, t_train), (x_test, t_test) = data
    kwargs = {"rng": args.seed, "dtype": args.dtype}
    if args.weight_init is not None:
        if args.model != "simpleconvnet":
            raise ValueError("--weight-init applies to --model simpleconvnet only")
        kwargs["weight_init_std"] = args.weight_init if args.weight_init.isalpha() else float(args.weight_init)
    network = MODELS[args.model](**kwargs)
    trainer = Trainer(network, x_train, t_train, x_test, t_test, optimizer=args.optimizer, lr=args.lr,
                      epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, augment_shift=args.augment,
                      snapshot_epochs=snapshot_epochs, snapshot_params=args.snapshot_params.split(","),
                      progress=not args.no_progress)
    start = time.perf_counter()
    history = trainer.train()
    seconds = time.perf_counter() - start
    final = history["test_acc"][-1] if history["test_acc"] else network.accuracy(x_test, t_test)
    print(f"test accuracy: {final:.4f} on {len(x_test):,} test images ({data.info.source}), "
          f"{args.epochs} epochs in {seconds:.1f} s")

    network.save_params(paths["weights"], overwrite=args.force)
    record = {"command": "python -m cnnlib.train " + shlex.join(sys.argv[1:] if argv is None else argv), "model": args.model, "data": str(data.info), "seconds": seconds,
              "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, **history}
    save_text(paths["history"], json.dumps(record, indent=1), overwrite=args.force)
    if snapshot_epochs:
        trainer.save_snapshots(paths["snapshots"], overwrite=args.force)
    print("wrote " + ", ".join(str(p) for p in wanted))
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return run(args, argv)
    except (ValueError, TypeError, OSError, FloatingPointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130
