"""Layers whose single weight tensor is shared by every task (docs/architecture.md: the task lifecycle).

`SharableConv2d` and `SharableLinear` are drop-in replacements for `nn.Conv2d` and `nn.Linear`.
Besides the shared weight they hold an ownership mask (uint8: 0 free, k owned by task k), a bias
per task, the packed mask of every committed task, and the shape of the weight each task was
learned at. The effective weight of task t is W ⊙ keep_t, sliced to task t's shape; by default
(`OwnedOrPicked`) keep_t = [own = t] + [1 ≤ own < t] ⊙ pick_t, and a network that forms its masks
otherwise (cpg/nn/masking.py) sets each layer's `committed_mask` rule and learns with its own
`TaskLearning`. A task keeps computing exactly what it computed when it was learned, whatever
happened to the network since.
"""

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cpg.nn.cache import EffectiveWeightCache
from cpg.nn.learning import LearningMasks, Reuse
from cpg.nn.masking import OWNED_OR_PICKED, CommittedMask, TaskLearning, earlier_weights


def _leading(tensor: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The leading block of `tensor` with the given shape (a view)."""
    if tuple(tensor.shape) == shape:
        return tensor
    return tensor[tuple(slice(0, size) for size in shape)]


class SharableMixin:
    """Task bookkeeping shared by `SharableConv2d` and `SharableLinear`."""

    weight: nn.Parameter
    ownership: Tensor
    active_task: int | None

    def _init_sharable(self) -> None:
        module: nn.Module = self  # type: ignore[assignment]
        template = module.bias
        module.register_parameter("bias", None)
        self.has_bias = template is not None
        self.bias_template = None if template is None else template.detach().clone()
        module.register_buffer("ownership", torch.zeros(self.weight.shape, dtype=torch.uint8, device=self.weight.device))
        self.task_bias = nn.ParameterDict()
        self.picks = nn.Module()
        module.register_parameter("pick", None)
        self.task_shapes: dict[int, tuple[int, ...]] = {}
        self.active_task = None
        self.learning: TaskLearning | None = None
        self.committed_mask: CommittedMask = OWNED_OR_PICKED  # how a committed task's mask is formed
        self.cache = EffectiveWeightCache()

    # tasks -------------------------------------------------------------------------------

    def add_task(self, task: int) -> None:
        """Register `task` at the layer's current shape; its bias starts from the latest task's."""
        self.task_shapes[task] = tuple(self.weight.shape)
        if self.has_bias:
            out_features = self.weight.shape[0]
            bias = torch.zeros(out_features, dtype=self.weight.dtype, device=self.weight.device)
            source = self._latest_bias(exclude=task)
            if source is not None:
                count = min(out_features, source.numel())
                bias[:count] = source[:count]
            self.task_bias[str(task)] = nn.Parameter(bias)

    def _latest_bias(self, exclude: int) -> Tensor | None:
        earlier = [int(key) for key in self.task_bias if int(key) != exclude]
        if earlier:
            return self.task_bias[str(max(earlier))].detach()
        return self.bias_template

    def task_parameters(self, task: int) -> list[nn.Parameter]:
        """The parameters only `task` uses here: its bias."""
        return [self.task_bias[str(task)]] if str(task) in self.task_bias else []

    def begin_learning(self, task: int, reuse: Reuse, logits: Tensor | None = None,
                       trains_weight: bool | None = None) -> None:
        """Set up the ownership and picking masks of the task being learned; its owned weights
        must be assigned."""
        self.learn(LearningMasks(task, self.weight, self.ownership, reuse, logits, trains_weight))

    def learn(self, learning: TaskLearning) -> None:
        """Learn a task through `learning`; the mask it trains, if any, is the layer's `pick`."""
        self.learning = learning
        self.pick = learning.trained_mask

    def end_learning(self) -> None:
        self.learning = None
        self.pick = None

    def commit_learning(self) -> None:
        """Freeze the learning task: keep its packed mask, if it has one, and drop the masks."""
        assert self.learning is not None
        packed = self.learning.committed()
        if packed is not None:
            self.picks.register_buffer(str(self.learning.task), packed)
        self.end_learning()
        self.cache.clear()

    @torch.no_grad()
    def refresh_learning(self) -> None:
        """Re-read the ownership mask after it changed (pruning)."""
        assert self.learning is not None
        self.learning.reread(self.ownership)
        self.cache.clear()

    # effective weights -------------------------------------------------------------------

    def _active(self) -> int:
        if self.active_task is None:
            raise RuntimeError(f"{type(self).__name__}: no active task; call network.use_task(t) first")
        return self.active_task

    @torch.no_grad()
    def reused_mask(self, task: int) -> Tensor:
        """Earlier tasks' weights that `task` uses, at `task`'s shape: for CPG those its picking
        mask selects, or all of them when it has none (PackNet, PAE)."""
        learning = self.learning
        if learning is not None and learning.task == task:
            return learning.picked()
        return self._committed_keep(task) & earlier_weights(_leading(self.ownership, self.task_shapes[task]), task)

    @torch.no_grad()
    def task_weight(self, task: int) -> Tensor:
        """Effective weight of a registered task, at the shape it was learned with."""
        learning = self.learning
        if learning is not None and learning.task == task:
            return learning.frozen_weight(self.weight)
        weight = _leading(self.weight, self.task_shapes[task])
        return (weight * self._committed_keep(task).to(weight.dtype)).contiguous()

    def _committed_keep(self, task: int) -> Tensor:
        ownership = _leading(self.ownership, self.task_shapes[task])
        return self.committed_mask.keep(task, ownership, self.picks._buffers.get(str(task)))

    def effective_weight(self) -> Tensor:
        task = self._active()
        learning = self.learning
        if learning is not None and learning.task == task and torch.is_grad_enabled():
            return learning.weight(self.weight)
        # Fused optimizers update in place without bumping `_version`: a committed task's inputs
        # never change by design, and the learning task's are re-read after every training step.
        if learning is not None and learning.task == task:
            stamp = self._inputs_stamp(task) + learning.stamp()
        else:
            stamp = self._inputs_stamp(task) + self.committed_mask.stamp(task)
        return self.cache.get(task, stamp, lambda: self.task_weight(task))

    def _inputs_stamp(self, task: int) -> tuple:
        """Identity, storage and in-place version of everything a committed task's effective
        weight is computed from (weight, ownership, its packed picking mask): an update, a
        reload, a move to another device or dtype (new storage), or a replaced tensor changes
        the stamp. It runs in every forward of every layer, so it reads the module's tensor
        dicts directly (`nn.Module` attribute lookup costs more than the rest of the stamp)."""
        module: nn.Module = self  # type: ignore[assignment]
        weight, ownership = module._parameters["weight"], module._buffers["ownership"]
        pick = module._modules["picks"]._buffers.get(str(task))
        stamp = (id(weight), weight.data_ptr(), weight._version, id(ownership), ownership.data_ptr(), ownership._version)
        if pick is not None:
            stamp += (id(pick), pick.data_ptr(), pick._version)
        return stamp

    def effective_bias(self) -> Tensor | None:
        if not self.has_bias:
            return None
        return self.task_bias[str(self._active())]

    # growth ------------------------------------------------------------------------------

    @torch.no_grad()
    def expand_to(self, template: nn.Module) -> None:
        """Grow in place to the shape of `template` (the same layer built at a larger width).

        Existing weights and ownership keep their place in the leading block; new entries take
        the template's initial values and start free.
        """
        if self.learning is not None:
            raise RuntimeError("cannot grow a layer while a task is being learned on it")
        new_weight = template.weight.detach().clone().to(self.weight.device, self.weight.dtype)
        old_shape = tuple(self.weight.shape)
        if any(new < old for new, old in zip(new_weight.shape, old_shape)):
            raise ValueError(f"cannot shrink a layer from {old_shape} to {tuple(new_weight.shape)}")
        _leading(new_weight, old_shape).copy_(self.weight)
        ownership = torch.zeros(new_weight.shape, dtype=torch.uint8, device=self.weight.device)
        _leading(ownership, old_shape).copy_(self.ownership)
        self.weight = nn.Parameter(new_weight)
        self.ownership = ownership
        self._set_sizes(new_weight.shape)
        self.cache.clear()

    def _set_sizes(self, shape: torch.Size) -> None:
        raise NotImplementedError

    # checkpoints -------------------------------------------------------------------------

    def get_extra_state(self) -> dict[str, Any]:
        return {"task_shapes": {str(task): list(shape) for task, shape in self.task_shapes.items()}}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.task_shapes = {int(task): tuple(shape) for task, shape in state["task_shapes"].items()}
        self.cache.clear()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):  # type: ignore[no-untyped-def]
        """Create the per-task entries a checkpoint holds before loading them."""
        for key, value in state_dict.items():
            if not key.startswith(prefix):
                continue
            name = key[len(prefix):]
            if name.startswith("task_bias.") and name[len("task_bias."):] not in self.task_bias:
                self.task_bias[name[len("task_bias."):]] = nn.Parameter(torch.empty_like(value, device=self.weight.device))
            elif name.startswith("picks.") and name[len("picks."):] not in self.picks._buffers:
                self.picks.register_buffer(name[len("picks."):], torch.empty_like(value, device=self.weight.device))
            elif name == "pick" and getattr(self, "pick", None) is None:
                self.pick = nn.Parameter(torch.empty_like(value, device=self.weight.device))
        self.cache.clear()
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)  # type: ignore[misc]


class SharableConv2d(SharableMixin, nn.Conv2d):
    """`nn.Conv2d` whose weight is shared by tasks; see the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_sharable()

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.effective_weight(), self.effective_bias())

    def _set_sizes(self, shape: torch.Size) -> None:
        self.out_channels = shape[0]
        self.in_channels = shape[1] * self.groups


class SharableLinear(SharableMixin, nn.Linear):
    """`nn.Linear` whose weight is shared by tasks; see the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_sharable()

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.effective_weight(), self.effective_bias())

    def _set_sizes(self, shape: torch.Size) -> None:
        self.out_features, self.in_features = shape[0], shape[1]
