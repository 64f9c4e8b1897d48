"""Structured channel compression of a trained task model (`cpg compress`)."""

from cpg.compress.compression import Compressed, calibration_batches, choose_channels, compress
from cpg.compress.cost import Cost, cost
from cpg.compress.recovery import RecoveryResult, recover

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
