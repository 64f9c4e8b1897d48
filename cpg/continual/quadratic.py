"""What EWC and SI share: the weights every task computes with, anchored where the last task
left them by a quadratic penalty that weighs each weight by its importance,
`coefficient × Σ importance · (θ − anchor)²`; they differ in the importance and the coefficient."""

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from cpg.config import RunConfig, setting_value
from cpg.continual.plugin import Plugin
from cpg.continual.session import TaskSession
from cpg.engine import LoopHook, TrainStep
from cpg.errors import SettingError
from cpg.nn import TaskNetwork

Tensors = dict[str, Tensor]
"""Tensors by the name of the parameter they belong to."""


def shared_parameters(network: TaskNetwork) -> dict[str, nn.Parameter]:
    """The parameters every task computes with (not a task's own head, BatchNorm or biases)."""
    own = {id(param) for record in network.tasks for param in network.task_parameters(record.number)}
    return {name: param for name, param in network.named_parameters() if id(param) not in own}


def copied(tensors: Mapping[str, Tensor], device: torch.device | None = None) -> Tensors:
    """Detached copies (on `device`, if given) that later training cannot change."""
    return {name: tensor.detach().to(device=device, copy=True) for name, tensor in tensors.items()}


def quadratic_penalty(params: Mapping[str, Tensor], importance: Mapping[str, Tensor],
                      anchor: Mapping[str, Tensor]) -> Tensor:
    """Σ importance · (θ − anchor)² over the parameters `importance` names."""
    terms = [(importance[name] * (params[name] - anchor[name]).square()).sum() for name in importance]
    return torch.stack(terms).sum()


def stable_step_limit(momentum: float) -> float:
    """The largest learning rate × curvature at which SGD with Nesterov momentum β (as
    `cpg.optim.sgd` steps) still converges on a quadratic, 2(1 + β)/(1 + 2β); 2 without momentum."""
    return 2 * (1 + momentum) / (1 + 2 * momentum)


def check_stable(importance: Mapping[str, Tensor], coefficient: float, config: RunConfig, setting: str) -> None:
    """Refuse a penalty so stiff that SGD's steps on some weight would grow without bound: the
    penalty's curvature on a weight is 2 × coefficient × its importance (plus the weight decay),
    and past `stable_step_limit` times the highest learning rate the task trains with, the
    updates of that weight oscillate ever wider, whatever the task's own loss does. `setting`
    (`ewc.strength`) scales the coefficient; the error says how large it may be."""
    name, largest = max(((name, float(value.max())) for name, value in importance.items()), key=lambda item: item[1])
    rate = config.finetune.lr * max([1.0, *config.finetune.lr_steps.values()])
    stiffness = 2 * coefficient * largest
    curvature = stiffness + config.weight_decay
    limit = stable_step_limit(config.momentum)
    if stiffness <= 0 or rate * curvature < limit:
        return
    strength = setting_value(config, setting)
    most = strength * (limit / rate - config.weight_decay) / stiffness
    raise SettingError(setting, f"{strength:g} makes the penalty's curvature on {name} {curvature:.4g}; SGD at "
                                f"finetune.lr {rate:g} with momentum {config.momentum:g} would step that weight ever "
                                f"further (rate × curvature {rate * curvature:.3g}, stable below {limit:.3g}). Use "
                                f"less than {most:.3g}, or a lower finetune.lr, and resume the run")


def tensor_bytes(*groups: Mapping[str, Tensor]) -> int:
    return sum(tensor.numel() * tensor.element_size() for group in groups for tensor in group.values())


class Penalty(LoopHook):
    """Adds `coefficient × Σ importance · (θ − anchor)²` to every step's loss."""

    def __init__(self, params: Mapping[str, Tensor], importance: Tensors, anchor: Tensors, coefficient: float) -> None:
        self.params = params
        self.importance = importance
        self.anchor = anchor
        self.coefficient = coefficient

    def before_backward(self, step: TrainStep) -> None:
        step.loss = step.loss + self.coefficient * quadratic_penalty(self.params, self.importance, self.anchor)

    @torch.no_grad()
    def gradient(self, name: str) -> Tensor:
        """The penalty's gradient with respect to parameter `name`: 2c · importance · (θ − anchor)."""
        return 2 * self.coefficient * self.importance[name] * (self.params[name] - self.anchor[name])


class Anchored(Plugin):
    """A plugin keeping every shared weight's importance and its anchor (both empty until the
    first task is committed), and penalising the distance from the anchor while a later task
    learns. Subclasses say what the importance is and how strong the penalty is."""

    importance_kind = "importance"
    """What results.json's `storage_bytes` calls the importances."""
    strength_setting = ""
    """The setting the coefficient is proportional to (`ewc.strength`)."""

    def __init__(self) -> None:
        self.importance: Tensors = {}
        self.anchor: Tensors = {}

    def coefficient(self, session: TaskSession) -> float:
        raise NotImplementedError

    def penalty(self, session: TaskSession) -> Penalty | None:
        """The penalty of the task being learned (None on the first task)."""
        if not self.importance:
            return None
        coefficient = self.coefficient(session)
        check_stable(self.importance, coefficient, session.config, self.strength_setting)
        return Penalty(shared_parameters(session.network), self.importance, self.anchor, coefficient)

    def loop_hooks(self, session: TaskSession, stage: str) -> Sequence[LoopHook]:
        penalty = self.penalty(session)
        return [penalty] if penalty is not None else []

    def state_dict(self) -> dict[str, Any]:
        return {"importance": self.importance, "anchor": self.anchor}

    def load_state_dict(self, state: dict[str, Any], session: TaskSession) -> None:
        self.importance = copied(state["importance"], session.device)
        self.anchor = copied(state["anchor"], session.device)

    def storage_bytes(self, session: TaskSession) -> dict[str, int]:
        return {self.importance_kind: tensor_bytes(self.importance), "anchor_weights": tensor_bytes(self.anchor)}
