"""The two raw formats of the data sets, read without running any code from the file:
:func:`read_idx` (MNIST) and :func:`unpickle_arrays` (CIFAR-10's pickled batches)."""

import gzip
import math
import pickle
from pathlib import Path

import numpy as np

__all__ = ["read_idx", "unpickle_arrays"]

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


_RECONSTRUCT = np.empty(0).__reduce__()[0]  # numpy's array-unpickling function


def _latin1_bytes(text, encoding):
    # Python 3 pickles bytes (protocol 2) as _codecs.encode(text, "latin1")
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


class _ArrayUnpickler(pickle.Unpickler):
    """Rebuilds only dicts, lists, numbers, strings and numpy arrays: any other class or
    function named in the pickle (e.g. ``os.system``) is refused, so no code can run."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
               ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
               ("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
               ("_codecs", "encode"): _latin1_bytes}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays, "
                                         f"lists, numbers and strings are allowed")
        return self.ALLOWED[module, name]


def unpickle_arrays(file, where):
    """Unpickle ``file`` (an open binary file) allowing only dicts, lists, numbers,
    strings and numpy arrays, e.g. a CIFAR-10 batch. ``where`` names it in errors.

    Raises ``ValueError`` when the pickle is invalid or names any other class or function.
    """
    try:
        # latin1 turns the Python 2 strings of the official CIFAR batches into str
        return _ArrayUnpickler(file, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError) as err:
        raise ValueError(f"{where} is not a valid pickle of numpy arrays: {err}") from err
