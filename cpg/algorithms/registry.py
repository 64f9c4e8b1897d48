"""Strategies by name (`cpg run --strategy NAME`)."""

from cpg.algorithms.cpg import CPG
from cpg.errors import UserError

STRATEGIES = {"cpg": CPG}


def strategy_class(name: str) -> type[CPG]:
    if name not in STRATEGIES:
        raise UserError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}")
    return STRATEGIES[name]
