"""The contract every layer follows, and the checks they share.

A layer is an object with

- ``forward(x, train=True)`` -> output (``train`` matters only to Dropout and
  BatchNormalization; the others ignore it),
- ``backward(dout)`` -> ``dx``, the gradient of the loss with respect to ``x``, after
  filling ``self.grads`` with the gradients of ``self.params``,
- ``params`` and ``grads``: dicts keyed ``"W"``, ``"b"`` (``"gamma"``, ``"beta"`` for
  batch normalization), empty for layers without parameters.

No layer mutates the arrays passed to it.
"""

import numpy as np

__all__ = ["Layer", "check_ndim"]


class Layer:
    """Base class: no parameters, nothing cached. Subclasses override forward/backward."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.buffers = {}  # state that is saved with the weights but not trained (BN running stats)

    def forward(self, x, train=True):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def output_shape(self, input_shape):
        """Shape of one sample's output for one sample's input shape (no batch axis)."""
        return tuple(input_shape)

    def __repr__(self):
        shapes = ", ".join(f"{k}={v.shape}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"


def check_ndim(x, ndims, name="x", layout=None):
    """Raise a ValueError unless ``x`` is an ndarray with one of ``ndims`` dimensions."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(x).__name__}")
    if x.ndim not in ndims:
        want = " or ".join(str(n) for n in ndims)
        extra = f" {layout}" if layout else ""
        raise ValueError(f"{name} must have {want} dimensions{extra}, got shape {x.shape}")
