"""PAE (Packing-And-Expanding): CPG without picking, every earlier weight reused."""

from cpg.continual.policies import Goals, Gradual, Growth, Masked
from cpg.continual.strategy import Strategy
from cpg.nn import Reuse
from cpg.registry import STRATEGIES

PAE = STRATEGIES.add("pae", Strategy(
    network=Masked(Reuse.ALL),
    pruning=Gradual(),
    selection=Goals(),
    growth=Growth(),
))
