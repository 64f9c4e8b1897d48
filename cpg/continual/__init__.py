"""Continual learning: CPG and the strategies it is compared with, run by one stage machine."""

from cpg.continual import strategies  # noqa: F401  (registers every strategy)
from cpg.continual.stage_machine import StageMachine, machine_for
from cpg.continual.state import RunState, Stage
from cpg.continual.strategy import STRATEGIES, NetworkKind, Pruning, Strategy

__all__ = ["STRATEGIES", "NetworkKind", "Pruning", "RunState", "Stage", "StageMachine", "Strategy", "machine_for"]
