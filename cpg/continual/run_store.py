"""A training loop's store inside a run: the run folder's versioned state and network."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import torch

from cpg.engine import LoopPosition

if TYPE_CHECKING:
    from cpg.continual.machine import MachineBase


class RunStore:
    """Saves a loop of the stage machine with the run (position in the state, optimizer states
    beside the network); the kept epoch is the snapshot `best`, the starting weights the
    snapshot `start` (taken by the stage before the loop)."""

    def __init__(self, machine: "MachineBase", start: str | None = None, best: str | None = None) -> None:
        self.machine = machine
        self.start = start
        self.best = best

    def resume(self) -> tuple[LoopPosition, list[dict[str, Any]]]:
        return self.machine.state.loop, self.machine.take_optimizer_state()

    def save(self, position: LoopPosition, optimizers: Sequence[torch.optim.Optimizer], force: bool) -> None:
        self.machine.state.loop = position
        self.machine.context.save(self.machine.network, optimizers, force=force)

    def keep(self, epoch: int) -> None:
        if epoch:
            self.machine.snapshot(self._role(epoch))

    def restore(self, epoch: int) -> None:
        self.machine.restore(self._role(epoch))

    def fail(self, message: str) -> NoReturn:
        self.machine.roll_back(f"{self.machine.state.stage.value} {message}")

    def _role(self, epoch: int) -> str:
        role = self.start if epoch == 0 else self.best
        if role is None:
            raise RuntimeError("this loop keeps no epoch")
        return role
