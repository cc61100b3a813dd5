"""Saving arrays without ever losing what a user saved.

- Written atomically: to a temporary file in the same folder, then renamed over the
  target, so a crash mid-write leaves the old file (or none), never half of one.
- Never silently overwritten: an existing file is kept unless ``overwrite=True``.
- Read with ``allow_pickle=False``: an ``.npz`` file cannot run code when loaded.
"""

import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_write", "save_npz", "save_text", "load_npz"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, write, binary=True, overwrite=False):
    """Call ``write(f)`` on a temporary file beside ``path``, then rename it to ``path``.

    Raises ``FileExistsError`` if ``path`` exists and ``overwrite`` is False, and
    ``FileNotFoundError`` if its folder does not exist. Returns ``path`` as a ``Path``.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it "
                              f"(or choose another path)")
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot save to {path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def save_npz(path, arrays, overwrite=False):
    """Write the dict ``arrays`` (name -> array) to ``path`` as an ``.npz`` file, atomically.

    Raises ``FileExistsError`` if ``path`` exists and ``overwrite`` is False.
    """
    # a file object: np.savez adds no ".npz" suffix behind our back
    return atomic_write(path, lambda f: np.savez(f, **arrays), overwrite=overwrite)


def save_text(path, text, overwrite=False):
    """Write ``text`` to ``path`` (UTF-8), atomically; same rules as :func:`save_npz`."""
    return atomic_write(path, lambda f: f.write(text), binary=False, overwrite=overwrite)


def load_npz(path):
    """Read an ``.npz`` file into a dict of arrays, with pickles refused."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}
