"""Which channels of a model are coupled, so that slimming cuts them together.

A *channel space* is a set of channels written by one or more conv/linear layers (its
producers, each optionally followed by a BatchNorm) and read by one or more layers (its
consumers). A registered architecture says how its channels are coupled by its
`channel_spaces()` method, built on one of the two tracers here:

- `chain_spaces`: layers applied one after the other (small_cnn, mnist_cnn, mlp, vgg16); every
  layer's output is its own space, read by the next layer.
- `residual_spaces`: a ResNet (CIFAR or ResNet-50), where the outputs of the stem and of every
  block of a stage are added together, so all of them form one space that every block of the
  stage and the next stage's first block (conv1 and downsample) read.

The model's head (the layer its `head_layer` attribute names) produces no space: the model's
outputs are never removed.
"""

from dataclasses import dataclass

from torch import nn

WEIGHTED = (nn.Conv2d, nn.Linear)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
STAGES = ("layer1", "layer2", "layer3", "layer4")
"""The stages a ResNet may have, in order."""


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
    """The channel spaces of `model`, as its architecture declares them."""
    trace = getattr(model, "channel_spaces", None)
    if trace is None:
        raise TypeError(f"cannot trace the channels of {type(model).__name__}: slimming knows the registered "
                        "architectures (cpg.models.ARCHS), which declare channel_spaces()")
    return trace()


def chain_spaces(model: nn.Module) -> list[ChannelSpace]:
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


def residual_spaces(model: nn.Module, head: str) -> list[ChannelSpace]:
    """The stem (`conv1`, `bn1`) and every block's output of a stage form one space; inside a
    block (BasicBlock: conv1 → conv2, Bottleneck: conv1 → conv2 → conv3) each conv but the last
    has its own. The last stage's space is read by `head`."""
    spaces: list[ChannelSpace] = []
    producers: list[tuple[str, str | None]] = [("conv1", "bn1")]
    consumers: list[Consumer] = []

    def close_stream() -> None:
        size = dict(model.named_modules())[producers[0][0]].out_channels
        names, norms = zip(*producers)
        spaces.append(ChannelSpace(size, tuple(names), tuple(norms), tuple(consumers)))

    for stage in (name for name in STAGES if hasattr(model, name)):
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
    consumers.append(Consumer(head))
    close_stream()
    return spaces
