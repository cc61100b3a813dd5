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
- Pickles of numpy arrays (the book's ``params.pkl``, CIFAR-10's batches) are read by
  a restricted unpickler that rebuilds numpy arrays and plain Python values only: a
  pickle naming any other class or function (``os.system``...) is refused.
"""

import errno
import json
import os
import pickle
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_write", "save_npz", "save_text", "load_npz", "unpickle_arrays", "load_arrays", "MODEL_KEY",
           "model_description", "check_description"]


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


# -- pickles of arrays, read without running code ------------------------------------

_RECONSTRUCT = np.empty(0).__reduce__()[0]      # numpy's array-unpickling function (protocols <= 4)
_FROMBUFFER = np.empty(1).__reduce_ex__(5)[0]   # ... and protocol 5's (Python 3.14's default)


def _latin1_bytes(text, encoding):
    # Python 3 pickles bytes (protocol 2) as _codecs.encode(text, "latin1")
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


class _ArrayUnpickler(pickle.Unpickler):
    """Rebuilds only dicts, lists, numbers, strings and numpy arrays: any other class or
    function named in the pickle (e.g. ``os.system``) is refused, so no code can run."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,   # numpy 1 wrote these names,
               ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,  # numpy 2 these
               ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
               ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
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


def load_arrays(path):
    """Read a dict of named arrays from an ``.npz`` file or, with a warning, from a pickled
    dict of numpy arrays (the book's ``params.pkl``), through :func:`unpickle_arrays`.

    Raises ``ValueError`` for a pickle that holds anything else, or that names any class
    or function other than numpy's array rebuilding ones (no pickled code ever runs).
    """
    with open(path, "rb") as f:
        head = f.read(6)
        if head[:4] == b"PK\x03\x04":  # a zip archive: .npz, whatever its name
            return load_npz(path)
        if head in (b"\x93NUMPY", b""):     # not a pickle at all: say what it is
            what = "an empty file" if not head else "one array in .npy format"
            raise ValueError(f"{path} is {what}, not a weights file (an .npz of named arrays, as save_params writes)")
        f.seek(0)
        arrays = unpickle_arrays(f, str(path))
    if not isinstance(arrays, dict) or not all(isinstance(k, str) and isinstance(v, np.ndarray)
                                               for k, v in arrays.items()):
        raise ValueError(f"{path} is a pickle but not a dict of named numpy arrays "
                         f"(got {type(arrays).__name__}); refused")
    warnings.warn(f"{path} is a pickle: its {len(arrays)} numpy arrays were read with a restricted "
                  f"unpickler and converted; save them as .npz (save_params) to load without pickle",
                  stacklevel=3)
    return arrays


# -- what a weights file says about its network ---------------------------------------

MODEL_KEY = "__model__"  # the .npz entry that says which network the weights belong to


def _json_value(value):
    return value.item() if hasattr(value, "item") else str(value)  # NumPy numbers in a config


def model_description(net):
    """What a weights file records about its network (JSON-friendly): the class, its
    constructor configuration (``net.config``, set by the models) and the layer types."""
    config = getattr(net, "config", None)
    return {"format": 1, "model": type(net).__name__,
            "config": json.loads(json.dumps(config, default=_json_value)) if config is not None else None,
            "layers": [type(layer).__name__ for layer in net.layers] + [type(net.last_layer).__name__]}


def _model_name(d):
    if d.get("config") is not None:
        return f"{d['model']}(" + ", ".join(f"{k}={v!r}" for k, v in d["config"].items()) + ")"
    return f"{d['model']}([{', '.join(d.get('layers', []))}])"


def _read_description(value, source):
    try:
        d = json.loads(str(value))
        if not isinstance(d, dict) or not isinstance(d.get("model"), str):
            raise ValueError("not a dict with a 'model' name")
    except ValueError as err:
        raise ValueError(f"{source}: its {MODEL_KEY} entry should say which network the weights belong "
                         f"to (JSON), but it cannot be read ({err})") from err
    return d


def check_description(value, net, source):
    """Refuse a file's ``MODEL_KEY`` entry ``value`` unless it describes ``net`` (naming both)."""
    theirs, ours = _read_description(value, source), model_description(net)
    if any(theirs.get(k) != ours[k] for k in ("model", "config", "layers")):
        raise ValueError(f"{source} holds the weights of {_model_name(theirs)}, but this network is "
                         f"{_model_name(ours)}: even where the shapes match, the networks differ; "
                         f"build {_model_name(theirs)} to load them")
