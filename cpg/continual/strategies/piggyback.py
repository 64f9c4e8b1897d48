"""Piggyback: the backbone is trained on the first task and frozen; every later task learns
only a picking mask over it, its BatchNorm and its head."""

from cpg.continual.strategy import Pruning, Strategy, register

PIGGYBACK = register(Strategy(
    name="piggyback",
    summary="train the backbone on task 1 and freeze it; later tasks learn only a picking mask, BN and head",
    goals=False,
    pruning=Pruning.NONE,
))
