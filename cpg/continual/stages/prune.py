"""PRUNE and CHOOSE: magnitude pruning of the task's own weights, target by target (gradual) or
at once (one-shot), then the step to keep (the rules: cpg/continual/decisions.py)."""

from cpg.config import one_shot_epochs
from cpg.continual.decisions import kept_step, prune_cap, targets_within
from cpg.continual.machine import MachineBase
from cpg.continual.state import PruneRecord, Stage
from cpg.continual.strategy import Pruning
from cpg.engine import EpochRecord, LoopHook, LoopPosition
from cpg.pruner import MagnitudePruner, cubic_sparsity


class GradualPruneHook(LoopHook):
    """Moves the task's sparsity from `start` to `target` along the cubic schedule every `every`
    iterations during the first `ramp` iterations of a prune target (an epoch has `steps`)."""

    def __init__(self, magnitude: MagnitudePruner, start: float, target: float, ramp: int, every: int, steps: int,
                 optimizers: tuple) -> None:
        self.magnitude = magnitude
        self.start, self.target = start, target
        self.ramp, self.every = max(1, ramp), every
        self.steps = steps
        self.optimizers = optimizers
        self.first_iteration = 0

    def before_epoch(self, epoch: int) -> None:
        self.first_iteration = epoch * self.steps

    def after_step(self, step: int) -> None:
        iteration = self.first_iteration + step
        if iteration >= self.ramp or (iteration % self.every and iteration != self.ramp - 1):
            return
        progress = (iteration + 1) / self.ramp
        self.magnitude.prune_to(cubic_sparsity(self.start, self.target, progress), self.optimizers)


class Sparsity(LoopHook):
    def __init__(self, magnitude: MagnitudePruner) -> None:
        self.magnitude = magnitude

    def after_epoch(self, record: EpochRecord) -> dict[str, float]:
        return {"sparsity": self.magnitude.sparsity()}


class PruneStage(MachineBase):
    def _goal_out_of_reach(self) -> bool:
        """At the maximum width with the goal missed: prune for the tasks to come."""
        return self.strategy.goals and not self.progress.goal_met and self.at_max_width

    def _prune_cap(self) -> float | None:
        """With the goal out of reach, the sparsity that leaves the later tasks their share
        (`decisions.prune_cap`); None: no cap."""
        if not self._goal_out_of_reach():
            return None
        return prune_cap(len(self.context.benchmark.tasks) - self.task)

    def _targets(self) -> list[float]:
        """The sparsities this task is pruned to, in order: one-shot pruning goes straight to
        `prune.one_shot_ratio`; gradual pruning steps through `prune.targets`, none beyond the cap."""
        settings = self.config.prune
        if self.strategy.pruning is Pruning.ONE_SHOT:
            return [settings.one_shot_ratio]
        return targets_within(settings.targets, self._prune_cap())

    def _prune_epochs(self) -> int:
        if self.strategy.pruning is Pruning.ONE_SHOT:
            return one_shot_epochs(self.config)
        return self.config.prune.epochs

    def _prune(self) -> Stage:
        settings = self.config.prune
        magnitude = MagnitudePruner(self.network, self.task, self.progress.claimed)
        steps = self._data(self.task).steps_per_epoch()
        optimizers = self._optimizers(settings.lr, settings.mask_lr)
        ramp = 1 if self.strategy.pruning is Pruning.ONE_SHOT else settings.ramp_epochs * steps
        targets, epochs = self._targets(), self._prune_epochs()
        while self.state.prune_index < len(targets):
            index = self.state.prune_index
            target = targets[index]
            start = targets[index - 1] if index else 0.0
            hook = GradualPruneHook(magnitude, start, target, ramp, settings.update_every, steps, tuple(optimizers))
            with self.context.reporter.stage(self.task, self._title(f"prune to {target:.0%}"), "prune",
                                             epochs, self.state.epoch) as report:
                self._loop("prune", (index,), epochs, optimizers, report, lambda epoch: settings.mask_lr,
                           hooks=[hook, Sparsity(magnitude)], report_offset=index * epochs).run()
            magnitude.prune_to(target, tuple(optimizers))
            record = self._judge_step(target, magnitude.sparsity())
            self.context.reporter.scalars(self.task, "prune", index, {"val_acc_at_target": record.val_accuracy})
            if self._may_keep(record):
                self.snapshot("candidate")
            self.state.prune_index = index + 1
            self.state.loop = LoopPosition()
            self.context.save(self.network, optimizers, force=False)
            if self.strategy.goals and not self._may_keep(record):
                break
        return Stage.CHOOSE

    def _judge_step(self, target: float, sparsity: float) -> PruneRecord:
        """Record a finished pruning step with the gate and goal it was judged against."""
        train = self.progress.last_train_accuracy
        selection = self._selection()
        record = PruneRecord(target, sparsity, train, selection.accuracy)
        if self.strategy.goals:
            gate = self._against_gate(train)
            goal = self._against_goal(selection)
            record.passed_gate, record.met_goal = gate.passed, goal.passed
            self.progress.decisions.append({
                "decision": "prune step", "target": target, "sparsity": sparsity, "train_gate": gate.to_dict(),
                "goal": goal.to_dict(), "next": self._after_step(record),
            })
        self.progress.prune.append(record)
        return record

    def _after_step(self, record: PruneRecord) -> str:
        if not record.passed_gate:
            return "stop: below the training gate"
        if not self._may_keep(record):
            return "stop: goal missed (a sparser step is not kept after a step that misses)"
        return "continue"

    def _may_keep(self, record: PruneRecord) -> bool:
        """Whether CHOOSE may keep this step: within the gate, and meeting the goal unless the
        goal is out of reach (then the sparsest step within the gate is kept). PRUNE stops after
        the first step it may not keep, so every step before it may be kept (fixed sequence)."""
        return self.strategy.goals and record.passed_gate and (record.met_goal or self._goal_out_of_reach())

    def _choose(self) -> Stage:
        records = self.progress.prune
        if self.strategy.goals:
            index = kept_step([(record.passed_gate, record.met_goal) for record in records], self._goal_out_of_reach())
            chosen = None if index is None else records[index]
            cap = self._prune_cap()
            rule = (f"the sparsest step within the training gate, pruning no further than {cap:.3f} (goal out of reach "
                    "at the maximum width)" if cap is not None else
                    "the sparsest step of those, in order of sparsity, that each met the goal within the training gate")
        else:
            chosen = records[-1] if records else None
            rule = "the last step (no goals)"
        if chosen is None:
            self.restore("unpruned")
        elif chosen is not records[-1]:
            self.restore("candidate")
        self.progress.chosen_sparsity = chosen.sparsity if chosen else 0.0
        self.progress.chosen_val_accuracy = (chosen.val_accuracy if chosen else self._evaluate(self.task, "select"))
        if self.strategy.goals:
            self.progress.decisions.append({
                "decision": "choose", "rule": rule if chosen else f"{rule}; none: the unpruned weights",
                "target": chosen.target if chosen else 0.0, "sparsity": self.progress.chosen_sparsity,
                "selection_accuracy": self.progress.chosen_val_accuracy,
            })
        self.context.reporter.message(
            f"task {self.task}: chose sparsity {self.progress.chosen_sparsity:.2f} "
            f"(val {self.progress.chosen_val_accuracy:.4f}, {self._goal_text()})"
        )
        self.snapshot("chosen")
        if self.task >= 2 and self.network.picking_logits() and self.config.retrain.epochs > 0:
            return Stage.RETRAIN
        return Stage.COMMIT
