"""PRUNE and CHOOSE: gradual magnitude pruning of the task's own weights, target by target,
then the highest sparsity that still meets the goal."""

from cpg import pruner
from cpg.algorithms.machine import StageMachine
from cpg.algorithms.state import PruneRecord, Stage
from cpg.pruner import MagnitudePruner, cubic_sparsity


class GradualPruneHook:
    """Moves the task's sparsity along the cubic schedule every `every` iterations during the
    first `ramp` iterations of a prune target."""

    def __init__(self, magnitude: MagnitudePruner, start: float, target: float, ramp: int, every: int,
                 first_iteration: int, steps_per_epoch: int, optimizers: tuple) -> None:
        self.magnitude = magnitude
        self.start, self.target = start, target
        self.ramp, self.every = max(1, ramp), every
        self.first_iteration = first_iteration
        self.optimizers = optimizers

    def after_backward(self, step: int) -> None:
        pass

    def after_step(self, step: int) -> None:
        iteration = self.first_iteration + step
        if iteration >= self.ramp or (iteration % self.every and iteration != self.ramp - 1):
            return
        progress = (iteration + 1) / self.ramp
        self.magnitude.prune_to(cubic_sparsity(self.start, self.target, progress), self.optimizers)


class PruneStage(StageMachine):
    def _prune_cap(self) -> float | None:
        """At max width with the goal missed, stop once enough is left for the other tasks."""
        if not self.uses_goals or self.progress.goal_met or not self.at_max_width:
            return None
        remaining = len(self.context.benchmark.tasks) - self.task
        return 1.0 - round(1.0 / (remaining + 1), 1)

    def _prune(self) -> Stage:
        settings = self.config.prune
        magnitude = MagnitudePruner(self.network, self.task, self.progress.prune_initial_counts)
        steps = self._data(self.task).steps_per_epoch()
        optimizers = self._optimizers(settings.lr, settings.mask_lr)
        pruner.set_weight_decay(self.network, self.config.weight_decay)
        cap = self._prune_cap()
        while self.state.prune_index < len(settings.targets):
            index = self.state.prune_index
            target = settings.targets[index]
            start = settings.targets[index - 1] if index else 0.0
            with self.context.reporter.stage(self.task, self._title(f"prune to {target:.0%}"), "prune",
                                             settings.epochs, self.state.epoch) as report:
                for epoch in range(self.state.epoch, settings.epochs):
                    ramp = 1 if settings.one_shot else settings.ramp_epochs * steps
                    hook = GradualPruneHook(magnitude, start, target, ramp,
                                            settings.update_every, epoch * steps, steps, tuple(optimizers))
                    stats = self._train_epoch("prune", (index, epoch), optimizers, (hook,))
                    sparsity = magnitude.sparsity()
                    report.epoch(index * settings.epochs + epoch, {
                        "loss": stats.loss, "train_acc": stats.accuracy, "sparsity": sparsity, "lr": settings.lr,
                        "mask_lr": settings.mask_lr, "width": self.network.width,
                        "free_capacity": pruner.free_share(self.network),
                    })
                    self.state.epoch = epoch + 1
                    self._save_epoch(optimizers)
            magnitude.prune_to(target, tuple(optimizers))
            record = PruneRecord(target, magnitude.sparsity(), self.progress.last_train_accuracy,
                                 self._evaluate(self.task, "select"))
            self.progress.prune.append(record)
            self.context.reporter.scalars(self.task, "prune", index, {"val_acc_at_target": record.val_accuracy})
            if self._meets_goal(record.val_accuracy):
                self._snapshot("candidate")
            self.state.prune_index = index + 1
            self.state.epoch = 0
            self._save_epoch(optimizers)
            if record.train_accuracy <= self.config.goal.train_accuracy or (cap is not None and record.sparsity >= cap):
                break
        return Stage.CHOOSE

    def _choose(self) -> Stage:
        records = self.progress.prune
        qualifying = [record for record in records if self._meets_goal(record.val_accuracy)]
        if records and (self._prune_cap() is not None or not self.uses_goals):
            chosen = records[-1]
        elif qualifying:
            chosen = qualifying[-1]
            if chosen is not records[-1]:
                self._restore("candidate")
        else:
            chosen = None
            self._restore("unpruned")
        self.progress.chosen_sparsity = chosen.sparsity if chosen else 0.0
        self.progress.chosen_val_accuracy = (chosen.val_accuracy if chosen else self._evaluate(self.task, "select"))
        self.context.reporter.message(
            f"task {self.task}: chose sparsity {self.progress.chosen_sparsity:.2f} "
            f"(val {self.progress.chosen_val_accuracy:.4f}, {self._goal_text()})"
        )
        self._snapshot("chosen")
        if self.task >= 2 and pruner.picking_logits(self.network) and self.config.retrain.epochs > 0:
            return Stage.RETRAIN
        return Stage.COMMIT
