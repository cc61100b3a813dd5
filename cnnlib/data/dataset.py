"""What every loader returns: a :class:`Dataset` that unpacks like the book's
``load_mnist`` and carries an ``info`` line (source, counts, license).

Images are NCHW: MNIST ``(N, 1, 28, 28)``, CIFAR-10 ``(N, 3, 32, 32)``. Labels are int64
``(N,)``, or one-hot ``(N, 10)`` floats.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["Dataset", "DatasetInfo", "check_dtype", "make_dataset"]


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


def check_dtype(dtype):
    try:
        dtype = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype must be a float type such as 'float32', got dtype={dtype!r}") from err
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a float type ('float32' to train, 'float64' to check "
                        f"gradients), got dtype={dtype!r}")
    return dtype


def make_dataset(arrays, info, normalize, flatten, one_hot_label, dtype):
    def images(x):
        x = x.reshape(len(x), -1) if flatten else x.reshape(len(x), *info.image_shape)
        return x.astype(dtype) / 255 if normalize else x  # float32 / int stays float32

    def labels(t):
        t = t.astype(np.int64)
        return np.eye(len(info.label_names), dtype=dtype)[t] if one_hot_label else t

    return Dataset((images(arrays["x_train"]), labels(arrays["t_train"])),
                   (images(arrays["x_test"]), labels(arrays["t_test"])), info)
