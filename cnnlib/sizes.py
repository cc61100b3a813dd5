"""Output sizes of convolution and pooling, with errors a student can act on.

One formula governs every sliding window in the course (convolution and pooling):

    OH = (H + 2*pad - FH) / stride + 1

With a dilated filter (taps ``dilation`` pixels apart) FH is the *effective* filter size
``dilation*(FH - 1) + 1``, the span the taps cover. Stride, pad and dilation may differ
between height and width: the layers take an int or an ``(h, w)`` pair (:func:`pair`),
and the formula applies to each dimension with its own numbers.

It only makes sense when the numerator ``H + 2*pad - FH`` is divisible by
``stride``: otherwise the last window would hang over the edge of the padded input.
Deep Learning from Scratch (and PyTorch) then floor the division, which silently
ignores the last input rows. ``conv_output_size`` refuses by default and explains.
"""

import math
import operator
from dataclasses import dataclass

from .coverage import IndexSet, effective_filter_size, skips_pixels, unseen

__all__ = ["conv_output_size", "effective_filter_size", "pair", "check_window_args", "check_stride_pad", "suggest",
           "Suggestions", "SizeReport", "size_report", "IndexSet", "skips_pixels", "ratio_text"]


def _check_int(name, value, minimum):
    # bool is an int subclass, but stride=True is surely a mistake
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = operator.index(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {name} = {value}")
    return value


def pair(value, name, minimum=0):
    """``value`` as an ``(h, w)`` pair of ints: an int means the same for both dimensions.

    >>> pair(2, "stride"), pair((3, 4), "stride")
    ((2, 2), (3, 4))
    """
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or an (h, w) pair, got {name} = {value!r}")
        return tuple(_check_int(f"{name}[{i}]", v, minimum) for i, v in enumerate(value))
    value = _check_int(name, value, minimum)
    return value, value


def check_stride_pad(stride, pad, dilation=1):
    """Validate stride (>= 1), pad (>= 0), dilation (>= 1), each an int or an (h, w) pair; return them as given."""
    pair(stride, "stride", 1), pair(pad, "pad", 0), pair(dilation, "dilation", 1)
    return stride, pad


def _filter_words(filter_size, dilation):
    """'filter size 3' or 'effective filter size dilation*(F-1)+1 = 2*(3-1)+1 = 5' for messages."""
    eff = effective_filter_size(filter_size, dilation)
    return (f"filter size {filter_size}" if dilation == 1
            else f"effective filter size dilation*(F-1)+1 = {dilation}*({filter_size}-1)+1 = {eff}")


def check_window_args(input_size, filter_size, stride, pad, dim="input", dilation=1):
    """Validate the numbers of the formula (one dimension); return them as Python ints
    ``(input_size, filter_size, stride, pad)``.

    ``dim`` names the dimension in messages (e.g. "height"). Raises ``TypeError`` for
    non-integers and ``ValueError`` for a zero/negative size, stride or dilation, a
    negative pad, or a (dilated) filter larger than the padded input.
    """
    input_size = _check_int(f"{dim} size", input_size, 1)
    filter_size = _check_int("filter size", filter_size, 1)
    stride, pad, dilation = _check_int("stride", stride, 1), _check_int("pad", pad, 0), _check_int("dilation", dilation, 1)
    padded, eff = input_size + 2 * pad, effective_filter_size(filter_size, dilation)
    if eff > padded:
        raise ValueError(
            f"{_filter_words(filter_size, dilation)} is larger than the padded {dim} "
            f"({input_size} + 2*{pad} = {padded}); use a smaller filter{' or dilation' if dilation > 1 else ''} "
            f"or pad >= {-(-(eff - input_size) // 2)}"
        )
    return input_size, filter_size, stride, pad


def ratio_text(num, den):
    """``num / den`` (num >= 0, den >= 1) with two decimals, by integers: exact for any size. "12.50" for 25/2."""
    hundredths = (200 * num + den) // (2 * den)  # rounded half up
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _nearest(candidates, current, k):
    """The ``k`` candidates nearest to ``current`` (ties: the smaller first), never ``current``."""
    return sorted({c for c in candidates if c != current}, key=lambda c: (abs(c - current), c))[:k]


def _divisors(n, near, limit=3000):
    """Divisors of n >= 1, in bounded time: those up to ``limit`` with their cofactors n // d
    (so all of them when n <= limit**2, any real image) and those within ``limit`` of ``near``."""
    small = [d for d in range(1, min(math.isqrt(n), limit) + 1) if n % d == 0]
    around = [d for d in range(max(1, near - limit), min(n, near + limit) + 1) if n % d == 0]
    return set(small + [n // d for d in small] + around)


@dataclass(frozen=True)
class Suggestions:
    """Settings near the current ones for which every dimension divides (see :func:`suggest`).

    ``pads`` (with the same stride), ``strides`` (with the same pad): one value for every
    dimension (empty when the current stride or pad differs between dimensions); ``filters``
    (one list per dimension, with the same pad, stride and dilation); each nearest first.
    ``pads_each``, ``strides_each``: one list per dimension, for that dimension alone.
    ``skips``: the suggested strides that leave rows or columns no window reads (:func:`skips_pixels`).
    """

    pads: tuple
    strides: tuple
    filters: tuple
    skips: tuple
    pads_each: tuple = ()
    strides_each: tuple = ()


def _pads(input_sizes, effs, stride, pad, k):
    """Pads p (within one stride of ``pad``) with ``n + 2p - eff`` divisible by ``stride`` in every dimension."""
    step, residues = stride // math.gcd(2, stride), set()
    for n, f in zip(input_sizes, effs):
        if (f - n) % math.gcd(2, stride):
            return ()  # 2p is even: an odd difference never divides an even stride
        residues.add((f - n) // math.gcd(2, stride) * pow(2 // math.gcd(2, stride), -1, step) % step if step > 1 else 0)
    smallest = max([0] + [-(-(f - n) // 2) for n, f in zip(input_sizes, effs)])  # the filter must fit
    if len(residues) != 1:
        return ()
    low = max(pad - stride, smallest)
    first = low + (residues.pop() - low) % step     # the first of the class >= low: never a scan up to it
    return tuple(_nearest(range(first, max(pad, smallest) + stride + 1, step), pad, k))


def _strides(spans, stride, k):
    """The divisors of the spans' greatest common divisor nearest to ``stride``."""
    common = math.gcd(*spans) if min(spans) >= 0 else 0  # a negative span: the filter does not fit
    return tuple(_nearest(_divisors(common, stride), stride, k)) if common > 0 else ()


def _filters(padded, f, stride, dilation, k):
    """Filter sizes g near f with ``padded - (dilation*(g-1)+1)`` divisible by ``stride``:
    ``dilation*(g-1) = padded - 1 (mod stride)``, one class modulo ``stride/gcd``, solved at once."""
    g = math.gcd(dilation, stride)
    if (padded - 1) % g:
        return ()
    step = stride // g
    r = (padded - 1) // g * pow(dilation // g, -1, step) % step if step > 1 else 0   # g - 1 = r (mod step)
    j = (f - 1 - r) // step
    candidates = [1 + r + i * step for i in range(j - k, j + k + 2)]
    return tuple(_nearest([c for c in candidates if 1 <= c and effective_filter_size(c, dilation) <= padded], f, k))


def suggest(input_sizes, filter_sizes, stride, pad, k=2, dilation=1):
    """The nearest pads, strides and filter sizes for which ``input + 2*pad - eff`` divides
    by the stride in every dimension (``eff = dilation*(filter - 1) + 1``): the one
    suggestion logic of the course (the errors of :func:`conv_output_size`,
    :func:`size_report` and the explorer).

    Args:
        input_sizes, filter_sizes: one entry per dimension, e.g. ``(H, W)`` and ``(FH, FW)``.
        stride, pad, dilation: the current ones (valid numbers), each an int or one
            value per dimension.
        k: at most this many suggestions of each kind.

    Computed in bounded time, never by scanning every stride or pad, so any numbers
    answer at once: the pads that work form one class modulo the stride (2p must equal
    ``eff - input`` modulo the stride in every dimension), searched within one stride of
    the current pad; the strides are divisors of the spans' greatest common divisor (all of
    them up to 9,000,000; beyond, those up to 3,000, their cofactors and those within 3,000
    of the stride); the filter sizes form one class modulo ``stride / gcd(stride, dilation)``.
    Raises ``TypeError``/``ValueError`` for a non-integer, zero or negative number.
    """
    strides, pads, dilations = (tuple(v) if isinstance(v, (tuple, list)) else (v,) * len(input_sizes)
                                for v in (stride, pad, dilation))
    for name, values, low in (("input size", input_sizes, 1), ("filter size", filter_sizes, 1),
                              ("stride", strides, 1), ("pad", pads, 0), ("dilation", dilations, 1)):
        [_check_int(name, v, low) for v in values]
    effs = [effective_filter_size(f, d) for f, d in zip(filter_sizes, dilations)]
    each = [(_pads((n,), (e,), s, p, k), _strides((n + 2 * p - e,), s, k))
            for n, e, s, p in zip(input_sizes, effs, strides, pads)]
    filters = tuple(_filters(n + 2 * p, f, s, d, k)
                    for n, f, s, p, d in zip(input_sizes, filter_sizes, strides, pads, dilations))
    joint_pads = joint_strides = ()
    if len(set(strides)) == 1 and len(set(pads)) == 1:
        joint_pads = _pads(input_sizes, effs, strides[0], pads[0], k)
        joint_strides = _strides([n + 2 * pads[0] - e for n, e in zip(input_sizes, effs)], strides[0], k)
    candidates = set(joint_strides) | {t for _, ts in each for t in ts}
    skips = tuple(t for t in sorted(candidates, key=lambda t: (abs(t - strides[0]), t))
                  if any(skips_pixels(t, f, d) for f, d in zip(filter_sizes, dilations)))
    return Suggestions(joint_pads, joint_strides, filters, skips,
                       tuple(p for p, _ in each), tuple(t for _, t in each))


def conv_output_size(input_size, filter_size, stride=1, pad=0, dilation=1, strict=True):
    """Output size of a convolution or pooling window along one dimension.

    ``(input_size + 2*pad - eff) // stride + 1`` with ``eff = dilation*(filter_size - 1) + 1``,
    the effective filter size (``eff = filter_size`` without dilation).

    Args:
        input_size: H (or W) of the input.
        filter_size: FH (or FW) of the filter or pooling window.
        stride: step between two window positions, >= 1.
        pad: zeros added on each side, >= 0.
        dilation: distance between two taps of the filter, >= 1 (1: adjacent pixels).
        strict: if True (default), raise ``ValueError`` when the window does not fit a whole
            number of times, naming the numbers and suggesting the nearest valid pads and
            strides. If False, floor as PyTorch does (the last rows are then never seen).

    Returns:
        int: OH (or OW).

    >>> conv_output_size(4, 3, stride=1, pad=1)
    4
    >>> conv_output_size(7, 3, stride=2)
    3
    >>> conv_output_size(7, 3, dilation=2)   # the taps span 2*(3-1)+1 = 5 pixels
    3
    """
    input_size, filter_size, stride, pad = check_window_args(input_size, filter_size, stride, pad, dilation=dilation)
    eff = effective_filter_size(filter_size, dilation)
    span = input_size + 2 * pad - eff
    if strict and span % stride != 0:
        sug = suggest((input_size,), (filter_size,), stride, pad, dilation=dilation)
        strides = " or ".join(f"stride={t}" + (" (skips pixels)" if t in sug.skips else "") for t in sug.strides)
        name = "filter_size" if dilation == 1 else "eff"
        where = "" if dilation == 1 else f", where eff = dilation*(filter_size-1)+1 = {dilation}*({filter_size}-1)+1"
        raise ValueError(
            f"(input_size + 2*pad - {name}) = ({input_size} + 2*{pad} - {eff}) = {span}{where} "
            f"is not divisible by stride = {stride}: the last window would hang over the edge "
            f"({span}/{stride} = {ratio_text(span, stride)}). "
            f"Choose pad={' or pad='.join(map(str, sug.pads)) if sug.pads else '(none)'} with stride={stride}, "
            f"or {strides or 'another stride'} with pad={pad}; "
            f"or pass strict=False to floor like PyTorch (output {span // stride + 1})."
        )
    return span // stride + 1


@dataclass(frozen=True)
class SizeReport:
    """Everything the output-size explorer shows for one dimension.

    Attributes:
        input_size, filter_size, stride, pad: the inputs (``dilation`` too, last).
        span: ``input_size + 2*pad - eff``, ``eff`` the effective filter size.
        divides: True when ``span % stride == 0``.
        output_size: the floored output size (PyTorch's rule), the exact one when ``divides``.
        unseen: the *unpadded* input rows no window reads, after the last window and
            between windows (:class:`~cnnlib.coverage.IndexSet`, equal to their tuple).
        suggested_pads, suggested_strides: nearest values that make the sizes divide.
        formula: the formula with the numbers substituted.
        dilation: the distance between two taps; ``effective_filter``: its span.
    """

    input_size: int
    filter_size: int
    stride: int
    pad: int
    span: int
    divides: bool
    output_size: int
    unseen: IndexSet
    suggested_pads: tuple
    suggested_strides: tuple
    formula: str
    dilation: int = 1

    @property
    def effective_filter(self):
        """``dilation*(filter_size - 1) + 1``."""
        return effective_filter_size(self.filter_size, self.dilation)

    @property
    def last_start(self):
        """Padded-grid index where the last window starts."""
        return (self.output_size - 1) * self.stride


def size_report(input_size, filter_size, stride=1, pad=0, dilation=1):
    """Explain the output size along one dimension without ever raising for non-dividing sizes.

    Invalid arguments (negative pad, zero stride, filter larger than the padded input)
    still raise ``ValueError``/``TypeError`` from :func:`check_window_args`. The unseen
    rows are found by arithmetic (:func:`cnnlib.coverage.unseen`), for any numbers.
    """
    input_size, filter_size, stride, pad = check_window_args(input_size, filter_size, stride, pad, dilation=dilation)
    eff = effective_filter_size(filter_size, dilation)
    span = input_size + 2 * pad - eff
    out, divides = span // stride + 1, span % stride == 0
    sug = suggest((input_size,), (filter_size,), stride, pad, dilation=dilation)
    pads, strides = ((), ()) if divides else (sug.pads, sug.strides)
    value = f"{out}" if divides else ratio_text(span + stride, stride)
    formula = f"({input_size} + 2×{pad} − {filter_size if dilation == 1 else eff}) / {stride} + 1 = {span}/{stride} + 1 = {value}"
    return SizeReport(input_size, filter_size, stride, pad, span, divides, out,
                      unseen(input_size, filter_size, stride, pad, dilation), pads, strides, formula, dilation)
