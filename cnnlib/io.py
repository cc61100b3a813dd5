"""Saving arrays without ever losing what a user saved.

- Written atomically: to a temporary file in the same folder, flushed to the disk
  (fsync), then given its final name, so a crash mid-write leaves the old file (or none),
  never half of one.
- Never silently overwritten, even by another process saving at the same moment: the
  final name is created exclusively (a hard link, which fails if the name exists), so of
  two savers exactly one wins and the other gets ``FileExistsError``. ``overwrite=True``
  replaces the file (``os.replace``, also atomic).
- Read with ``allow_pickle=False``: an ``.npz`` file cannot run code when loaded; a
  truncated or corrupted file is a ``ValueError`` that names it.
"""

import errno
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_write", "save_npz", "save_text", "load_npz"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _exists_error(path):
    return FileExistsError(errno.EEXIST, f"{path} already exists; pass overwrite=True to replace it "
                                         f"(or choose another path)", str(path))


def _fsync_folder(folder):
    # the new name lives in the folder: flush the folder too, or a power cut may forget it
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open a folder; NTFS journals names itself
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _link_exclusively(tmp, path):
    """Give ``tmp``'s content the name ``path`` only if ``path`` does not exist (atomic)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
            raise
        # a file system without hard links: reserve the name exclusively, then fill it
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            raise _exists_error(path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def atomic_write(path, write, binary=True, overwrite=False):
    """Call ``write(f)`` on a temporary file beside ``path``, then give it the name ``path``.

    Raises ``FileExistsError`` if ``path`` exists (or another process creates it while
    this one writes) and ``overwrite`` is False, and ``FileNotFoundError`` if its folder
    does not exist. Returns ``path`` as a ``Path``.
    """
    path = Path(path)
    if path.exists() and not overwrite:  # fail before writing anything; the link below decides races
        raise _exists_error(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot save to {path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; give the usual permissions
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_exclusively(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)
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
    """Read an ``.npz`` file into a dict of arrays, with pickles refused.

    Raises ``ValueError`` naming ``path`` when the file is truncated, corrupted, not an
    ``.npz`` file, or holds pickled objects; ``FileNotFoundError`` when it is missing.
    """
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it holds one array (.npy format), not named arrays (.npz)")
        with data:
            return {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, EOFError, ValueError) as err:
        raise ValueError(f"cannot read {path} as an .npz file of arrays: {err}; the file is truncated, "
                         f"corrupted or not written by cnnlib") from err
