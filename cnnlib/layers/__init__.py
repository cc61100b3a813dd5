"""Layers of the course, all with ``forward(x, train=True)`` / ``backward(dout)`` and
``params`` / ``grads`` dicts (see :mod:`cnnlib.layers.base`).

========================  ==========================================  =====================
layer                     shapes                                      module
========================  ==========================================  =====================
Convolution(W, b, ...)    (N, C, H, W) -> (N, FN, OH, OW)             conv.py
Pooling(ph, pw, ...)      (N, C, H, W) -> (N, C, OH, OW)              pooling.py
Affine(W, b)              (N, D) or (N, C, H, W) -> (N, M)            dense.py
Flatten()                 (N, C, H, W) -> (N, C*H*W)                  dense.py
Dropout(ratio)            any -> same                                 dense.py
Relu, Sigmoid, Tanh       any -> same                                 activations.py
BatchNormalization(...)   (N, D) or (N, C, H, W) -> same              norm.py
LRN(k, n, alpha, beta)    (N, C, H, W) -> same                        norm.py
SoftmaxWithLoss()         scores (N, K), labels -> scalar loss        loss.py
Residual(body, shortcut)  x -> F(x) + shortcut(x)                     blocks.py
Concat(branches)          x -> branches' outputs stacked on C         blocks.py
GlobalAvgPool()           (N, C, H, W) -> (N, C)                      blocks.py
Subsampling(W, b)         (N, C, H, W) -> (N, C, H/2, W/2)            lenet.py
SparseConvolution(...)    (N, C, H, W) -> (N, FN, OH, OW)             lenet.py
ScaledTanh()              any -> same                                 lenet.py
========================  ==========================================  =====================
"""

from .activations import Relu, Sigmoid, Tanh
from .base import Layer
from .blocks import Concat, GlobalAvgPool, Residual
from .conv import Convolution
from .dense import Affine, Dropout, Flatten
from .lenet import C3_TABLE, ScaledTanh, SparseConvolution, Subsampling
from .loss import SoftmaxWithLoss, cross_entropy_error, softmax
from .norm import LRN, BatchNormalization
from .pooling import Pooling

__all__ = ["Layer", "Convolution", "Pooling", "Affine", "Flatten", "Dropout", "Relu", "Sigmoid", "Tanh",
           "BatchNormalization", "LRN", "SoftmaxWithLoss", "softmax", "cross_entropy_error", "Residual", "Concat",
           "GlobalAvgPool", "Subsampling", "SparseConvolution", "ScaledTanh", "C3_TABLE"]
