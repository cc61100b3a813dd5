"""Normalization layers: batch normalization and AlexNet's local response normalization."""

import numpy as np

from .base import SameShape, as_float, check_float_array, check_ndim, check_number, grad_attribute, param_attribute

__all__ = ["BatchNormalization", "LRN"]


class BatchNormalization(SameShape):
    """Batch normalization (Ioffe & Szegedy, 2015) for dense (N, D) or conv (N, C, H, W) input.

    For conv input the statistics are per channel, over N, H and W. Training uses the
    batch's mean and (biased) variance and updates the running statistics that
    inference (``train=False``) uses:

    - ``momentum`` in [0, 1): exponential moving average,
      ``running = momentum * running + (1 - momentum) * batch`` (the book's convention;
      PyTorch's ``momentum=0.1`` is this layer's ``momentum=0.9``);
    - ``momentum=None``: cumulative average of every batch seen since creation (PyTorch's
      ``momentum=None``). Notebook 05 shows why this breaks when the statistics drift
      during training.

    Args:
        gamma, beta: scale and shift, shape (D,) or (C,).
        eps: added to the variance before the square root.
        running_mean, running_var: initial running statistics, shape (D,) (the book's
            keywords; default zeros and ones). Copied into ``buffers``.

    The book's names work too: ``forward(x, train_flg=...)``, and the attributes
    ``gamma``, ``beta``, ``dgamma``, ``dbeta``, ``running_mean``, ``running_var``.
    Unlike the book's layer, which flattens a conv input (N, C, H, W) to (N, C*H*W)
    and normalizes each of the C*H*W values, this one normalizes per channel.
    """

    gamma, beta = param_attribute("gamma"), param_attribute("beta")
    dgamma, dbeta = grad_attribute("gamma"), grad_attribute("beta")
    running_mean = property(lambda self: self.buffers["running_mean"], doc="the running mean, (D,)")
    running_var = property(lambda self: self.buffers["running_var"], doc="the running variance, (D,)")

    def __init__(self, gamma, beta, momentum=0.9, eps=1e-5, *, running_mean=None, running_var=None):
        super().__init__()
        check_float_array(gamma, (1,), "gamma", "(D,)")
        check_float_array(beta, (1,), "beta", "(D,)")
        if beta.shape != gamma.shape:
            raise ValueError(f"beta must have the shape of gamma {gamma.shape}, got {beta.shape}")
        if momentum is not None and not 0 <= check_number(momentum, "momentum") < 1:
            raise ValueError(f"momentum must be in [0, 1) or None, got momentum = {momentum}")
        if not check_number(eps, "eps") > 0:  # eps <= 0: a constant feature divides by 0 (or sqrt < 0)
            raise ValueError(f"eps must be > 0, got eps = {eps}")
        self.params = {"gamma": gamma, "beta": beta}
        self.momentum, self.eps = momentum, eps
        D = gamma.shape[0]
        self.buffers = {"running_mean": np.zeros(D, gamma.dtype), "running_var": np.ones(D, gamma.dtype),
                        "num_batches": np.zeros((), np.int64)}
        for name, value in (("running_mean", running_mean), ("running_var", running_var)):
            if value is not None:
                if np.shape(value) != (D,):
                    raise ValueError(f"{name} must have shape (D,) = ({D},) like gamma, got {np.shape(value)}")
                self.buffers[name][...] = value

    def _shape(self, x):
        """(1, D) for x (N, D), (1, C, 1, 1) for x (N, C, H, W): a feature's statistics broadcast over x."""
        check_ndim(x, (2, 4), "x", "(N, D) or (N, C, H, W)")
        D = self.params["gamma"].shape[0]
        if x.shape[1] != D:
            raise ValueError(f"x has {x.shape[1]} features/channels on axis 1 but gamma has D = {D}")
        return (1, D) + (1,) * (x.ndim - 2)

    def forward(self, x, train=True, *, train_flg=None):
        train = train if train_flg is None else train_flg
        shape, x = self._shape(x), as_float(x)  # uint8 pixels: their sums would wrap around
        gamma, beta = self.params["gamma"].reshape(shape), self.params["beta"].reshape(shape)
        if train:
            M = x.size // x.shape[1]   # values per feature: N, or N*H*W
            if M == 0:  # an empty batch: its mean would be NaN, and would stay in the running statistics
                raise ValueError(f"batch normalization cannot train on an empty batch, got x of shape {x.shape}")
            if M == 1:  # its variance is 0: every output would be beta (PyTorch refuses too)
                values = "N = 1" if x.ndim == 2 else f"N*H*W = {x.shape[0]}*{x.shape[2]}*{x.shape[3]} = 1"
                raise ValueError(f"batch normalization needs more than one value per feature to train, got x of "
                                 f"shape {x.shape} ({values}); use a batch of at least 2, or forward(x, train=False)")
            mu = _feature_sum(x) / M
            xn = x - mu.reshape(shape)                 # centred, then scaled in place below
            var = _feature_sum(xn * xn) / M
            self._update_running(mu, var)
            std = np.sqrt(var + self.eps).reshape(shape)
            xn /= std
            out = np.multiply(xn, gamma)
            out += beta
            return self._keep(out, xn=xn, std=std)
        b = self.buffers
        return gamma * (x - b["running_mean"].reshape(shape)) / np.sqrt(b["running_var"].reshape(shape) + self.eps) + beta

    def _update_running(self, mu, var):
        b = self.buffers
        b["num_batches"] += 1
        # EMA weights recent batches; the cumulative mean weights all batches equally
        keep = self.momentum if self.momentum is not None else 1 - 1 / b["num_batches"]
        b["running_mean"] *= keep
        b["running_mean"] += (1 - keep) * mu
        b["running_var"] *= keep
        b["running_var"] += (1 - keep) * var

    def backward(self, dout):
        """dout in the input's shape -> dx in the input's shape; fills grads gamma, beta."""
        saved = self._kept(dout)
        xn, std = saved["xn"], saved["std"]
        shape, M = self._shape(dout), dout.size // dout.shape[1]
        dbeta, dgamma = _feature_sum(dout), _feature_sum(dout * xn)
        self.grads = {"gamma": dgamma, "beta": dbeta}
        # through xn = (x - mean) / std, with the batch's own mean and std (both depend on x):
        # dx = gamma / std * (dout - mean(dout) - xn * mean(dout * xn)), means per feature
        dx = xn * (dgamma / M).reshape(shape)
        np.subtract(dout, dx, out=dx)
        dx -= (dbeta / M).reshape(shape)
        dx *= self.params["gamma"].reshape(shape) / std
        return dx


