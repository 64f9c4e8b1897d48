"""The module being re-engineered: the source model seen through binary masks, plus a head.

Every conv and linear weight and bias of the source has a real-valued mask of its shape,
starting above the threshold 0 ("keep all") and binarized by `cpg.nn.binarizer`. The source
is never modified: its tensors are read detached and combined with the masks on each forward
(`torch.func.functional_call`), so no gradient and no optimizer reaches them. BatchNorm stays
in evaluation mode (running statistics, no updates) whatever mode the module is in. The head
maps the source's logits to the target classes: ReLU → Linear(source classes → target classes).
"""

import copy

import torch
from torch import Tensor, nn
from torch.func import functional_call

from cpg.importance import LearnedMask
from cpg.nn.binarizer import SEAM_THRESHOLD, binarize


class MaskedModule(nn.Module):
    def __init__(self, source: nn.Module, num_source_classes: int, num_target_classes: int,
                 mask_init: float = 1.0) -> None:
        super().__init__()
        self.source = source.eval()
        self.masked_names: list[str] = []
        masks = []
        for layer_name, layer in source.named_modules():
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                for name, parameter in layer.named_parameters(recurse=False):
                    self.masked_names.append(f"{layer_name}.{name}")
                    masks.append(nn.Parameter(torch.full_like(parameter, mask_init, requires_grad=True)))
        self.masks = nn.ParameterList(masks)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(num_source_classes, num_target_classes))
        self.total = sum(mask.numel() for mask in masks)

    def train(self, mode: bool = True) -> "MaskedModule":
        super().train(mode)
        self.source.eval()
        return self

    def forward(self, inputs: Tensor) -> Tensor:
        tensors = {name: parameter.detach() for name, parameter in self.source.named_parameters()}
        for name, mask in zip(self.masked_names, self.masks):
            tensors[name] = tensors[name] * binarize(mask)
        return self.head(functional_call(self.source, tensors, (inputs,)))

    def retained_ratio(self) -> Tensor:
        """Global fraction of kept weights and biases, differentiable through the masks."""
        return torch.stack([binarize(mask).sum() for mask in self.masks]).sum() / self.total

    @torch.no_grad()
    def binary_masks(self) -> dict[str, Tensor]:
        score = self.learned_mask()
        return {name: score.kept(name) for name in self.masked_names}

    def learned_mask(self) -> LearnedMask:
        """The masks as a weight score (`cpg.importance`): 1 where a weight is kept; reduced over a
        channel (`ChannelNorm(1, …)`), the number of the channel's weights kept."""
        return LearnedMask(dict(zip(self.masked_names, self.masks)), SEAM_THRESHOLD)

    @torch.no_grad()
    def masked_source(self) -> nn.Module:
        """A plain copy of the source whose removed weights and biases are zero."""
        model = copy.deepcopy(self.source)
        parameters = dict(model.named_parameters())
        for name, keep in self.binary_masks().items():
            parameters[name].mul_(keep)
        return model.eval()
