"""Piggyback: the backbone is trained on the first task and frozen; every later task learns only
a picking mask over it, its BatchNorm and its head."""

import dataclasses

from cpg.algorithms.cpg import CPG
from cpg.config import RunConfig
from cpg.nn import Reuse


class Piggyback(CPG):
    name = "piggyback"
    reuse = Reuse.PICK
    uses_goals = False
    grows = False

    @classmethod
    def adapt(cls, config: RunConfig) -> RunConfig:
        """No pruning: the first task keeps every weight, so later tasks can only pick."""
        config = super().adapt(config)
        return dataclasses.replace(config, prune=dataclasses.replace(config.prune, targets=[]))
