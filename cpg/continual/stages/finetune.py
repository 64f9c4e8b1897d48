"""FINETUNE: the task claims the free weights and trains them with its picking mask; then
the goal check decides between growing, committing (picking only or no pruning) and pruning."""

import random

import torch

from cpg import optim
from cpg.continual.machine import MachineBase
from cpg.continual.state import Stage
from cpg.continual.strategy import NetworkKind, Pruning
from cpg.engine import EpochRecord, LoopHook
from cpg.nn import Reuse
from cpg.seeding import derive_seed


class FinetuneStage(MachineBase):
    def _start_task(self) -> None:
        """Register the task at the current width and hand it what it trains."""
        backbone = self.strategy.network is NetworkKind.BACKBONE
        if backbone and self.task > 1 and self.config.finetune.start_from == "random":
            earlier = random.Random(derive_seed(self.config.seed, "start_from", self.task)).randrange(1, self.task)
            self._load_backbone(f"after_task_{earlier}")
        elif not backbone and self.progress.attempts == 0 and "task_start" not in self.state.snapshots:
            self.snapshot("task_start")
        torch.manual_seed(derive_seed(self.config.seed, "task", self.task, self.network.width))
        number = self.network.add_task(self.context.benchmark.tasks[self.task - 1].num_classes)
        assert number == self.task, (number, self.task)
        if backbone:
            self.network.begin_learning(self.task, self.strategy.reuse)
            self.progress.claimed = {"backbone": sum(param.numel() for param in self._trained_weights())}
            return
        self.progress.claimed = self.network.claim_free_weights(self.task)
        self.network.begin_learning(self.task, self.strategy.reuse, self.progress.trained_layers)
        if self.progress.claimed_total == 0:
            how = "picking alone" if self.strategy.reuse is Reuse.PICK else "its BatchNorm, biases and head alone"
            self.context.reporter.message(f"task {self.task}: no free weight left, learning it by {how}")

    def _load_backbone(self, role: str) -> None:
        """The shared backbone as it was saved under `role`; every task keeps its own head."""
        saved = self.context.load_snapshot(role)
        heads = {id(param) for record in self.network.tasks for param in self.network.task_parameters(record.number)}
        backbone = {name for name, param in self.network.named_parameters() if id(param) not in heads}
        backbone |= {name for name, _ in self.network.named_buffers()}
        self.network.load_state_dict({key: value for key, value in saved.items() if key in backbone}, strict=False)

    def _finetune(self) -> Stage:
        if not self._has_learning_task():
            self._start_task()
        settings = self.config.finetune
        mask_steps = settings.mask_lr_steps
        if self.progress.claimed_total == 0:  # picking only: the mask is all the task learns, so it never stops
            mask_steps = {epoch: factor for epoch, factor in mask_steps.items() if factor > 0}
        optimizers = self._optimizers(settings.lr, settings.mask_lr)
        attempt = self.progress.attempts
        schedules = [optim.stepped(settings.lr_steps), optim.stepped(mask_steps)][:len(optimizers)]
        with self.context.reporter.stage(self.task, self._title(f"finetune (width {self.network.width:g})"),
                                         "finetune", settings.epochs, self.state.epoch) as report:
            self._loop("finetune", (attempt,), settings.epochs, optimizers, report,
                       lambda epoch: optim.stepped_lr(settings.mask_lr, mask_steps, epoch), schedules=schedules,
                       selects=True, hooks=[FinetuneRecord(self)], report_offset=attempt * settings.epochs).run()
        return Stage.DOCTOR if self.config.doctor.enabled else self._after_finetune()

    def _after_finetune(self) -> Stage:
        """Check the goal (cpg/continual/decisions.py), record the decision with its numbers,
        and go on: GROW when it is missed below the maximum width, COMMIT a task that is not
        pruned (picking only, a strategy that does not prune, or the last task with
        `prune.last_task` off), else PRUNE."""
        progress = self.progress
        decision = self._check_goal()
        if not progress.goal_met and not self.at_max_width:
            stage = Stage.GROW
        elif progress.claimed_total == 0 or self.strategy.pruning is Pruning.NONE or self._last_task_kept_whole():
            stage = Stage.COMMIT
        else:
            self.snapshot("unpruned")
            stage = Stage.PRUNE
        if decision is not None:
            progress.decisions.append({**decision, "next": stage.value})
        return stage

    def _last_task_kept_whole(self) -> bool:
        """The sequence's last task is not pruned when `prune.last_task` is off: no task will use
        what pruning would free."""
        return not self.config.prune.last_task and self.task == len(self.context.benchmark.tasks)

    def _check_goal(self) -> dict | None:
        """Set `goal_met`; returns the decision's numbers (None for strategies without goals)."""
        progress = self.progress
        if not self.strategy.goals:
            progress.goal_met = True
            return None
        selection = self._selection()
        progress.finetune_val_accuracy = selection.accuracy
        goal = self._against_goal(selection)
        progress.goal_met = goal.passed
        return {"decision": "goal", "attempt": progress.attempts + 1, "width": self.network.width,
                "met": progress.goal_met, "goal": goal.to_dict(),
                "train_accuracy": progress.finetune_train_accuracy}


class FinetuneRecord(LoopHook):
    """Keeps the last epoch's training and selection accuracy for the goal check."""

    def __init__(self, stage: FinetuneStage) -> None:
        self.stage = stage

    def after_epoch(self, record: EpochRecord) -> dict[str, float]:
        self.stage.progress.finetune_train_accuracy = record.stats.accuracy
        self.stage.progress.finetune_val_accuracy = record.selection or 0.0
        return {}
