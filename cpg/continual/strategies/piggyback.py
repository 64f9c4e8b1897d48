"""Piggyback: the backbone is trained on the first task and frozen; every later task learns
only a picking mask over it, its BatchNorm and its head (the first task claims every weight and
is not pruned, so none is free for the others)."""

from cpg.continual.policies import LastStep, Masked, NoGrowth, NoPruning
from cpg.continual.strategy import Strategy
from cpg.nn import Reuse
from cpg.registry import STRATEGIES

PIGGYBACK = STRATEGIES.add("piggyback", Strategy(
    network=Masked(Reuse.PICK),
    pruning=NoPruning(),
    selection=LastStep(),
    growth=NoGrowth(),
))
