"""The policies a strategy is composed of, one family per file: what the tasks share
(`network.py`, with HAT's and SupSup's networks in `attention.py` and `supermask.py`), how a
task is pruned (`pruning.py`), what decides whether it is learned well enough and which pruning
step it keeps (`selection.py`), and whether the network grows (`growth.py`)."""

from cpg.continual.policies.attention import HardAttention
from cpg.continual.policies.growth import Growth, NoGrowth
from cpg.continual.policies.network import Backbone, Masked, NetworkPolicy, Separate, SharedNetwork
from cpg.continual.policies.pruning import Gradual, NoPruning, OneShot, PruningPolicy
from cpg.continual.policies.selection import Goals, LastStep, SelectionPolicy
from cpg.continual.policies.supermask import Supermasks

__all__ = ["Backbone", "Goals", "Gradual", "Growth", "HardAttention", "LastStep", "Masked", "NetworkPolicy", "NoGrowth",
           "NoPruning", "OneShot", "PruningPolicy", "Separate", "SelectionPolicy", "SharedNetwork", "Supermasks"]
