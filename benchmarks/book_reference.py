"""Deep Learning from Scratch's SimpleConvNet, written as in the book (``common/layers.py``,
``common/optimizer.py``), float64: the benchmarks compare cnnlib with it. Its convolution and
pooling are the book's, from :mod:`cnnlib.reference` (the one copy in the repository).
"""

import numpy as np

from cnnlib.reference import BookConvolution, BookPooling


class BookRelu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout = dout.copy()  # the book mutates dout here; we copy so the timing is fair to callers
        dout[self.mask] = 0
        return dout


class BookAffine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return np.dot(dout, self.W.T).reshape(*self.original_x_shape)


class BookSoftmaxWithLoss:
    def forward(self, x, t):
        x = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)
        self.t = t
        return -np.sum(np.log(self.y[np.arange(len(t)), t] + 1e-7)) / len(t)

    def backward(self):
        dx = self.y.copy()
        dx[np.arange(len(self.t)), self.t] -= 1
        return dx / len(self.t)


class BookAdam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2, self.iter, self.m, self.v = lr, beta1, beta2, 0, None, None

    def update(self, params, grads):
        if self.m is None:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for key in params:
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


class BookSimpleConvNet:
    """The book's SimpleConvNet, float64, with the book's layers and Adam."""

    def __init__(self, rng):
        std = 0.01
        self.params = {"W1": std * rng.standard_normal((30, 1, 5, 5)), "b1": np.zeros(30),
                       "W2": std * rng.standard_normal((4320, 100)), "b2": np.zeros(100),
                       "W3": std * rng.standard_normal((100, 10)), "b3": np.zeros(10)}
        p = self.params
        self.layers = [BookConvolution(p["W1"], p["b1"]), BookRelu(), BookPooling(2, 2, stride=2),
                       BookAffine(p["W2"], p["b2"]), BookRelu(), BookAffine(p["W3"], p["b3"])]
        self.last = BookSoftmaxWithLoss()
        self.optimizer = BookAdam()

    def step(self, x, t):
        for layer in self.layers:
            x = layer.forward(x)
        loss = self.last.forward(x, t)
        dout = self.last.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        conv, affine1, affine2 = self.layers[0], self.layers[3], self.layers[5]
        grads = {"W1": conv.dW, "b1": conv.db, "W2": affine1.dW, "b2": affine1.db, "W3": affine2.dW, "b3": affine2.db}
        self.optimizer.update(self.params, grads)
        return loss
