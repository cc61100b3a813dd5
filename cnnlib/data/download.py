"""Download data files once, verify them, and keep them in a per-user cache.

Every data set of the course goes through :func:`fetch`:

1. look in the cache folder: the ``cache_dir=`` argument, else ``$CNNLIB_DATA_DIR``,
   else the per-user cache (:func:`user_cache_dir`, e.g. ``~/.cache/cnnlib``). A cached
   file whose md5 does not match is moved aside (``<name>.bad-<time>``), never deleted;
2. if the file is missing, try each mirror in order, saying which and why one was left.
   The file is streamed to a temporary file, within a total deadline per mirror
   (:func:`download_deadline`) and never beyond its known size, its md5 is checked, and
   only then is it renamed into the cache, so the cache never holds a half-written or
   corrupted file. A last line names every mirror tried;
3. if no mirror works, raise :class:`DataUnavailableError` naming the file, the
   mirrors tried (each with its reason) and the cache folder.

``CNNLIB_OFFLINE=1`` skips step 2 (CI and offline classrooms set it).

Parsed arrays are kept beside the downloads as ``.npz`` files (:func:`save_cache`,
:func:`load_cache`, which re-validates them), so that a second load takes milliseconds
instead of re-parsing. The raw formats are read by :mod:`cnnlib.data.formats`.
"""

import hashlib
import http.client
import math
import os
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .cache import (_short, data_dir, ensure_writable, file_md5, load_cache, move_aside,
                    save_cache, user_cache_dir)
from .formats import read_idx, unpickle_arrays

__all__ = ["DataUnavailableError", "data_dir", "user_cache_dir", "is_offline", "ensure_writable",
           "mirrors_from_env", "file_md5", "download_deadline", "move_aside", "fetch", "save_cache",
           "load_cache", "read_idx", "unpickle_arrays"]

OFFLINE_ENV = "CNNLIB_OFFLINE"
DEADLINE_ENV = "CNNLIB_DOWNLOAD_DEADLINE"
READ_TIMEOUT = 60  # seconds without a byte before a mirror is left
BASE_DEADLINE, MIN_RATE = 120, 100_000  # default deadline: 120 s + size / (100 kB/s)
MAX_UNKNOWN_SIZE = 2**31  # the cap when neither we nor the mirror know the size
RETRIES = 2  # extra attempts per mirror after a broken connection; waits 1 s, 2 s, ... between them


class DataUnavailableError(OSError):
    """A data file is neither in the cache nor downloadable (offline, or every mirror failed)."""


