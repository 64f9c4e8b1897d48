"""Architectures: plain PyTorch models built by name at a width multiplier, each saying which
layer is its head and how its channels are coupled."""

from cpg.models.channels import ChannelSpace, Consumer, channel_spaces
from cpg.models.registry import ARCHS, build_model, check_arch, model_factory

__all__ = ["ARCHS", "ChannelSpace", "Consumer", "build_model", "channel_spaces", "check_arch", "model_factory"]
