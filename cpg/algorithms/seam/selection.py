"""SeaM's best-epoch rule.

Among the epochs whose target accuracy reaches the source model's accuracy on the target
problem, the best has the lowest retained ratio, compared at 0.1% granularity (per-mille bins);
within a bin the higher accuracy wins, and on a full tie the earlier epoch. When no epoch
reaches the source's accuracy, the fallback is the epoch with the highest accuracy − ratio.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

Snapshot = TypeVar("Snapshot")


@dataclass(frozen=True)
class EpochResult:
    epoch: int
    accuracy: float
    retained: float


def ratio_bin(retained: float) -> int:
    """The retained ratio in whole tenths of a percent."""
    return math.floor(retained * 1000 + 1e-9)


class BestEpoch(Generic[Snapshot]):
    """Offer every epoch's result; keeps a snapshot of the best qualifying epoch and of the
    fallback, taking one (through `snapshot()`) only when it becomes the best."""

    def __init__(self, bar: float) -> None:
        self.bar = bar
        self._qualified: tuple[EpochResult, Snapshot] | None = None
        self._fallback: tuple[EpochResult, Snapshot] | None = None

    def offer(self, result: EpochResult, snapshot: Callable[[], Snapshot]) -> bool:
        """Record `result`; returns whether it became the selected epoch."""
        if result.accuracy >= self.bar:
            if self._qualified is None or _better(result, self._qualified[0]):
                self._qualified = (result, snapshot())
                return True
            return False
        if self._qualified is not None:
            return False
        if self._fallback is None or _score(result) > _score(self._fallback[0]):
            self._fallback = (result, snapshot())
            return True
        return False

    @property
    def qualified(self) -> bool:
        """Whether some epoch reached the source's accuracy."""
        return self._qualified is not None

    @property
    def selected(self) -> tuple[EpochResult, Snapshot]:
        choice = self._qualified or self._fallback
        if choice is None:
            raise RuntimeError("no epoch was offered")
        return choice


def _score(result: EpochResult) -> float:
    return result.accuracy - result.retained


def _better(result: EpochResult, best: EpochResult) -> bool:
    new, old = ratio_bin(result.retained), ratio_bin(best.retained)
    return new < old or (new == old and result.accuracy > best.accuracy)
