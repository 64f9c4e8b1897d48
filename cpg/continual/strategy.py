"""What a continual-learning strategy is: a declared policy the stage machine follows.

Every strategy is one `Strategy` value registered in `STRATEGIES` (one file each in
cpg/continual/strategies/). The machine reads it to decide what a task trains, whether it picks
from earlier tasks, whether goals decide growth and the pruning step, how a task is pruned, and
so which stages run.
"""

from dataclasses import dataclass
from enum import Enum

from cpg.config import RunConfig
from cpg.errors import UserError
from cpg.nn import Reuse, TaskNetwork
from cpg.nn.convert import convert_head
from cpg.nn.network import Factory
from cpg.registry import Registry


class NetworkKind(str, Enum):
    """What the tasks share."""

    MASKED = "masked"  # one network of Sharable layers: ownership, picking masks, growth
    BACKBONE = "backbone"  # one unprotected backbone trained by every task in turn, a head per task
    SEPARATE = "separate"  # nothing: one plain network per task


class Pruning(str, Enum):
    """How a task's own weights are pruned after FINETUNE (then CHOOSE and RETRAIN run)."""

    GRADUAL = "gradual"  # target by target along the cubic schedule
    ONE_SHOT = "one-shot"  # straight to each target at its first iteration
    NONE = "none"  # not at all: the task keeps every weight it claimed and is committed


@dataclass(frozen=True)
class Strategy:
    name: str
    summary: str  # one line, as `--strategy` help and the README list it
    network: NetworkKind = NetworkKind.MASKED
    reuse: Reuse = Reuse.PICK  # how a task of a masked network uses earlier tasks' weights
    goals: bool = True  # goals decide growth and which pruning step is kept
    grows: bool = False  # the network may grow up to max_width when a goal is missed
    pruning: Pruning = Pruning.GRADUAL

    def check(self, config: RunConfig) -> None:
        """Refuse settings this strategy cannot honour."""
        if not self.grows and config.max_width != 1.0:
            raise UserError(f"{self.name} does not grow the network; use max_width 1.0 (got {config.max_width:g})")

    def build_network(self, factory: Factory) -> TaskNetwork | None:
        if self.network is NetworkKind.MASKED:
            return TaskNetwork.build(factory)
        if self.network is NetworkKind.BACKBONE:
            return TaskNetwork(convert_head(factory(1.0)), factory=factory)
        return None


STRATEGIES: Registry[Strategy] = Registry("strategy")


def register(strategy: Strategy) -> Strategy:
    return STRATEGIES.add(strategy.name, strategy)
