"""Learning without Forgetting: Li & Hoiem, "Learning without Forgetting" (ECCV 2016; TPAMI
2018), on finetune's shared backbone with a head per task.

When a task starts, a frozen copy of the network records what the old tasks' heads answer;
while the task learns, every step's loss gains λ_o Σ_old L_old, L_old being the cross-entropy
of the network's softened old-task outputs against the copy's on the same (new-task) images,
softened by the temperature T: L_old = −Σ_i softmax(y_o/T)_i log softmax(ŷ_o/T)_i, averaged over
the batch (`lwf.weight` λ_o = 1 and `lwf.temperature` T = 2, as in the paper). As in the paper,
the old heads train too (on the distillation term alone). The copy is in evaluation mode
(BatchNorm's running statistics, no dropout). The paper's optional warm-up (training the new
head alone first) is left out, as in Avalanche's LwF.
"""

import copy
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from cpg.continual.head_outputs import HeadOutputs
from cpg.continual.plugin import Plugin
from cpg.continual.policies import Backbone
from cpg.continual.session import TaskSession
from cpg.continual.strategy import Strategy
from cpg.engine import EpochRecord, LoopHook, TrainStep
from cpg.nn import TaskNetwork
from cpg.registry import STRATEGIES


def distillation_loss(outputs: Tensor, recorded: Tensor, temperature: float) -> Tensor:
    """Li & Hoiem's L_old: the cross-entropy of `outputs` softened by `temperature` against the
    `recorded` outputs softened alike, averaged over the batch."""
    targets = F.softmax(recorded / temperature, dim=1)
    return -(targets * F.log_softmax(outputs / temperature, dim=1)).sum(dim=1).mean()


class Distillation(LoopHook):
    """Adds `weight × Σ_old L_old` to every step's loss, the old tasks' outputs of the network
    taken from the step's own forward pass, the recorded ones from the frozen copy."""

    def __init__(self, network: TaskNetwork, teacher: TaskNetwork, tasks: Sequence[int], weight: float,
                 temperature: float) -> None:
        self.teacher = teacher
        self.tasks = tasks
        self.weight = weight
        self.temperature = temperature
        self.outputs, self.recorded = HeadOutputs(network), HeadOutputs(teacher)

    def before_epoch(self, epoch: int) -> None:
        self.outputs.attach()
        self.recorded.attach()

    def before_backward(self, step: TrainStep) -> None:
        with torch.no_grad():
            self.teacher(step.inputs)
        loss = torch.stack([distillation_loss(self.outputs.outputs(task), self.recorded.outputs(task), self.temperature)
                            for task in self.tasks]).sum()
        step.loss = step.loss + self.weight * loss

    def after_epoch(self, record: EpochRecord) -> dict[str, float]:
        self.outputs.detach()
        self.recorded.detach()
        return {}


class LearningWithoutForgetting(Plugin):
    """Keeps the frozen copy of the network as the task being learned found it."""

    def __init__(self) -> None:
        self.teacher: TaskNetwork | None = None

    def task_started(self, session: TaskSession) -> None:
        self.teacher = self._frozen(session.network) if session.task > 1 else None

    def loop_hooks(self, session: TaskSession, stage: str) -> Sequence[LoopHook]:
        if self.teacher is None:
            return ()
        settings = session.config.lwf
        return [Distillation(session.network, self.teacher, range(1, session.task), settings.weight,
                             settings.temperature)]

    def state_dict(self) -> dict[str, Any]:
        return {"teacher": self.teacher.state_dict()} if self.teacher is not None else {}

    def load_state_dict(self, state: dict[str, Any], session: TaskSession) -> None:
        self.teacher = self._frozen(session.network)
        self.teacher.load_state_dict(state["teacher"])

    def storage_bytes(self, session: TaskSession) -> dict[str, int]:
        if self.teacher is None:
            return {}
        return {"teacher_network": sum(tensor.numel() * tensor.element_size()
                                       for tensor in self.teacher.state_dict().values() if isinstance(tensor, Tensor))}

    @staticmethod
    def _frozen(network: TaskNetwork) -> TaskNetwork:
        teacher = copy.deepcopy(network).eval()
        teacher.requires_grad_(False)
        teacher.use_task(1)
        return teacher


LWF = STRATEGIES.add("lwf", Strategy(network=Backbone(earlier_heads=True), plugins=(LearningWithoutForgetting(),)))
