"""cnnlib: convolutional neural networks from scratch in NumPy.

The library of the course "CNNs from scratch". Every array of images is laid out
**NCHW**: (N batch, C channels, H height, W width). Filters are (FN, C, FH, FW);
outputs (N, FN, OH, OW) with ``OH = (H + 2*pad - FH) / stride + 1``. Gradients are
named ``dout`` (arriving from above), ``dx``, ``dW``, ``db``. Training runs in float32;
gradient checks in float64.

Package layout (read in this order):

- ``sizes.py``      conv_output_size: the output-size formula, with helpful errors
- ``im2col.py``     im2col / col2im: convolution as one matrix product
- ``layers/``       Convolution, Pooling, Affine, Flatten, Relu, Sigmoid, Tanh, Dropout,
                    BatchNormalization, LRN, SoftmaxWithLoss (forward / backward)
- ``optim.py``      SGD, Momentum, AdaGrad, Adam: ``update(params, grads)``
- ``network.py``    Sequential: predict, loss, accuracy, gradient, save/load_params
- ``models.py``     SimpleConvNet (the book's), LeNet5, AlexNet
- ``summary.py``    summary(model, input_shape): shapes, parameters, multiply-adds, memory
- ``train.py``      Trainer: epochs, progress bar, live curves, snapshots, checkpoints;
                    ``python -m cnnlib.train`` (``cli.py``) trains from the command line
- ``augment.py``    random shifts of images
- ``datasets.py``   load_mnist (full, or the 5,000 embedded digits offline), load_cifar10,
                    sample_image (real photos)
- ``download.py``   cache folder, mirrors, checksums, IDX parsing, pickle-free CIFAR reading
- ``viz.py``        drawings: matrices, padded grids, image grids normalized per image
- ``widgets.py``    the output-size explorer (sliders), its logic in plain functions
- ``filters.py``    snapshots of filters, per-filter normalization, feature maps
- ``network_widgets.py``  the learned-filter explorer and the single-image inference widget
- ``exercises.py``  the auto-checks of the notebooks' exercises
- ``gradcheck.py``  numerical gradients and relative errors
- ``io.py``         atomic ``.npz`` saving, loading without pickle
"""

from . import layers, optim
from .datasets import load_cifar10, load_mnist, sample_image
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
