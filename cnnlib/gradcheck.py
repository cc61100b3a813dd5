"""Numerical gradients by centered differences, and the relative error used to compare them.

``df/dx ~ (f(x + h) - f(x - h)) / (2h)`` has an error of order h**2; in float64 with
``h = 1e-5`` it agrees with a correct backward pass to 1e-7 relative error or better
(the course asserts < 1e-7; a wrong backward gives errors near 1). In float32 the
rounding of the outputs swamps the difference at that step (errors above 1e-2; notebook
03 sweeps h), which is why checks run in float64.
"""

import inspect

import numpy as np

__all__ = ["numerical_gradient", "numerical_gradient_array", "rel_error", "check_layer"]


def _centered_differences(f, x, h, difference):
    """For each entry i of ``x``: ``difference(f(x + h e_i), f(x - h e_i)) / (2h)``.

    ``x`` is changed in place one entry at a time and restored.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        # x[i] = old + h would round to an integer (or fail on a list): a silently wrong gradient
        kind = f"dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"x must be a NumPy array of floats (it is nudged by ±h = {h:g} in place), got {kind}: "
                        "pass x.astype(np.float64)")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = f()
        x[i] = old - h
        minus = f()
        x[i] = old
        grad[i] = difference(plus, minus) / (2 * h)
    return grad


def _takes_no_argument(f):
    """True if ``f()`` can be called without arguments."""
    try:
        inspect.signature(f).bind()
    except TypeError:
        return False
    except ValueError:  # no signature to inspect (some built-ins): the book's f(x)
        return False
    return True


def numerical_gradient(f, x, h=1e-5):
    """Gradient of the scalar function ``f`` with respect to the array ``x``.

    ``f`` is either ``f()`` (reads ``x`` itself: a layer's weights, or an input closed
    over) or, as in the book's ``common/gradient.py``, ``f(x)``; a function that can be
    called without arguments is called that way. ``x`` is changed in place one entry at
    a time and restored. Returns an array like ``x``.
    """
    g = f if _takes_no_argument(f) else (lambda: f(x))
    return _centered_differences(g, x, h, lambda plus, minus: plus - minus)


def numerical_gradient_array(f, x, dout, h=1e-5):
    """Gradient of ``sum(f() * dout)`` with respect to ``x``, for an array-valued ``f()``.

    Like :func:`numerical_gradient` on that sum, but the difference ``f(x+h) - f(x-h)``
    is taken output by output before the weighted sum, so outputs that ``x[i]`` does
    not touch cancel exactly instead of adding rounding noise (CS231n's
    ``eval_numerical_gradient_array``).
    """
    return _centered_differences(lambda: np.array(f(), copy=True), x, h,
                                 lambda plus, minus: np.sum((plus - minus) * dout))


def rel_error(a, b):
    """Largest element-wise relative error ``|a - b| / max(|a| + |b|, 1e-8)`` (CS231n's)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8), initial=0.0))


def check_layer(layer, x, rng=None, train=True, h=1e-5):
    """Compare a layer's backward pass with numerical gradients.

    Uses the scalar ``f = sum(layer.forward(x) * dout)`` for a random ``dout``, so that
    backprop's ``dx`` and ``grads`` must equal ``df/dx`` and ``df/dparam``
    (computed with :func:`numerical_gradient_array`).

    Args:
        layer: any layer; use float64 ``x`` and parameters.
        x: input array.
        rng: seed or ``np.random.Generator`` for ``dout``.

    Returns:
        dict ``{"x": err, "W": err, ...}`` of :func:`rel_error` for ``dx`` and each parameter.

    The layer's buffers (BatchNormalization's running statistics), which every forward
    updates, are put back as they were. A layer whose forward is random (Dropout in
    training) has no gradient to check: ``ValueError``.
    """
    rng = np.random.default_rng(rng)
    x = x.copy()
    saved = {k: v.copy() for k, v in getattr(layer, "buffers", {}).items()}
    try:
        out = np.array(layer.forward(x, train), copy=True)
        dout = rng.standard_normal(out.shape)

        def f():
            return layer.forward(x, train)

        if not np.array_equal(f(), out, equal_nan=True):
            raise ValueError(f"{type(layer).__name__}'s forward gives different outputs for the same input "
                             "(random, like Dropout in training): there is no gradient to compare; check it "
                             "without the randomness, e.g. Dropout(0.0)")
        dx = layer.backward(dout)
        errors = {"x": rel_error(dx, numerical_gradient_array(f, x, dout, h))}
        for name, param in layer.params.items():
            errors[name] = rel_error(layer.grads[name], numerical_gradient_array(f, param, dout, h))
    finally:
        for k, v in saved.items():
            layer.buffers[k][...] = v
    return errors
