"""Which input rows (or columns) the sliding windows see, for any numbers, stored compactly.

Along one dimension, window ``o`` (``0 <= o < OH``) of a filter of size F with dilation d
starts at ``o*stride`` of the padded input and reads the ``F`` pixels
``o*stride + k*d`` (``0 <= k < F``). A pixel no window reads is *unseen*:

- after the last window, when the sizes do not divide (the rows flooring drops);
- between two windows, when the stride is larger than the (dilated) filter
  (``size_report(28, 5, stride=23)``: rows 5-22);
- between the taps of a dilated filter that the other windows do not fill in
  (stride 2 and dilation 2 never read an odd row).

Away from the two ends the pattern repeats every ``stride`` pixels: pixel x is read when
``x mod stride`` is one of the taps' residues ``k*d mod stride``. So :func:`unseen` finds the
unseen residues once, states them as runs that repeat every stride (:class:`IndexSet`), and
looks pixel by pixel only at the two ends, each as long as the dilated filter: the work
depends on the filter, never on the size of the image or the stride.
"""

import math
from dataclasses import dataclass

__all__ = ["IndexSet", "unseen", "effective_filter_size", "skips_pixels"]


def effective_filter_size(filter_size, dilation=1):
    """The span of a dilated filter: ``dilation*(filter_size - 1) + 1`` (taps ``dilation`` apart)."""
    return dilation * (filter_size - 1) + 1


def skips_pixels(stride, filter_size, dilation=1):
    """True if windows ``stride`` apart leave pixels between them that none reads.

    Pixel x (away from the ends) is read when ``x mod stride`` equals some tap's
    ``k*dilation mod stride``: all residues are reached only if ``gcd(stride, dilation) = 1``
    and the filter has at least ``stride`` taps. With dilation 1: ``stride > filter_size``.
    """
    g = math.gcd(stride, dilation)
    return g > 1 or filter_size < stride // g


@dataclass(frozen=True)
class IndexSet:
    """A set of indices stored as blocks ``(start, length, period, count)``: ``count`` runs of
    ``length`` consecutive indices, the i-th starting at ``start + i*period``.

    Behaves like the sorted tuple of its indices (``len``, ``in``, iteration, ``==`` with a
    tuple or list) without ever listing them: ``ranges()`` gives the runs, and ``str`` lists
    up to four runs ("1, 3, 5, 7") and shortens more, like "5–22, 28–45, 51–68, ... (9 runs, 162 in all)".
    """

    blocks: tuple = ()

    def ranges(self, limit=None):
        """The runs as ``range`` objects in increasing order (at most ``limit`` of them)."""
        runs = []
        for start, length, period, count in self.blocks:
            for i in range(count if limit is None else min(count, limit)):
                runs.append(range(start + i * period, start + i * period + length))
        runs.sort(key=lambda r: r.start)
        return runs if limit is None else runs[:limit]

    @property
    def run_count(self):
        return sum(count for *_, count in self.blocks)

    @property
    def size(self):
        """How many indices, as a Python int of any size (``len`` cannot exceed sys.maxsize)."""
        return sum(length * count for _, length, _, count in self.blocks)

    def __len__(self):
        return self.size

    def __bool__(self):
        return bool(self.blocks)

    def __contains__(self, index):
        for start, length, period, count in self.blocks:
            i = (index - start) // period if count > 1 else 0
            if 0 <= i < count and 0 <= index - start - i * period < length:
                return True
        return False

    def __iter__(self):
        for run in self.ranges():
            yield from run

    def __eq__(self, other):
        if isinstance(other, IndexSet):
            return sorted(self.blocks) == sorted(other.blocks) or tuple(self) == tuple(other)
        if isinstance(other, (tuple, list)):
            return self.size == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self):
        return hash(self.blocks)

    def __repr__(self):
        return f"IndexSet({str(self)!r})"

    def __str__(self):
        runs = self.ranges(limit=4)
        shown = runs if self.run_count <= 4 else runs[:3]   # "..." only where it hides 2 runs or more
        text = ", ".join(f"{r.start}" if len(r) == 1 else f"{r.start}–{r.stop - 1}" for r in shown)
        if self.run_count > 4:
            text += f", ... ({self.run_count} runs, {self.size} in all)"
        return text


def _runs(flags, offset):
    """Blocks of the runs of True in a list of booleans, index i at ``offset + i``."""
    blocks, start = [], None
    for i, flag in enumerate(list(flags) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            blocks.append((offset + start, i - start, 1, 1))
            start = None
    return blocks


def _clip(block, lo, hi):
    """The part of a block inside [lo, hi): at most three blocks (a cut first run, whole runs, a cut last run)."""
    start, length, period, count = block
    first = max(0, -(-(lo - start - length + 1) // period))      # first run that ends after lo
    last = min(count - 1, (hi - 1 - start) // period)            # last run that starts before hi
    if first > last:
        return []
    out = []
    for i in sorted({first, last}):
        a, b = max(lo, start + i * period), min(hi, start + i * period + length)
        if a < b:
            out.append((a, b - a, 1, 1))
    if last - first >= 2:
        out.append((start + (first + 1) * period, length, period, last - first - 1))
    return out


def unseen(input_size, filter_size, stride=1, pad=0, dilation=1):
    """The input indices (0 .. input_size-1, padding excluded) that no window reads.

    The windows are those of the floored output size ``(n + 2*pad - eff) // stride + 1``,
    ``eff = dilation*(filter_size - 1) + 1``; the numbers must be valid (see
    :func:`cnnlib.sizes.check_window_args`).

    Returns:
        :class:`IndexSet`, e.g. ``unseen(28, 5, 23) == tuple(range(5, 23))``.
    """
    n, F, s, p, d = input_size, filter_size, stride, pad, dilation
    length = n + 2 * p
    eff = d * (F - 1) + 1
    out = (length - eff) // s + 1
    last = (out - 1) * s + eff                     # first padded index after the last window
    blocks = [(last, length - last, 1, 1)] if last < length else []
    # the interior [A, B): every tap k has a window there, so x is read iff x mod s is a tap's residue
    A, B = (F - 1) * d, (out - 1) * s + 1

    def read(x):                                   # some window o < out, some tap k < F reads x
        return any((x - k * d) % s == 0 and 0 <= (x - k * d) // s < out for k in range(min(F, x // d + 1)))

    if A >= B:                                     # no interior: few windows, look at each pixel
        blocks += _runs((not read(x) for x in range(last)), 0)
    else:
        if d > 1:                                  # d = 1: window 0 reads all of [0, A] and the last all of [B, last)
            blocks += _runs((not read(x) for x in range(A)), 0)
            blocks += _runs((not read(x) for x in range(B, last)), B)
        g = math.gcd(s, d)
        residues = sorted({k * d % s for k in range(min(F, s // g))})  # k*d mod s repeats after s/g taps
        gaps = [(a + 1, b - a - 1) for a, b in zip(residues, residues[1:] + [residues[0] + s]) if b - a > 1]
        for r, size in gaps:                       # unseen residues r .. r+size-1, every s pixels
            first = A + (r - A) % s                # the first x >= A with x = r (mod s)
            for block in _clip((first - s, size, s, (B - first) // s + 2), A, B):
                blocks.append(block)
    # keep the input's pixels, numbered from 0
    kept = [(a - p, b_len, per, c) for block in blocks for a, b_len, per, c in _clip(block, p, p + n)]
    return IndexSet(tuple(sorted(kept)))
