"""Accuracy of SimpleConvNet trained on the 5,000 embedded MNIST digits, measured on the
official 10,000-image MNIST test set: the files t10k-images-idx3-ubyte.gz and
t10k-labels-idx1-ubyte.gz from --mnist-dir, by default ../shared/data/mnist beside the
repository if it holds them, else cnnlib's download cache (where ``load_mnist()`` keeps
the full set once downloaded).

The book's settings: Adam, lr 0.001, batch 100, weight_init_std 0.01. All 5,000
embedded digits are used for training (the embedded 4,000/1,000 split is joined), so
the numbers compare with the PyTorch reference in shared/guides/performance.md.

    python benchmarks/accuracy_official.py --epochs 20
    python benchmarks/accuracy_official.py --epochs 60 --augment 2
"""

import argparse
import time
from pathlib import Path

import numpy as np

from cnnlib.course.report import spread
from cnnlib.data import load_mnist
from cnnlib.data.formats import read_idx
from cnnlib.data.cache import data_dir
from cnnlib.models import SimpleConvNet
from cnnlib.train import Trainer

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"


def default_dir():
    """The shared folder beside the repository if it holds the test set, else cnnlib's cache."""
    return SHARED_DIR if (SHARED_DIR / TEST_IMAGES).exists() else data_dir(subdir="mnist")


def official_test_set(folder):
    x = read_idx(folder / TEST_IMAGES).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    t = read_idx(folder / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return x, t


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--augment", type=int, default=0, help="random shifts of up to K pixels")
    p.add_argument("--seeds", default="0", help="comma-separated seeds")
    p.add_argument("--weight-init", default="0.01", help="weight_init_std: the book's 0.01, or 'he'")
    p.add_argument("--mnist-dir", type=Path, default=None, help="the folder of the official test files")
    args = p.parse_args()
    args.mnist_dir = args.mnist_dir or default_dir()
    if not (args.mnist_dir / TEST_IMAGES).exists():
        raise SystemExit(f"no official MNIST test set ({TEST_IMAGES}) in {args.mnist_dir}: nothing to measure; "
                         "pass --mnist-dir, or download the full set once with cnnlib.load_mnist()")
    (x_a, t_a), (x_b, t_b) = load_mnist(source="embedded")
    x_train, t_train = np.concatenate([x_a, x_b]), np.concatenate([t_a, t_b])
    x_test, t_test = official_test_set(args.mnist_dir)
    print(f"train: {len(x_train):,} embedded digits; test: {len(x_test):,} official MNIST test digits; "
          f"{args.epochs} epochs, shifts up to {args.augment} px, weight_init_std={args.weight_init}")
    results = []
    for seed in (int(s) for s in args.seeds.split(",")):
        init = args.weight_init if args.weight_init.isalpha() else float(args.weight_init)
        net = SimpleConvNet(rng=seed, weight_init_std=init)
        trainer = Trainer(net, x_train, t_train, x_test, t_test, epochs=args.epochs, seed=seed,
                          augment_shift=args.augment, progress=False)
        start = time.perf_counter()
        history = trainer.train()
        acc = history["test_acc"]
        results.append(acc[-1])
        print(f"seed {seed}: test accuracy {acc[-1]:.4f} (best epoch {int(np.argmax(acc)) + 1}: {max(acc):.4f}), "
              f"{time.perf_counter() - start:.0f} s")
    across = f", mean {'{:.4f} ± {:.4f}'.format(*spread(results))} (standard deviation)" if len(results) > 1 else ""
    print(f"median over {len(results)} seed(s): {np.median(results):.4f}{across}")


if __name__ == "__main__":
    main()
