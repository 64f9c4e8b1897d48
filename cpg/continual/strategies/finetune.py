"""Finetuning: one backbone trained on each task in turn, a head per task. Nothing protects
earlier tasks, so it forgets: the baseline that shows what CPG prevents. Each task starts from
the backbone as the previous task left it, or (`finetune.start_from: random`, the CPG paper's
protocol) as a random earlier task left it."""

from cpg.continual.strategy import NetworkKind, Pruning, Strategy, register

FINETUNE = register(Strategy(
    name="finetune",
    summary="one unprotected backbone trained on each task in turn, a head per task; it forgets",
    network=NetworkKind.BACKBONE,
    goals=False,
    pruning=Pruning.NONE,
))
