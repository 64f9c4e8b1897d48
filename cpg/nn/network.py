"""`TaskNetwork`: a converted model and the bookkeeping of the tasks it holds."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from cpg.nn.convert import convert
from cpg.nn.sharable import SharableMixin
from cpg.nn.task_head import TaskHead
from cpg.nn.task_norm import TaskBatchNorm

Factory = Callable[[float], nn.Module]
"""Builds the plain (unconverted) model at a given width multiplier."""


@dataclass
class TaskRecord:
    """What the network remembers of a task."""

    number: int  # 1-based, in learning order
    num_classes: int
    width: float  # the width multiplier the task was learned at
    committed: bool = False


class TaskNetwork(nn.Module):
    """A model whose conv, linear, BatchNorm and classifier layers are task-aware.

    `use_task(t)` selects the task every forward pass computes; `add_task` registers a new task
    at the current width. `factory`, when given, rebuilds the plain model at any width and is
    what makes the network able to grow.
    """

    def __init__(self, body: nn.Module, *, width: float = 1.0, factory: Factory | None = None) -> None:
        super().__init__()
        self.body = body
        self.width = width
        self.factory = factory
        self.tasks: list[TaskRecord] = []
        self.active_task: int | None = None

    @classmethod
    def build(cls, factory: Factory, width: float = 1.0) -> "TaskNetwork":
        return cls(convert(factory(width)), width=width, factory=factory)

    def forward(self, input: Tensor) -> Tensor:
        return self.body(input)

    # layers -------------------------------------------------------------------------------

    def sharable_layers(self) -> list[tuple[str, SharableMixin]]:
        return [(name, module) for name, module in self.body.named_modules() if isinstance(module, SharableMixin)]

    def _task_modules(self) -> Iterator[nn.Module]:
        for module in self.body.modules():
            if isinstance(module, (SharableMixin, TaskBatchNorm, TaskHead)):
                yield module

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    # tasks --------------------------------------------------------------------------------

    def task(self, number: int) -> TaskRecord:
        for record in self.tasks:
            if record.number == number:
                return record
        raise KeyError(f"the network holds no task {number}")

    @property
    def committed_tasks(self) -> list[int]:
        return [record.number for record in self.tasks if record.committed]

    def add_task(self, num_classes: int) -> int:
        """Register the next task at the current width; returns its number."""
        if self.tasks and not self.tasks[-1].committed:
            raise RuntimeError(f"task {self.tasks[-1].number} is not committed yet")
        number = len(self.tasks) + 1
        device = self.device
        for module in self._task_modules():
            if isinstance(module, TaskHead):
                module.add_task(number, num_classes, device=device)
            elif isinstance(module, TaskBatchNorm):
                module.add_task(number, device=device)
            else:
                module.add_task(number)
        self.tasks.append(TaskRecord(number, num_classes, self.width))
        return number

    def remove_task(self, number: int) -> None:
        """Forget an uncommitted task's per-task modules (used before growing)."""
        if self.task(number).committed:
            raise RuntimeError(f"task {number} is committed and cannot be removed")
        for module in self._task_modules():
            module.remove_task(number)
        self.tasks = [record for record in self.tasks if record.number != number]
        if self.active_task == number:
            self.active_task = None

    def use_task(self, number: int) -> None:
        """Make every forward pass compute task `number`."""
        self.task(number)
        for module in self._task_modules():
            module.active_task = number
        self.active_task = number

    @contextmanager
    def using_task(self, number: int) -> Iterator[None]:
        previous = self.active_task
        self.use_task(number)
        try:
            yield
        finally:
            if previous is not None:
                self.use_task(previous)

    def set_cache_capacity(self, tasks: int) -> None:
        """How many tasks' effective weights each layer keeps materialised for evaluation."""
        for _, layer in self.sharable_layers():
            layer.cache.capacity = tasks
            layer.cache.clear()

    # growth -------------------------------------------------------------------------------

    def grow(self, width: float) -> None:
        """Widen the network in place to `width`. Existing weights and masks keep their place;
        new entries start free. Committed tasks keep computing at their own width."""
        if self.factory is None:
            raise RuntimeError("this network has no factory to rebuild it wider; it cannot grow")
        if width < self.width:
            raise ValueError(f"cannot shrink the network from width {self.width} to {width}")
        if self.tasks and not self.tasks[-1].committed:
            raise RuntimeError("remove the uncommitted task before growing")
        wider = dict(convert(self.factory(width)).named_modules())
        for name, module in self.body.named_modules():
            if isinstance(module, SharableMixin):
                module.expand_to(wider[name])
            elif isinstance(module, (TaskHead, TaskBatchNorm)):
                module.grow_to(wider[name])
        self.width = width

    # checkpoints --------------------------------------------------------------------------

    def get_extra_state(self) -> dict[str, Any]:
        return {"width": self.width, "tasks": [asdict(record) for record in self.tasks]}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        """Runs before the layers load, so a skeleton built at width 1.0 first grows to the
        saved width and then receives the saved tensors."""
        width = float(state["width"])
        if width != self.width:
            if self.tasks:
                raise RuntimeError(f"cannot load a width-{width} state into a network that holds tasks at width {self.width}")
            self.grow(width)
        self.tasks = [TaskRecord(**record) for record in state["tasks"]]

