"""Architectures: plain PyTorch models built by name at a width multiplier."""

from cpg.models.registry import ARCHS, build_model, check_arch, model_factory

__all__ = ["ARCHS", "build_model", "check_arch", "model_factory"]
