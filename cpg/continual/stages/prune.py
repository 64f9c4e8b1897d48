"""PRUNE: magnitude pruning of the task's own weights to each target the pruning policy gives
(training on between targets), each step judged by the selection policy; then CHOOSE."""

from cpg.continual.session import TaskSession
from cpg.continual.state import PruneRecord
from cpg.continual.strategy import STAGES, Strategy
from cpg.continual.task_loop import task_loop
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


@STAGES.register("prune")
class PruneStage:
    def run(self, session: TaskSession, strategy: Strategy) -> str:
        settings, state, task = session.config.prune, session.state, session.task
        magnitude = MagnitudePruner(session.network, task, session.progress.claimed)
        steps = session.data(task).steps_per_epoch()
        optimizers = strategy.network.optimizers(session, settings.lr, settings.mask_lr)
        ramp = strategy.pruning.ramp(session.config, steps)
        targets = strategy.pruning.targets(session.config, strategy.selection.prune_cap(session))
        epochs = strategy.pruning.epochs(session.config)
        while state.prune_index < len(targets):
            index = state.prune_index
            target = targets[index]
            start = targets[index - 1] if index else 0.0
            hook = GradualPruneHook(magnitude, start, target, ramp, settings.update_every, steps, tuple(optimizers))
            with session.reporter.stage(task, session.title(f"prune to {target:.0%}"), "prune", epochs,
                                        state.epoch) as report:
                task_loop(session, strategy, "prune", (index,), epochs, optimizers, report,
                          lambda epoch: settings.mask_lr, hooks=[hook, Sparsity(magnitude)],
                          report_offset=index * epochs).run()
            magnitude.prune_to(target, tuple(optimizers))
            record = self._judge(session, strategy, target, magnitude.sparsity())
            session.reporter.scalars(task, "prune", index, {"val_acc_at_target": record.val_accuracy})
            if strategy.selection.may_keep(session, record):
                session.snapshot("candidate")
            state.prune_index = index + 1
            state.loop = LoopPosition()
            session.save(optimizers, force=False)
            if strategy.selection.stops_after(session, record):
                break
        return "choose"

    @staticmethod
    def _judge(session: TaskSession, strategy: Strategy, target: float, sparsity: float) -> PruneRecord:
        """Record a finished pruning step, judged by the selection policy."""
        selection = session.selection()
        record = PruneRecord(target, sparsity, session.progress.last_train_accuracy, selection.accuracy)
        strategy.selection.judge_step(session, record, selection)
        session.progress.prune.append(record)
        return record
