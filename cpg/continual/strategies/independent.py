"""Independent training: one plain network per task (task-K.pt in the run folder), the same
training as `cpg baseline`; the goals' producer and the upper bound."""

from cpg.continual.alone import ALONE
from cpg.continual.policies import Separate
from cpg.continual.strategy import Strategy
from cpg.registry import STRATEGIES

INDEPENDENT = STRATEGIES.add("independent", Strategy(network=Separate(), stages=ALONE))