def is_offline():
    """True when the environment variable ``CNNLIB_OFFLINE`` is set to 1/true/yes/on."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def mirrors_from_env(env, default):
    """Mirror base URLs: the comma-separated list in ``$env`` if set, else ``default``."""
    value = os.environ.get(env, "").strip()
    mirrors = [m.strip() for m in value.split(",") if m.strip()] if value else list(default)
    return [m if m.endswith("/") else m + "/" for m in mirrors]


def download_deadline(size=None):
    """Seconds one file may take from the first byte asked to the last received:
    ``$CNNLIB_DOWNLOAD_DEADLINE`` if set, else 120 s plus the time to receive ``size``
    bytes at 100 kB/s (MNIST's largest file: 219 s; CIFAR-10: 29 minutes)."""
    value = os.environ.get(DEADLINE_ENV, "").strip()
    if value:
        try:
            seconds = float(value)
        except ValueError:
            seconds = float("nan")
        if not seconds > 0 or math.isinf(seconds):
            raise ValueError(f"{DEADLINE_ENV} must be a number of seconds > 0, got {DEADLINE_ENV}={value!r}")
        return seconds
    return BASE_DEADLINE + (size or 0) / MIN_RATE


class _Abandoned(Exception):
    """A mirror was left: ``reason`` says why; ``retry`` whether trying it again may help."""

    def __init__(self, reason, retry=False):
        super().__init__(reason)
        self.reason, self.retry = reason, retry


def _open(url, timeout):
    try:  # building the request checks the URL: a malformed mirror is left like any other
        request = urllib.request.Request(url, headers={"User-Agent": "cnnlib"})
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        raise _Abandoned(f"HTTP error {err.code} {err.reason}", retry=err.code >= 500) from None
    except urllib.error.URLError as err:
        if isinstance(err.reason, TimeoutError):
            raise _Abandoned(f"no answer within {timeout:g} s") from None
        raise _Abandoned(f"cannot connect ({err.reason})", retry=True) from None
    except TimeoutError:
        raise _Abandoned(f"no answer within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as err:
        raise _Abandoned(_short(err), retry=True) from None
    except ValueError as err:  # e.g. a mirror without http:// or https://
        raise _Abandoned(f"not a valid URL ({err}); a mirror starts with http://, https:// or file://") from None


def _stream(url, f, size, deadline, progressbar):
    """Copy ``url`` into the open file ``f``, at most ``size`` bytes (if known) and within
    ``deadline`` seconds; return the md5 of what was received."""
    start = time.monotonic()
    timeout = min(READ_TIMEOUT, deadline)  # per read; the deadline bounds the whole transfer
    with _open(url, timeout) as response:
        announced = response.headers.get("Content-Length", "")
        announced = int(announced) if announced.isdigit() else None
        if size is not None and announced is not None and announced != size:
            raise _Abandoned(f"it announces {announced:,} bytes, but the file has {size:,} bytes")
        cap = size if size is not None else announced or MAX_UNKNOWN_SIZE
        got, digest = 0, hashlib.md5()
        from tqdm.auto import tqdm  # loaded on use: `import cnnlib` stays light

        with tqdm(total=cap, unit="B", unit_scale=True, disable=not progressbar, leave=False) as bar:
            while True:
                if time.monotonic() - start > deadline:
                    raise _Abandoned(f"not complete after the deadline of {deadline:g} s ({got:,} of "
                                     f"{cap:,} bytes received); set {DEADLINE_ENV} to allow more time")
                try:
                    chunk = response.read1(2**16)  # returns what one read gives: the deadline is checked often
                except TimeoutError:
                    raise _Abandoned(f"no data for {timeout:g} s after {got:,} of {cap:,} bytes") from None
                except (OSError, http.client.HTTPException) as err:
                    raise _Abandoned(f"the transfer broke after {got:,} bytes ({_short(err)})", retry=True) from None
                if not chunk:
                    break
                got += len(chunk)
                if got > cap:
                    raise _Abandoned(f"it sent more than the {cap:,} bytes the file has")
                f.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    if (size is not None or announced is not None) and got < cap:
        raise _Abandoned(f"the transfer ended after {got:,} of {cap:,} bytes", retry=True)
    return digest.hexdigest()


def _download(url, path, md5, size, deadline, progressbar):
    # into a temporary file beside the cache's name: the cache only ever holds verified files
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            actual = _stream(url, f, size, deadline, progressbar)
            f.flush()
            os.fsync(f.fileno())
        if actual != md5:
            raise _Abandoned(f"the file's md5 is {actual}, expected {md5}: a damaged or different file")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def fetch(fname, md5, mirrors, folder, retries=None, mirrors_env=None, progressbar=False, size=None,
          deadline=None):
    """Return the path of a verified local copy of ``fname``, downloading it if needed.

    Args:
        fname: file name on the mirrors and in the cache, e.g. "t10k-labels-idx1-ubyte.gz".
        md5: its known md5 (32 hex digits); a file that does not match is never kept, and a
            cached copy that does not match is moved aside (``<fname>.bad-<time>``).
        mirrors: base URLs tried in order; the file's URL is ``mirror + fname``.
        folder: the cache folder (see :func:`data_dir`).
        retries: extra attempts per mirror after a broken connection or an HTTP 5xx
            (default ``RETRIES``); a timeout, a wrong size or checksum is not retried.
        mirrors_env: name of the environment variable that overrides ``mirrors``
            (only mentioned in the error message).
        progressbar: show a tqdm progress bar (for large files).
        size: the file's size in bytes: a mirror announcing or sending another size is left.
        deadline: seconds allowed per mirror (default :func:`download_deadline`).

    Returns:
        ``Path`` of the file in ``folder``.

    Raises:
        DataUnavailableError: offline and not cached, or every mirror failed.
        PermissionError: ``folder`` is not writable.
    """
    folder = Path(folder)
    path = folder / fname
    moved = None
    if path.exists():
        actual = file_md5(path)
        if actual == md5:
            return path
        moved = move_aside(path, f"its md5 is {actual}, expected {md5}")
    if is_offline():
        aside = f" (the damaged copy is kept as {moved})" if moved else ""
        raise DataUnavailableError(
            f"{fname} is not in the cache folder {folder}{aside} and cannot be downloaded: "
            f"{OFFLINE_ENV}=1 is set (offline mode). Unset it and run again with internet "
            f"access, or copy the file into {folder}."
        )
    ensure_writable(folder)
    retries = RETRIES if retries is None else retries
    deadline = download_deadline(size) if deadline is None else deadline
    what = f"{size:,} bytes, " if size is not None else ""
    tried = []
    for number, mirror in enumerate(mirrors, 1):
        url = mirror + fname
        print(f"cnnlib: downloading {url} into {folder} (mirror {number} of {len(mirrors)}; "
              f"{what}giving up after {deadline:g} s)")
        for attempt in range(retries + 1):
            try:
                _download(url, path, md5, size, deadline, progressbar)
                tried.append(f"{url} (ok)")
                print(f"cnnlib: {fname}: mirrors tried: " + ", ".join(tried))
                return path
            except _Abandoned as err:
                reason = err.reason
                if not (err.retry and attempt < retries):
                    break
                print(f"cnnlib: {url}: {reason}; trying again in {attempt + 1} s")
                time.sleep(attempt + 1)
        tried.append(f"{url} ({reason})")
        print(f"cnnlib: left {url}: {reason}" + ("; trying the next mirror" if number < len(mirrors) else ""))
    print(f"cnnlib: {fname}: mirrors tried: " + (", ".join(tried) or "none (the mirror list is empty)"))
    hint = f", set {mirrors_env} to other mirrors (comma separated)" if mirrors_env else ""
    raise DataUnavailableError(
        f"could not download {fname} (md5 {md5}) from any of the {len(mirrors)} mirrors into "
        f"the cache folder {folder}\nMirrors tried, in order:\n  " + "\n  ".join(tried or ["(none: the mirror list is empty)"])
        + f"\nCheck your internet connection{hint}, or copy the file into {folder}."
    )
