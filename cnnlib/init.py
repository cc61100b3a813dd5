"""Initial weights: how large the random numbers a network starts from should be.

Three rules, by the standard deviation of the normal distribution they draw from:

- the book's fixed ``0.01`` (any positive number: used as is);
- **He** (``"he"`` or ``"relu"``): ``sqrt(2 / fan_in)``, for layers followed by ReLU, which
  zeroes half of its inputs: the variance of the activations then stays constant from
  layer to layer (He et al., 2015);
- **Xavier** (``"xavier"``, ``"sigmoid"`` or ``"tanh"``): ``sqrt(1 / fan_in)``, for
  sigmoid and tanh (Glorot & Bengio, 2010, in the book's simplified form).

``fan_in`` is what one output sums over: C*FH*FW for a filter, D for an affine layer.
"""

import operator

import numpy as np

from .im2col import check_workspace

__all__ = ["init_std", "init_weights", "positive_ints"]


def positive_ints(name, values, layout=None, length=None):
    """``values`` as a tuple of Python ints if it is a whole number >= 1, or a sequence of them
    (of ``length`` entries, if given), else a ValueError naming ``name`` and the numbers."""
    one = np.ndim(values) == 0
    values = (values,) if one else tuple(values)
    whole = values and all(not isinstance(v, (bool, np.bool_)) and hasattr(v, "__index__") for v in values)
    if not whole or min(map(operator.index, values)) < 1 or (length is not None and len(values) != length):
        what = "a whole number" if one else f"{length} whole numbers" if length else "one or more whole numbers"
        raise ValueError(f"{name} must be {what} >= 1{' ' + layout if layout else ''}, got {name} = "
                         f"{values[0] if one else values!r}")
    return tuple(map(operator.index, values))


def init_std(weight_init_std, fan_in):
    """The standard deviation for ``weight_init_std`` (a number, ``"he"`` or ``"xavier"``)."""
    if isinstance(weight_init_std, str):
        rule = weight_init_std.lower()
        if rule in ("he", "relu"):
            return np.sqrt(2.0 / fan_in)
        if rule in ("xavier", "sigmoid", "tanh"):
            return np.sqrt(1.0 / fan_in)
        raise ValueError(f"weight_init_std must be a number, 'he' or 'xavier', got {weight_init_std!r}")
    if isinstance(weight_init_std, bool) or not isinstance(weight_init_std, (int, float, np.integer, np.floating)) \
            or not 0 < weight_init_std < np.inf:
        raise ValueError(f"weight_init_std must be a finite number > 0, 'he' or 'xavier', got {weight_init_std!r}")
    return float(weight_init_std)


def init_weights(shape, weight_init_std="he", rng=None, dtype=np.float32, fan_in=None):
    """Random initial weights of ``shape``, normal with the standard deviation of the rule.

    Args:
        shape: (FN, C, FH, FW) for filters, (D, M) for an affine layer.
        weight_init_std: a number, ``"he"`` or ``"xavier"`` (see the module docstring).
        rng: seed or ``np.random.Generator``.
        dtype: float32 to train, float64 to check gradients (drawn directly in it).
        fan_in: what one output sums over; default ``prod(shape[1:])`` for filters and
            ``shape[0]`` for an affine layer's (D, M).
    """
    shape = positive_ints("the weights' shape", shape)
    if fan_in is None:
        fan_in = int(np.prod(shape[1:])) if len(shape) == 4 else shape[0]
    dtype = np.dtype(dtype)
    check_workspace(int(np.prod(shape)) * dtype.itemsize, f"weights of shape {shape}", "use fewer or smaller filters or units")
    std = init_std(weight_init_std, fan_in)
    return dtype.type(std) * np.random.default_rng(rng).standard_normal(shape, dtype=dtype)
