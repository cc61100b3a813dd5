"""The contract every layer follows, and the checks they share.

A layer is an object with

- ``forward(x, train=True)`` -> output (``train`` matters only to Dropout and
  BatchNormalization; the others ignore it),
- ``backward(dout)`` -> ``dx``, the gradient of the loss with respect to ``x``, after
  filling ``self.grads`` with the gradients of ``self.params``,
- ``output_shape(input_shape)`` -> the shape of one sample's output (no batch axis);
  a layer that changes the shape must say how, so the base class has no default;
  element-wise layers inherit :class:`SameShape`,
- ``macs(input_shape)`` -> the multiply-adds one sample costs (:func:`cnnlib.summary`
  counts them; the default 0 is for layers whose few operations per value papers leave out),
- ``params`` and ``grads``: dicts keyed ``"W"``, ``"b"`` (``"gamma"``, ``"beta"`` for
  batch normalization), empty for layers without parameters. The book's attribute
  names read the same dicts: ``layer.W`` is ``layer.params["W"]``, ``layer.dW`` is
  ``layer.grads["W"]`` (None before ``backward``); assigning ``layer.W = array`` puts
  that array in ``params`` (same shape required), as the book's ``load_params`` does, so
  a layer written the book's way (``self.W = W`` ... ``self.dW = ...``) fills the dicts.

The loss layer (:class:`~cnnlib.layers.SoftmaxWithLoss`) is the one exception: its
``forward(x, t)`` also takes the labels and returns a number, and its ``backward(dout=1)``
starts the chain. No layer mutates the arrays passed to it.
"""

import numpy as np

__all__ = ["Layer", "SameShape", "check_ndim", "param_attribute", "grad_attribute"]


def param_attribute(key):
    """A property ``layer.<key>`` for ``layer.params[key]`` (the book reads and assigns ``conv.W``)."""

    def get(self):
        if key not in self.params:
            raise AttributeError(f"{type(self).__name__} has no parameter {key!r} (it has {list(self.params)})")
        return self.params[key]

    def set(self, value):
        old = self.params.get(key)  # None: a layer written the book's way (self.W = W) creates it
        if old is not None and (not isinstance(value, np.ndarray) or value.shape != old.shape):
            raise ValueError(f"{type(self).__name__}.{key} must be an array of shape {old.shape}, "
                             f"got {getattr(value, 'shape', type(value).__name__)}")
        self.params[key] = value  # the array itself, not a copy: the book shares it with its params dict

    return property(get, set, doc=f"``params[{key!r}]``, the book's attribute name.")


def grad_attribute(key):
    """A property ``layer.d<key>`` for ``layer.grads[key]``: None before ``backward``."""

    def get(self):
        if key not in self.params:
            raise AttributeError(f"{type(self).__name__} has no parameter {key!r} (it has {list(self.params)})")
        return self.grads.get(key)

    def set(self, value):  # a backward written the book's way: self.dW = ...
        self.grads[key] = value

    return property(get, set, doc=f"``grads[{key!r}]``, the book's attribute name (None before backward).")


class Layer:
    """Base class: no parameters, nothing cached. Subclasses override forward/backward."""

    W, b = param_attribute("W"), param_attribute("b")
    dW, db = grad_attribute("W"), grad_attribute("b")

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
        raise NotImplementedError(f"{type(self).__name__} must define output_shape(input_shape) "
                                  f"(or inherit SameShape if its output has the input's shape)")

    def macs(self, input_shape):
        """Multiply-adds for one sample of shape ``input_shape``: 0 unless the layer says otherwise."""
        return 0

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


class SameShape(Layer):
    """A layer whose output has its input's shape (activations, Dropout, normalization)."""

    def output_shape(self, input_shape):
        return tuple(input_shape)
