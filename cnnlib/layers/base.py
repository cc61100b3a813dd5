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
starts the chain. No layer mutates the arrays passed to it, except when a network asks a
layer that ``overwrites`` (ReLU) to, for an array the network owns (see
:class:`cnnlib.Sequential`); ``fresh_output`` says that a layer's forward returns a new
array it does not keep, which the next layer may then overwrite.

What ``backward`` needs is kept by the last *training* forward (:meth:`Layer._keep`)
and read back with :meth:`Layer._kept`: an inference forward (``train=False``, e.g.
an accuracy check between two steps) never spoils it, ``backward`` before any training
forward is a ``RuntimeError`` saying what to call, and a ``dout`` whose shape is not
the training output's is a ``ValueError`` naming both shapes.
"""

import numpy as np

__all__ = ["Layer", "SameShape", "check_ndim", "check_float_array", "check_number", "as_float",
           "param_attribute", "grad_attribute"]


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

    fresh_output = False  # True: forward returns a new array that the layer does not keep
    overwrites = False    # True: forward and backward accept overwrite=True

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

    def _keep(self, out, /, **values):
        """After a training forward: keep ``values`` for backward, and the output's shape
        (to check dout). Returns ``out``."""
        self._saved = values
        self._saved_out_shape = np.shape(out)
        return out

    def _kept(self, dout):
        """What the last training forward kept, once ``dout`` is checked against its output."""
        saved = getattr(self, "_saved", None)
        if saved is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward(x, train=True): "
                               f"backward uses what the last training forward kept (an inference forward, "
                               f"train=False, keeps nothing); call forward(x, train=True) first")
        if np.shape(dout) != self._saved_out_shape:
            raise ValueError(f"dout must have the shape of {type(self).__name__}'s last training output "
                             f"{self._saved_out_shape}, got dout of shape {np.shape(dout)}")
        return saved

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
    """Raise a ValueError unless ``x`` is an ndarray of real numbers with one of ``ndims`` dimensions."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(x).__name__}")
    check_real(x, name)
    if x.ndim not in ndims:
        want = " or ".join(str(n) for n in ndims)
        extra = f" {layout}" if layout else ""
        raise ValueError(f"{name} must have {want} dimensions{extra}, got shape {x.shape}")


def check_real(x, name="x"):
    """A TypeError unless the array ``x`` holds real numbers: complex numbers would flow through
    the layers silently (or lose their imaginary part with a warning), objects fail deep inside."""
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")


def check_float_array(a, ndims, name, layout):
    """:func:`check_ndim`, and a TypeError unless ``a`` holds floating-point numbers (weights train in float)."""
    check_ndim(a, ndims, name, layout)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must hold floating-point numbers (float32 to train, float64 to check), "
                        f"got dtype {a.dtype}; use {name}.astype(np.float32)")


def check_number(value, name, *, integer=False):
    """A TypeError unless ``value`` is a real number (an integer if ``integer``), a ValueError if not finite."""
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kinds):
        kind = "an integer" if integer else "a number"
        raise TypeError(f"{name} must be {kind}, got {name} = {value!r} ({type(value).__name__})")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {name} = {value}")
    return value


def as_float(x):
    """``x`` itself if it holds floats, else a float64 copy: integer images (uint8 pixels)
    would wrap around in sums and squares, and integer division truncates."""
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


class SameShape(Layer):
    """A layer whose output has its input's shape (activations, Dropout, normalization)."""

    def output_shape(self, input_shape):
        return tuple(input_shape)
