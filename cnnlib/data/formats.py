"""The two raw formats of the data sets, read without running any code from the file:
:func:`read_idx` (MNIST) and :func:`unpickle_arrays` (CIFAR-10's pickled batches, through the
restricted unpickler of :mod:`cnnlib.io`, which also reads the book's pickled weights)."""

import gzip
import math
from pathlib import Path

import numpy as np

from ..io import unpickle_arrays

__all__ = ["read_idx", "unpickle_arrays"]  # unpickle_arrays: the core's, re-exported

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (the MNIST format), gzipped (``.gz``) or not, into an array.

    Layout: a magic number (two zero bytes, a type code such as 0x08 = uint8, the number
    of dimensions D), D big-endian uint32 sizes, then the values in C order. MNIST images
    are ``(N, 28, 28)`` uint8, labels ``(N,)`` uint8.

    Raises ``ValueError`` naming the file and the numbers when the magic number or the
    size is wrong.
    """
    path = Path(path)
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            data = f.read()
    except (EOFError, gzip.BadGzipFile) as err:  # a truncated or non-gzip .gz file
        raise ValueError(f"{path} is not a valid gzip file ({err}); delete it and download again") from err
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file: its magic number is 0x{data[:4].hex()}, "
                         f"expected 0x0000 then a type code (08 = uint8) then the number of dimensions")
    ndim, dtype = data[3], np.dtype(_IDX_TYPES[data[2]])
    start = 4 + 4 * ndim
    if len(data) < start:
        raise ValueError(f"{path}: the header announces {ndim} dimensions ({start} bytes) "
                         f"but the file holds only {len(data)} bytes")
    shape = tuple(int(n) for n in np.frombuffer(data, ">u4", count=ndim, offset=4))
    expected = start + math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"{path}: the header announces shape {shape}, i.e. {expected:,} bytes, "
                         f"but the file holds {len(data):,} bytes; it is truncated or corrupted")
    return np.frombuffer(data, dtype, offset=start).reshape(shape).astype(dtype.newbyteorder("="))

