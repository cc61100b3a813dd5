"""The README's speed table, written by the benchmark: the machine, then medians and spreads over runs.

``bench_performance.py --runs 3 --markdown`` measures every case three times (each run
interleaves the contenders, so that a slow moment of the machine hits them alike) and
prints the table :func:`markdown` makes; ``--write-readme`` puts it between the markers
below in README.md. Nothing here times anything: it names the machine and formats numbers.
"""

import ctypes
import datetime
import os
import platform
import re
from pathlib import Path

import numpy as np

BEGIN = "<!-- speed table: written by benchmarks/bench_performance.py --write-readme; do not edit by hand -->"
END = "<!-- end of the speed table -->"


def cpu_model():
    """The CPU's model name (from /proc/cpuinfo on Linux), e.g. 'AMD EPYC 9R45'."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def blas_kernels():
    """The kernels OpenBLAS picked for this CPU when it loaded, e.g. 'Haswell' or 'SkylakeX',
    and OPENBLAS_CORETYPE when it forces them."""
    name = _threadpoolctl_kernels() or _openblas_corename() or "unknown"
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    return name + (f" (OPENBLAS_CORETYPE={coretype})" if coretype else "")


def _threadpoolctl_kernels():
    try:
        from threadpoolctl import threadpool_info  # optional
    except ImportError:
        return None
    found = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}" for i in threadpool_info()
             if i.get("user_api") == "blas"]
    return ", ".join(found) or None


def _openblas_corename():
    """Ask NumPy's own OpenBLAS (the wheels bundle scipy-openblas) for its kernels, through ctypes."""
    libs = Path(np.__file__).parent.parent / "numpy.libs"
    for lib in sorted(libs.glob("*openblas*")) if libs.is_dir() else []:
        try:
            handle = ctypes.CDLL(str(lib))
        except OSError:
            continue
        for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
            fn = getattr(handle, symbol, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return f"OpenBLAS {fn().decode()}"
    return None


def machine(threads, torch_version=None, today=None):
    """One line naming what the numbers were measured on."""
    today = today or datetime.date.today().isoformat()
    torch = f", PyTorch {torch_version}" if torch_version else ", PyTorch not installed"
    return (f"{cpu_model()}, {os.cpu_count()} cores; BLAS kernels: {blas_kernels()}; NumPy {np.__version__}"
            f"{torch}; {threads} threads each; {today}")


def spread(values):
    """'median (min–max)' of one number per run."""
    values = np.asarray(values, dtype=float)
    return f"{np.median(values):.2f} ({values.min():.2f}–{values.max():.2f})"


def markdown(rows, header, runs, memory=None):
    """The table: one row per case, with the median over ``runs`` runs of each contender's
    median time and of the ratio cnnlib / PyTorch, and the lowest and highest of the runs.

    ``rows``: [(case, {"cnnlib": [ms per run], "torch": [...], "book": [...]})];
    ``memory``: optional {"cnnlib": MiB, "torch": MiB, "book": MiB}, a line under the table.
    """
    lines = [f"Measured on: {header}.", "",
             f"Milliseconds, median of each run's median; in brackets the lowest and highest of {runs} "
             f"run{'s' if runs != 1 else ''}. The ratio is computed within each run (both sides measured "
             f"in the same run, interleaved).", "",
             "| case | cnnlib (f32) | PyTorch (f32) | cnnlib / PyTorch | book style (f64) |",
             "|---|---|---|---|---|"]
    for case, times in rows:
        ours, torch, book = times["cnnlib"], times.get("torch"), times.get("book")
        ratio = spread(np.divide(ours, torch)).replace(" (", "× (") if torch is not None else "–"
        lines.append(f"| {case} | {spread(ours)} | {spread(torch) if torch is not None else '–'} | {ratio} | "
                     f"{spread(book) if book is not None else '–'} |")
    if memory:
        peaks = ", ".join(f"{name} {mib:.0f} MiB" for name, mib in memory.items())
        lines += ["", f"Peak memory of a short SimpleConvNet training run (separate processes): {peaks}."]
    return "\n".join(lines)


def write_readme(readme, table):
    """Replace what lies between BEGIN and END in the README by ``table``; the markers must be there."""
    text = Path(readme).read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), flags=re.DOTALL)
    if len(pattern.findall(text)) != 1:
        raise ValueError(f"{readme} must hold the markers {BEGIN!r} and {END!r} once each")
    Path(readme).write_text(pattern.sub(lambda _: f"{BEGIN}\n{table}\n{END}", text), encoding="utf-8")
