"""Choosing the layer Model Doctor examines (its output is read with `cpg.importance.LayerTap`)."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from torch import nn

from cpg.errors import SettingError
from cpg.nn import TaskHead

_SHOWN = 12


def diagnosable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Conv and linear layers in registration order, without the per-task heads."""
    inside_heads = {id(sub) for module in model.modules() if isinstance(module, TaskHead) for sub in module.modules()}
    return [
        (name, module) for name, module in model.named_modules()
        if isinstance(module, (nn.Conv2d, nn.Linear)) and id(module) not in inside_heads
    ]


def resolve_layer(model: nn.Module, name: str | None) -> tuple[str, nn.Module]:
    """The layer called `name`, or the last conv layer when `name` is None."""
    layers = diagnosable_layers(model)
    if name is None:
        convs = [(layer_name, layer) for layer_name, layer in layers if isinstance(layer, nn.Conv2d)]
        if not convs:
            raise SettingError("layer", f"{type(model).__name__} has no conv layer; name a linear layer to examine")
        return convs[-1]
    found = dict(layers)
    if name not in found:
        names = [layer_name for layer_name, _ in layers]
        shown = ", ".join(names[:_SHOWN] + (["…", names[-1]] if len(names) > _SHOWN else []))
        raise SettingError("layer", f"{type(model).__name__} has no conv or linear layer named {name!r}; "
                                    f"choose one of: {shown}")
    return name, found[name]


def output_channels(layer: nn.Module) -> int:
    return layer.out_channels if isinstance(layer, nn.Conv2d) else layer.out_features


@contextmanager
def frozen(parameters: Iterable[nn.Parameter]) -> Iterator[None]:
    """None of `parameters` requires a gradient inside the block; afterwards each is as it was."""
    parameters = [parameter for parameter in parameters if parameter.requires_grad]
    for parameter in parameters:
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter in parameters:
            parameter.requires_grad_(True)
