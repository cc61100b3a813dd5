"""Optimizers with one signature: ``update(params, grads)`` changes ``params`` in place.

``params`` and ``grads`` are dicts of arrays with the same keys (a network's
``params`` and the result of its ``gradient``). Updates are in place, so the layers,
which hold the very same arrays, see the new values.

Each optimizer's state (velocities, moments, step count) can be saved with
``state_dict()`` (a flat dict of arrays, ready for ``np.savez``) and restored with
``load_state_dict(state)``, so that training can resume exactly.
"""

import math

import numpy as np

__all__ = ["SGD", "Momentum", "AdaGrad", "Adam", "OPTIMIZERS"]


def _number(name, value, rule):
    """``value`` as a float if it is a finite number obeying ``rule`` ("> 0" or "in [0, 1)")."""
    short = name.split(" ")[0]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {short} = {value!r} ({type(value).__name__})")
    ok = value > 0 if rule == "> 0" else 0 <= value < 1
    if not (math.isfinite(value) and ok):
        raise ValueError(f"{name} must be a finite number {rule}, got {short} = {value}")
    return float(value)


class Optimizer:
    """Base class. ``slots`` names the per-parameter state arrays."""

    slots = ()

    def __init__(self, lr):
        self.lr = _number("lr (learning rate)", lr, "> 0")
        self.state = {slot: {} for slot in self.slots}
        self.t = 0  # number of updates so far

    def _slot(self, slot, key, like):  # like: the parameter (its dtype, even for an integer gradient)
        if key not in self.state[slot]:
            self.state[slot][key] = np.zeros_like(like)
        return self.state[slot][key]

    def _check(self, params, grads):
        """Before any change: every gradient has a parameter of exactly its shape (no broadcasting)."""
        for key, g in grads.items():
            if key not in params:
                raise ValueError(f"grads[{key!r}] has no parameter params[{key!r}]; params has {sorted(params)}")
            if np.shape(g) != np.shape(params[key]):
                raise ValueError(f"grads[{key!r}] has shape {np.shape(g)} but params[{key!r}] has shape "
                                 f"{np.shape(params[key])}; a gradient must have its parameter's shape")
            if not np.can_cast(np.result_type(g, params[key]), np.result_type(params[key]), "same_kind") \
                    or not np.issubdtype(np.result_type(g), np.number) or np.iscomplexobj(g):
                raise TypeError(f"grads[{key!r}] has dtype {np.result_type(g)}, which params[{key!r}] "
                                f"({np.result_type(params[key])}) cannot take: a gradient must hold real numbers")
            for slot in self.slots:
                state = self.state[slot].get(key)
                if state is not None and state.shape != np.shape(g):
                    raise ValueError(f"{type(self).__name__} state {slot}/{key} has shape {state.shape} but "
                                     f"params[{key!r}] has shape {np.shape(g)}: was the state loaded from another network?")

    def update(self, params, grads):
        raise NotImplementedError

    def state_dict(self):
        """Flat dict ``{"slot/key": array, "t": array}``, savable with ``np.savez``."""
        flat = {f"{slot}/{key}": arr.copy() for slot in self.slots for key, arr in self.state[slot].items()}
        flat["t"] = np.array(self.t)
        return flat

    def load_state_dict(self, state):
        """Restore what :meth:`state_dict` returned (copies the arrays)."""
        self.state = {slot: {} for slot in self.slots}
        for name, arr in state.items():
            if name == "t":
                self.t = int(arr)
                continue
            slot, _, key = name.partition("/")
            if slot not in self.state:
                raise ValueError(f"{type(self).__name__} has no state {slot!r} (entry {name!r}); "
                                 f"expected slots {self.slots}")
            self.state[slot][key] = np.array(arr)


class SGD(Optimizer):
    """``W -= lr * dW``."""

    def __init__(self, lr=0.01):
        super().__init__(lr)

    def update(self, params, grads):
        self._check(params, grads)
        self.t += 1
        for key, g in grads.items():
            params[key] -= self.lr * g


class Momentum(Optimizer):
    """``v = momentum * v - lr * dW; W += v``."""

    slots = ("v",)

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr)
        self.momentum = _number("momentum", momentum, "in [0, 1)")

    def update(self, params, grads):
        self._check(params, grads)
        self.t += 1
        for key, g in grads.items():
            v = self._slot("v", key, params[key])
            v *= self.momentum
            v -= self.lr * g
            params[key] += v


class AdaGrad(Optimizer):
    """``h += dW**2; W -= lr * dW / (sqrt(h) + eps)``: each weight gets its own step size."""

    slots = ("h",)

    def __init__(self, lr=0.01, eps=1e-7):
        super().__init__(lr)
        self.eps = _number("eps", eps, "> 0")

    def update(self, params, grads):
        self._check(params, grads)
        self.t += 1
        for key, g in grads.items():
            h = self._slot("h", key, params[key])
            h += g * g
            params[key] -= self.lr * g / (np.sqrt(h) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction folded into the step size.

    ``m += (1 - beta1) (dW - m); v += (1 - beta2) (dW**2 - v);``
    ``W -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps)``
    """

    slots = ("m", "v")

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7):
        super().__init__(lr)
        self.beta1, self.beta2 = _number("beta1", beta1, "in [0, 1)"), _number("beta2", beta2, "in [0, 1)")
        self.eps = _number("eps", eps, "> 0")
        self._scratch_arrays = {}  # work arrays, not state: see _scratch

    def update(self, params, grads):
        self._check(params, grads)
        self.t += 1
        # a Python float: an np.float64 scalar would turn the float32 arithmetic below into float64
        lr_t = float(self.lr * np.sqrt(1.0 - self.beta2 ** self.t) / (1.0 - self.beta1 ** self.t))
        for key, g in grads.items():
            m = self._slot("m", key, params[key])
            v = self._slot("v", key, params[key])
            # the formulas above, each temporary written into one scratch array kept from step
            # to step (a fresh array per temporary costs page faults on large weights)
            tmp = self._scratch(key, params[key])
            np.subtract(g, m, out=tmp)
            tmp *= 1 - self.beta1
            m += tmp                        # m += (1 - beta1) (dW - m)
            np.multiply(g, g, out=tmp)
            tmp -= v
            tmp *= 1 - self.beta2
            v += tmp                        # v += (1 - beta2) (dW**2 - v)
            np.sqrt(v, out=tmp)
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= lr_t
            params[key] -= tmp              # W -= lr_t m / (sqrt(v) + eps)

    def _scratch(self, key, like):
        """A work array shaped like ``like``, reused across steps (not part of the state)."""
        scratch = self._scratch_arrays
        if key not in scratch or scratch[key].shape != like.shape or scratch[key].dtype != like.dtype:
            scratch[key] = np.empty_like(like)
        return scratch[key]


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adagrad": AdaGrad, "adam": Adam}
