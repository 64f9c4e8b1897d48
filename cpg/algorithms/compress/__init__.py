"""Structured channel compression of a trained task model (`cpg compress`)."""

from cpg.algorithms.compress.compression import Compressed, calibration_batches, choose_channels, compress
from cpg.algorithms.compress.cost import Cost, cost
from cpg.algorithms.compress.recovery import RecoveryResult, recover

__all__ = [
    "Compressed",
    "Cost",
    "RecoveryResult",
    "calibration_batches",
    "choose_channels",
    "compress",
    "cost",
    "recover",
]
