"""The stage machine of a masked or backbone network: every stage's method, one per `Stage`.

    START → FINETUNE [→ DOCTOR] ─(goal missed, width < max)→ GROW → FINETUNE …
            FINETUNE ─(nothing to prune: picking only, or a strategy that does not prune)→ COMMIT
            FINETUNE → PRUNE (target by target) → CHOOSE → RETRAIN → COMMIT → next task

The position (task, stage, epoch, prune target) and everything recorded so far are saved after
every epoch, so a run killed at any moment resumes where it stopped.
"""

from collections.abc import Callable

from cpg.algorithms.context import RunContext
from cpg.algorithms.independent import Independent
from cpg.algorithms.stages.commit import CommitStage
from cpg.algorithms.stages.doctor import DoctorStage
from cpg.algorithms.stages.finetune import FinetuneStage
from cpg.algorithms.stages.grow import GrowStage
from cpg.algorithms.stages.prune import PruneStage
from cpg.algorithms.stages.retrain import RetrainStage
from cpg.algorithms.state import Stage
from cpg.algorithms.strategy import NetworkKind, Strategy


class StageMachine(FinetuneStage, DoctorStage, GrowStage, PruneStage, RetrainStage, CommitStage):
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


def machine_for(strategy: Strategy, context: RunContext) -> StageMachine | Independent:
    """What runs `strategy`: one plain network per task, or the stage machine."""
    if strategy.network is NetworkKind.SEPARATE:
        return Independent(context)
    return StageMachine(strategy, context)
