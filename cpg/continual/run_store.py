"""A training loop's store inside a run: the run folder's versioned state and network."""

from collections.abc import Sequence
from typing import Any, NoReturn

import torch

from cpg.continual.session import TaskSession
from cpg.engine import LoopPosition


class RunStore:
    """Saves a loop of a stage with the run (position in the state, optimizer states beside the
    network); the kept epoch is the snapshot `best`, the starting weights the snapshot `start`
    (taken by the stage before the loop)."""

    def __init__(self, session: TaskSession, start: str | None = None, best: str | None = None) -> None:
        self.session = session
        self.start = start
        self.best = best

    def resume(self) -> tuple[LoopPosition, list[dict[str, Any]]]:
        resumed = self.session.recorder.take_resumed() or {}
        return self.session.state.loop, (resumed.get("optimizers") or {}).get("list") or []

    def save(self, position: LoopPosition, optimizers: Sequence[torch.optim.Optimizer], force: bool) -> None:
        self.session.state.loop = position
        self.session.save(optimizers, force=force)

    def keep(self, epoch: int) -> None:
        if epoch:
            self.session.snapshot(self._role(epoch))

    def restore(self, epoch: int) -> None:
        self.session.restore(self._role(epoch))

    def fail(self, message: str) -> NoReturn:
        self.session.recorder.roll_back(f"{self.session.state.stage} {message}")

    def _role(self, epoch: int) -> str:
        role = self.start if epoch == 0 else self.best
        if role is None:
            raise RuntimeError("this loop keeps no epoch")
        return role
