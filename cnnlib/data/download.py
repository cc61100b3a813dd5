"""Download data files once, verify them, and keep them in a per-user cache.

Every data set of the course goes through :func:`fetch`:

1. look in the cache folder: the ``cache_dir=`` argument, else ``$CNNLIB_DATA_DIR``,
   else the per-user cache (``pooch.os_cache("cnnlib")``, e.g. ``~/.cache/cnnlib``);
2. if the file is missing, try each mirror in order. pooch streams it to a temporary
   file, checks its md5 and only then renames it into the cache, so the cache never
   holds a half-written or corrupted file;
3. if no mirror works, raise :class:`DataUnavailableError` naming the file, the
   mirrors tried and the cache folder.

``CNNLIB_OFFLINE=1`` skips step 2 (CI and offline classrooms set it).

Parsed arrays are kept beside the downloads as ``.npz`` files (:func:`save_cache`,
:func:`load_cache`), so that a second load takes milliseconds instead of re-parsing.

The two raw formats are read here too, both without running any code from the file:
:func:`read_idx` (MNIST) and :func:`unpickle_arrays` (CIFAR-10's pickled batches; it lives in
:mod:`cnnlib.io`, which also reads the book's pickled weights with it).
"""

import contextlib
import gzip
import hashlib
import math
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from ..io import load_npz, save_npz, unpickle_arrays

__all__ = ["DataUnavailableError", "data_dir", "is_offline", "ensure_writable", "mirrors_from_env",
           "file_md5", "fetch", "save_cache", "load_cache", "read_idx", "unpickle_arrays"]

DATA_DIR_ENV = "CNNLIB_DATA_DIR"
OFFLINE_ENV = "CNNLIB_OFFLINE"
CONNECT_TIMEOUT = 5  # seconds: a dead mirror should fail fast ...
READ_TIMEOUT = 60  # ... but a slow one may still deliver
RETRIES = 2  # extra attempts per mirror; pooch waits 1 s, 2 s, ... between them


class DataUnavailableError(OSError):
    """A data file is neither in the cache nor downloadable (offline, or every mirror failed)."""


def is_offline():
    """True when the environment variable ``CNNLIB_OFFLINE`` is set to 1/true/yes/on."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def data_dir(cache_dir=None, subdir=None):
    """The cache folder (a ``Path``, not created here).

    Args:
        cache_dir: a folder, or None for ``$CNNLIB_DATA_DIR``, else ``pooch.os_cache("cnnlib")``.
        subdir: optional sub-folder, one per data set (e.g. "mnist").
    """
    if cache_dir is None:
        import pooch  # loaded on use: `import cnnlib` stays light

        cache_dir = os.environ.get(DATA_DIR_ENV) or pooch.os_cache("cnnlib")
    folder = Path(cache_dir).expanduser()
    return folder / subdir if subdir else folder


def ensure_writable(folder):
    """Create ``folder`` if needed and check that a file can be written there.

    Raises ``PermissionError`` (an ``OSError``) naming the folder and how to choose another.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise PermissionError(
            f"the cache folder {folder} is not writable ({err.strerror or err}); "
            f"pass cache_dir=... or set the environment variable {DATA_DIR_ENV} to a writable folder"
        ) from err
    return folder


def mirrors_from_env(env, default):
    """Mirror base URLs: the comma-separated list in ``$env`` if set, else ``default``."""
    value = os.environ.get(env, "").strip()
    mirrors = [m.strip() for m in value.split(",") if m.strip()] if value else list(default)
    return [m if m.endswith("/") else m + "/" for m in mirrors]


@contextlib.contextmanager
def _quiet_pooch(pooch):
    # pooch logs every download at INFO level; we print our own single line instead
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")
    try:
        yield
    finally:
        logger.setLevel(level)


def _short(err, limit=160):
    text = f"{type(err).__name__}: {err}".splitlines()[0]
    return text if len(text) <= limit else text[:limit - 3] + "..."


def file_md5(path):
    """The md5 of a file, as 32 hex digits (read in 1 MiB blocks)."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(fname, md5, mirrors, folder, retries=None, mirrors_env=None, progressbar=False):
    """Return the path of a verified local copy of ``fname``, downloading it if needed.

    Args:
        fname: file name on the mirrors and in the cache, e.g. "t10k-labels-idx1-ubyte.gz".
        md5: its known md5 (32 hex digits); a file that does not match is never kept.
        mirrors: base URLs tried in order; the file's URL is ``mirror + fname``.
        folder: the cache folder (see :func:`data_dir`).
        retries: extra attempts per mirror (default ``RETRIES``).
        mirrors_env: name of the environment variable that overrides ``mirrors``
            (only mentioned in the error message).
        progressbar: show a tqdm progress bar (for large files).

    Returns:
        ``Path`` of the file in ``folder``.

    Raises:
        DataUnavailableError: offline and not cached, or every mirror failed.
        PermissionError: ``folder`` is not writable.
    """
    folder = Path(folder)
    path = folder / fname
    if path.exists():
        if file_md5(path) == md5:
            return path
        path.unlink()  # a damaged copy (e.g. edited by hand): never use it, download again
    if is_offline():
        raise DataUnavailableError(
            f"{fname} is not in the cache folder {folder} and cannot be downloaded: "
            f"{OFFLINE_ENV}=1 is set (offline mode). Unset it and run again with internet "
            f"access, or copy the file into {folder}."
        )
    ensure_writable(folder)
    import pooch  # loaded on use: `import cnnlib` stays light

    retries = RETRIES if retries is None else retries
    downloader = pooch.HTTPDownloader(timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), progressbar=progressbar)
    failures = []
    for mirror in mirrors:
        url = mirror + fname
        print(f"cnnlib: downloading {url} into {folder}")
        repo = pooch.create(path=folder, base_url=mirror, registry={fname: f"md5:{md5}"},
                            urls={fname: url}, retry_if_failed=retries)
        try:
            with _quiet_pooch(pooch):
                repo.fetch(fname, downloader=downloader)
            return path
        # requests' network errors are OSErrors; a checksum mismatch is a ValueError
        except (OSError, ValueError) as err:
            failures.append(f"{url} ({_short(err)})")
            print(f"cnnlib: failed: {_short(err)}")
    hint = f", set {mirrors_env} to other mirrors (comma separated)" if mirrors_env else ""
    raise DataUnavailableError(
        f"could not download {fname} (md5 {md5}) from any of the {len(mirrors)} mirrors into "
        f"the cache folder {folder}\nMirrors tried, in order:\n  " + "\n  ".join(failures or ["(none: the mirror list is empty)"])
        + f"\nCheck your internet connection{hint}, or copy the file into {folder}."
    )


def save_cache(path, key, **arrays):
    """Save ``arrays`` to the ``.npz`` file ``path`` (uncompressed: fast to load), tagged
    with the string ``key`` (which source files they were built from).

    Written atomically by :func:`cnnlib.io.save_npz`, so a crash never leaves a
    half-written cache. Returns False (and saves nothing) when the folder is not
    writable: the cache is only a speed-up.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_npz(path, {"cache_key": np.array(key), **arrays}, overwrite=True)
    except OSError:
        return False
    return True


def load_cache(path, key):
    """The arrays saved by :func:`save_cache` as a dict, or None if missing, unreadable or
    saved with another ``key`` (i.e. built from other source files). Never unpickles."""
    try:
        arrays = load_npz(path)  # allow_pickle=False
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    return arrays if str(arrays.pop("cache_key", "")) == key else None


# ---------------------------------------------------------------- raw formats

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
