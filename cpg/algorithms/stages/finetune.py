"""FINETUNE: the task claims the free weights and trains them with its picking mask; then
the goal check decides between growing, committing (picking only) and pruning."""

import torch

from cpg import optim, pruner
from cpg.algorithms.machine import StageMachine
from cpg.algorithms.state import Stage
from cpg.nn import Reuse
from cpg.pruner import MagnitudePruner
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
        pruner.begin_learning(self.network, self.task, self.reuse)
        pruner.set_weight_decay(self.network, self.config.weight_decay)
        if self.progress.claimed == 0:
            how = "picking alone" if self.reuse is Reuse.PICK else "its BatchNorm, biases and head alone"
            self.context.reporter.message(f"task {self.task}: no free weight left, learning it by {how}")

    def _finetune(self) -> Stage:
        if not self._has_learning_task():
            self._start_task()
        settings = self.config.finetune
        optimizers = self._optimizers(settings.lr, settings.mask_lr)
        pruner.set_weight_decay(self.network, self.config.weight_decay)
        attempt = self.progress.attempts
        with self.context.reporter.stage(self.task, self._title(f"finetune (width {self.network.width:g})"),
                                         "finetune", settings.epochs, self.state.epoch) as report:
            for epoch in range(self.state.epoch, settings.epochs):
                lr = optim.stepped_lr(settings.lr, settings.lr_steps, epoch)
                mask_lr = optim.stepped_lr(settings.mask_lr, settings.mask_lr_steps, epoch)
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
        self._check_goal()
        return Stage.DOCTOR if self.config.doctor.enabled else self._after_finetune()

    def _check_goal(self) -> None:
        self.progress.goal_met = (self.progress.finetune_train_accuracy > self.config.goal.train_accuracy
                                  and self._meets_goal(self.progress.finetune_val_accuracy))

    def _after_finetune(self) -> Stage:
        if not self.progress.goal_met and not self.at_max_width:
            return Stage.GROW
        if self.progress.claimed == 0:
            return Stage.COMMIT
        self._snapshot("unpruned")
        self.progress.prune_initial_counts = MagnitudePruner(self.network, self.task).initial_counts
        return Stage.PRUNE
