"""cnnlib's convolution, pooling and training step against the book's im2col and PyTorch CPU.

Prints, per case, the median (min-max) time in ms of cnnlib (float32), of the book-style
reference (float64, :mod:`cnnlib.reference` and ``book_reference.py``) and of PyTorch (float32, when installed), and
the ratios, all measured in this one run with 2 threads for everyone. Then the peak
memory of a short SimpleConvNet training run per implementation (separate processes),
and of an AlexNet forward pass at batch 64 with and without im2col chunking.

    python benchmarks/bench_performance.py            # everything (a few minutes)
    python benchmarks/bench_performance.py --quick    # fewer repetitions
    python benchmarks/bench_performance.py --runs 3 --write-readme   # the README's table

Each run times the contenders interleaved (blocks of five calls of each in turn), so that
a slow moment of a shared machine slows them alike; ``--runs 3`` repeats everything three times
and reports, per case, the median over the runs and their lowest and highest values.

NumPy's matrix products run in OpenBLAS, which picks its kernels for the CPU when it
loads, unless the environment variable ``OPENBLAS_CORETYPE`` names them; the header
prints which ones ran. PyTorch ignores that variable. So compare like with like: on a
CPU with AVX-512, ``OPENBLAS_CORETYPE=Haswell`` restricts NumPy to AVX2 kernels while
PyTorch still uses AVX-512.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")  # before NumPy loads BLAS
os.environ.setdefault("OMP_NUM_THREADS", "2")

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from cnnlib.layers import Convolution, Pooling  # noqa: E402
from cnnlib.models import SimpleConvNet  # noqa: E402
from cnnlib.optim import Adam  # noqa: E402

import speed_table  # noqa: E402  (beside this script, on sys.path)
from book_reference import BookSimpleConvNet  # noqa: E402
from cnnlib.reference import BookConvolution, BookPooling  # noqa: E402

try:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(2)
except ImportError:
    torch = None

# (name, input shape, filters (FN, FH, FW), stride, pad)
CONV_CASES = [
    ("SimpleConvNet conv 1->30 5x5 28x28 (100)", (100, 1, 28, 28), (30, 5, 5), 1, 0),
    ("LeNet conv 6->16 5x5 14x14 (100)", (100, 6, 14, 14), (16, 5, 5), 1, 0),
    ("AlexNet conv1 3->96 11x11/4 227x227 (8)", (8, 3, 227, 227), (96, 11, 11), 4, 0),
    ("AlexNet conv3 256->384 3x3 p1 13x13 (8)", (8, 256, 13, 13), (384, 3, 3), 1, 1),
]
# (name, input shape, pool size, stride): the pooling after each convolution above
POOL_CASES = [
    ("SimpleConvNet max pool 2x2/2 on 30x24x24 (100)", (100, 30, 24, 24), 2, 2),
    ("LeNet max pool 2x2/2 on 16x10x10 (100)", (100, 16, 10, 10), 2, 2),
    ("AlexNet max pool 3x3/2 on 96x55x55 (8)", (8, 96, 55, 55), 3, 2),
    ("AlexNet max pool 3x3/2 on 384x13x13 (8)", (8, 384, 13, 13), 3, 2),
]


def measure(runners, repeat, warmup=3, block=5):
    """{contender: (median, min, max) ms} of ``repeat`` timed calls each.

    The contenders take turns in blocks of ``block`` calls (a rotating order), so that a
    slow moment of a shared machine hits them alike. Not call by call: after a call,
    OpenBLAS's and PyTorch's threads keep spinning for a moment, and would slow the other
    contender's next call. The first call of each block is not timed (it absorbs that).
    """
    for fn in runners.values():
        for _ in range(warmup):
            fn()
    names = list(runners)
    times = {name: [] for name in names}
    for r in range(-(-repeat // block)):
        for name in names[r % len(names):] + names[:r % len(names)]:
            runners[name]()  # untimed: the other contender's threads may still be spinning
            for _ in range(min(block, repeat - len(times[name]))):
                start = time.perf_counter()
                runners[name]()
                times[name].append((time.perf_counter() - start) * 1000)
    return {name: (np.median(t), min(t), max(t)) for name, t in times.items()}


def layer_runners(ours, book, shape, rng):
    """Forward + backward of cnnlib's layer (float32) and the book's (float64) on one random input.

    Returns the runners and the float32 input and output gradient, for the PyTorch runner.
    """
    x = rng.standard_normal(shape)
    dout = rng.standard_normal((shape[0],) + ours.output_shape(shape[1:]))
    x32, dout32 = x.astype(np.float32), dout.astype(np.float32)

    def run_ours():
        ours.forward(x32)
        ours.backward(dout32)

    def run_book():
        book.forward(x)
        book.backward(dout)

    return {"cnnlib": run_ours, "book": run_book}, x32, dout32


def conv_runners(shape, filt, stride, pad, rng, need_dx=True):
    FN, FH, FW = filt
    W = 0.1 * rng.standard_normal((FN, shape[1], FH, FW))
    b = np.zeros(FN)
    ours = Convolution(W.astype(np.float32), b.astype(np.float32), stride, pad)
    ours.need_dx = need_dx  # False: a network's first layer, whose input is the data
    runners, x32, dout32 = layer_runners(ours, BookConvolution(W, b, stride, pad), shape, rng)
    if torch:
        tx = torch.tensor(x32, requires_grad=need_dx)
        tW = torch.tensor(W.astype(np.float32), requires_grad=True)
        tb = torch.zeros(FN, requires_grad=True)
        tdout = torch.tensor(dout32)

        def run_torch():
            tx.grad = tW.grad = tb.grad = None
            F.conv2d(tx, tW, tb, stride=stride, padding=pad).backward(tdout)

        runners["torch"] = run_torch
    return runners


def pool_runners(shape, size, stride, rng):
    ours, book = Pooling(size, size, stride, strict=False), BookPooling(size, size, stride)
    runners, x32, dout32 = layer_runners(ours, book, shape, rng)
    if torch:
        tx = torch.tensor(x32, requires_grad=True)
        tdout = torch.tensor(dout32)

        def run_torch():
            tx.grad = None
            F.max_pool2d(tx, size, stride).backward(tdout)

        runners["torch"] = run_torch
    return runners


def torch_simpleconvnet():
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 30, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2),
                              torch.nn.Flatten(), torch.nn.Linear(4320, 100), torch.nn.ReLU(),
                              torch.nn.Linear(100, 10))
    return net, torch.optim.Adam(net.parameters(), lr=0.001)


def step_runners(rng, dtype=np.float32):
    x = rng.random((100, 1, 28, 28))
    t = rng.integers(0, 10, 100)
    x32 = x.astype(dtype)
    net, opt = SimpleConvNet(rng=0, dtype=dtype), Adam()

    def run_ours():
        _, grads = net.loss_and_gradient(x32, t)
        opt.update(net.params, grads)

    book = BookSimpleConvNet(np.random.default_rng(0))
    runners = {"cnnlib": run_ours, "book": lambda: book.step(x, t)}
    if torch:
        tnet, topt = torch_simpleconvnet()
        tnet.to(torch.float64 if dtype == np.float64 else torch.float32)
        tx, tt = torch.tensor(x32), torch.tensor(t)

        def run_torch():
            topt.zero_grad()
            F.cross_entropy(tnet(tx), tt).backward()
            topt.step()

        runners["torch"] = run_torch
    return runners


def fmt(stats):
    return f"{stats[0]:8.2f} ({stats[1]:.1f}-{stats[2]:.1f})" if stats else f"{'-':>8}"


def table(title, cases, repeat):
    """Print one table; return [(case, {contender: median ms})]."""
    print(f"\n{title}: ms, median (min-max); ratio = time / PyTorch's", flush=True)
    print(f"{'case':<48}{'cnnlib f32':>22}{'book f64':>22}{'PyTorch f32':>22}{'cnnlib/torch':>14}{'book/cnnlib':>13}")
    rows = []
    for name, runners in cases:
        stats = measure(runners, repeat)
        torch_ratio = f"{stats['cnnlib'][0] / stats['torch'][0]:.2f}x" if "torch" in stats else "-"
        print(f"{name:<48}{fmt(stats['cnnlib']):>22}{fmt(stats['book']):>22}{fmt(stats.get('torch')):>22}"
              f"{torch_ratio:>14}{stats['book'][0] / stats['cnnlib'][0]:>12.1f}x", flush=True)
        rows.append((name, {k: v[0] for k, v in stats.items()}))
    return rows


MEMORY_SCRIPT = """
import sys, numpy as np
def peak_mib():
    # VmHWM starts afresh at exec; ru_maxrss would carry over the parent's peak
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
sys.path.insert(0, {bench!r})
kind, steps = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
x, t = rng.random((100, 1, 28, 28)), rng.integers(0, 10, 100)
if kind == "cnnlib":
    from cnnlib.models import SimpleConvNet
    from cnnlib.optim import Adam
    net, opt, x = SimpleConvNet(), Adam(), x.astype(np.float32)
    def step():
        opt.update(net.params, net.loss_and_gradient(x, t)[1])
