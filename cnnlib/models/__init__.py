"""The networks of the course, each a :class:`cnnlib.Sequential` built from cnnlib layers.

- ``classic.py``   SimpleConvNet (the book's), LeNet-5, AlexNet (chapter 7)
- ``small.py``     the ideas after AlexNet on 28x28 digits: SmallVGG, SmallResNet (and
                   its plain counterpart), SmallMobileNet (and its standard counterpart)
- ``imagenet.py``  VGG16, GoogLeNet, ResNet (18/34/50), MobileNet as published, for
                   ``summary`` and timed forward passes (random weights)
- ``builder.py``   what they share: a builder that tracks the shape as layers are added
"""

from .classic import MODELS, AlexNet, LeNet5, SimpleConvNet
from .imagenet import VGG16, GoogLeNet, MobileNet, ResNet
from .small import SmallMobileNet, SmallResNet, SmallVGG

__all__ = ["SimpleConvNet", "LeNet5", "AlexNet", "MODELS", "SmallVGG", "SmallResNet", "SmallMobileNet", "VGG16",
           "GoogLeNet", "ResNet", "MobileNet"]
