"""How a task's own weights are pruned once it is trained: target by target along the cubic
schedule, straight to one sparsity, or not at all."""

from dataclasses import dataclass

from cpg.config import RunConfig, one_shot_epochs
from cpg.continual.decisions import targets_within
from cpg.continual.session import TaskSession


class PruningPolicy:
    def after_training(self, session: TaskSession) -> str:
        """The stage after a trained task that met its goal (or may not grow): PRUNE, or COMMIT
        when there is nothing to prune: a task that claimed no weight (picking only), or the
        sequence's last task with `prune.last_task` off (no task will use what it frees)."""
        if session.progress.claimed_total == 0 or (session.is_last_task and not session.config.prune.last_task):
            return "commit"
        session.snapshot("unpruned")
        return "prune"

    def targets(self, config: RunConfig, cap: float | None) -> list[float]:
        """The sparsities the task is pruned to, in order, none beyond `cap` (None: no cap)."""
        raise NotImplementedError

    def epochs(self, config: RunConfig) -> int:
        """Training epochs per target."""
        raise NotImplementedError

    def ramp(self, config: RunConfig, steps_per_epoch: int) -> int:
        """Iterations over which a target's sparsity is reached."""
        raise NotImplementedError


@dataclass(frozen=True)
class Gradual(PruningPolicy):
    """Through `prune.targets`, each reached along the cubic schedule over its first
    `prune.ramp_epochs` epochs and trained for `prune.epochs`."""

    def targets(self, config: RunConfig, cap: float | None) -> list[float]:
        return targets_within(config.prune.targets, cap)

    def epochs(self, config: RunConfig) -> int:
        return config.prune.epochs

    def ramp(self, config: RunConfig, steps_per_epoch: int) -> int:
        return config.prune.ramp_epochs * steps_per_epoch


@dataclass(frozen=True)
class OneShot(PruningPolicy):
    """Straight to `prune.one_shot_ratio` at the first iteration, then trained for
    `prune.one_shot_epochs` (PackNet)."""

    def targets(self, config: RunConfig, cap: float | None) -> list[float]:
        return [config.prune.one_shot_ratio]

    def epochs(self, config: RunConfig) -> int:
        return one_shot_epochs(config)

    def ramp(self, config: RunConfig, steps_per_epoch: int) -> int:
        return 1


@dataclass(frozen=True)
class NoPruning(PruningPolicy):
    """The task keeps every weight it claimed and is committed once trained."""

    def after_training(self, session: TaskSession) -> str:
        return "commit"
