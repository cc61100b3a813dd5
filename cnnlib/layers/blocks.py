"""Layers made of layers: ResNet's residual block, Inception's branches, global average pooling.

A block is a layer like any other (``forward``, ``backward``, ``output_shape``, ``macs``),
whose forward and backward run its inner layers in turn, so :class:`cnnlib.Sequential`,
:func:`cnnlib.summary` and the optimizers use it as one layer. Its ``params``, ``grads``
and ``buffers`` are live views of its inner layers' dicts under prefixed keys
(``"body0.W"`` is ``block.body[0].params["W"]``, the same array), so the network's
``params`` and an optimizer's in-place updates reach the inner layers.

- :class:`Residual`: ``out = F(x) + shortcut(x)`` (He et al., 2015). Backward: both paths
  get ``dout``, and their input gradients add. With an empty shortcut (the identity),
  ``dx = dF/dx + dout``: the gradient reaches the input even when F's path fades.
- :class:`Concat`: branches side by side on the same input, outputs stacked along the
  channels (Szegedy et al., 2014). Backward: ``dout`` is split by channels, each piece
  goes back through its branch, and the input gradients add.
- :class:`GlobalAvgPool`: each channel's mean over the whole map (Lin et al., 2013).
"""

from collections.abc import MutableMapping

import numpy as np

from .base import Layer, check_ndim

__all__ = ["Residual", "Concat", "GlobalAvgPool", "forward_through", "backward_through"]


def forward_through(layers, x, train=True):
    """Apply ``layers`` in order to ``x``; an empty list is the identity."""
    for layer in layers:
        x = layer.forward(x, train)
    return x


def backward_through(layers, dout):
    """Backpropagate ``dout`` through ``layers`` in reverse order; returns dx."""
    for layer in reversed(layers):
        dout = layer.backward(dout)
    return dout


def _shapes_through(layers, input_shape):
    """The input shape and each layer's output shape (one sample), in order."""
    shapes = [tuple(input_shape)]
    for layer in layers:
        shapes.append(tuple(layer.output_shape(shapes[-1])))
    return shapes


def _macs_through(layers, input_shape):
    shapes = _shapes_through(layers, input_shape)
    return sum(layer.macs(shape) for layer, shape in zip(layers, shapes))


def _values_through(layers, input_shape):
    """Values the forward pass keeps for one sample: every inner layer's output."""
    shapes = _shapes_through(layers, input_shape)
    return sum(getattr(layer, "activation_values", lambda s: int(np.prod(layer.output_shape(s))))(shape)
               for layer, shape in zip(layers, shapes))


class _Inner(MutableMapping):
    """``block.params`` (or ``grads``, ``buffers``): the inner layers' dicts under prefixed keys.

    Reading ``view["body0.W"]`` gives ``body[0].params["W"]`` itself; assigning puts the
    value into that layer's dict, as assigning ``body[0].params["W"]`` would.
    """

    def __init__(self, parts, attr):
        self._parts, self._attr = parts, attr  # [(prefix, layer)]

    def _find(self, key):
        for prefix, layer in self._parts:
            if key.startswith(prefix + "."):
                return getattr(layer, self._attr), key[len(prefix) + 1:]
        raise KeyError(key)

    def __getitem__(self, key):
        store, own = self._find(key)
        return store[own]

    def __setitem__(self, key, value):
        store, own = self._find(key)
        if own not in store and self._attr != "grads":
            raise KeyError(f"{key!r} is not a {self._attr[:-1]} of this block; it has {list(self)}")
        store[own] = value

    def __delitem__(self, key):
        raise TypeError(f"cannot delete {key!r}: a block's {self._attr} are fixed by its inner layers")

    def __iter__(self):
        return iter([f"{prefix}.{key}" for prefix, layer in self._parts for key in getattr(layer, self._attr)])

    def __len__(self):
        return sum(len(getattr(layer, self._attr)) for _, layer in self._parts)

    def __repr__(self):
        return repr(dict(self))


class _Block(Layer):
    """A layer made of named lists of layers; ``params``/``grads``/``buffers`` view theirs."""

    def __init__(self, parts):
        super().__init__()
        self._parts = [(f"{name}{j}", layer) for name, layers in parts for j, layer in enumerate(layers)]
        self.params, self.grads, self.buffers = (_Inner(self._parts, a) for a in ("params", "grads", "buffers"))

    def __repr__(self):
        inner = ", ".join(f"{prefix}={layer!r}" for prefix, layer in self._parts)
        return f"{type(self).__name__}({inner})"


