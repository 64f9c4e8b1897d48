"""Compacting, Picking and Growing (NeurIPS 2019)."""

from cpg.continual.strategy import Strategy, register

CPG = register(Strategy(
    name="cpg",
    summary="compact (gradual pruning), pick (learned mask over earlier weights), grow",
    grows=True,
))
