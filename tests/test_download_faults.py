"""Mirrors that misbehave: each is left within a bound, with a reason the user can read.

A local HTTP server on 127.0.0.1 plays the mirrors: one that trickles a byte at a time,
one that streams without end, one that announces the wrong size, one that never answers.
Every download runs in a thread joined with a timeout of a few seconds (a bound on a
hang, never a timing assertion); the deadline is set to 1 s for the tests.
"""
# ruff: noqa: F811 -- the fixtures imported from test_datasets are parameters of the tests

import http.server
import re
import threading

import numpy as np
import pytest

from cnnlib.data import DataUnavailableError, cifar10, download, load_cifar10, load_mnist, mnist
from cnnlib.data.cache import load_cache, save_cache
from cnnlib.io import load_npz

from . import helpers
from .test_datasets import cifar_archive, isolated, md5, serve, serve_cifar, server, tiny_mnist  # noqa: F401

BOUND = 20  # seconds: far above the 1 s deadline, far below a hang


def bounded(call, limit=BOUND):
    """:func:`tests.helpers.bounded` for downloads."""
    return helpers.bounded(call, limit, "the download")


class _Faulty(http.server.BaseHTTPRequestHandler):
    """Serves ``server.body`` the way ``server.mode`` says."""

    def do_GET(self):
        server, body = self.server, self.server.body
        server.requests.append(self.path)
        mode = server.mode
        if mode == "hang":  # accept the connection, never answer
            server.stop.wait(BOUND)
            return
        self.send_response(200)
        if mode == "wrong-size":
            self.send_header("Content-Length", str(len(body) + 1000))
        elif mode in ("trickle", "stall"):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()  # "endless" and "short" send no Content-Length
        try:
            if mode == "trickle":  # one byte at a time, 0.2 s apart: each read succeeds
                for byte in body:
                    if server.stop.wait(0.2):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            elif mode == "stall":  # headers, a little data, then silence
                self.wfile.write(body[:10])
                self.wfile.flush()
                server.stop.wait(BOUND)
            elif mode == "endless":
                while not server.stop.is_set():
                    self.wfile.write(b"\0" * 65536)
            elif mode == "short":
                self.wfile.write(body[: len(body) // 2])
            else:
                self.wfile.write(body)
        except OSError:  # the client left: what the test wants
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def faulty():
    """Start faulty mirrors: ``faulty(mode, body)`` returns the base URL of a new one."""
    servers = []

    def start(mode, body=b"x" * 5000):
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Faulty)
        httpd.daemon_threads = True
        httpd.mode, httpd.body, httpd.requests, httpd.stop = mode, body, [], threading.Event()
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((httpd, thread))
        return f"http://127.0.0.1:{httpd.server_address[1]}/"

    yield start
    for httpd, thread in servers:
        httpd.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def fetch(url, tmp_path, body=b"x" * 5000, size="known", deadline=1.0, retries=0):
    return download.fetch("f.bin", md5(body), [url], tmp_path / "cache", retries=retries, deadline=deadline,
                          size=len(body) if size == "known" else size)


@pytest.mark.parametrize("mode, reason", [
    ("trickle", r"not complete after the deadline of 1 s \([0-9,]+ of 5,000 bytes received\); "
                r"set CNNLIB_DOWNLOAD_DEADLINE"),
    ("endless", r"it sent more than the 5,000 bytes the file has"),
    ("wrong-size", r"it announces 6,000 bytes, but the file has 5,000 bytes"),
    ("hang", r"no answer within 1 s"),
    ("stall", r"no data for 1 s after 10 of 5,000 bytes"),
    ("short", r"the transfer ended after 2,500 of 5,000 bytes"),
])
def test_a_misbehaving_mirror_is_left_with_its_reason(faulty, tmp_path, capsys, mode, reason):
    url = faulty(mode)
    outcome = bounded(lambda: fetch(url, tmp_path))
    err = outcome.get("error")
    assert isinstance(err, DataUnavailableError), outcome
    assert url + "f.bin" in str(err)
    assert re.search(reason, str(err)), str(err)
    out = capsys.readouterr().out
    assert f"cnnlib: left {url}f.bin: " in out
    assert list((tmp_path / "cache").iterdir()) == []  # no partial file, no temporary file


def test_an_endless_stream_of_unknown_size_is_capped(faulty, tmp_path, monkeypatch):
    monkeypatch.setattr(download, "MAX_UNKNOWN_SIZE", 200_000)
    url = faulty("endless")
    outcome = bounded(lambda: fetch(url, tmp_path, size=None, deadline=60))
    assert isinstance(outcome.get("error"), DataUnavailableError)
    assert "it sent more than the 200,000 bytes the file has" in str(outcome["error"])


def test_three_hanging_mirrors_say_what_is_happening(faulty, tiny_mnist, monkeypatch, capsys):
    urls = [faulty("hang") for _ in range(3)]
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", ",".join(urls))
    monkeypatch.setenv("CNNLIB_DOWNLOAD_DEADLINE", "1")
    outcome = bounded(lambda: load_mnist(source="download"))
    assert isinstance(outcome.get("error"), DataUnavailableError)
    lines = capsys.readouterr().out.splitlines()
    name = "train-images-idx3-ubyte.gz"
    for number, url in enumerate(urls, 1):
        assert any(line.startswith(f"cnnlib: downloading {url}{name}") and f"mirror {number} of 3" in line
                   and "giving up after 1 s" in line for line in lines), lines
    assert sum(line.startswith("cnnlib: left ") and "no answer within 1 s" in line for line in lines) == 3
    last = lines[-1]
    assert last.startswith(f"cnnlib: {name}: mirrors tried: ") and all(u + name in last for u in urls)


def test_a_good_mirror_after_bad_ones(faulty, tiny_mnist, server, monkeypatch, capsys):
    _, files = tiny_mnist
    good = serve(server, files)
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", ",".join([faulty("hang"), faulty("endless"), good]))
    monkeypatch.setenv("CNNLIB_DOWNLOAD_DEADLINE", "1")
    outcome = bounded(lambda: load_mnist(source="download"))
    assert outcome["value"].info.n_train == 20
    out = capsys.readouterr().out
    summaries = [line for line in out.splitlines() if ": mirrors tried: " in line]
    assert len(summaries) == 4 and all(line.endswith(" (ok)") and line.count("127.0.0.1") == 3
                                       for line in summaries)


@pytest.mark.parametrize("value", ["0", "-5", "soon", "inf", "nan"])
def test_deadline_from_the_environment_is_checked(value, monkeypatch):
    monkeypatch.setenv("CNNLIB_DOWNLOAD_DEADLINE", value)
    with pytest.raises(ValueError, match=rf"CNNLIB_DOWNLOAD_DEADLINE must be a number of seconds > 0, "
                                         rf"got CNNLIB_DOWNLOAD_DEADLINE='{value}'"):
        download.download_deadline(1000)


def test_default_deadline_grows_with_the_size(monkeypatch):
    monkeypatch.delenv("CNNLIB_DOWNLOAD_DEADLINE", raising=False)
    assert download.download_deadline(mnist.MNIST_SIZE["train-images-idx3-ubyte.gz"]) == pytest.approx(219.12422)
    assert download.download_deadline(cifar10.CIFAR10_SIZE) == pytest.approx(120 + 1704.98071)


def test_official_sizes_are_recorded():
    assert mnist.MNIST_SIZE == {"train-images-idx3-ubyte.gz": 9_912_422, "train-labels-idx1-ubyte.gz": 28_881,
                                "t10k-images-idx3-ubyte.gz": 1_648_877, "t10k-labels-idx1-ubyte.gz": 4_542}
    assert cifar10.CIFAR10_SIZE == 170_498_071


# --- the cache: moved aside, never deleted; re-validated -----------------------------------

def test_cifar10_offline_keeps_a_damaged_archive(isolated, monkeypatch, capsys):
    archive, _ = cifar_archive()
    monkeypatch.setattr(cifar10, "CIFAR10_MD5", md5(archive))
    folder = isolated / "cifar10"
    folder.mkdir(parents=True)
    damaged = archive[:-1] + bytes([archive[-1] ^ 1])
    (folder / cifar10.CIFAR10_FILE).write_bytes(damaged)
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")
    with pytest.raises(DataUnavailableError, match=r"the damaged copy is kept as .*cifar-10-python\.tar\.gz\.bad-"):
        load_cifar10()
    kept = list(folder.glob("cifar-10-python.tar.gz.bad-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged  # moved, byte for byte, not deleted
    out = capsys.readouterr().out
    assert f"its md5 is {md5(damaged)}, expected {md5(archive)}" in out and kept[0].name in out


def test_damaged_download_is_moved_aside_then_replaced(server, tiny_mnist, isolated, monkeypatch, capsys):
    _, files = tiny_mnist
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", serve(server, files))
    folder = isolated / "mnist"
    folder.mkdir(parents=True)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"edited by hand")
    assert load_mnist(source="download").info.n_test == 10
    kept = list(folder.glob("t10k-labels-idx1-ubyte.gz.bad-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"edited by hand"
    assert "moved it aside" in capsys.readouterr().out


def mnist_cache_key():
    return " ".join(mnist.MNIST_MD5[f] for f in mnist.MNIST_FILES.values())


@pytest.mark.parametrize("damage, message", [
    (dict(t_train=np.full(20, 12)), r"train: expected labels in 0\.\.9, got labels in 12\.\.12"),
    (dict(t_test=np.zeros(9, np.int64)),
     r"test: expected 10 integer labels to match the 10 images, got int64 labels of shape \(9,\)"),
    (dict(x_train=np.zeros((20, 28, 27), np.uint8)), r"train: expected uint8 images of shape \(N, 28, 28\).*\(20, 28, 27\)"),
    (dict(x_test=np.zeros((10, 28, 28), np.float32)), r"test: expected uint8 images.*float32"),
    (dict(t_train=np.zeros(20, np.float64)), r"train: expected 20 integer labels.*float64"),
])
def test_cached_mnist_arrays_are_revalidated(server, tiny_mnist, isolated, monkeypatch, capsys, damage, message):
    arrays, files = tiny_mnist
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", serve(server, files))
    good = {k: np.asarray(v, np.uint8) for k, v in arrays.items()}
    path = isolated / "mnist" / "mnist.npz"
    assert save_cache(path, mnist_cache_key(), **{**good, **damage})
    data = load_mnist(source="download")  # rebuilt from the downloaded files
    (_, t), _ = data
    assert t.tolist() == arrays["t_train"].tolist()
    out = capsys.readouterr().out
    assert f"not using the cached arrays {path}" in out and "rebuilding them" in out
    assert re.search(message, out), out
    assert load_cache(path, mnist_cache_key(), check=mnist._check_cache) is not None  # the cache was rebuilt


def test_cached_cifar10_arrays_are_revalidated(server, isolated, monkeypatch, capsys):
    archive, arrays = cifar_archive()
    serve_cifar(server, monkeypatch, archive)
    load_cifar10()
    path = isolated / "cifar10" / "cifar10.npz"
    cached = load_npz(path)
    cached["t_test"] = np.array([0, 1, 10])
    save_cache(path, str(cached.pop("cache_key")), **cached)
    (_, _), (_, tt) = load_cifar10()
    assert tt.tolist() == arrays["test_batch"][1]
    out = capsys.readouterr().out
    assert "t_test: expected 3 integer labels in 0..9, got int64 (3,) in 0..10" in out


def test_truncated_cache_is_reported_and_rebuilt(server, tiny_mnist, isolated, monkeypatch, capsys):
    _, files = tiny_mnist
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", serve(server, files))
    load_mnist(source="download")
    path = isolated / "mnist" / "mnist.npz"
    path.write_bytes(path.read_bytes()[:1000])
    assert load_mnist(source="download").info.n_train == 20
    out = capsys.readouterr().out
    assert f"not using the cached arrays {path}: cannot read {path} as an .npz file" in out


@pytest.mark.parametrize("bad", ["mirror.example.org/mnist", "ftp//nowhere"])
def test_a_malformed_mirror_is_left_and_the_next_tried(bad, tiny_mnist, server, monkeypatch, capsys):
    _, files = tiny_mnist
    good = serve(server, files)
    monkeypatch.setenv("CNNLIB_MNIST_MIRRORS", f"{bad},{good}")
    assert load_mnist(source="download").info.n_train == 20
    out = capsys.readouterr().out
    assert f"cnnlib: left {bad}/train-images-idx3-ubyte.gz: not a valid URL" in out, out
    assert "trying the next mirror" in out