class Residual(_Block):
    """A residual block: ``out = F(x) + shortcut(x)``.

    Args:
        body: list of layers, F (e.g. conv - BN - ReLU - conv - BN).
        shortcut: list of layers on the skip path; empty (default) is the identity
            ``x``. When F changes the shape (a stride, more channels), give a projection,
            e.g. a 1x1 convolution with F's stride (and a batch normalization).

    ``forward(x)``: x (N, C, H, W) -> (N, C', H', W'), the shape of F(x), which must equal
    the shortcut's. The ReLU that ResNet applies after the sum is the next layer.
    ``backward(dout)``: ``dx = dF(dout) + dshortcut(dout)``; with the identity,
    ``dx = dF(dout) + dout``. Parameters: ``"body{j}.{key}"`` and ``"skip{j}.{key}"``.
    """

    def __init__(self, body, shortcut=()):
        self.body, self.shortcut = list(body), list(shortcut)
        if not self.body:
            raise ValueError("body must hold at least one layer (an empty body would give out = 2x)")
        super().__init__([("body", self.body), ("skip", self.shortcut)])

    def output_shape(self, input_shape):
        """F's output shape; raises ValueError when the shortcut's differs."""
        out = _shapes_through(self.body, input_shape)[-1]
        skip = _shapes_through(self.shortcut, input_shape)[-1]
        if out != skip:
            raise ValueError(f"the body gives {out} but the shortcut gives {skip} for input {tuple(input_shape)}: "
                             f"when the body changes the shape, give a projection shortcut (a 1x1 convolution "
                             f"with the body's stride and {out[0]} filters)")
        return out

    def macs(self, input_shape):
        """Both paths' multiply-adds (the addition, one per value, is left out like activations)."""
        return _macs_through(self.body, input_shape) + _macs_through(self.shortcut, input_shape)

    def activation_values(self, input_shape):
        """Values kept for backward per sample: every inner output, and the sum."""
        return (_values_through(self.body, input_shape) + _values_through(self.shortcut, input_shape)
                + int(np.prod(self.output_shape(input_shape))))

    def forward(self, x, train=True):
        return forward_through(self.body, x, train) + forward_through(self.shortcut, x, train)

    def backward(self, dout):
        """dout (N, C', H', W') -> dx (N, C, H, W): the two paths' gradients add."""
        return backward_through(self.body, dout) + backward_through(self.shortcut, dout)


class Concat(_Block):
    """Branches applied to the same input, their outputs stacked along the channels.

    Args:
        branches: list of branches, each a list of layers (an empty branch passes x on).
            Every branch must keep the input's height and width (Inception's 1x1, 3x3
            with pad 1, 5x5 with pad 2, 3x3 pooling with stride 1 and pad 1).

    ``forward(x)``: x (N, C, H, W) -> (N, C_1 + ... + C_k, H, W), branch i's C_i channels
    in order. ``backward(dout)``: channels ``C_1 + ... + C_{i-1}`` onwards go back
    through branch i; the input gradients add. Parameters: ``"branch{i}_{j}.{key}"``.
    """

    def __init__(self, branches):
        self.branches = [list(branch) for branch in branches]
        if not self.branches:
            raise ValueError("branches must hold at least one branch")
        super().__init__([(f"branch{i}_", branch) for i, branch in enumerate(self.branches)])

    def output_shape(self, input_shape):
        """(C_1 + ... + C_k, H, W); raises ValueError when branches disagree on H, W."""
        outs = [_shapes_through(branch, input_shape)[-1] for branch in self.branches]
        sizes = {out[1:] for out in outs}
        if len(outs[0]) != 3 or len(sizes) != 1:
            raise ValueError(f"the branches must give maps (C, H, W) of one height and width to be "
                             f"stacked, got {outs} for input {tuple(input_shape)}")
        return (sum(out[0] for out in outs), *outs[0][1:])

    def macs(self, input_shape):
        return sum(_macs_through(branch, input_shape) for branch in self.branches)

    def activation_values(self, input_shape):
        """Values kept per sample: every inner output, and the stacked output."""
        return (sum(_values_through(branch, input_shape) for branch in self.branches)
                + int(np.prod(self.output_shape(input_shape))))

    def forward(self, x, train=True):
        check_ndim(x, (4,), "x", "(N, C, H, W)")
        outs = [forward_through(branch, x, train) for branch in self.branches]
        out = np.concatenate(outs, axis=1)
        return self._keep(out, channels=[o.shape[1] for o in outs]) if train else out

    def backward(self, dout):
        """dout (N, sum C_i, H, W) -> dx (N, C, H, W)."""
        channels = self._kept(dout)["channels"]
        pieces = np.split(dout, np.cumsum(channels)[:-1], axis=1)
        dxs = [backward_through(branch, piece) for branch, piece in zip(self.branches, pieces)]
        return sum(dxs[1:], dxs[0])


class GlobalAvgPool(Layer):
    """Each channel's mean over the whole map: (N, C, H, W) -> (N, C).

    Replaces the large fully-connected layers of AlexNet and VGG at the end of GoogLeNet,
    ResNet and MobileNet: no parameters, and any input size gives C features.
    ``backward``: each of the H*W values of a channel gets ``dout / (H*W)``.
    """

    def output_shape(self, input_shape):
        C, H, W = input_shape
        return (C,)

    def forward(self, x, train=True):
        check_ndim(x, (4,), "x", "(N, C, H, W)")
        out = x.mean(axis=(2, 3))
        return self._keep(out, x_shape=x.shape) if train else out

    def backward(self, dout):
        """dout (N, C) -> dx (N, C, H, W)."""
        x_shape = self._kept(dout)["x_shape"]
        N, C, H, W = x_shape
        return np.broadcast_to((dout / (H * W))[:, :, None, None], x_shape).copy()
