"""Finetuning: one shared backbone trained on each task in turn, a head per task. Nothing
protects earlier tasks, so it forgets: the baseline that shows what CPG prevents."""

import random

import torch

from cpg.algorithms.cpg import CPG
from cpg.algorithms.state import Stage
from cpg.nn import TaskNetwork
from cpg.nn.convert import convert_head
from cpg.nn.network import Factory
from cpg.seeding import derive_seed


class Finetune(CPG):
    """Each task starts from the backbone as the previous task left it (`finetune.start_from:
    previous`) or, as in the CPG paper's protocol, as a random earlier task left it (`random`);
    it trains every weight with the FINETUNE schedule and is then committed (no pruning)."""

    name = "finetune"
    uses_goals = False
    grows = False

    @classmethod
    def build_network(cls, factory: Factory) -> TaskNetwork:
        return TaskNetwork(convert_head(factory(1.0)), factory=factory)

    def _optimizer_weight_decay(self) -> float:
        return self.config.weight_decay

    def _trained_weights(self) -> list[torch.nn.Parameter]:
        """The whole backbone (shared by all tasks) and the task's head."""
        heads = {id(p) for record in self.network.tasks if record.number != self.task
                 for p in self._head(record.number).parameters()}
        return [p for p in self.network.parameters() if id(p) not in heads]

    def _head(self, task: int) -> torch.nn.Module:
        return next(module.heads[str(task)] for module in self.network.modules() if hasattr(module, "heads"))

    def _start_task(self) -> None:
        if self.task > 1 and self.config.finetune.start_from == "random":
            earlier = random.Random(derive_seed(self.config.seed, "start_from", self.task)).randrange(1, self.task)
            self._load_backbone(f"after_task_{earlier}")
        torch.manual_seed(derive_seed(self.config.seed, "task", self.task, self.network.width))
        self.network.add_task(self.context.benchmark.tasks[self.task - 1].num_classes)
        self.progress.claimed = {"backbone": sum(p.numel() for p in self._trained_weights())}  # it trains all of it

    def _load_backbone(self, role: str) -> None:
        saved = self.context.load_snapshot(role)
        own = self.network.state_dict()
        backbone = {key: value for key, value in saved.items() if key in own and ".heads." not in key}
        self.network.load_state_dict(backbone, strict=False)

    def _after_finetune(self) -> Stage:
        return Stage.COMMIT

    def _commit(self) -> Stage:
        if self.config.finetune.start_from == "random":
            self.context.save_snapshot(f"after_task_{self.task}", self.network)
        kept = {role: name for role, name in self.state.snapshots.items() if role.startswith("after_task_")}
        stage = super()._commit()
        self.state.snapshots = kept
        return stage
