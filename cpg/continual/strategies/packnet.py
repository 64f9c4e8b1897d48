"""PackNet: prune each task's own weights at once and freeze them; every earlier weight is
reused; no picking, no growth, no goals."""

from cpg.continual.strategy import Pruning, Strategy, register
from cpg.nn import Reuse

PACKNET = register(Strategy(
    name="packnet",
    summary="prune each task's weights at once, train on, freeze; reuses all earlier weights; no growth",
    reuse=Reuse.ALL,
    goals=False,
    pruning=Pruning.ONE_SHOT,
))
