"""PAE (Packing-And-Expanding): CPG without picking — a task reuses every earlier weight."""

from cpg.algorithms.cpg import CPG
from cpg.nn import Reuse


class PAE(CPG):
    name = "pae"
    reuse = Reuse.ALL
