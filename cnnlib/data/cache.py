"""The cache folder: where it is, that it is writable, and what in it can be trusted.

Downloads are checked against their md5 (:func:`file_md5`); a damaged one is moved aside
(:func:`move_aside`), never deleted. Parsed arrays are cached as ``.npz`` files
(:func:`save_cache`) and re-validated when loaded (:func:`load_cache`).
"""

import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..io import load_npz, save_npz

__all__ = ["DATA_DIR_ENV", "data_dir", "user_cache_dir", "ensure_writable", "file_hash", "file_md5", "move_aside",
           "save_cache", "load_cache"]

DATA_DIR_ENV = "CNNLIB_DATA_DIR"


def data_dir(cache_dir=None, subdir=None):
    """The cache folder (a ``Path``, not created here).

    Args:
        cache_dir: a folder, or None for ``$CNNLIB_DATA_DIR``, else :func:`user_cache_dir`.
        subdir: optional sub-folder, one per data set (e.g. "mnist").
    """
    if cache_dir is None:
        cache_dir = os.environ.get(DATA_DIR_ENV) or user_cache_dir()
    folder = Path(cache_dir).expanduser()
    return folder / subdir if subdir else folder


def user_cache_dir():
    """The per-user cache folder of cnnlib, where pooch (which cnnlib used before) put it:
    ``$XDG_CACHE_HOME/cnnlib`` or ``~/.cache/cnnlib`` (Linux), ``~/Library/Caches/cnnlib``
    (macOS), ``%LOCALAPPDATA%\\cnnlib\\cnnlib\\Cache`` (Windows)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
        return Path(base) / "cnnlib" / "cnnlib" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "cnnlib"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cnnlib"


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


def _short(err, limit=160):
    text = f"{type(err).__name__}: {err}".splitlines()[0]
    return text if len(text) <= limit else text[:limit - 3] + "..."


def file_hash(path, algorithm="md5"):
    """The hex digest of a file (``"md5"``, ``"sha256"``...), read in 1 MiB blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_md5(path):
    """The md5 of a file, as 32 hex digits: what the official data files are checked against."""
    return file_hash(path, "md5")


def move_aside(path, reason):
    """Rename a damaged file to ``<name>.bad-<time>`` beside it (never delete what a user
    may want to inspect), print what was done, and return the new path (None if it failed)."""
    path = Path(path)
    target = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while target.exists():
        target, n = target.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}-{n}"), n + 1
    try:
        os.replace(path, target)
    except OSError as err:
        print(f"cnnlib: {path} is damaged ({reason}) and could not be moved aside: {_short(err)}")
        return None
    print(f"cnnlib: {path} is damaged ({reason}); moved it aside to {target.name} (delete it when you "
          f"no longer need it)")
    return target


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


def load_cache(path, key, check=None):
    """The arrays saved by :func:`save_cache` as a dict, or None if missing, unreadable,
    saved with another ``key`` (i.e. built from other source files), or refused by
    ``check(arrays)`` (which raises ``ValueError`` naming what is wrong). Never unpickles.
    An unreadable or refused cache is reported in one printed line: it will be rebuilt."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        arrays = load_npz(path)  # allow_pickle=False
        if str(arrays.pop("cache_key", "")) != key:
            return None
        if check is not None:
            check(arrays)
    except (OSError, ValueError) as err:
        print(f"cnnlib: not using the cached arrays {path}: {str(err).splitlines()[0]}; rebuilding them")
        return None
    return arrays
