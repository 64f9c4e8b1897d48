"""Compacting, Picking and Growing (NeurIPS 2019): a task claims the free weights and picks
from earlier tasks' weights with a learned mask; it is pruned gradually, keeping the sparsest
step that meets its goal; a missed goal grows the network."""

from cpg.continual.policies import Goals, Gradual, Growth, Masked
from cpg.continual.strategy import Strategy
from cpg.nn import Reuse
from cpg.registry import STRATEGIES

CPG = STRATEGIES.add("cpg", Strategy(
    network=Masked(Reuse.PICK),
    pruning=Gradual(),
    selection=Goals(),
    growth=Growth(),
))
