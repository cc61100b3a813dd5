"""``summary(model, input_shape)``: what each layer of a network costs.

For one input image it lists, per layer, the output shape, the number of parameters,
the multiply-adds (MACs) and the memory of the output activations, then the totals.

Each layer counts its own multiply-adds (``layer.macs(input_shape)``), where almost
all of the arithmetic is:

- Convolution: ``FN * OH * OW * (C/groups * FH * FW)``: every output value is a dot
  product of one filter with one window of its group's channels;
- Affine: ``D * M``.

Pooling, activations and normalization cost a few operations per value, which they
leave out (0), as papers usually do. A block made of layers (a residual block, an
Inception module: :mod:`cnnlib.layers.blocks`) is one row: its inner layers' parameters
and multiply-adds, and as memory every inner output it keeps (``activation_values``).
A layer whose weights include fixed zeros (LeNet-5's C3, a
:class:`~cnnlib.layers.SparseConvolution`) counts its trainable numbers (``param_count()``).
"""

from dataclasses import dataclass

import numpy as np

from .init import positive_ints

__all__ = ["summary", "Summary", "LayerSummary"]


@dataclass(frozen=True)
class LayerSummary:
    """One row: ``name``, ``output_shape`` (one sample), ``params``, ``macs``, ``activation_bytes``."""

    name: str
    output_shape: tuple
    params: int
    macs: int
    activation_bytes: int


@dataclass(frozen=True)
class Summary:
    """All rows and totals; ``print(summary)`` shows a table."""

    input_shape: tuple
    rows: tuple

    @property
    def total_params(self):
        return sum(r.params for r in self.rows)

    @property
    def total_macs(self):
        return sum(r.macs for r in self.rows)

    @property
    def total_activation_bytes(self):
        return sum(r.activation_bytes for r in self.rows)

    def __str__(self):
        lines = [f"{'layer':<22}{'output shape':>18}{'params':>14}{'MACs':>16}{'activations':>14}"]
        lines.append("-" * len(lines[0]))
        lines.append(f"{'input':<22}{str(self.input_shape):>18}")
        for r in self.rows:
            lines.append(f"{r.name:<22}{str(r.output_shape):>18}{r.params:>14,}{r.macs:>16,}"
                         f"{_kib(r.activation_bytes):>14}")
        lines.append("-" * len(lines[0]))
        lines.append(f"{'total':<22}{'':>18}{self.total_params:>14,}{self.total_macs:>16,}"
                     f"{_kib(self.total_activation_bytes):>14}")
        return "\n".join(lines)

    def __repr__(self):
        return str(self)


def _kib(nbytes):
    return f"{nbytes / 1024:,.1f} KiB"


def _batch_hint(layer, shape):
    """A hint if ``shape`` is a batch's, (N, C, H, W), given where one sample's is expected."""
    try:
        layer.output_shape(shape[1:])
    except (ValueError, TypeError):
        return ""
    return f"; input_shape is one sample's shape, without the batch axis: {shape[1:]}"


def summary(model, input_shape):
    """Per-layer output shapes, parameters, multiply-adds and activation memory.

    Args:
        model: a :class:`cnnlib.Sequential` (or anything with a ``layers`` list).
        input_shape: shape of one input sample, e.g. (1, 28, 28).

    Returns:
        :class:`Summary`. Activation memory is the size of each layer's output for one
        sample in the model's dtype (what the forward pass must keep for backward).
    """
    input_shape = shape = positive_ints("input_shape", input_shape, "(one sample's shape, e.g. (1, 28, 28))")
    itemsize = np.dtype(getattr(model, "dtype", np.float32)).itemsize
    rows = []
    counts = {}
    for layer in model.layers:
        kind = type(layer).__name__
        counts[kind] = counts.get(kind, 0) + 1
        try:
            out = layer.output_shape(shape)
        except (ValueError, TypeError) as err:
            raise ValueError(f"{kind}{counts[kind]} cannot take the shape {shape}: {err}"
                             + (_batch_hint(layer, shape) if not rows else "")) from err
        # a block keeps its inner layers' outputs too, and says how many values that is
        values = layer.activation_values(shape) if hasattr(layer, "activation_values") else int(np.prod(out))
        # a layer with fixed zeros among its weights (SparseConvolution) counts only the trainable ones
        params = layer.param_count() if hasattr(layer, "param_count") else sum(p.size for p in layer.params.values())
        rows.append(LayerSummary(f"{kind}{counts[kind]}", tuple(out), params, layer.macs(shape), values * itemsize))
        shape = out
    return Summary(input_shape, tuple(rows))
