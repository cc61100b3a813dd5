"""The accuracy benchmark behind the README's measured rows runs end to end (on a tiny test set)."""
import subprocess
import sys
from pathlib import Path

import numpy as np

from cnnlib.data import load_mnist
from tests.test_datasets import idx_gz

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "accuracy_official.py"


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


def test_accuracy_official_trains_and_measures_on_the_given_test_files(tmp_path):
    _, (x_test, t_test) = load_mnist(source="embedded", normalize=False)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(idx_gz(x_test[:200, 0]))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(idx_gz(t_test[:200]))
    out = run("--epochs", "1", "--seeds", "0,1", "--mnist-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "train: 5,000 embedded digits; test: 200 official MNIST test digits" in out.stdout
    accuracies = [float(line.split("test accuracy ")[1].split()[0]) for line in out.stdout.splitlines()
                  if line.startswith("seed ")]
    assert len(accuracies) == 2 and min(accuracies) > 0.5       # one epoch on 5,000 digits already reads most
    assert f"mean {np.mean(accuracies):.4f} ± {np.std(accuracies, ddof=1):.4f}" in out.stdout


def test_accuracy_official_says_where_it_looked(tmp_path):
    out = run("--mnist-dir", str(tmp_path))
    assert out.returncode != 0 and f"no official MNIST test set (t10k-images-idx3-ubyte.gz) in {tmp_path}" in out.stderr
