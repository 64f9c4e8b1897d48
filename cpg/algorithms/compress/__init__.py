"""Structured channel compression of a trained task model (DESIGN.md §6, `cpg compress`)."""

from cpg.algorithms.compress.cost import Cost, cost
from cpg.algorithms.compress.finetune import FinetuneResult, finetune
from cpg.algorithms.compress.workflow import Compressed, calibration_batches, choose_channels, compress

__all__ = [
    "Compressed",
    "Cost",
    "FinetuneResult",
    "calibration_batches",
    "choose_channels",
    "compress",
    "cost",
    "finetune",
]
