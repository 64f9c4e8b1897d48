"""Importance scores that pruners turn into masks."""

from cpg.metrics.magnitude import magnitude

__all__ = ["magnitude"]
