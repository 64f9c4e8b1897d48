"""Independent training: one plain network per task (the goals' producer and the upper bound)."""

from cpg.continual.strategy import NetworkKind, Pruning, Strategy, register

INDEPENDENT = register(Strategy(
    name="independent",
    summary="one network per task (task-K.pt in the run folder), the same training as `cpg baseline`",
    network=NetworkKind.SEPARATE,
    goals=False,
    pruning=Pruning.NONE,
))
