"""Architectures by name. Every model is a plain `nn.Module` built at a width multiplier;
`cpg.convert` makes it task-aware."""

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

InputShape = tuple[int, int, int]


def _small_cnn(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return SmallCNN(num_classes, in_channels=input_shape[0], width=width)


def _mnist_cnn(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return MnistCNN(num_classes, in_channels=input_shape[0], width=width, input_size=input_shape[1])


def _mlp(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    channels, height, breadth = input_shape
    return MLP(num_classes, inputs=channels * height * breadth, width=width)


def _vgg16(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return VGG(num_classes, in_channels=input_shape[0], width=width, input_size=input_shape[1])


def _resnet(depth: int, num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return ResNetCIFAR(depth, num_classes, in_channels=input_shape[0], width=width)


def _resnet50(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return ResNet50(num_classes, in_channels=input_shape[0], width=width)


ARCHS: dict[str, Callable[[int, InputShape, float], nn.Module]] = {
    "small_cnn": _small_cnn,
    "mnist_cnn": _mnist_cnn,
    "mlp": _mlp,
    "vgg16": _vgg16,
    "resnet20": partial(_resnet, 20),
    "resnet32": partial(_resnet, 32),
    "resnet56": partial(_resnet, 56),
    "resnet50": _resnet50,
}


def check_arch(name: str) -> None:
    if name not in ARCHS:
        raise UserError(f"unknown arch {name!r}; choose one of: {', '.join(ARCHS)}")


def build_model(name: str, num_classes: int, input_shape: InputShape, width: float = 1.0) -> nn.Module:
    """A plain model of architecture `name` at width multiplier `width`."""
    check_arch(name)
    if width <= 0:
        raise UserError(f"width must be positive, got {width}")
    return ARCHS[name](num_classes, input_shape, width)


def model_factory(name: str, input_shape: InputShape) -> Callable[[float], nn.Module]:
    """A width → plain model builder for a `TaskNetwork` (heads are per task, so the classifier
    built here only fixes its input size)."""
    check_arch(name)
    return partial(_build_for_width, name, input_shape)


def _build_for_width(name: str, input_shape: InputShape, width: float) -> nn.Module:
    return build_model(name, 1, input_shape, width)
