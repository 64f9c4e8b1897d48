"""Flow control of every strategy: the CPG stage machine and the methods it is compared with."""

from cpg.algorithms import strategies  # noqa: F401  (registers every strategy)
from cpg.algorithms.stage_machine import StageMachine, machine_for
from cpg.algorithms.state import RunState, Stage
from cpg.algorithms.strategy import STRATEGIES, NetworkKind, Pruning, Strategy

__all__ = ["STRATEGIES", "NetworkKind", "Pruning", "RunState", "Stage", "StageMachine", "Strategy", "machine_for"]
