"""PackNet: finetune the free weights, prune the task's own weights (one-shot to a ratio, or
gradually), train on with the mask fixed, freeze. Every earlier weight is reused; no picking,
no growth, no goals."""

from cpg.algorithms.cpg import CPG
from cpg.nn import Reuse


class PackNet(CPG):
    name = "packnet"
    reuse = Reuse.ALL
    uses_goals = False
    grows = False
