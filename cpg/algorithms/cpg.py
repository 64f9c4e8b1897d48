"""Compacting, Picking and Growing as one in-process state machine (DESIGN.md §4).

    START → FINETUNE [→ DOCTOR] ─(goal missed, width < max)→ GROW → FINETUNE …
            FINETUNE ─(no free weight: picking only)→ COMMIT
            FINETUNE → PRUNE (target by target) → CHOOSE → RETRAIN → COMMIT → next task

The position (task, stage, epoch, prune target) and everything recorded so far are saved after
every epoch, so a run killed at any moment resumes where it stopped.
"""

from collections.abc import Callable
from typing import Any

from cpg.algorithms.stages.commit import CommitStage
from cpg.algorithms.stages.doctor import DoctorStage
from cpg.algorithms.stages.finetune import FinetuneStage
from cpg.algorithms.stages.grow import GrowStage
from cpg.algorithms.stages.prune import PruneStage
from cpg.algorithms.stages.retrain import RetrainStage
from cpg.algorithms.state import Stage
from cpg.config import RunConfig
from cpg.errors import UserError
from cpg.nn import Reuse, TaskNetwork
from cpg.nn.network import Factory
from cpg.report.results import network_summary


class CPG(FinetuneStage, DoctorStage, GrowStage, PruneStage, RetrainStage, CommitStage):
    """Compacting, Picking and Growing. Subclasses change what the machine does through the
    class attributes below (see pae.py, packnet.py, piggyback.py)."""

    name = "cpg"
    reuse = Reuse.PICK
    uses_goals = True
    grows = True

    @classmethod
    def adapt(cls, config: RunConfig) -> RunConfig:
        """The config this strategy runs with; refuses settings it cannot honour."""
        if not cls.grows and config.max_width != 1.0:
            raise UserError(f"{cls.name} does not grow the network; use max_width 1.0 (got {config.max_width:g})")
        return config

    @classmethod
    def build_network(cls, factory: Factory) -> TaskNetwork:
        return TaskNetwork.build(factory)

    def summary(self) -> dict[str, Any]:
        """Width, free capacity and size for results.json."""
        return network_summary(self.network)

    def handlers(self) -> dict[Stage, Callable[[], Stage]]:
        return {
            Stage.FINETUNE: self._finetune,
            Stage.DOCTOR: self._doctor,
            Stage.GROW: self._grow,
            Stage.PRUNE: self._prune,
            Stage.CHOOSE: self._choose,
            Stage.RETRAIN: self._retrain,
            Stage.COMMIT: self._commit,
        }
