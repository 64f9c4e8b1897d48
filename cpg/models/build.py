"""Plain models by architecture name: each a builder registered with `@ARCHS.register(name)`
beside its model in cpg/models/, taking the number of classes, the input shape (C, H, W) and a
width multiplier. Every model is a plain `nn.Module`; `cpg.convert` makes it task-aware. A
registered model class also names its head (`head_layer`) and says how its channels are
coupled (`channel_spaces()`, see `cpg.models.channels`), which exporting, slimming and channel
pruning read."""

from collections.abc import Callable
from functools import partial

from torch import nn

from cpg.errors import SettingError
from cpg.registry import ARCHS

InputShape = tuple[int, int, int]
Builder = Callable[[int, InputShape, float], nn.Module]


def check_arch(name: str) -> None:
    ARCHS.get(name)


def build_model(name: str, num_classes: int, input_shape: InputShape, width: float = 1.0) -> nn.Module:
    """A plain model of architecture `name` at width multiplier `width`."""
    build: Builder = ARCHS.get(name)
    if width <= 0:
        raise SettingError("width", f"must be positive, got {width}")
    return build(num_classes, input_shape, width)


def model_factory(name: str, input_shape: InputShape) -> Callable[[float], nn.Module]:
    """A width → plain model builder for a `TaskNetwork` (heads are per task, so the classifier
    built here only fixes its input size)."""
    check_arch(name)
    return partial(_build_for_width, name, input_shape)


def _build_for_width(name: str, input_shape: InputShape, width: float) -> nn.Module:
    return build_model(name, 1, input_shape, width)
