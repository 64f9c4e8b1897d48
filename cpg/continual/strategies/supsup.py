"""SupSup (Wortsman et al. 2020, "Supermasks in Superposition"), task identity given: fixed
random weights (edge-popup's signed Kaiming constant) that no task changes, one learned supermask
per task (edge-popup's scores, the top `supsup.density` of each layer by |score|, kept as 1 bit
per weight once committed), a head and BatchNorm statistics per task. Nothing a committed task
computes with is ever trained again."""

from cpg.continual.policies import LastStep, NoGrowth, NoPruning, Supermasks
from cpg.continual.strategy import Strategy
from cpg.registry import STRATEGIES

SUPSUP = STRATEGIES.add("supsup", Strategy(
    network=Supermasks(),
    pruning=NoPruning(),
    selection=LastStep(),
    growth=NoGrowth(),
))
