"""A network as an ordered list of layers, with the book's API.

``Sequential(layers)`` chains the layers and ends with a ``SoftmaxWithLoss``. Its
``params`` dict names each layer's parameters with the layer's position among the
layers that have parameters, as the book does: ``W1``, ``b1`` for the first, ``W2``,
``b2`` for the next, ``gamma3``, ``beta3`` for a batch normalization after them...
The arrays in ``params`` *are* the layers' arrays: an optimizer that updates
``params`` in place updates the layers.
"""

import numpy as np

from .gradcheck import numerical_gradient as _numerical_gradient
from .io import load_npz, save_npz
from .layers import SoftmaxWithLoss

__all__ = ["Sequential"]


class Sequential:
    """A feed-forward network.

    Args:
        layers: list of layers, applied in order.
        last_layer: the loss layer after ``layers``, default ``SoftmaxWithLoss()`` (the book's name).
    """

    def __init__(self, layers, last_layer=None):
        self.layers = list(layers)
        self.last_layer = last_layer if last_layer is not None else SoftmaxWithLoss()
        self._names = []  # (layer, its key, the network's key), e.g. (conv, "W", "W1")
        index = 0
        for layer in self.layers:
            if layer.params or layer.buffers:
                index += 1
                self._names += [(layer, key, f"{key}{index}") for key in layer.params]
                self._names += [(layer, key, f"{key}{index}") for key in layer.buffers]
        self.param_names = [net_key for layer, key, net_key in self._names if key in layer.params]
        if self.layers and hasattr(self.layers[0], "need_dx"):
            self.layers[0].need_dx = False  # the first layer's input is the data: no gradient needed

    @property
    def params(self):
        """Dict of the trainable arrays (the layers' own arrays, not copies)."""
        return {net_key: layer.params[key] for layer, key, net_key in self._names if key in layer.params}

    @property
    def buffers(self):
        """Dict of the non-trained state saved with the weights (batch norm's running statistics)."""
        return {net_key: layer.buffers[key] for layer, key, net_key in self._names if key in layer.buffers}

    @property
    def dtype(self):
        """The dtype of the parameters (float32 to train, float64 to check gradients)."""
        first = next(iter(self.params.values()), None)
        return first.dtype if first is not None else np.dtype(np.float32)

    def predict(self, x, train=False):
        """Scores before softmax, shape (N, K), for inputs x (N, ...) cast to the network's dtype."""
        x = np.asarray(x, dtype=self.dtype)
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def loss(self, x, t, train=False):
        """Mean cross-entropy loss for inputs x and labels t (integers (N,) or one-hot (N, K))."""
        return self.last_layer.forward(self.predict(x, train), t)

    def accuracy(self, x, t, batch_size=100):
        """Fraction of correct predictions, computed ``batch_size`` images at a time."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got batch_size = {batch_size}")
        t = np.asarray(t)
        if t.ndim != 1:
            t = t.argmax(axis=1)
        if len(t) != len(x):
            raise ValueError(f"x has {len(x)} samples but t has {len(t)} labels")
        correct = 0
        for i in range(0, len(x), batch_size):
            correct += int(np.sum(self.predict(x[i:i + batch_size]).argmax(axis=1) == t[i:i + batch_size]))
        return correct / len(x) if len(x) else 0.0

    def loss_and_gradient(self, x, t):
        """Forward in training mode, then backprop. Returns ``(loss, grads)``, grads keyed like ``params``."""
        loss = self.loss(x, t, train=True)
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)  # the first layer may return None: see Convolution.need_dx
        grads = {net_key: layer.grads[key] for layer, key, net_key in self._names if key in layer.params}
        return loss, grads

    def gradient(self, x, t):
        """Gradients of the loss by backpropagation, a dict keyed like ``params``."""
        return self.loss_and_gradient(x, t)[1]

    def numerical_gradient(self, x, t, h=1e-5):
        """Gradients of the loss by centered differences (slow: for checking ``gradient``).

        Runs in training mode, like ``gradient``. Batch norm's running statistics are
        restored afterwards; a network with Dropout must use ``ratio=0`` for the check
        (a new random mask at every evaluation would make the loss jump).
        """
        saved = {k: v.copy() for k, v in self.buffers.items()}
        grads = {key: _numerical_gradient(lambda: self.loss(x, t, train=True), p, h)
                 for key, p in self.params.items()}
        for key, value in saved.items():
            self.buffers[key][...] = value
        return grads

    def save_params(self, path, overwrite=False):
        """Save parameters and buffers to an ``.npz`` file, atomically.

        Raises ``FileExistsError`` if the file exists, unless ``overwrite=True``.
        """
        return save_npz(path, {**self.params, **self.buffers}, overwrite=overwrite)

    def load_params(self, path):
        """Load what :meth:`save_params` wrote (pickles refused), into the existing arrays.

        Raises ``ValueError`` naming every missing, unexpected or mis-shaped entry.
        """
        self.set_params(load_npz(path), source=str(path))

    def set_params(self, arrays, source="the given arrays"):
        """Copy ``arrays`` (name -> array) into the network's parameters and buffers, checked."""
        own = {**self.params, **self.buffers}
        problems = []
        missing = sorted(set(own) - set(arrays))
        unexpected = sorted(set(arrays) - set(own))
        if missing:
            problems.append(f"missing {missing}")
        if unexpected:
            problems.append(f"unexpected {unexpected}")
        for key in sorted(set(own) & set(arrays)):
            if own[key].shape != arrays[key].shape:
                problems.append(f"{key} has shape {arrays[key].shape}, the network expects {own[key].shape}")
        if problems:
            raise ValueError(f"{source} does not match this network: " + "; ".join(problems))
        for key, value in arrays.items():
            own[key][...] = value  # in place: optimizers and layers keep their references

    def __repr__(self):
        inner = "\n".join(f"  {layer!r}" for layer in self.layers)
        return f"{type(self).__name__}(\n{inner}\n  {type(self.last_layer).__name__}()\n)"
