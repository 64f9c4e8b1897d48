"""FINETUNE: the task claims the free weights and trains them with its picking mask; then
the goal check decides between growing, committing (picking only) and pruning."""

import torch

from cpg import optim, pruner
from cpg.algorithms.decisions import Estimate
from cpg.algorithms.machine import StageMachine
from cpg.algorithms.state import Stage
from cpg.nn import Reuse
from cpg.seeding import derive_seed


class FinetuneStage(StageMachine):
    def _start_task(self) -> None:
        """Register the task at the current width, hand it the free weights, set up its masks."""
        if self.progress.attempts == 0 and "task_start" not in self.state.snapshots:
            self._snapshot("task_start")
        torch.manual_seed(derive_seed(self.config.seed, "task", self.task, self.network.width))
        number = self.network.add_task(self.context.benchmark.tasks[self.task - 1].num_classes)
        assert number == self.task, (number, self.task)
        self.progress.claimed = pruner.claim_free_weights(self.network, self.task)
        pruner.begin_learning(self.network, self.task, self.reuse, self.progress.trained_layers)
        pruner.set_weight_decay(self.network, self.config.weight_decay)
        if self.progress.claimed_total == 0:
            how = "picking alone" if self.reuse is Reuse.PICK else "its BatchNorm, biases and head alone"
            self.context.reporter.message(f"task {self.task}: no free weight left, learning it by {how}")

    def _finetune(self) -> Stage:
        if not self._has_learning_task():
            self._start_task()
        settings = self.config.finetune
        optimizers = self._optimizers(settings.lr, settings.mask_lr)
        pruner.set_weight_decay(self.network, self.config.weight_decay)
        attempt = self.progress.attempts
        mask_lr_steps = settings.mask_lr_steps
        if self.progress.claimed_total == 0:  # picking only: the mask is all the task learns, so it never stops
            mask_lr_steps = {epoch: factor for epoch, factor in mask_lr_steps.items() if factor > 0}
        with self.context.reporter.stage(self.task, self._title(f"finetune (width {self.network.width:g})"),
                                         "finetune", settings.epochs, self.state.epoch) as report:
            for epoch in range(self.state.epoch, settings.epochs):
                lr = optim.stepped_lr(settings.lr, settings.lr_steps, epoch)
                mask_lr = optim.stepped_lr(settings.mask_lr, mask_lr_steps, epoch)
                optim.set_lr(optimizers[0], lr)
                if len(optimizers) > 1:
                    optim.set_lr(optimizers[1], mask_lr)
                stats = self._train_epoch("finetune", (attempt, epoch), optimizers)
                val = self._evaluate(self.task, "select")
                self.progress.finetune_train_accuracy = stats.accuracy
                self.progress.finetune_val_accuracy = val
                report.epoch(attempt * settings.epochs + epoch, {
                    "loss": stats.loss, "train_acc": stats.accuracy, "val_acc": val, "lr": lr, "mask_lr": mask_lr,
                    "width": self.network.width, "free_capacity": pruner.free_share(self.network),
                })
                self.state.epoch = epoch + 1
                self._save_epoch(optimizers)
        return Stage.DOCTOR if self.config.doctor.enabled else self._after_finetune()

    def _after_finetune(self) -> Stage:
        """Check the goal (cpg/algorithms/decisions.py), record the decision with its numbers,
        and go on: GROW when it is missed below the maximum width, COMMIT a picking-only task,
        else PRUNE."""
        progress = self.progress
        decision = self._check_goal()
        if not progress.goal_met and not self.at_max_width:
            stage = Stage.GROW
        elif progress.claimed_total == 0:
            stage = Stage.COMMIT
        else:
            self._snapshot("unpruned")
            stage = Stage.PRUNE
        if decision is not None:
            progress.decisions.append({**decision, "next": stage.value})
        return stage

    def _check_goal(self) -> dict | None:
        """Set `goal_met`; returns the decision's numbers (None for strategies without goals)."""
        progress = self.progress
        if not self.uses_goals:
            progress.goal_met = True
            return None
        goal = self._against_goal(Estimate(progress.finetune_val_accuracy, self._images("select")))
        progress.goal_met = goal is None or goal.passed
        return {"decision": "goal", "attempt": progress.attempts + 1, "width": self.network.width,
                "met": progress.goal_met, "goal": goal.to_dict() if goal else None,
                "train_accuracy": progress.finetune_train_accuracy}
