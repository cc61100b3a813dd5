"""A network as an ordered list of layers, with the book's API.

``Sequential(layers)`` chains the layers and ends with a ``SoftmaxWithLoss``. Its
``params`` dict names each layer's parameters with the layer's position among the
layers that have parameters, as the book does: ``W1``, ``b1`` for the first, ``W2``,
``b2`` for the next, ``gamma3``, ``beta3`` for a batch normalization after them...
The arrays in ``params`` *are* the layers' arrays: an optimizer that updates
``params`` in place updates the layers, and ``params[key] = value`` copies ``value``
into the layer's array (the book's way to load weights).

``layers`` is ordered, and each layer has the book's name too: ``layers[0]`` and
``layers["Conv1"]`` are the same layer; then come ``Relu1``, ``Pool1``, ``Affine1``,
``Relu2``... (one counter per kind of layer, as in the book's ``OrderedDict``).
"""

import json
import warnings
from collections.abc import Mapping, MutableMapping
from pathlib import Path

import numpy as np

from .gradcheck import numerical_gradient as _numerical_gradient
from .io import MODEL_KEY, check_description, load_arrays, model_description, save_npz
from .layers import Pooling, Relu, SoftmaxWithLoss
from .layers.base import check_number, check_real
from .layers.loss import _labels
from .layers.container import Layers, book_names

__all__ = ["Sequential", "Layers", "book_names", "run_order"]  # Layers, book_names: from layers/container.py


def run_order(layers):
    """The order in which :class:`Sequential` runs ``layers``: as listed, except that a max
    pooling right after a ReLU runs before it (and a ReLU moves past several in a row).

    ReLU is ``max(x, 0)`` and a max of maxima is the max of everything, so
    ``relu(maxpool(x)) == maxpool(relu(x))``. Backward agrees too, ties included: the window's
    first maximum, where pooling sends the gradient, is where the ReLU lets it through, and a
    window that is all <= 0 sends 0 either way. For finite inputs the numbers are equal
    (``==``; with overlapping windows a zero of the gradient may come out as -0.0 in one order
    and 0.0 in the other); ``tests/test_network.py`` asserts it against the listed order. The
    ReLU then touches a quarter of the numbers (after a 2x2 pooling): a SimpleConvNet training
    step took 0.90-0.94x of the time in in-process A/Bs. The network's layers, their names and
    ``summary`` stay in the listed (the book's) order.
    """
    order = list(layers)
    for i in range(len(order) - 1):
        if type(order[i]) is Relu and type(order[i + 1]) is Pooling and order[i + 1].mode == "max":
            order[i], order[i + 1] = order[i + 1], order[i]
    return order


class _Params(MutableMapping):
    """``network.params``: a live view of the layers' own arrays under the network's names."""

    def __init__(self, where):
        self._where = where  # network key -> (layer, the layer's key)

    def __getitem__(self, key):
        layer, own = self._where[key]
        return layer.params[own]

    def __setitem__(self, key, value):
        if key not in self._where:
            raise KeyError(f"{key!r} is not a parameter of this network; it has {list(self._where)}")
        target = self[key]
        if value is target:  # params[key] -= step: already updated in place
            return
        value = np.asarray(value)
        check_real(value, f"params[{key!r}]")
        if value.shape != target.shape:
            raise ValueError(f"params[{key!r}] must have shape {target.shape}, got {value.shape}")
        target[...] = value  # into the layer's array, in the network's dtype

    def __delitem__(self, key):
        raise TypeError(f"cannot delete params[{key!r}]: a network's parameters are fixed by its layers")

    def __iter__(self):
        return iter(self._where)

    def __len__(self):
        return len(self._where)

    def __repr__(self):
        return repr(dict(self))


