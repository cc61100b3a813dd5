"""The README's speed table is written by the benchmark (benchmarks/speed_table.py formats it)."""
import re
from pathlib import Path

import pytest

from benchmarks import speed_table

REPO = Path(__file__).resolve().parent.parent


def test_the_table_holds_medians_and_the_spread_of_the_runs():
    rows = [("step", {"cnnlib": [10.0, 12.0, 11.0], "torch": [10.0, 10.0, 5.0], "book": [60.0, 70.0, 65.0]}),
            ("pool", {"cnnlib": [2.0, 2.0, 2.0], "book": [30.0, 30.0, 30.0]})]  # PyTorch absent
    text = speed_table.markdown(rows, "Some CPU, 2 cores; BLAS kernels: Haswell; 2026-12-02", runs=3,
                                memory={"cnnlib": 93.2, "PyTorch": 363.0})
    assert "Measured on: Some CPU, 2 cores; BLAS kernels: Haswell; 2026-12-02." in text
    # ratios per run 1.0, 1.2, 2.2: median 1.2, range 1.0-2.2; times: medians of the runs
    assert "| step | 11.00 (10.00–12.00) | 10.00 (5.00–10.00) | 1.20× (1.00–2.20) | 65.00 (60.00–70.00) |" in text
    assert "| pool | 2.00 (2.00–2.00) | – | – | 30.00 (30.00–30.00) |" in text
    assert "3 runs" in text and "cnnlib 93 MiB, PyTorch 363 MiB" in text


def test_the_machine_line_names_cpu_blas_versions_threads_and_date():
    line = speed_table.machine(2, "2.13.0", today="2026-12-02")
    assert re.search(r"\d+ cores; BLAS kernels: .+; NumPy \d", line)
    assert "PyTorch 2.13.0" in line and "2 threads each" in line and line.endswith("2026-12-02")
    assert speed_table.blas_kernels() != ""


def test_write_readme_replaces_only_the_table(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n{speed_table.BEGIN}\nold table\n{speed_table.END}\n\nafter\n")
    speed_table.write_readme(readme, "| new |")
    assert readme.read_text() == f"# Title\n\n{speed_table.BEGIN}\n| new |\n{speed_table.END}\n\nafter\n"
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match="markers"):
        speed_table.write_readme(readme, "| new |")


def test_the_readme_shows_a_table_the_benchmark_wrote():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert text.count(speed_table.BEGIN) == 1 and text.count(speed_table.END) == 1
    table = text.split(speed_table.BEGIN)[1].split(speed_table.END)[0]
    assert re.search(r"Measured on: .+ cores; BLAS kernels: .+; NumPy .+ threads each; \d{4}-\d{2}-\d{2}\.", table)
    assert re.search(r"lowest and highest of [3-9] runs", table)
    assert "| SimpleConvNet training step, batch 100 |" in table
