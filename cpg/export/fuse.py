"""Folding BatchNorm into the convolution before it (inference only).

A BatchNorm in evaluation mode is an affine map per channel, y = γ (x − μ) / √(σ² + ε) + β,
so a convolution followed by it is one convolution with scaled weights and a bias. The folded
model computes the same outputs up to floating-point rounding and saves a pass over every
feature map.
"""

import copy

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from cpg.models.channels import channel_spaces


def fuse_batchnorm(model: nn.Module) -> nn.Module:
    """An evaluation-mode copy of `model` (small_cnn, vgg16 or resnet*) with every BatchNorm
    that directly follows a convolution folded into it and replaced by `nn.Identity`."""
    fused = copy.deepcopy(model).eval()
    for space in channel_spaces(fused):
        for producer, norm in zip(space.producers, space.norms):
            conv = fused.get_submodule(producer)
            if norm is None or not isinstance(conv, nn.Conv2d):
                continue
            fused.set_submodule(producer, fuse_conv_bn_eval(conv, fused.get_submodule(norm)))
            fused.set_submodule(norm, nn.Identity())
    return fused
