"""The re-engineered module as an ordinary PyTorch model: the source with its removed weights
zeroed and every channel that no longer carries anything physically removed, then the head."""

import copy

from torch import nn

from cpg.export import exact_keep, slim
from cpg.seam.masked import MaskedModule


def standalone_module(module: MaskedModule, input_shape: tuple[int, int, int]) -> nn.Sequential:
    """`Sequential(slimmed source, head)` in evaluation mode; its outputs equal `module`'s."""
    body = module.masked_source()
    body = slim(body, exact_keep(body, input_shape))
    return nn.Sequential(body, copy.deepcopy(module.head)).eval()
