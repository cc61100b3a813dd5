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

__all__ = ["save_npz", "load_npz"]


def save_npz(path, arrays, overwrite=False):
    """Write the dict ``arrays`` (name -> array) to ``path`` as an ``.npz`` file, atomically.

    Raises ``FileExistsError`` if ``path`` exists and ``overwrite`` is False.
    Returns the path written, as a ``Path``.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it "
                              f"(or choose another path)")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot save to {path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)  # a file object: np.savez adds no ".npz" suffix
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def load_npz(path):
    """Read an ``.npz`` file into a dict of arrays, with pickles refused."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}
