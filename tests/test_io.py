"""Atomic .npz saving: no half-written file, no leftover temporary file, no pickles."""

import os

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
