"""Reading layers' outputs during a forward pass, to take gradients with respect to them."""

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from torch import Tensor, nn


class LayerTap:
    """Keeps the output of `layer` from the latest forward pass in `output`, while entered.

    The rest of the network receives a copy, so an in-place operation after the layer (a
    `ReLU(inplace=True)`) cannot overwrite the tensor gradients are taken with respect to. With
    `detach`, the output starts a new graph: gradients w.r.t. it never reach earlier layers.
    """

    def __init__(self, layer: nn.Module, detach: bool = False) -> None:
        self.layer = layer
        self.detach = detach
        self.output: Tensor | None = None
        self._handle: Any = None

    def __enter__(self) -> "LayerTap":
        self._handle = self.layer.register_forward_hook(self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.remove()
        self.output = None

    def _record(self, module: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> Tensor:
        self.output = output.detach().requires_grad_() if self.detach else output
        return self.output.clone()


@contextmanager
def tapped(layers: Sequence[nn.Module], detach: bool = False) -> Iterator[list[LayerTap]]:
    """One tap per layer, all entered together."""
    with ExitStack() as stack:
        yield [stack.enter_context(LayerTap(layer, detach)) for layer in layers]


@contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[None]:
    """`model` in evaluation mode inside the block (BatchNorm on its running statistics, which
    scoring must not update); afterwards in the mode it was in."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def per_channel(values: Tensor) -> Tensor:
    """[images, channels, positions…] → [images, channels], summed over the positions."""
    return values.flatten(2).sum(dim=2) if values.dim() > 2 else values
