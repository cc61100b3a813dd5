"""python -m cnnlib.train: options, outputs, refusal to overwrite, one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

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


def test_every_flag_is_checked_before_training(tmp_path, capsys):
    out = str(tmp_path / "a.npz")
    (tmp_path / "folder.npz").mkdir()
    cases = [
        (["--augment", "100"], "--augment: must be >= 0 and <= 13, got 100"),
        (["--epochs", "-1"], "--epochs: must be >= 0, got -1"),
        (["--batch-size", "0"], "--batch-size: must be >= 1, got 0"),
        (["--lr", "inf"], "--lr: must be a finite number > 0, got inf"),
        (["--lr", "abc"], "--lr: must be a number, got 'abc'"),
        (["--weight-init", "-0.01"], "--weight-init: must be a number > 0"),
    ]
    for args, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            main([*args, "--out", out])
        assert exit_info.value.code == 2 and message in capsys.readouterr().err, args
    later = [
        (["--epochs", "2", "--snapshot-epochs", "0,99", "--out", out],
         "--snapshot-epochs must lie in 0..2 (--epochs 2), got [99]"),
        (["--epochs", "1", "--snapshot-params", "W9", "--snapshot-epochs", "1", "--out", out], "--snapshot-params ['W9']"),
        (["--epochs", "1", "--out", str(tmp_path / "folder.npz")], "would write over a folder"),
        (["--model", "lenet5", "--weight-init", "he", "--out", out], "--weight-init applies to --model simpleconvnet only"),
    ]
    for args, message in later:
        assert main(args) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert not any(tmp_path.glob("a*")), "nothing is written when a flag is wrong"


def test_lr_defaults_to_the_optimizers_own(tmp_path, monkeypatch):
    seen = {}

    def record(network, *args, **kwargs):
        seen.update(kwargs)
        raise KeyboardInterrupt  # stop before training

    monkeypatch.setattr("cnnlib.train.cli.Trainer", record)
    for optimizer in ("sgd", "adam"):
        assert main(["--optimizer", optimizer, "--out", str(tmp_path / "a.npz"), "--epochs", "0"]) == 130
        assert seen["lr"] is None and seen["optimizer"] == optimizer   # the Trainer then takes the optimizer's default


def test_a_bug_keeps_its_traceback(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug, not a user's mistake")

    monkeypatch.setattr("cnnlib.train.cli.Trainer", broken)
    with pytest.raises(ZeroDivisionError):
        main(["--out", str(tmp_path / "a.npz"), "--epochs", "0"])


def test_interrupt_reports_what_was_written(tmp_path, monkeypatch, capsys):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("cnnlib.train.cli.save_text", interrupt)   # Ctrl-C while the history is written
    out = tmp_path / "a.npz"
    assert main(["--out", str(out), "--epochs", "0", "--data", "embedded"]) == 130
    assert f"interrupted: wrote {out}" in capsys.readouterr().err and out.exists()


def test_the_installed_command(tmp_path):
    script = Path(sys.executable).with_name("cnnlib-train")
    run = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert run.returncode == 0 and "--snapshot-epochs" in run.stdout


def test_an_output_that_appears_during_training_is_kept_and_the_weights_saved_beside_it(tmp_path, monkeypatch, capsys):
    from cnnlib.train import cli

    out = tmp_path / "net.npz"
    paths = output_paths(out)

    class Racing(cli.Trainer):
        def train(self):  # another run (or the user) writes the outputs meanwhile
            out.write_bytes(b"someone else's weights")
            paths["history"].write_text("someone else's history")
            return super().train()

    monkeypatch.setattr(cli, "Trainer", Racing)
    args = ["--epochs", "0", "--data", "embedded", "--out", str(out), "--no-progress", "--snapshot-epochs", "0"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert out.read_bytes() == b"someone else's weights" and paths["history"].read_text() == "someone else's history"
    saved = sorted(p for p in tmp_path.glob("net.*.npz") if not p.name.endswith(".snapshots.npz"))
    assert len(saved) == 1 and saved[0] != out
    SimpleConvNet().load_params(saved[0])        # the finished training is there
    fresh = output_paths(saved[0])
    assert json.loads(fresh["history"].read_text())["model"] == "simpleconvnet" and fresh["snapshots"].exists()
    assert f"warning: {out}, {paths['history']} appeared during training" in captured.err, captured.err
    assert str(saved[0]) in captured.err
    assert "--force" in captured.err and "overwrite=True" not in captured.err + captured.out
    assert f"wrote {saved[0]}" in captured.out


def test_a_refusal_to_overwrite_names_the_flag_not_a_keyword(tmp_path, monkeypatch, capsys):
    def always_exists(path, text, overwrite=False):  # as cnnlib.io says it when the name is taken
        raise FileExistsError(17, f"{path} already exists; pass overwrite=True to replace it", str(path))

    monkeypatch.setattr("cnnlib.train.cli.save_text", always_exists)
    assert main(["--out", str(tmp_path / "a.npz"), "--epochs", "0", "--data", "embedded", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and "overwrite=True" not in err, err
    assert (tmp_path / "a.npz").exists()       # the weights written before the failure are kept
