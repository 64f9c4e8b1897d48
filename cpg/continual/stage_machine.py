"""The stage machine of a masked or backbone network: every stage's method, one per `Stage`.

    START → FINETUNE [→ DOCTOR] ─(goal missed, width < max)→ GROW → FINETUNE …
            FINETUNE ─(nothing to prune: picking only, or a strategy that does not prune)→ COMMIT
            FINETUNE → PRUNE (target by target) → CHOOSE → RETRAIN → COMMIT → next task

The position (task, stage, epoch, prune target) and everything recorded so far are saved after
every epoch, so a run killed at any moment resumes where it stopped.
"""

from collections.abc import Callable

from cpg.continual.context import RunContext
from cpg.continual.independent import Independent
from cpg.continual.stages.commit import CommitStage
from cpg.continual.stages.doctor import DoctorStage
from cpg.continual.stages.finetune import FinetuneStage
from cpg.continual.stages.grow import GrowStage
from cpg.continual.stages.prune import PruneStage
from cpg.continual.stages.retrain import RetrainStage
from cpg.continual.state import Stage
from cpg.continual.strategy import NetworkKind, Strategy


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
