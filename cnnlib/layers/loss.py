"""Softmax with cross-entropy loss, the last layer of every classifier in the course."""

import numpy as np

from .base import Layer, check_ndim

__all__ = ["softmax", "cross_entropy_error", "SoftmaxWithLoss"]


def softmax(x):
    """Row-wise softmax of scores ``x`` (N, K). Subtracting the row max avoids overflow."""
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _labels(t, N, K, name="t"):
    """Integer labels (N,) from integer labels (N,) or (N, 1), or one-hot labels (N, K); errors call them ``name``."""
    if N == 0:
        raise ValueError("an empty batch (N = 0) has no mean loss or accuracy: pass at least one sample")
    t = np.asarray(t)
    if t.ndim == 2 and t.shape == (N, K) and not (K == 1 and np.issubdtype(t.dtype, np.integer)):
        # one-hot: exactly one 1 per row; an all-zero row would be taken as class 0 and a soft
        # target (probabilities) argmax'ed, both without a word
        ones, zeros = (t == 1).sum(axis=1), (t == 0).sum(axis=1)
        bad = np.flatnonzero((ones != 1) | (ones + zeros != K))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"{name} of shape (N, K) = ({N}, {K}) must be one-hot (one 1 per row, the rest 0), but "
                             f"{bad.size} of its {N} rows are not, e.g. row {i} = {t[i].tolist()[:10]} (sum {t[i].sum()}); "
                             f"soft targets and all-zero rows are not supported: pass integer labels (N,)")
        return t.argmax(axis=1)
    if t.shape == (N, 1):
        t = t[:, 0]  # a column of labels, as the book's gradient_check.py passes
    if t.ndim == 1 and t.shape[0] == N:
        if not np.issubdtype(t.dtype, np.integer):
            raise TypeError(f"{name} must hold integer class labels, got dtype {t.dtype}")
        if t.size and (t.min() < 0 or t.max() >= K):
            raise ValueError(f"{name} holds labels in [{t.min()}, {t.max()}], but there are only K = {K} classes (0..{K - 1})")
        return t
    raise ValueError(f"{name} must be integer labels of shape (N,) = ({N},) or (N, 1), or one-hot of shape "
                     f"(N, K) = ({N}, {K}), got shape {t.shape}")


def cross_entropy_error(y, t):
    """Mean cross-entropy of probabilities ``y`` (N, K) against labels ``t`` ((N,), (N, 1) or one-hot);
    a single sample's ``y`` (K,) counts as (1, K), as in the book."""
    y = np.asarray(y)
    if y.ndim == 1:  # one sample: its label, or its one-hot row
        y, t = y[None], np.reshape(t, (1, -1) if np.size(t) > 1 else (1,))
    check_ndim(y, (2,), "y", "(N, K)")
    N, K = y.shape
    labels = _labels(t, N, K)
    return float(-np.mean(np.log(y[np.arange(N), labels] + 1e-12)))


class SoftmaxWithLoss(Layer):
    """Softmax followed by mean cross-entropy: the last layer of a network.

    Unlike the other layers (see :mod:`cnnlib.layers.base`), it takes the labels too:
    ``forward(x, t)``: scores ``x`` (N, K), labels ``t`` as integers (N,) or (N, 1), or one-hot (N, K);
    returns the scalar loss. ``backward(dout=1)`` starts backpropagation: it returns
    ``dx = dout * (softmax(x) - onehot(t)) / N``. A network keeps it apart from its
    ``layers``, as ``last_layer`` (the book's name).
    """

    def forward(self, x, t):
        check_ndim(x, (2,), "x", "(N, K)")
        N, K = x.shape
        labels = _labels(t, N, K)
        # log-softmax computed directly: stable even when a probability underflows to 0
        z = x - x.max(axis=1, keepdims=True)
        log_y = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self.labels, self.y = labels, np.exp(log_y)  # the book's attribute names
        return self._keep(float(-log_y[np.arange(N), labels].mean()), labels=labels, y=self.y)

    def output_shape(self, input_shape):
        """() : one number, the loss."""
        return ()

    def backward(self, dout=1.0):
        saved = self._kept(dout)  # dout: a number, like the loss
        N = saved["y"].shape[0]
        dx = saved["y"].copy()
        dx[np.arange(N), saved["labels"]] -= 1
        return dx * (dout / N)
