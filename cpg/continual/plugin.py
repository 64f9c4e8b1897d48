"""Plugins: what a method adds to the strategy it joins, without a stage of its own (in the
manner of Avalanche's plugins and MMEngine's hooks).

A plugin sees the run's events (a task starts learning, a task is committed) and adds hooks to
every training loop of a task; a loop hook sees each training step (the batch, the outputs, a
loss it may add a term to, the optimizers: `cpg.engine.TrainStep`) and each epoch. A strategy
lists its plugins (`Strategy.plugins`); `execute` and `fit` take more.
"""

from collections.abc import Sequence

from cpg.continual.session import TaskSession
from cpg.engine import LoopHook


class Plugin:
    """Every method does nothing unless overridden."""

    def task_started(self, session: TaskSession) -> None:
        """The current task was added to the network and begins learning (again after growth)."""

    def loop_hooks(self, session: TaskSession, stage: str) -> Sequence[LoopHook]:
        """Hooks for a training loop of the current task in `stage`."""
        return ()

    def task_committed(self, session: TaskSession) -> None:
        """The current task was committed and its results recorded, before the run is saved."""
