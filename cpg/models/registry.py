"""Architectures by name: each a builder registered with `@ARCHS.register(name)` that takes
the number of classes, the input shape (C, H, W) and a width multiplier. Every model is a plain
`nn.Module`; `cpg.convert` makes it task-aware. A registered model class also names its head
(`head_layer`) and says how its channels are coupled (`channel_spaces()`, see
`cpg.models.channels`), which exporting, slimming and channel pruning read."""

from collections.abc import Callable
from functools import partial

from torch import nn

from cpg.errors import UserError
from cpg.models.mlp import MLP
from cpg.models.mnist_cnn import MnistCNN
from cpg.models.resnet_cifar import ResNetCIFAR
from cpg.models.resnet_imagenet import ResNet50
from cpg.models.small_cnn import SmallCNN
from cpg.models.vgg import VGG
from cpg.registry import Registry

InputShape = tuple[int, int, int]
Builder = Callable[[int, InputShape, float], nn.Module]
ARCHS: Registry[Builder] = Registry("arch")


@ARCHS.register("small_cnn")
def _small_cnn(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return SmallCNN(num_classes, in_channels=input_shape[0], width=width)


@ARCHS.register("mnist_cnn")
def _mnist_cnn(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return MnistCNN(num_classes, in_channels=input_shape[0], width=width, input_size=input_shape[1])


@ARCHS.register("mlp")
def _mlp(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    channels, height, breadth = input_shape
    return MLP(num_classes, inputs=channels * height * breadth, width=width)


@ARCHS.register("vgg16")
def _vgg16(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return VGG(num_classes, in_channels=input_shape[0], width=width, input_size=input_shape[1])


@ARCHS.register("resnet20")
def _resnet20(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return ResNetCIFAR(20, num_classes, in_channels=input_shape[0], width=width)


@ARCHS.register("resnet32")
def _resnet32(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return ResNetCIFAR(32, num_classes, in_channels=input_shape[0], width=width)


@ARCHS.register("resnet56")
def _resnet56(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return ResNetCIFAR(56, num_classes, in_channels=input_shape[0], width=width)


@ARCHS.register("resnet50")
def _resnet50(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return ResNet50(num_classes, in_channels=input_shape[0], width=width)


def check_arch(name: str) -> None:
    ARCHS.get(name)


def build_model(name: str, num_classes: int, input_shape: InputShape, width: float = 1.0) -> nn.Module:
    """A plain model of architecture `name` at width multiplier `width`."""
    build = ARCHS.get(name)
    if width <= 0:
        raise UserError(f"width must be positive, got {width}")
    return build(num_classes, input_shape, width)


def model_factory(name: str, input_shape: InputShape) -> Callable[[float], nn.Module]:
    """A width → plain model builder for a `TaskNetwork` (heads are per task, so the classifier
    built here only fixes its input size)."""
    check_arch(name)
    return partial(_build_for_width, name, input_shape)


def _build_for_width(name: str, input_shape: InputShape, width: float) -> nn.Module:
    return build_model(name, 1, input_shape, width)
