"""python -m cnnlib.train: options, outputs, refusal to overwrite, one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from cnnlib.train.cli import main, output_paths
from cnnlib.models import SimpleConvNet


@pytest.fixture(autouse=True)
def offline_and_private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")
    monkeypatch.setenv("CNNLIB_DATA_DIR", str(tmp_path / "cache"))


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ["--model", "--epochs", "--batch-size", "--lr", "--optimizer", "--augment", "--seed",
                   "--dtype", "--data", "--out", "--force", "--snapshot-epochs"]:
        assert option in text


def test_trains_writes_weights_history_snapshots_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "net.npz"
    args = ["--epochs", "1", "--data", "embedded", "--out", str(out), "--no-progress", "--snapshot-epochs", "0,1"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "data: MNIST (embedded" in printed and "test accuracy: 0." in printed
    paths = output_paths(out)
    history = json.loads(paths["history"].read_text())
    assert len(history["test_acc"]) == 1 and len(history["loss"]) == 40  # 4,000 images / 100
    net = SimpleConvNet()
    net.load_params(out)  # the weights load into the book's network
    with np.load(paths["snapshots"], allow_pickle=False) as f:
        assert sorted(f.files) == ["W1@epoch0", "W1@epoch1"]
    before = out.read_bytes()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exist" in err and "--force" in err
    assert out.read_bytes() == before  # nothing was overwritten


def test_errors_are_one_line_not_a_traceback(tmp_path):
    cases = [
        (["--model", "resnet", "--out", str(tmp_path / "a.npz")], "invalid choice"),
        (["--out", str(tmp_path / "missing" / "a.npz"), "--epochs", "0"], "folder of --out does not exist"),
        (["--out", str(tmp_path / "a.npz"), "--data", "download", "--epochs", "0"], "error:"),
    ]
    for args, message in cases:
        run = subprocess.run([sys.executable, "-m", "cnnlib.train", *args], capture_output=True, text=True)
        assert run.returncode == 2, run.stderr
        assert message in run.stderr and "Traceback" not in run.stderr, run.stderr
