"""A network's layers in order, addressable by position and by the book's names.

The book keeps a network's layers in an ``OrderedDict`` named ``Conv1``, ``Relu1``,
``Pool1``, ``Affine1``, ``Relu2``...; cnnlib keeps a list. :class:`Layers` is both, so
that code written either way runs on :class:`cnnlib.Sequential`.
"""

from collections.abc import Sequence

__all__ = ["Layers", "book_names"]

# the book's short names; other layers are named by their class
_BOOK_NAMES = {"Convolution": "Conv", "Pooling": "Pool", "BatchNormalization": "BatchNorm"}


def book_names(layers):
    """The book's names for ``layers``: kind + a counter per kind, e.g. Conv1, Relu1, Pool1, Affine1, Relu2."""
    counts, names = {}, []
    for layer in layers:
        kind = next((_BOOK_NAMES.get(c.__name__, c.__name__) for c in type(layer).__mro__
                     if c.__name__ in _BOOK_NAMES), type(layer).__name__)
        counts[kind] = counts.get(kind, 0) + 1
        names.append(f"{kind}{counts[kind]}")
    return names


class Layers(Sequence):
    """A network's layers in order, addressable by position and by name.

    ``layers[0]``, ``layers[-1]``, ``layers[1:3]`` (a list), ``for layer in layers``,
    ``len(layers)`` and ``reversed(layers)`` work as for a list; ``layers["Conv1"]``,
    ``keys()``, ``values()`` and ``items()`` as for the book's ``OrderedDict``.
    """

    def __init__(self, layers, names=None):
        self._layers = list(layers)
        self._names = list(names) if names is not None else book_names(self._layers)
        if len(set(self._names)) != len(self._names):
            raise ValueError(f"layer names must be unique, got {self._names}")
        self._by_name = dict(zip(self._names, self._layers))

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self._by_name:
                raise KeyError(f"no layer named {key!r}; the layers are {self._names}")
            return self._by_name[key]
        return self._layers[key]

    def __len__(self):
        return len(self._layers)

    def __contains__(self, item):
        return item in self._by_name if isinstance(item, str) else any(item is layer for layer in self._layers)

    def __add__(self, other):
        return self._layers + list(other)

    def __radd__(self, other):
        return list(other) + self._layers

    def keys(self):
        return list(self._names)

    def values(self):
        return list(self._layers)

    def items(self):
        return list(zip(self._names, self._layers))

    def __repr__(self):
        return "Layers(" + ", ".join(f"{name}={layer!r}" for name, layer in self.items()) + ")"
