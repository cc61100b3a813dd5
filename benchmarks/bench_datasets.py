"""Load times of the data sets: the embedded digits (read from cnnlib's own .npz, checked
against its SHA-256), and for the full set the first load (parse the source files, write the
.npz cache) and the cached load (read the .npz), medians over a few repeats.

Never downloads: the full MNIST set is timed only when it is already in the cache
(``$CNNLIB_DATA_DIR`` or the per-user cache), and the official test files only when
``../shared/data/mnist`` exists.

    python benchmarks/bench_datasets.py --repeats 5
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from cnnlib.data import load_mnist
from cnnlib.data.download import data_dir, read_idx
from cnnlib.data.mnist import MNIST_FILES

OFFICIAL_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def median_seconds(fn, repeats, setup=None):
    times = []
    for _ in range(repeats):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    os.environ["CNNLIB_OFFLINE"] = "1"  # a benchmark must never download
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def fresh():  # an empty cache: the next load parses the source files
            shutil.rmtree(tmp / "mnist", ignore_errors=True)

        def embedded():
            load_mnist(source="embedded", cache_dir=tmp)

        rows.append(("MNIST embedded (5,000)", "shipped .npz, SHA-256 checked",
                     median_seconds(embedded, args.repeats)))

        full = data_dir(None, "mnist")
        if all((full / f).exists() for f in MNIST_FILES.values()):
            def copy_raw():
                fresh()
                (tmp / "mnist").mkdir()
                for f in MNIST_FILES.values():
                    shutil.copy(full / f, tmp / "mnist" / f)

            def download():
                load_mnist(source="download", cache_dir=tmp)

            rows.append(("MNIST full (70,000)", "first load: IDX -> .npz",
                         median_seconds(download, args.repeats, setup=copy_raw)))
            rows.append(("MNIST full (70,000)", "cached load: .npz", median_seconds(download, args.repeats)))
        elif (full / "mnist.npz").exists():
            rows.append(("MNIST full (70,000)", "cached load: .npz",
                         median_seconds(lambda: load_mnist(source="download"), args.repeats)))
        else:
            print(f"(full MNIST not cached in {full}: run load_mnist(source='download') once to time it)")

    if OFFICIAL_MNIST.exists():
        def parse_official():
            read_idx(OFFICIAL_MNIST / "t10k-images-idx3-ubyte.gz")
            read_idx(OFFICIAL_MNIST / "t10k-labels-idx1-ubyte.gz")

        rows.append(("MNIST official test (10,000)", "read_idx of the two .gz files",
                     median_seconds(parse_official, args.repeats)))

    print(f"median of {args.repeats} runs")
    print(f"{'data':<30} {'what':<32} {'time':>9}")
    for name, what, seconds in rows:
        print(f"{name:<30} {what:<32} {seconds * 1000:>6.1f} ms")


if __name__ == "__main__":
    main()
