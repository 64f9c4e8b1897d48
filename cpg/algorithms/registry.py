"""Strategies by name (`cpg run --strategy NAME`)."""

from cpg.algorithms.cpg import CPG
from cpg.algorithms.finetune import Finetune
from cpg.algorithms.independent import Independent
from cpg.algorithms.packnet import PackNet
from cpg.algorithms.pae import PAE
from cpg.algorithms.piggyback import Piggyback
from cpg.errors import UserError

STRATEGIES = {strategy.name: strategy for strategy in (CPG, PackNet, Piggyback, PAE, Finetune, Independent)}


def strategy_class(name: str) -> type[CPG] | type[Independent]:
    if name not in STRATEGIES:
        raise UserError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}")
    return STRATEGIES[name]
