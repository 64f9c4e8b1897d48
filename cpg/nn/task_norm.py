"""Batch normalisation with separate affine parameters and running statistics per task."""

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm


class TaskBatchNorm(nn.Module):
    """One `nn.BatchNorm1d/2d` per task, each at the width its task was learned with.

    The active task's normalisation is the only one used in a forward pass, so learning a new
    task never touches an earlier task's statistics. A new task starts from a copy of the latest
    task's normalisation on the channels they share (the first from the converted layer's).
    """

    def __init__(self, template: _BatchNorm) -> None:
        super().__init__()
        self.norm_type: type[_BatchNorm] = type(template)
        self.num_features = template.num_features
        self.eps = template.eps
        self.momentum = template.momentum
        self.affine = template.affine
        self.track_running_stats = template.track_running_stats
        self.initial_state = {name: value.detach().clone() for name, value in template.state_dict().items()}
        self.norms = nn.ModuleDict()
        self.active_task: int | None = None

    def _build(self, num_features: int, device: torch.device | None) -> _BatchNorm:
        return self.norm_type(
            num_features, self.eps, self.momentum, self.affine, self.track_running_stats, device=device
        )

    def add_task(self, task: int, device: torch.device | None = None) -> None:
        norm = self._build(self.num_features, device)
        earlier = [int(key) for key in self.norms if int(key) != task]
        source = self.norms[str(max(earlier))].state_dict() if earlier else self.initial_state
        _copy_leading(norm, source)
        self.norms[str(task)] = norm

    def task_parameters(self, task: int) -> list[nn.Parameter]:
        return list(self.norms[str(task)].parameters()) if str(task) in self.norms else []

    def grow_to(self, template: "TaskBatchNorm") -> None:
        self.num_features = template.num_features

    def forward(self, input: Tensor) -> Tensor:
        if self.active_task is None:
            raise RuntimeError("TaskBatchNorm: no active task; call network.use_task(t) first")
        return self.norms[str(self.active_task)](input)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):  # type: ignore[no-untyped-def]
        """Create the per-task normalisations a checkpoint holds, at their saved widths."""
        head = prefix + "norms."
        for key, value in state_dict.items():
            if key.startswith(head) and key.endswith((".weight", ".running_mean")):
                task = key[len(head):].split(".")[0]
                if task not in self.norms:
                    self.norms[task] = self._build(value.shape[0], value.device)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)

    def extra_repr(self) -> str:
        return f"{self.norm_type.__name__}, num_features={self.num_features}, tasks={list(self.norms)}"


@torch.no_grad()
def _copy_leading(target: nn.Module, source: dict[str, Tensor]) -> None:
    """Copy `source` tensors into `target`'s parameters and buffers on their leading entries."""
    for name, tensor in list(target.named_parameters()) + list(target.named_buffers()):
        value = source.get(name)
        if value is None:
            continue
        if tensor.dim() == 0:
            tensor.copy_(value)
        else:
            count = min(tensor.shape[0], value.shape[0])
            tensor[:count].copy_(value[:count])
