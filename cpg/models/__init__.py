"""Architectures: plain PyTorch models built by name at a width multiplier, each registered
beside its model and saying which layer is its head and how its channels are coupled."""

from cpg.models.build import build_model, check_arch, model_factory
from cpg.models.channels import ChannelSpace, Consumer, channel_spaces
from cpg.registry import ARCHS

__all__ = ["ARCHS", "ChannelSpace", "Consumer", "build_model", "channel_spaces", "check_arch", "model_factory"]
