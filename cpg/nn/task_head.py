"""The classifier of each task: a plain linear layer per task, at the task's width."""

import torch
from torch import Tensor, nn


class TaskHead(nn.Module):
    """Per-task output layers. A new task's head gets its own number of classes."""

    def __init__(self, in_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = in_features
        self.bias = bias
        self.heads = nn.ModuleDict()
        self.active_task: int | None = None

    def add_task(self, task: int, num_classes: int, device: torch.device | None = None) -> None:
        self.heads[str(task)] = nn.Linear(self.in_features, num_classes, bias=self.bias, device=device)

    def task_parameters(self, task: int) -> list[nn.Parameter]:
        return list(self.heads[str(task)].parameters()) if str(task) in self.heads else []

    def grow_to(self, template: "TaskHead") -> None:
        self.in_features = template.in_features

    def forward(self, input: Tensor) -> Tensor:
        if self.active_task is None:
            raise RuntimeError("TaskHead: no active task; call network.use_task(t) first")
        return self.heads[str(self.active_task)](input)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):  # type: ignore[no-untyped-def]
        """Create the heads a checkpoint holds, with their saved shapes."""
        head = prefix + "heads."
        for key, value in state_dict.items():
            if key.startswith(head) and key.endswith(".weight"):
                task = key[len(head):].split(".")[0]
                if task not in self.heads:
                    has_bias = f"{head}{task}.bias" in state_dict
                    self.heads[task] = nn.Linear(value.shape[1], value.shape[0], bias=has_bias, device=value.device)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, tasks={list(self.heads)}"
