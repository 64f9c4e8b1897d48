"""`TaskNetwork`: a converted model, the tasks it holds, and their lifecycle.

A task goes through: `add_task` (its head, BatchNorm and biases exist) → `claim_free_weights`
(it owns every free weight) → `begin_learning` (its masks are set up; after a reload, again) →
training and pruning → `commit` (frozen for good). Only the newest task can be learned, and the
network grows only while no task is being learned. A call in the wrong order raises.
"""

from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from cpg.nn.convert import convert
from cpg.nn.learning import Reuse
from cpg.nn.masking import TaskLearning
from cpg.nn.sharable import SharableMixin
from cpg.nn.task_head import TaskHead
from cpg.nn.task_norm import TaskBatchNorm

Factory = Callable[[float], nn.Module]
"""Builds the plain (unconverted) model at a given width multiplier."""

TaskModule = SharableMixin | TaskBatchNorm | TaskHead
TASK_MODULES = (SharableMixin, TaskBatchNorm, TaskHead)


@dataclass
class TaskRecord:
    """What the network remembers of a task."""

    number: int  # 1-based, in learning order
    num_classes: int
    width: float  # the width multiplier the task was learned at
    committed: bool = False


class TaskNetwork(nn.Module):
    """A model whose conv, linear, BatchNorm and classifier layers are task-aware.

    `use_task(t)` selects the task every forward pass computes. `factory`, when given, rebuilds
    the plain model at any width and is what makes the network able to grow.
    """

    def __init__(self, body: nn.Module, *, width: float = 1.0, factory: Factory | None = None) -> None:
        super().__init__()
        self.body = body
        self.width = width
        self.factory = factory
        self.tasks: list[TaskRecord] = []
        self.active_task: int | None = None
        self.learning_task: int | None = None  # the task whose masks are set up, if any

    @classmethod
    def build(cls, factory: Factory, width: float = 1.0) -> "TaskNetwork":
        return cls(convert(factory(width)), width=width, factory=factory)

    def forward(self, input: Tensor) -> Tensor:
        return self.body(input)

    # layers -------------------------------------------------------------------------------

    def sharable_layers(self) -> list[tuple[str, SharableMixin]]:
        return [(name, module) for name, module in self.body.named_modules() if isinstance(module, SharableMixin)]

    def _task_modules(self) -> Iterator[TaskModule]:
        for module in self.body.modules():
            if isinstance(module, TASK_MODULES):
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

    def use_task(self, number: int) -> None:
        """Make every forward pass compute task `number`."""
        self.task(number)
        for module in self._task_modules():
            module.active_task = number
        self.active_task = number

    def set_cache_capacity(self, tasks: int) -> None:
        """How many tasks' effective weights each layer keeps materialised for evaluation."""
        for _, layer in self.sharable_layers():
            layer.cache.capacity = tasks
            layer.cache.clear()

    # lifecycle ----------------------------------------------------------------------------

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

    @torch.no_grad()
    def claim_free_weights(self, task: int) -> dict[str, int]:
        """Hand every free weight to `task` (just added); returns how many each layer gave."""
        self._require_newest(task)
        if self.learning_task is not None:
            raise RuntimeError(f"task {task} claims free weights before it begins learning, not after")
        claimed = {}
        for name, layer in self.sharable_layers():
            free = layer.ownership == 0
            claimed[name] = int(free.sum())
            layer.ownership.masked_fill_(free, task)
        return claimed

    def begin_learning(self, task: int, reuse: Reuse, trained: Collection[str] | None = None) -> None:
        """Set up every layer's masks for `task` (again after a reload, keeping the picking mask
        it holds). The layers named in `trained` train their weights (None: those where the task
        owns weights now): a task keeps training the layers it claimed weights in even after
        pruning emptied them, so its optimizer's parameters stay the same across a resume."""
        self._require_newest(task)
        for name, layer in self.sharable_layers():
            trains = None if trained is None else name in trained
            layer.begin_learning(task, reuse, logits=layer.pick, trains_weight=trains)
        self.learning_task = task

    def learn(self, task: int, learning: Callable[[str, SharableMixin], TaskLearning]) -> None:
        """Set up every layer for `task` with the `TaskLearning` that `learning(name, layer)`
        makes: for networks that form their masks otherwise than by ownership and picking."""
        self._require_newest(task)
        for name, layer in self.sharable_layers():
            layer.learn(learning(name, layer))
        self.learning_task = task

    def commit(self, task: int) -> None:
        """Freeze `task`: its weights, BN and head never change again; its pick is kept as bits."""
        if self.learning_task != task:
            raise RuntimeError(f"task {task} is not being learned; begin_learning comes before commit")
        for _, layer in self.sharable_layers():
            layer.commit_learning()
        self.task(task).committed = True
        self.learning_task = None

    def _require_newest(self, task: int) -> None:
        if not self.tasks or self.tasks[-1].number != task or self.tasks[-1].committed:
            raise RuntimeError(f"task {task} is not the newest uncommitted task of the network")

    def _learning_layers(self) -> Iterator[SharableMixin]:
        if self.learning_task is None:
            raise RuntimeError("no task is being learned; call begin_learning first")
        return (layer for _, layer in self.sharable_layers() if layer.learning is not None)

    # the task being learned ------------------------------------------------------------------

    def refresh_learning(self) -> None:
        """Re-read ownership after it changed (pruning, restoring a snapshot)."""
        for layer in self._learning_layers():
            layer.refresh_learning()

    def set_weight_decay(self, weight_decay: float) -> None:
        """Decay applied to the learning task's own weights inside the backward pass."""
        for layer in self._learning_layers():
            layer.learning.weight_decay = weight_decay

    def reset_picking(self) -> None:
        """Start the picking mask over (every earlier weight back at its initial value)."""
        for layer in self._learning_layers():
            layer.learning.reset_pick()

    def set_direct_gradients(self, enabled: bool) -> None:
        """Whether picking-mask gradients skip autograd's accumulation (faster in one process;
        must be off under DistributedDataParallel, which all-reduces what autograd accumulates)."""
        for layer in self._learning_layers():
            layer.learning.direct_grad = enabled

    def trained_weights(self) -> list[nn.Parameter]:
        """The shared weights the learning task trains (only its own entries get a gradient)."""
        return [layer.weight for layer in self._learning_layers() if layer.learning.trains_weight]

    def picking_logits(self) -> list[nn.Parameter]:
        """The real-valued picking masks of the learning task."""
        return [layer.pick for layer in self._learning_layers() if layer.pick is not None and layer.learning.picking]

    def task_parameters(self, task: int) -> list[nn.Parameter]:
        """Parameters that belong to `task` alone: its head, BatchNorm and biases."""
        return [param for module in self._task_modules() for param in module.task_parameters(task)]

    def train_only(self, params: list[nn.Parameter]) -> None:
        """Let exactly `params` require gradients: frozen masks and other tasks' heads then cost
        nothing, and DistributedDataParallel sees a gradient for every parameter it tracks."""
        trained = {id(param) for param in params}
        for param in self.parameters():
            param.requires_grad_(id(param) in trained)

    # growth -------------------------------------------------------------------------------

    def grow(self, width: float) -> None:
        """Widen the network in place to `width`. Existing weights and masks keep their place;
        new entries start free. Committed tasks keep computing at their own width."""
        if self.factory is None:
            raise RuntimeError("this network has no factory to rebuild it wider; it cannot grow")
        if width < self.width:
            raise ValueError(f"cannot shrink the network from width {self.width} to {width}")
        if self.tasks and not self.tasks[-1].committed:
            raise RuntimeError("the network grows only while every task it holds is committed")
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
