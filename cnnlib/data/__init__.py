"""Data: what the networks learn from, and nothing the network core needs.

- ``mnist.py``     ``load_mnist``: the full MNIST (downloaded once) or the 5,000 embedded digits
- ``cifar10.py``   ``load_cifar10``: the official archive, read without running pickled code
- ``photos.py``    ``sample_image``: two real photographs; ``center_crop``, ``resize_image``
- ``dataset.py``   ``Dataset`` (unpacks like the book's tuples) and ``DatasetInfo`` (source, license)
- ``download.py``  cache folder, mirrors, checksums; the IDX and CIFAR formats
- ``augment.py``   ``random_shift``: training images moved by a few pixels
- ``embedded/``    the data that ships with cnnlib (5,000 digits, two photos), SHA-256-checked

A new data set goes in a module of its own here, returning a ``Dataset`` made by
``make_dataset``, and is re-exported below.
"""

from .augment import random_shift
from .cifar10 import load_cifar10
from .dataset import Dataset, DatasetInfo
from .download import DataUnavailableError
from .mnist import load_mnist
from .photos import center_crop, resize_image, sample_image

__all__ = ["load_mnist", "load_cifar10", "sample_image", "center_crop", "resize_image", "random_shift",
           "Dataset", "DatasetInfo", "DataUnavailableError"]
