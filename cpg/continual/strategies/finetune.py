"""Sequential fine-tuning (Avalanche's "naive"): one backbone trained on each task in turn, a
head per task. Nothing protects earlier tasks, so it forgets: the baseline that shows what CPG
prevents. Each task starts from the backbone as the previous task left it, or
(`finetune.start_from: random`, the CPG paper's protocol) as a random earlier task left it."""

from cpg.continual.policies import Backbone, LastStep, NoGrowth, NoPruning
from cpg.continual.strategy import Strategy
from cpg.registry import STRATEGIES

FINETUNE = STRATEGIES.add("finetune", Strategy(
    network=Backbone(),
    pruning=NoPruning(),
    selection=LastStep(),
    growth=NoGrowth(),
))
