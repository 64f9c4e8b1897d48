"""PAE (Packing-And-Expanding): CPG without picking, every earlier weight reused."""

from cpg.continual.strategy import Strategy, register
from cpg.nn import Reuse

PAE = register(Strategy(
    name="pae",
    summary="CPG without picking (every earlier weight reused), with growth",
    reuse=Reuse.ALL,
    grows=True,
))
