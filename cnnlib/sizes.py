"""Output sizes of convolution and pooling, with errors a student can act on.

One formula governs every sliding window in the course (convolution and pooling):

    OH = (H + 2*pad - FH) / stride + 1

It only makes sense when the numerator ``H + 2*pad - FH`` is divisible by
``stride``: otherwise the last window would hang over the edge of the padded input.
Deep Learning from Scratch (and PyTorch) then floor the division, which silently
ignores the last input rows. ``conv_output_size`` refuses by default and explains.
"""

import math
import operator
from dataclasses import dataclass

__all__ = ["conv_output_size", "check_window_args", "check_stride_pad", "suggest", "Suggestions", "SizeReport",
           "size_report"]


def _check_int(name, value, minimum):
    # bool is an int subclass, but stride=True is surely a mistake
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = operator.index(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {name} = {value}")
    return value


def check_stride_pad(stride, pad):
    """Validate stride (>= 1) and pad (>= 0) on their own, e.g. when a layer is created."""
    return _check_int("stride", stride, 1), _check_int("pad", pad, 0)


def check_window_args(input_size, filter_size, stride, pad, dim="input"):
    """Validate the four numbers of the formula; return them as Python ints.

    ``dim`` names the dimension in messages (e.g. "height"). Raises ``TypeError`` for
    non-integers and ``ValueError`` for a zero/negative size or stride, a negative pad,
    or a filter larger than the padded input.
    """
    input_size = _check_int(f"{dim} size", input_size, 1)
    filter_size = _check_int("filter size", filter_size, 1)
    stride, pad = check_stride_pad(stride, pad)
    padded = input_size + 2 * pad
    if filter_size > padded:
        raise ValueError(
            f"filter size {filter_size} is larger than the padded {dim} "
            f"({input_size} + 2*{pad} = {padded}); use a smaller filter or pad >= "
            f"{-(-(filter_size - input_size) // 2)}"
        )
    return input_size, filter_size, stride, pad


def _nearest(candidates, current, k):
    """The ``k`` candidates nearest to ``current`` (ties: the smaller first), never ``current``."""
    return sorted({c for c in candidates if c != current}, key=lambda c: (abs(c - current), c))[:k]


def _divisors(n):
    """The divisors of n >= 1, by trial up to sqrt(n): a few thousand steps for any real image."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


@dataclass(frozen=True)
class Suggestions:
    """Settings near the current ones for which every dimension divides (see :func:`suggest`).

    ``pads`` (with the same stride), ``strides`` (with the same pad), ``filters`` (one
    list per dimension, with the same pad and stride); each nearest first. ``skips``:
    the suggested strides larger than a filter, which leave rows or columns unseen.
    """

    pads: tuple
    strides: tuple
    filters: tuple
    skips: tuple


def suggest(input_sizes, filter_sizes, stride, pad, k=2):
    """The nearest pads, strides and filter sizes for which ``input + 2*pad - filter``
    divides by the stride in every dimension: the one suggestion logic of the course
    (the errors of :func:`conv_output_size`, :func:`size_report` and the explorer).

    Args:
        input_sizes, filter_sizes: one entry per dimension, e.g. ``(H, W)`` and ``(FH, FW)``.
        stride, pad: the current ones (valid numbers).
        k: at most this many suggestions of each kind.

    Computed by arithmetic, never by scanning every stride or pad, so any numbers
    answer at once: the pads that work form one class modulo the stride (2p must equal
    ``filter - input`` modulo the stride in every dimension), searched within one stride of
    the current pad; the strides are the divisors of the spans' greatest common divisor.
    """
    spans = [n + 2 * pad - f for n, f in zip(input_sizes, filter_sizes)]
    # pads: 2p = f - n (mod stride) in each dimension
    step = stride // math.gcd(2, stride)
    residues = set()
    for n, f in zip(input_sizes, filter_sizes):
        if (f - n) % math.gcd(2, stride):
            residues = None  # 2p is even: an odd difference never divides an even stride
            break
        residues.add((f - n) // math.gcd(2, stride) * pow(2 // math.gcd(2, stride), -1, step) % step if step > 1 else 0)
    smallest = max([0] + [-(-(f - n) // 2) for n, f in zip(input_sizes, filter_sizes)])  # the filter must fit
    pads = []
    if residues is not None and len(residues) == 1:
        r = residues.pop()
        first = pad - stride + ((r - (pad - stride)) % step)     # the first of the class >= pad - stride
        pads = [p for p in range(first, max(pad, smallest) + stride + 1, step) if p >= smallest]
    common = 0
    for span in spans:
        common = math.gcd(common, span) if span >= 0 else -1
    strides = _divisors(common) if common > 0 else []
    strides = _nearest(strides, stride, k)
    filters = []
    for n, f in zip(input_sizes, filter_sizes):
        padded = n + 2 * pad
        r = padded % stride                       # f = padded (mod stride), 1 <= f <= padded
        j = (f - r) // stride
        filters.append(tuple(_nearest([r + i * stride for i in range(j - k, j + k + 2) if 1 <= r + i * stride <= padded],
                                      f, k)))
    skips = tuple(s for s in strides if s > min(filter_sizes))
    return Suggestions(tuple(_nearest(pads, pad, k)), tuple(strides), tuple(filters), skips)


def conv_output_size(input_size, filter_size, stride=1, pad=0, strict=True):
    """Output size of a convolution or pooling window along one dimension.

    ``(input_size + 2*pad - filter_size) // stride + 1``

    Args:
        input_size: H (or W) of the input.
        filter_size: FH (or FW) of the filter or pooling window.
        stride: step between two window positions, >= 1.
        pad: zeros added on each side, >= 0.
        strict: if True (default), raise ``ValueError`` when the window does not fit a
            whole number of times, naming the numbers and suggesting the nearest valid
            pads and strides. If False, floor the division as PyTorch does (the last
            rows/columns of the input are then never seen).

    Returns:
        int: OH (or OW).

    >>> conv_output_size(4, 3, stride=1, pad=1)
    4
    >>> conv_output_size(7, 3, stride=2)
    3
    """
    input_size, filter_size, stride, pad = check_window_args(input_size, filter_size, stride, pad)
    span = input_size + 2 * pad - filter_size
    if strict and span % stride != 0:
        sug = suggest((input_size,), (filter_size,), stride, pad)
        strides = " or ".join(f"stride={t}" + (" (skips pixels)" if t in sug.skips else "") for t in sug.strides)
        raise ValueError(
            f"(input_size + 2*pad - filter_size) = ({input_size} + 2*{pad} - {filter_size}) = {span} "
            f"is not divisible by stride = {stride}: the last window would hang over the edge "
            f"({span}/{stride} = {span / stride:.2f}). Choose pad={' or pad='.join(map(str, sug.pads)) if sug.pads else '(none)'}"
            f" with stride={stride}, or {strides or 'another stride'} with pad={pad}; "
            f"or pass strict=False to floor like PyTorch (output {span // stride + 1})."
        )
    return span // stride + 1


@dataclass(frozen=True)
class SizeReport:
    """Everything the output-size explorer shows for one dimension.

    Attributes:
        input_size, filter_size, stride, pad: the inputs.
        span: ``input_size + 2*pad - filter_size``.
        divides: True when ``span % stride == 0``.
        output_size: the floored output size (PyTorch's rule), equal to the exact one
            when ``divides``.
        unseen: indices of the *unpadded* input rows that no window covers when
            flooring (empty when the sizes divide).
        suggested_pads, suggested_strides: nearest values that make the sizes divide.
        formula: the formula with the numbers substituted.
    """

    input_size: int
    filter_size: int
    stride: int
    pad: int
    span: int
    divides: bool
    output_size: int
    unseen: tuple
    suggested_pads: tuple
    suggested_strides: tuple
    formula: str

    @property
    def last_start(self):
        """Padded-grid index where the last window starts."""
        return (self.output_size - 1) * self.stride


def size_report(input_size, filter_size, stride=1, pad=0):
    """Explain the output size along one dimension without ever raising for non-dividing sizes.

    Invalid arguments (negative pad, zero stride, filter larger than the padded input)
    still raise ``ValueError``/``TypeError`` from :func:`check_window_args`.
    """
    input_size, filter_size, stride, pad = check_window_args(input_size, filter_size, stride, pad)
    span = input_size + 2 * pad - filter_size
    out = span // stride + 1
    covered_end = (out - 1) * stride + filter_size  # first padded index no window reaches
    unseen = tuple(i - pad for i in range(covered_end, input_size + 2 * pad) if pad <= i < pad + input_size)
    divides = span % stride == 0
    sug = suggest((input_size,), (filter_size,), stride, pad)
    pads, strides = ((), ()) if divides else (sug.pads, sug.strides)
    value = f"{span // stride + 1}" if divides else f"{span / stride + 1:.2f}"
    formula = f"({input_size} + 2×{pad} − {filter_size}) / {stride} + 1 = {span}/{stride} + 1 = {value}"
    return SizeReport(input_size, filter_size, stride, pad, span, divides, out, unseen, pads, strides, formula)
