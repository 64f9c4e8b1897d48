"""The stage machine every strategy runs: the current stage's object works on the session and
names the next stage, until the run is done. The position (task, stage, epoch, prune target)
and everything recorded so far are saved after every epoch, at once after a task is
committed, so a run killed at any moment resumes where it stopped."""

from cpg.continual.session import TaskSession
from cpg.continual.state import DONE, RunState
from cpg.continual.strategy import Strategy
from cpg.engine import LoopPosition, NonFiniteError


class StageMachine:
    def __init__(self, session: TaskSession, strategy: Strategy) -> None:
        self.session = session
        self.strategy = strategy

    def run(self) -> RunState:
        session, state = self.session, self.session.state
        self.strategy.network.resume(session)
        while state.stage != DONE:
            stage = state.stage
            recorded = len(state.results)
            session.start_clock()
            try:
                next_stage = self.strategy.stages.get(stage)().run(session, self.strategy)
            except NonFiniteError as error:
                session.recorder.roll_back(f"{stage}: {error}")
            committed = len(state.results) > recorded
            if not committed:  # a stage that commits a task counts its own time, before recording it
                session.count_time(stage)
            self._enter(next_stage, force=committed)
        return state

    def _enter(self, stage: str, force: bool) -> None:
        """Move to `stage`; saved at once after a commit, else on the save cadence."""
        state = self.session.state
        state.stage = stage
        state.loop = LoopPosition()
        self.session.recorder.forget_resumed()
        self.session.save(force=force)