def _feature_sum(a):
    """The sum of a over every axis but axis 1, the features (or channels): (N, D) -> (D,),
    (N, C, H, W) -> (C,); the latter as a matrix-vector product (BLAS is faster than
    a.sum(axis=(0, 2, 3)))."""
    if a.ndim == 2:
        return a.sum(axis=0)
    N, C = a.shape[:2]
    return (a.reshape(N, C, -1) @ np.ones(a[0, 0].size, dtype=a.dtype)).sum(axis=0)


def _channel_window_sum(a, n):
    """For each channel c, the sum of ``a`` over channels c - n//2 .. c + n//2 (clipped)."""
    half = n // 2
    padded = np.pad(a, ((0, 0), (half, half), (0, 0), (0, 0)))
    C = a.shape[1]
    return sum(padded[:, i:i + C] for i in range(n))


class LRN(SameShape):
    """Local response normalization across channels (Krizhevsky et al., 2012, section 3.3).

    ``b[c] = a[c] / (k + alpha * sum(a[j]**2 for j in c-n//2 .. c+n//2)) ** beta``

    with the paper's defaults k=2, n=5, alpha=1e-4, beta=0.75. Note that the paper
    multiplies the *sum* by alpha; PyTorch's ``LocalResponseNorm`` multiplies the
    *mean*, so its ``alpha`` is this layer's ``alpha * n``.

    ``forward(x)``: x (N, C, H, W) -> same shape. No parameters.
    """

    def __init__(self, k=2.0, n=5, alpha=1e-4, beta=0.75):
        super().__init__()
        if check_number(n, "n", integer=True) < 1 or n % 2 == 0:
            raise ValueError(f"n must be an odd number of channels >= 1 (a centred window), got n = {n}")
        if not check_number(k, "k") > 0:  # k = 0: a pixel whose neighbourhood is all 0 divides 0 by 0
            raise ValueError(f"k must be > 0, got k = {k}")
        for name, value in (("alpha", alpha), ("beta", beta)):
            if not check_number(value, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {name} = {value}")
        self.k, self.n, self.alpha, self.beta = k, n, alpha, beta

    def forward(self, x, train=True):
        check_ndim(x, (4,), "x", "(N, C, H, W)")
        x = as_float(x)  # uint8 pixels: x * x would wrap around
        scale = self.k + self.alpha * _channel_window_sum(x * x, self.n)  # (k + alpha * sum a^2)
        out = x * scale ** -self.beta
        return self._keep(out, x=x, scale=scale, out=out) if train else out

    def backward(self, dout):
        saved = self._kept(dout)
        x, scale, out = saved["x"], saved["scale"], saved["out"]
        # b_i = a_i s_i^-beta, s_i = k + alpha sum_{j near i} a_j^2. The window is symmetric,
        # so the a_j terms collect the same windowed sum:
        # dx = dout s^-beta - 2 alpha beta a * window_sum(dout * b / s)
        t = dout * out / scale
        return dout * scale ** -self.beta - 2 * self.alpha * self.beta * x * _channel_window_sum(t, self.n)
