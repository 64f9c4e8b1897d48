"""Every task's outputs from one forward pass: what a network's `TaskHead` receives, through
each task's own head. A distillation term needs the old tasks' outputs on the new task's
images; this takes them from the forward pass the step already made."""

from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from cpg.nn import TaskHead


def task_head(network: nn.Module) -> TaskHead:
    """The network's one `TaskHead`."""
    heads = [module for module in network.modules() if isinstance(module, TaskHead)]
    if len(heads) != 1:
        raise ValueError(f"expected one TaskHead in the network, found {len(heads)}")
    return heads[0]


class HeadOutputs:
    """While attached, records the features the network's head receives at every forward pass;
    `outputs(task)` puts the last ones through `task`'s head."""

    def __init__(self, network: nn.Module) -> None:
        self.head = task_head(network)
        self.features: Tensor | None = None
        self._handle: RemovableHandle | None = None

    def attach(self) -> None:
        if self._handle is None:
            self._handle = self.head.register_forward_pre_hook(self._record)

    def detach(self) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        self.features = None

    def outputs(self, task: int) -> Tensor:
        if self.features is None:
            raise RuntimeError("no forward pass was recorded")
        return self.head.heads[str(task)](self.features)

    def _record(self, module: nn.Module, inputs: tuple[Tensor, ...]) -> None:
        self.features = inputs[0]
