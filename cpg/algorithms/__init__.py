"""Flow control of every strategy: the CPG state machine and the methods it is compared with."""

from cpg.algorithms.cpg import CPG
from cpg.algorithms.registry import STRATEGIES, strategy_class
from cpg.algorithms.state import RunState, Stage

__all__ = ["CPG", "STRATEGIES", "RunState", "Stage", "strategy_class"]