elif kind == "book":
    from book_reference import BookSimpleConvNet
    net = BookSimpleConvNet(rng)
    step = lambda: net.step(x, t)
else:
    import torch, torch.nn.functional as F
    torch.set_num_threads(2)
    from bench_performance import torch_simpleconvnet
    net, opt = torch_simpleconvnet()
    tx, tt = torch.tensor(x, dtype=torch.float32), torch.tensor(t)
    def step():
        opt.zero_grad(); F.cross_entropy(net(tx), tt).backward(); opt.step()
for _ in range(steps):
    step()
print(peak_mib())
"""

ALEXNET_SCRIPT = """
import sys, numpy as np
def peak_mib():
    # VmHWM starts afresh at exec; ru_maxrss would carry over the parent's peak
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
from cnnlib.models import AlexNet
from cnnlib.layers import Convolution
net = AlexNet(rng=0)
limit = None if sys.argv[1] == "none" else int(sys.argv[1]) * 2**20
for layer in net.layers:
    if isinstance(layer, Convolution):
        layer.max_col_bytes = limit
x = np.random.default_rng(0).random((64, 3, 227, 227), dtype=np.float32)
before = peak_mib()
net.predict(x)
print(before, peak_mib())
"""


def peak_memory(steps):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    print(f"\nPeak memory (VmHWM of a process running {steps} SimpleConvNet training steps, batch 100):")
    kinds = ["cnnlib", "book"] + (["torch"] if torch else [])
    peaks = {}
    for kind in kinds:
        script = MEMORY_SCRIPT.format(bench=str(Path(__file__).parent))
        out = subprocess.run([sys.executable, "-c", script, kind, str(steps)], capture_output=True, text=True, env=env)
        peaks[kind] = float(out.stdout.strip() or "nan")
        print(f"  {kind:<8}{peaks[kind]:8.0f} MiB" + (f"  {out.stderr[-200:]}" if out.returncode else ""))
    return {{"cnnlib": "cnnlib", "book": "book style", "torch": "PyTorch"}[k]: v for k, v in peaks.items()}


def alexnet_memory():
    print("\nAlexNet forward pass, batch 64, 227x227 (peak resident memory; weights are 238 MiB of it):")
    for limit in ["none", "64"]:
        out = subprocess.run([sys.executable, "-c", ALEXNET_SCRIPT, limit], capture_output=True, text=True)
        if out.returncode:
            print(f"  max_col_bytes={limit}: failed: {out.stderr[-300:]}")
            continue
        before, after = map(float, out.stdout.split())
        label = "no chunking" if limit == "none" else f"chunks of col <= {limit} MiB"
        print(f"  {label:<28} peak {after:7.0f} MiB (before the forward pass: {before:.0f} MiB)")


def tables(args, repeat, rng):
    """Every selected table, printed; returns all their rows."""
    rows = []
    if "step" in args.only or not args.only:
        rows += table("SimpleConvNet training step (forward, backward, Adam), batch 100 (the f32/f64 headers hold "
                      "for the first row; the second runs cnnlib and PyTorch in float64 too)",
                      [("SimpleConvNet training step, batch 100", step_runners(rng)),
                       ("the same in float64 for all (100)", step_runners(rng, np.float64))], repeat)
    if "conv" in args.only or not args.only:
        rows += table("Convolution forward + backward (dx, dW, db)",
                      [(name, conv_runners(shape, filt, s, p, rng)) for name, shape, filt, s, p in CONV_CASES],
                      repeat)
        rows += table("The same, as the first layer of a network: no dx for cnnlib and PyTorch (the book's code "
                      "always computes it)",
                      [(name + ", first layer (no dx)", conv_runners(shape, filt, s, p, rng, need_dx=False))
                       for name, shape, filt, s, p in CONV_CASES if shape[1] in (1, 3)], repeat)
    if "pool" in args.only or not args.only:
        rows += table("Max pooling forward + backward",
                      [(name, pool_runners(shape, size, s, rng)) for name, shape, size, s in POOL_CASES], repeat)
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    p.add_argument("--only", default="", help="run only the tables whose name contains this (step, conv, pool, memory)")
    p.add_argument("--runs", type=int, default=1, help="measure everything this many times (the README uses 3)")
    p.add_argument("--markdown", action="store_true", help="end with the Markdown table of all runs")
    p.add_argument("--write-readme", metavar="README", nargs="?", const=str(Path(__file__).parent.parent / "README.md"),
                   help="write that table into the README, between its speed-table markers")
    args = p.parse_args()
    if args.runs < 1:
        p.error(f"--runs must be at least 1, got {args.runs}")
    repeat = 7 if args.quick else 25
    header = speed_table.machine(os.environ["OPENBLAS_NUM_THREADS"], torch.__version__ if torch else None)
    print(header)
    per_case = {}
    for run in range(args.runs):
        if args.runs > 1:
            print(f"\n=== run {run + 1} of {args.runs}")
        for case, medians in tables(args, repeat, np.random.default_rng(run)):
            for contender, ms in medians.items():
                per_case.setdefault(case, {}).setdefault(contender, []).append(ms)
    memory = None
    if "memory" in args.only or not args.only:
        memory = peak_memory(30)
        alexnet_memory()
    if args.markdown or args.write_readme:
        text = speed_table.markdown(list(per_case.items()), header, args.runs, memory)
        print("\n" + text)
        if args.write_readme:
            speed_table.write_readme(args.write_readme, text)
            print(f"\nwritten into {args.write_readme}")


if __name__ == "__main__":
    main()