class Sequential:
    """A feed-forward network.

    Args:
        layers: list of layers, applied in order, or a dict name -> layer (the book's
            ``OrderedDict``; a list gets the book's names, see :func:`book_names`). (A max
            pooling right after a ReLU runs first, with the same numbers: :func:`run_order`.)
        last_layer: the loss layer after ``layers``, default ``SoftmaxWithLoss()`` (the book's name).
    """

    def __init__(self, layers, last_layer=None):
        named = isinstance(layers, Mapping)
        layers = layers if named else list(layers)   # (a generator would be used up by the check)
        for where, layer in (layers.items() if named else enumerate(layers)):
            if isinstance(layer, type) or not callable(getattr(layer, "forward", None)):
                what = f"the class {layer.__name__}, not a layer: write {layer.__name__}(...)" \
                    if isinstance(layer, type) else f"a {type(layer).__name__}, which has no forward"
                raise TypeError(f"layers[{where!r}] is {what}")
        self.layers = Layers(layers.values() if named else layers, layers.keys() if named else None)
        self.last_layer = last_layer if last_layer is not None else SoftmaxWithLoss()
        first_name = {}
        for name, layer in self.layers.items():  # a layer keeps what its backward needs: one use only
            if id(layer) in first_name:
                raise ValueError(f"layer {first_name[id(layer)]} appears twice (again as {name}); create one "
                                 f"instance per position: its second forward would overwrite what the "
                                 f"first one's backward needs")
            first_name[id(layer)] = name
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
        """Dict of the trainable arrays (the layers' own arrays, not copies).

        ``params[key] = value`` copies ``value`` into that array (``ValueError`` for
        another shape), so that the layers use it, as in the book.
        """
        return _Params({net_key: (layer, key) for layer, key, net_key in self._names if key in layer.params})

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
        x = np.asarray(x)
        check_real(x)
        x = x.astype(self.dtype, copy=False)
        owned = False  # x is a new array from the layer before, kept by nobody: ReLU may overwrite it
        for layer in run_order(self.layers):
            overwrite = owned and getattr(layer, "overwrites", False)  # getattr: a book-style layer has neither
            x = layer.forward(x, train, overwrite=True) if overwrite else layer.forward(x, train)
            owned = getattr(layer, "fresh_output", False)
        return x

    def loss(self, x, t, train=False):
        """Mean cross-entropy loss for inputs x and labels t (integers (N,) or one-hot (N, K))."""
        return self.last_layer.forward(self.predict(x, train), t)

    def accuracy(self, x, t, batch_size=100):
        """Fraction of correct predictions, computed ``batch_size`` images at a time."""
        check_number(batch_size, "batch_size", integer=True)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got batch_size = {batch_size}")
        t = np.asarray(t)
        if t.ndim == 0 or len(t) != len(x):
            raise ValueError(f"x has {len(x)} samples but t has {t.size if t.ndim == 0 else len(t)} labels")
        if len(x) == 0:
            raise ValueError(f"the accuracy of 0 images is undefined: x has shape {np.shape(x)}; "
                             f"pass at least one image")
        scores = self.predict(x[:batch_size])
        labels = _labels(t, len(x), scores.shape[1])  # checked as the loss checks them (range, one-hot rows)
        correct = 0
        for i in range(0, len(x), batch_size):
            predicted = scores if i == 0 else self.predict(x[i:i + batch_size])
            correct += int(np.sum(predicted.argmax(axis=1) == labels[i:i + batch_size]))
        return correct / len(x)

    def loss_and_gradient(self, x, t):
        """Forward in training mode, then backprop. Returns ``(loss, grads)``, grads keyed like ``params``."""
        loss = self.loss(x, t, train=True)
        dout = self.last_layer.backward(1.0)
        for layer in reversed(run_order(self.layers)):
            # every dout here is a new array from the layer after: ReLU may overwrite it
            dout = layer.backward(dout, overwrite=True) if getattr(layer, "overwrites", False) else layer.backward(dout)
            # (the first layer may return None: see Convolution.need_dx)
        grads = {net_key: layer.grads[key] for layer, key, net_key in self._names if key in layer.params}
        return loss, grads

    def gradient(self, x, t):
        """Gradients of the loss by backpropagation, a dict keyed like ``params``."""
        return self.loss_and_gradient(x, t)[1]

    def numerical_gradient(self, x, t, h=1e-5):
        """Gradients of the loss by centered differences (slow: for checking ``gradient``).

        Always computed in float64, whatever the network's dtype (in float32 the
        differences would be mostly rounding): the layers compute with float64 copies
        of their parameters, then get their own arrays back. Returns float64 arrays
        keyed like ``params``.

        Runs in training mode, like ``gradient``. Batch norm's running statistics are
        restored afterwards; a network with Dropout must use ``ratio=0`` for the check
        (a new random mask at every evaluation would make the loss jump).
        """
        saved = {k: v.copy() for k, v in self.buffers.items()}
        own = [(layer.params, key, layer.params[key]) for layer, key, _ in self._names if key in layer.params]
        try:
            for store, key, value in own:
                store[key] = value.astype(np.float64)
            grads = {key: _numerical_gradient(lambda: self.loss(x, t, train=True), p, h)
                     for key, p in self.params.items()}
        finally:
            for store, key, value in own:
                store[key] = value
            for key, value in saved.items():
                self.buffers[key][...] = value
        return grads

    def save_params(self, path, overwrite=False):
        """Save parameters and buffers to an ``.npz`` file, atomically, with the entry
        ``MODEL_KEY`` (a JSON string, no pickle) naming the model, its constructor
        configuration and its layers, so that the weights never load into another network.

        Raises ``FileExistsError`` if the file exists, unless ``overwrite=True``. Asked
        for a ``.pkl`` name (the book's ``params.pkl``), it still writes an ``.npz``
        archive under that name, and warns: :meth:`load_params` reads it, ``pickle`` cannot.
        """
        if Path(path).suffix.lower() in (".pkl", ".pickle"):
            warnings.warn(f"{path}: cnnlib saves weights as an .npz archive, not a pickle (an .npz cannot "
                          f"run code when loaded); load_params reads it, pickle.load cannot", stacklevel=2)
        description = np.array(json.dumps(model_description(self)))
        return save_npz(path, {**self.params, **self.buffers, MODEL_KEY: description}, overwrite=overwrite)

    def load_params(self, path):
        """Load what :meth:`save_params` wrote, into the existing arrays.

        Also reads a pickled dict of numpy arrays such as the book's ``params.pkl``
        (keys ``W1``... ``b3`` for SimpleConvNet), with a warning, through a restricted
        unpickler: a pickle holding anything else is refused (see :func:`cnnlib.io.load_arrays`).
        All or nothing: everything is checked before the network changes. Raises
        ``ValueError`` when the file belongs to another model or configuration (naming
        both), and naming every missing, unexpected, mis-shaped or non-finite entry. A file
        that does not record its model (saved before cnnlib did, or the book's) loads by
        names and shapes (said in one printed line).
        """
        arrays = load_arrays(path)
        if MODEL_KEY not in arrays:
            print(f"cnnlib: {path} does not say which network it belongs to; loading it by names "
                  f"and shapes only")
        self.set_params(arrays, source=str(path))

    def set_params(self, arrays, source="the given arrays"):
        """Copy ``arrays`` (name -> array) into the network's parameters and buffers.

        All or nothing: names, shapes, dtypes (real numbers), finiteness, and the model
        description under ``MODEL_KEY`` if present are all checked first; a ``ValueError``
        lists every problem and leaves the network unchanged.
        """
        arrays = dict(arrays)
        if MODEL_KEY in arrays:
            check_description(arrays.pop(MODEL_KEY), self, source)
        own = {**self.params, **self.buffers}
        problems = []
        missing = sorted(set(own) - set(arrays))
        unexpected = sorted(set(arrays) - set(own))
        if missing:
            problems.append(f"missing {missing}")
        if unexpected:
            problems.append(f"unexpected {unexpected}")
        converted = {}
        for key in sorted(set(own) & set(arrays)):
            value = np.asarray(arrays[key])
            if value.dtype.kind not in "iuf":
                problems.append(f"{key} holds {value.dtype} values, not real numbers")
            elif own[key].shape != value.shape:
                problems.append(f"{key} has shape {value.shape}, the network expects {own[key].shape}")
            else:
                with np.errstate(over="ignore"):
                    converted[key] = value.astype(own[key].dtype)
                bad = converted[key].size - int(np.isfinite(converted[key]).sum())
                if bad:
                    problems.append(f"{key} holds {bad} values that are NaN or infinite (in {own[key].dtype})")
        if problems:
            raise ValueError(f"{source} does not match this network: " + "; ".join(problems))
        for key, value in converted.items():
            own[key][...] = value  # in place: optimizers and layers keep their references

    def __repr__(self):
        inner = "\n".join(f"  {layer!r}" for layer in self.layers)
        return f"{type(self).__name__}(\n{inner}\n  {type(self.last_layer).__name__}()\n)"
