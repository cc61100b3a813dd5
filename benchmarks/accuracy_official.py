"""Accuracy of SimpleConvNet trained on the 5,000 embedded MNIST digits, measured on the
official 10,000-image MNIST test set (from ../shared/data/mnist, or --mnist-dir).

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

from cnnlib.data import load_mnist, read_idx
from cnnlib.models import SimpleConvNet
from cnnlib.train import Trainer

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def official_test_set(folder):
    x = read_idx(folder / "t10k-images-idx3-ubyte.gz").reshape(-1, 1, 28, 28).astype(np.float32) / 255
    t = read_idx(folder / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return x, t


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--augment", type=int, default=0, help="random shifts of up to K pixels")
    p.add_argument("--seeds", default="0", help="comma-separated seeds")
    p.add_argument("--weight-init", default="0.01", help="weight_init_std: the book's 0.01, or 'he'")
    p.add_argument("--mnist-dir", type=Path, default=DEFAULT_DIR)
    args = p.parse_args()
    if not (args.mnist_dir / "t10k-images-idx3-ubyte.gz").exists():
        raise SystemExit(f"no official MNIST test set in {args.mnist_dir}: nothing to measure")
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
    print(f"median over {len(results)} seed(s): {np.median(results):.4f}")


if __name__ == "__main__":
    main()
