"""Helpers the tests share: inputs that keep numerical gradients away from kinks, a
check that a layer leaves its inputs alone, and a guard against calls that hang. The
references the library is compared with live in :mod:`cnnlib.reference`."""

import threading

import numpy as np


def bounded(call, limit, what):
    """Run ``call()`` in a thread; fail (instead of hanging) if it is not done after ``limit`` s.
    Returns ``{"value": ...}`` or ``{"error": exception}``; ``what`` names the unbounded thing."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as err:  # handed to the test
            outcome["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"still running after {limit} s: {what} is unbounded"
    return outcome


def distinct_values(rng, shape, spacing=0.1):
    """A random array whose entries differ pairwise by at least ``spacing``.

    Max pooling has a kink where two entries of a window tie; a numerical gradient with
    step h = 1e-5 that crosses a tie is wrong, so gradient checks of max pooling use
    inputs whose values are far apart compared with h.
    """
    size = int(np.prod(shape))
    return (rng.permutation(size) * spacing - size * spacing / 2).reshape(shape).astype(np.float64)


def away_from_zero(rng, shape, margin=0.1, high=2.0):
    """Random float64 values with ``margin <= |x| <= high`` and random signs.

    ReLU's kink at 0 is never crossed by a step h = 1e-5; and ``|x| <= 2`` keeps the
    slopes of sigmoid and tanh away from 0, where a relative error means little.
    """
    return rng.uniform(margin, high, shape) * rng.choice([-1.0, 1.0], shape)


def assert_layer_does_not_mutate(layer, x, rng):
    """Run forward and backward on ``x``; assert x, dout and the parameters are unchanged."""
    params_before = {k: v.copy() for k, v in layer.params.items()}
    x_before = x.copy()
    out = layer.forward(x, train=True)
    dout = rng.standard_normal(out.shape)
    dout_before = dout.copy()
    layer.backward(dout)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)
    for k, v in layer.params.items():
        np.testing.assert_array_equal(v, params_before[k])
