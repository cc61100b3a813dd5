"""Atomic .npz saving: no half-written file, no leftover temporary file, no pickles."""

import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

import cnnlib.io
from cnnlib.io import load_npz, save_npz


def test_round_trip(tmp_path):
    arrays = {"W1": np.arange(6.0).reshape(2, 3), "b1": np.zeros(3, np.float32), "t": np.array(7)}
    path = save_npz(tmp_path / "a.npz", arrays)
    assert path == tmp_path / "a.npz"
    loaded = load_npz(path)
    assert set(loaded) == set(arrays)
    for k, v in arrays.items():
        np.testing.assert_array_equal(loaded[k], v)
        assert loaded[k].dtype == v.dtype


def test_accepts_a_string_path_and_keeps_the_exact_name(tmp_path):
    save_npz(str(tmp_path / "weights.params"), {"x": np.ones(2)})
    assert os.listdir(tmp_path) == ["weights.params"]  # np.savez would have added ".npz"


def test_leaves_no_temporary_file(tmp_path):
    save_npz(tmp_path / "a.npz", {"x": np.ones(3)})
    save_npz(tmp_path / "a.npz", {"x": np.zeros(3)}, overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["a.npz"]


def test_refuses_to_overwrite(tmp_path):
    path = tmp_path / "a.npz"
    save_npz(path, {"x": np.ones(3)})
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_npz(path, {"x": np.zeros(3)})
    np.testing.assert_array_equal(load_npz(path)["x"], np.ones(3))


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_npz(tmp_path / "nowhere" / "a.npz", {"x": np.ones(3)})


def test_failure_during_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "a.npz"
    save_npz(path, {"x": np.ones(3)})
    old_bytes = path.read_bytes()

    def half_write_then_fail(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half a zip file")  # something reaches the disk...
        raise OSError("disk full")                 # ...then the write fails

    monkeypatch.setattr(cnnlib.io.np, "savez", half_write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        save_npz(path, {"x": np.zeros(3)}, overwrite=True)
    assert path.read_bytes() == old_bytes
    assert sorted(os.listdir(tmp_path)) == ["a.npz"]  # the temporary file is gone


def test_failure_during_first_write_leaves_nothing(tmp_path, monkeypatch):
    def fail(file, *args, **kwargs):
        raise KeyboardInterrupt  # even an interrupt cleans up

    monkeypatch.setattr(cnnlib.io.np, "savez", fail)
    with pytest.raises(KeyboardInterrupt):
        save_npz(tmp_path / "a.npz", {"x": np.ones(3)})
    assert os.listdir(tmp_path) == []


def test_load_refuses_pickled_objects(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, obj=np.array([{"a": 1}], dtype=object))  # written by someone else, with a pickle
    with pytest.raises(ValueError, match="allow_pickle"):
        load_npz(path)


def test_saved_file_loads_with_allow_pickle_false(tmp_path):
    save_npz(tmp_path / "a.npz", {"x": np.ones(3), "n": np.array(2)})
    with np.load(tmp_path / "a.npz", allow_pickle=False) as f:
        assert sorted(f.files) == ["n", "x"]


# --- never clobbered, also by another process ------------------------------------------------

def test_a_file_created_while_saving_is_not_replaced(tmp_path):
    # another process finishes first, between our existence check and our rename
    path = tmp_path / "a.npz"

    def write_while_another_saves(f):
        np.savez(f, x=np.ones(3))
        path.write_bytes(b"the other process's file")

    with pytest.raises(FileExistsError, match=r"a\.npz already exists; pass overwrite=True"):
        cnnlib.io.atomic_write(path, write_while_another_saves)
    assert path.read_bytes() == b"the other process's file"
    assert sorted(os.listdir(tmp_path)) == ["a.npz"]  # our temporary file is gone too


SAVER = """
import sys, time
from pathlib import Path
import numpy as np
from cnnlib.io import save_npz
go, path, value = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
while not go.exists():
    time.sleep(0.001)
try:
    save_npz(path, {"x": np.full(200_000, value)})
    print("saved")
except FileExistsError:
    print("exists")
"""


@pytest.mark.parametrize("round_", range(3))
def test_two_processes_saving_the_same_new_path(tmp_path, round_):
    go, path = tmp_path / "go", tmp_path / "weights.npz"
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, str(go), str(path), str(v)],
                               stdout=subprocess.PIPE, text=True) for v in (1.0, 2.0)]
    time.sleep(0.5)  # both start waiting (not an assertion: only makes a real race likely)
    go.touch()
    outputs = [p.communicate(timeout=60)[0].strip() for p in savers]
    assert sorted(outputs) == ["exists", "saved"]  # exactly one wins
    winner = 1.0 if outputs[0] == "saved" else 2.0
    np.testing.assert_array_equal(load_npz(path)["x"], np.full(200_000, winner))  # its complete payload
    assert sorted(os.listdir(tmp_path)) == ["go", "weights.npz"]


def test_overwrite_replaces_even_a_file_created_meanwhile(tmp_path):
    path = tmp_path / "a.npz"

    def write_while_another_saves(f):
        np.savez(f, x=np.ones(3))
        path.write_bytes(b"other")

    cnnlib.io.atomic_write(path, write_while_another_saves, overwrite=True)
    np.testing.assert_array_equal(load_npz(path)["x"], np.ones(3))


def test_saved_file_and_folder_are_flushed_to_disk(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.path.realpath(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else fd)
        real_fsync(fd)

    monkeypatch.setattr(cnnlib.io.os, "fsync", fsync)
    save_npz(tmp_path / "a.npz", {"x": np.ones(3)})
    assert len(synced) == 2
    if os.path.exists("/proc/self/fd"):
        assert synced[1] == str(tmp_path.resolve())  # the folder, after the file got its name
        assert synced[0].startswith(str(tmp_path.resolve() / ".a.npz."))  # the temporary file


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 half a zip", b"not a zip at all", None],
                         ids=["empty", "truncated-header", "garbage", "truncated-half"])
def test_unreadable_npz_names_its_path(tmp_path, content):
    path = tmp_path / "w.npz"
    if content is None:
        save_npz(path, {"x": np.arange(1000.0)})
        content = path.read_bytes()[: len(path.read_bytes()) // 2]
        path.unlink()
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"cannot read {re.escape(str(path))} as an \.npz file of arrays"):
        load_npz(path)


def test_a_single_npy_array_is_not_an_npz(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.ones(3))
    with pytest.raises(ValueError, match=r"x\.npy as an \.npz file of arrays: it holds one array"):
        load_npz(path)
