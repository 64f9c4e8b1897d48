"""Which channels of a registered architecture are coupled, so that slimming cuts them together.

A *channel space* is a set of channels written by one or more conv/linear layers (its
producers, each optionally followed by a BatchNorm) and read by one or more layers (its
consumers). In a plain chain (small_cnn, mnist_cnn, mlp, vgg16) every layer's output is its own
space, read by the next layer. In a ResNet (CIFAR or ResNet-50) the outputs of the stem and of
every block of a stage are added together, so all of them form one space that every block of the
stage and the next stage's first block (conv1 and downsample) read. The layer computing the model's outputs produces no
space: its outputs are never removed.
"""

from dataclasses import dataclass

from torch import nn

from cpg.models.mlp import MLP
from cpg.models.mnist_cnn import MnistCNN
from cpg.models.resnet_cifar import ResNetCIFAR
from cpg.models.resnet_imagenet import ResNet50
from cpg.models.small_cnn import SmallCNN
from cpg.models.vgg import VGG

WEIGHTED = (nn.Conv2d, nn.Linear)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)


@dataclass(frozen=True)
class Consumer:
    """A layer reading a space. A conv reads channel c as its input channel c; a linear layer
    behind a flatten of C×H×W maps reads channel c as input features c·repeat … c·repeat +
    repeat − 1, with repeat = H·W (1 after global pooling or between linear layers)."""

    name: str
    repeat: int = 1


@dataclass(frozen=True)
class ChannelSpace:
    size: int
    producers: tuple[str, ...]
    norms: tuple[str | None, ...]  # the BatchNorm right after each producer, if any
    consumers: tuple[Consumer, ...]


def channel_spaces(model: nn.Module) -> list[ChannelSpace]:
    """The channel spaces of a plain model of a registered architecture."""
    if isinstance(model, (ResNetCIFAR, ResNet50)):
        return _resnet_spaces(model)
    if isinstance(model, (SmallCNN, MnistCNN, MLP, VGG)):
        return _chain_spaces(model)
    raise TypeError(f"cannot trace the channels of {type(model).__name__}: slimming knows small_cnn, mnist_cnn, mlp, "
                    "vgg16 and resnet*")


def output_layer(model: nn.Module) -> str:
    """Name of the layer computing the model's outputs (the last linear layer)."""
    names = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    if not names:
        raise TypeError(f"{type(model).__name__} has no linear output layer")
    return names[-1]


def _chain_spaces(model: nn.Module) -> list[ChannelSpace]:
    """Layers applied one after the other in registration order (no branches)."""
    layers: list[tuple[str, nn.Module, str | None]] = []
    for name, module in model.named_modules():
        if isinstance(module, WEIGHTED):
            layers.append((name, module, None))
        elif isinstance(module, NORMS) and layers and layers[-1][2] is None:
            layers[-1] = (layers[-1][0], layers[-1][1], name)
    spaces = []
    for (name, module, norm), (reader, follower, _) in zip(layers, layers[1:]):
        size = module.out_channels if isinstance(module, nn.Conv2d) else module.out_features
        spaces.append(ChannelSpace(size, (name,), (norm,), (Consumer(reader, _repeat(size, follower, reader)),)))
    return spaces


def _repeat(size: int, follower: nn.Module, name: str) -> int:
    reads = follower.in_channels if isinstance(follower, nn.Conv2d) else follower.in_features
    if reads % size or (isinstance(follower, nn.Conv2d) and reads != size):
        raise TypeError(f"{name} reads {reads} inputs, which does not match the {size} channels before it")
    return reads // size


def _resnet_spaces(model: ResNetCIFAR | ResNet50) -> list[ChannelSpace]:
    """The stem and every block's output of a stage form one space; inside a block (BasicBlock:
    conv1 → conv2, Bottleneck: conv1 → conv2 → conv3) each conv but the last has its own."""
    spaces: list[ChannelSpace] = []
    producers: list[tuple[str, str | None]] = [("conv1", "bn1")]
    consumers: list[Consumer] = []

    def close_stream() -> None:
        size = dict(model.named_modules())[producers[0][0]].out_channels
        names, norms = zip(*producers)
        spaces.append(ChannelSpace(size, tuple(names), tuple(norms), tuple(consumers)))

    for stage in (name for name in ("layer1", "layer2", "layer3", "layer4") if hasattr(model, name)):
        for index, block in enumerate(getattr(model, stage)):
            prefix = f"{stage}.{index}"
            consumers.append(Consumer(f"{prefix}.conv1"))
            if block.downsample is not None:
                consumers.append(Consumer(f"{prefix}.downsample.0"))
                close_stream()
                producers, consumers = [(f"{prefix}.downsample.0", f"{prefix}.downsample.1")], []
            convs = [name for name in ("conv1", "conv2", "conv3") if hasattr(block, name)]
            for inner, reader in zip(convs, convs[1:]):
                spaces.append(ChannelSpace(getattr(block, inner).out_channels, (f"{prefix}.{inner}",),
                                           (f"{prefix}.bn{inner[-1]}",), (Consumer(f"{prefix}.{reader}"),)))
            producers.append((f"{prefix}.{convs[-1]}", f"{prefix}.bn{convs[-1][-1]}"))
    consumers.append(Consumer("fc"))
    close_stream()
    return spaces
