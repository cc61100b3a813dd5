"""cnnlib: convolutional neural networks from scratch in NumPy.

The library of the course "CNNs from scratch". Every array of images is laid out
**NCHW**: (N batch, C channels, H height, W width). Filters are (FN, C, FH, FW);
outputs (N, FN, OH, OW) with ``OH = (H + 2*pad - FH) / stride + 1``. Gradients are
named ``dout`` (arriving from above), ``dx``, ``dW``, ``db``. Training runs in float32;
gradient checks in float64.

The house, from the inside out (each ring imports only the rings inside it):

**The network core**, at the top of the package (read in this order):

- ``sizes.py``      conv_output_size: the output-size formula, with errors that explain
- ``coverage.py``   which input rows the windows see (every unseen row, for any numbers)
- ``im2col.py``     im2col / col2im: convolution as one matrix product
- ``layers/``       Convolution, Pooling, Affine, Flatten, Relu, Sigmoid, Tanh, Dropout,
                    BatchNormalization, LRN, SoftmaxWithLoss (forward / backward); blocks
                    made of layers: Residual, Concat, GlobalAvgPool; the paper's LeNet-5
                    layers: Subsampling, SparseConvolution, ScaledTanh
- ``reference.py``  the readable versions the fast layers equal: the book's im2col,
                    Convolution and Pooling, and plain loops, one window at a time
- ``init.py``       initial weights: the book's fixed std, He, Xavier
- ``optim.py``      SGD, Momentum, AdaGrad, Adam: ``update(params, grads)``
- ``network.py``    Sequential: predict, loss, accuracy, gradient, save/load_params
- ``models/``       SimpleConvNet (the book's), LeNet5, AlexNet; after AlexNet: SmallVGG,
                    SmallResNet, SmallMobileNet (digits), VGG16, GoogLeNet, ResNet, MobileNet
- ``summary.py``    summary(model, input_shape): shapes, parameters, multiply-adds, memory
- ``gradcheck.py``  numerical gradients and relative errors
- ``io.py``         atomic ``.npz`` saving, loading without pickle; pickled arrays (the
                    book's ``params.pkl``) through an unpickler that builds arrays only

**Data** (``data/``): load_mnist (full, or the 5,000 embedded digits offline),
load_cifar10, sample_image (real photos); downloads, cache and checksums; random shifts.

**Training** (``train/``): the Trainer (progress bar, live curves, snapshots,
checkpoints) and the command line, ``python -m cnnlib.train`` or ``cnnlib-train``.

**The course** (``course/``): drawings, the output-size and learned-filter explorers,
the exercise checks, and the shipped filter snapshots.

Where new things go: a layer in ``layers/`` (a class with ``forward``, ``backward``,
``output_shape`` and, if it computes, ``macs``; a gradient check in ``tests/``); a data
set in ``data/``; a widget in ``course/``; a notebook in ``notebooks/`` (numbered, paired
with a ``.py`` by jupytext). ``import cnnlib`` loads NumPy only: tqdm, matplotlib,
ipywidgets and Pillow load when something needs them.
"""

from . import layers, optim
from .data import load_cifar10, load_mnist, sample_image
from .gradcheck import check_layer, numerical_gradient, rel_error
from .im2col import col2im, im2col
from .models import AlexNet, LeNet5, SimpleConvNet
from .network import Sequential
from .sizes import conv_output_size
from .summary import summary

__version__ = "0.1.0"

__all__ = ["conv_output_size", "im2col", "col2im", "layers", "optim", "Sequential", "SimpleConvNet",
           "LeNet5", "AlexNet", "summary", "load_mnist", "load_cifar10", "sample_image",
           "numerical_gradient", "rel_error", "check_layer"]
