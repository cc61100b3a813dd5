"""Numbers that the notebooks' prose cites: rendered from the computation, compared over seeds.

A sentence that cites a result is written by ``say`` from the computed values, so a re-run
cannot contradict it. A comparison runs over several seeds and is reported as mean ± spread
(the standard deviation over the seeds, ``ddof=1``); ``compare`` draws a conclusion only
when the two means are further apart than the two spreads added, and otherwise says that
it cannot tell.
"""
import time

import numpy as np

__all__ = ["say", "spread", "show", "apart", "compare", "fastest"]


def say(text):
    """Show Markdown written from computed values (plain text outside a notebook)."""
    from IPython.display import Markdown, display  # the course's dependency, not the core's
    display(Markdown(text))


def spread(values):
    """(mean, spread) of a list of results, one per seed (or per resample of the test data: say
    which); the spread is their standard deviation (ddof=1). At least 2 values are needed."""
    values = np.asarray(values, dtype=float).ravel()
    if values.size < 2:
        raise ValueError(f"values: a spread needs at least 2 results (seeds or resamples), got {values.size}")
    return values.mean(), values.std(ddof=1)


def show(values, percent=False, digits=None):
    """'mean ± spread' as text: percentages with one decimal, or numbers with ``digits`` (3)."""
    m, s = spread(values)
    if percent:
        d = 1 if digits is None else digits
        return f"{m:.{d}%} ± {s:.{d}%}"
    d = 3 if digits is None else digits
    return f"{m:.{d}f} ± {s:.{d}f}"


def apart(a, b):
    """True when the means of results a and b differ by more than their two spreads added."""
    (ma, sa), (mb, sb) = spread(a), spread(b)
    return abs(ma - mb) > sa + sb


def compare(a, b, lower_is_better=False):
    """How results a compare with results b: 'better than' or 'worse than' (beyond the spreads),
    or 'within the spread of' (no conclusion)."""
    if not apart(a, b):
        return "within the spread of"
    return "better than" if (np.mean(a) < np.mean(b)) == lower_is_better else "worse than"


def fastest(fn, repeat=3):
    """Smallest wall-clock time of ``repeat`` calls of fn(), in seconds (the least disturbed run)."""
    if int(repeat) < 1:
        raise ValueError(f"repeat: at least 1 call is needed, got {repeat}")
    times = []
    for _ in range(int(repeat)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
