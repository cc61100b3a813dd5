"""Output sizes of convolution and pooling, with errors a student can act on.

One formula governs every sliding window in the course (convolution and pooling):

    OH = (H + 2*pad - FH) / stride + 1

It only makes sense when the numerator ``H + 2*pad - FH`` is divisible by
``stride``: otherwise the last window would hang over the edge of the padded input.
Deep Learning from Scratch (and PyTorch) then floor the division, which silently
ignores the last input rows. ``conv_output_size`` refuses by default and explains.
"""

import operator
from dataclasses import dataclass

__all__ = ["conv_output_size", "check_window_args", "check_stride_pad", "valid_pads", "valid_strides", "SizeReport", "size_report"]


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


def valid_pads(input_size, filter_size, stride, max_pad=None):
    """Pads ``p`` in ``0..max_pad`` for which ``input_size + 2p - filter_size`` divides by ``stride``."""
    max_pad = filter_size if max_pad is None else max_pad
    return [p for p in range(max_pad + 1)
            if input_size + 2 * p >= filter_size and (input_size + 2 * p - filter_size) % stride == 0]


def valid_strides(input_size, filter_size, pad, max_stride=None):
    """Strides ``s`` in ``1..max_stride`` that divide ``input_size + 2*pad - filter_size``."""
    span = input_size + 2 * pad - filter_size
    max_stride = max(span, 1) if max_stride is None else max_stride
    if span < 0:
        return []
    return [s for s in range(1, max_stride + 1) if span % s == 0]


def _nearest(values, target, k=2):
    return sorted(values, key=lambda v: (abs(v - target), v))[:k]


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
        pads = _nearest(valid_pads(input_size, filter_size, stride, max_pad=pad + stride), pad)
        strides = _nearest([s for s in valid_strides(input_size, filter_size, pad) if s != 1] or [1], stride)
        raise ValueError(
            f"(input_size + 2*pad - filter_size) = ({input_size} + 2*{pad} - {filter_size}) = {span} "
            f"is not divisible by stride = {stride}: the last window would hang over the edge "
            f"({span}/{stride} = {span / stride:.2f}). Choose pad={' or pad='.join(map(str, pads)) if pads else '(none)'}"
            f" with stride={stride}, or stride={' or stride='.join(map(str, strides))} with pad={pad}; "
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
    pads = () if divides else tuple(_nearest(valid_pads(input_size, filter_size, stride, max_pad=pad + stride), pad))
    strides = () if divides else tuple(_nearest(valid_strides(input_size, filter_size, pad), stride))
    value = f"{span // stride + 1}" if divides else f"{span / stride + 1:.2f}"
    formula = f"({input_size} + 2×{pad} − {filter_size}) / {stride} + 1 = {span}/{stride} + 1 = {value}"
    return SizeReport(input_size, filter_size, stride, pad, span, divides, out, unseen, pads, strides, formula)
