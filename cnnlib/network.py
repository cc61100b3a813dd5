"""A network as an ordered list of layers, with the book's API.

``Sequential(layers)`` chains the layers and ends with a ``SoftmaxWithLoss``. Its
``params`` dict names each layer's parameters with the layer's position among the
layers that have parameters, as the book does: ``W1``, ``b1`` for the first, ``W2``,
``b2`` for the next, ``gamma3``, ``beta3`` for a batch normalization after them...
The arrays in ``params`` *are* the layers' arrays: an optimizer that updates
``params`` in place updates the layers.
"""

import json

import numpy as np

from .gradcheck import numerical_gradient as _numerical_gradient
from .io import load_npz, save_npz
from .layers import SoftmaxWithLoss

__all__ = ["Sequential", "MODEL_KEY", "model_description"]

MODEL_KEY = "__model__"  # the .npz entry that says which network the weights belong to


def _json_value(value):
    return value.item() if hasattr(value, "item") else str(value)  # NumPy numbers in a config


def model_description(net):
    """What a weights file records about its network (JSON-friendly): the class, its
    constructor configuration (``net.config``, set by the models) and the layer types."""
    config = getattr(net, "config", None)
    return {"format": 1, "model": type(net).__name__,
            "config": json.loads(json.dumps(config, default=_json_value)) if config is not None else None,
            "layers": [type(layer).__name__ for layer in net.layers] + [type(net.last_layer).__name__]}


def _model_name(d):
    if d.get("config") is not None:
        return f"{d['model']}(" + ", ".join(f"{k}={v!r}" for k, v in d["config"].items()) + ")"
    return f"{d['model']}([{', '.join(d.get('layers', []))}])"


def _read_description(value, source):
    try:
        d = json.loads(str(value))
        if not isinstance(d, dict) or not isinstance(d.get("model"), str):
            raise ValueError("not a dict with a 'model' name")
    except ValueError as err:
        raise ValueError(f"{source}: its {MODEL_KEY} entry should say which network the weights belong "
                         f"to (JSON), but it cannot be read ({err})") from err
    return d


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
        if len(x) == 0:
            raise ValueError(f"the accuracy of 0 images is undefined: x has shape {np.shape(x)}; "
                             f"pass at least one image")
        t = np.asarray(t)
        if t.ndim != 1:
            t = t.argmax(axis=1)
        if len(t) != len(x):
            raise ValueError(f"x has {len(x)} samples but t has {len(t)} labels")
        correct = 0
        for i in range(0, len(x), batch_size):
            correct += int(np.sum(self.predict(x[i:i + batch_size]).argmax(axis=1) == t[i:i + batch_size]))
        return correct / len(x)

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
        """Save parameters and buffers to an ``.npz`` file, atomically, with the entry
        ``MODEL_KEY`` (a JSON string, no pickle) naming the model, its constructor
        configuration and its layers, so that the weights never load into another network.

        Raises ``FileExistsError`` if the file exists, unless ``overwrite=True``.
        """
        description = np.array(json.dumps(model_description(self)))
        return save_npz(path, {**self.params, **self.buffers, MODEL_KEY: description}, overwrite=overwrite)

    def load_params(self, path):
        """Load what :meth:`save_params` wrote (pickles refused), into the existing arrays.

        All or nothing: everything is checked before the network changes. Raises
        ``ValueError`` when the file belongs to another model or configuration (naming
        both), and naming every missing, unexpected, mis-shaped or non-finite entry. A file
        written before weights files recorded their model loads by names and shapes (said
        in one printed line).
        """
        arrays = load_npz(path)
        if MODEL_KEY not in arrays:
            print(f"cnnlib: {path} does not say which network it belongs to (saved before cnnlib "
                  f"recorded it); loading it by names and shapes only")
        self.set_params(arrays, source=str(path))

    def set_params(self, arrays, source="the given arrays"):
        """Copy ``arrays`` (name -> array) into the network's parameters and buffers.

        All or nothing: names, shapes, dtypes (real numbers), finiteness, and the model
        description under ``MODEL_KEY`` if present are all checked first; a ``ValueError``
        lists every problem and leaves the network unchanged.
        """
        arrays = dict(arrays)
        if MODEL_KEY in arrays:
            theirs, ours = _read_description(arrays.pop(MODEL_KEY), source), model_description(self)
            if any(theirs.get(k) != ours[k] for k in ("model", "config", "layers")):
                raise ValueError(f"{source} holds the weights of {_model_name(theirs)}, but this network is "
                                 f"{_model_name(ours)}: even where the shapes match, the networks differ; "
                                 f"build {_model_name(theirs)} to load them")
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
