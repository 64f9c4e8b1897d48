"""PackNet: prune each task's own weights at once, train on, and freeze them; every earlier
weight is reused; no picking, no growth, no goals (the last pruning step is kept)."""

from cpg.continual.policies import LastStep, Masked, NoGrowth, OneShot
from cpg.continual.strategy import Strategy
from cpg.nn import Reuse
from cpg.registry import STRATEGIES

PACKNET = STRATEGIES.add("packnet", Strategy(
    network=Masked(Reuse.ALL),
    pruning=OneShot(),
    selection=LastStep(),
    growth=NoGrowth(),
))
