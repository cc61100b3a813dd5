"""CIFAR-10: the official archive, downloaded once, read without running pickled code."""

import tarfile

import numpy as np

from .dataset import DatasetInfo, check_dtype, make_dataset
from .download import DataUnavailableError, data_dir, fetch, load_cache, mirrors_from_env, save_cache, unpickle_arrays

__all__ = ["load_cifar10", "CIFAR10_MIRRORS"]

CIFAR10_MIRRORS = ["https://www.cs.toronto.edu/~kriz/"]
CIFAR10_MIRRORS_ENV = "CNNLIB_CIFAR10_MIRRORS"
CIFAR10_FILE = "cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_SIZE = 170_498_071  # bytes: a mirror that announces or sends more is left
CIFAR10_LICENSE = ("no explicit license; cite Alex Krizhevsky, Learning Multiple Layers of "
                   "Features from Tiny Images, 2009")


def _parse_cifar10(archive):
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
    found = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:  # in archive order: a gzip stream is slow to seek backwards
            name = member.name.removeprefix("cifar-10-batches-py/")
            if name in names and member.isfile():
                found[name] = unpickle_arrays(tar.extractfile(member), member.name)
                if not isinstance(found[name], dict):
                    raise ValueError(f"{member.name} should hold a dict, got {type(found[name]).__name__}")
    missing = [n for n in names if n not in found]
    if missing:
        raise ValueError(f"{archive} lacks cifar-10-batches-py/{missing[0]} "
                         f"(missing: {', '.join(missing)})")

    def images_labels(names):
        xs, ts = [], []
        for n in names:
            x, t = np.asarray(found[n].get("data")), np.asarray(found[n].get("labels"))
            # each row is 1024 red, 1024 green, then 1024 blue values, each 32x32 row-major
            if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 3072 or t.shape != (len(x),):
                raise ValueError(f"cifar-10-batches-py/{n}: expected uint8 data (N, 3072) and N "
                                 f"labels, got data {x.dtype} {x.shape} and labels {t.shape}")
            xs.append(x.reshape(-1, 3, 32, 32))
            ts.append(t.astype(np.int64))
        return np.concatenate(xs), np.concatenate(ts)

    x_train, t_train = images_labels(names[:5])
    x_test, t_test = images_labels(["test_batch"])
    label_names = np.array([str(n) for n in found["batches.meta"].get("label_names", [])])
    t_all = np.concatenate([t_train, t_test])
    if len(label_names) != 10 or t_all.min() < 0 or t_all.max() > 9:
        raise ValueError(f"{archive}: expected 10 label names and labels in 0..9, got "
                         f"{len(label_names)} names and labels {t_all.min()}..{t_all.max()}")
    return {"x_train": x_train, "t_train": t_train, "x_test": x_test, "t_test": t_test,
            "label_names": label_names}


def _check_cache(arrays):
    for part in ("train", "test"):
        x, t = arrays.get("x_" + part), arrays.get("t_" + part)
        if x is None or t is None:
            raise ValueError(f"it lacks x_{part} or t_{part} (it holds {sorted(arrays)})")
        if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (3, 32, 32) or len(x) == 0:
            raise ValueError(f"x_{part}: expected uint8 images (N, 3, 32, 32) with N >= 1, got {x.dtype} {x.shape}")
        if t.shape != (len(x),) or t.dtype.kind not in "iu" or not 0 <= t.min() <= t.max() <= 9:
            raise ValueError(f"t_{part}: expected {len(x)} integer labels in 0..9, got {t.dtype} {t.shape}"
                             + (f" in {t.min()}..{t.max()}" if t.size and t.dtype.kind in "iuf" else ""))
    names = arrays.get("label_names")
    if names is None or names.shape != (10,) or names.dtype.kind != "U":
        raise ValueError(f"label_names: expected 10 class names, got {None if names is None else names.shape}")


def load_cifar10(normalize=True, flatten=False, one_hot_label=False, dtype="float32", cache_dir=None):
    """Load CIFAR-10 (32x32 color photos, 10 classes) as ``(x_train, t_train), (x_test, t_test)``.

    The official python archive (170 MB, 163 MiB, md5-checked) is downloaded once from
    ``CIFAR10_MIRRORS`` (or ``$CNNLIB_CIFAR10_MIRRORS``); its five training batches
    (50,000 images) and test batch (10,000) are parsed without executing any pickled code
    and cached as ``.npz``.

    Args:
        normalize, flatten, one_hot_label, dtype, cache_dir: as in :func:`load_mnist`;
            images are ``(N, 3, 32, 32)`` (RGB), or ``(N, 3072)`` when flattened.

    Returns:
        A :class:`Dataset`; ``.info.label_names`` gives the class names ("airplane", ...).

    Raises:
        DataUnavailableError (an OSError): not cached and offline (``CNNLIB_OFFLINE=1``
            or no network): CIFAR-10 has no embedded copy.
        ValueError: the archive does not have the official layout.
    """
    dtype = check_dtype(dtype)
    folder = data_dir(cache_dir, "cifar10")
    arrays = load_cache(folder / "cifar10.npz", CIFAR10_MD5, check=_check_cache)
    if arrays is None:
        mirrors = mirrors_from_env(CIFAR10_MIRRORS_ENV, CIFAR10_MIRRORS)
        try:
            archive = fetch(CIFAR10_FILE, CIFAR10_MD5, mirrors, folder,
                            mirrors_env=CIFAR10_MIRRORS_ENV, progressbar=True, size=CIFAR10_SIZE)
        except DataUnavailableError as err:
            raise DataUnavailableError(f"CIFAR-10 is not available offline (cnnlib has no "
                                       f"embedded copy of it): {err}") from None
        arrays = _parse_cifar10(archive)
        save_cache(folder / "cifar10.npz", CIFAR10_MD5, **arrays)
    info = DatasetInfo("CIFAR-10", "download", f"the official archive, cached in {folder}",
                       len(arrays["x_train"]), len(arrays["x_test"]), CIFAR10_LICENSE,
                       tuple(str(n) for n in arrays["label_names"]), (3, 32, 32))
    return make_dataset(arrays, info, normalize, flatten, one_hot_label, dtype)
