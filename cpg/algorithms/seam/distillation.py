"""Distillation from the source model, an option beyond SeaM (off by default).

SeaM's head learns the target problem from the target's few training images alone. This term
also asks the module to predict what the source predicts, collapsed onto the target problem:
the source's softmax at temperature T, each source class's probability added to the target
class `TargetProblem.collapse` maps it to (one class vs the rest: the class's probability
against the sum of the others), classes outside the problem dropped and the rest renormalised
(a class subset). The term is T² × KL(source ‖ module at temperature T), batch mean; the T²
keeps its gradient's scale independent of T (Hinton et al., 2015).
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle


def collapsed_soft_targets(source_logits: Tensor, collapse: Tensor, num_classes: int, temperature: float) -> Tensor:
    """[batch, source classes] logits → [batch, target classes] probabilities."""
    probabilities = F.softmax(source_logits.float() / temperature, dim=1)
    inside = (collapse >= 0).nonzero().flatten()
    summed = probabilities.new_zeros(len(probabilities), num_classes)
    summed.index_add_(1, collapse[inside], probabilities[:, inside])
    return summed / summed.sum(dim=1, keepdim=True).clamp_min(torch.finfo(summed.dtype).tiny)


def distillation_loss(module_logits: Tensor, soft_targets: Tensor, temperature: float) -> Tensor:
    """T² × KL(soft_targets ‖ softmax(module_logits / T)), averaged over the batch."""
    log_module = F.log_softmax(module_logits.float() / temperature, dim=1)
    return temperature**2 * F.kl_div(log_module, soft_targets, reduction="batchmean")


class SourceTeacher:
    """The distillation term of the batch the module last saw in training mode.

    Once attached, it records each training batch's inputs as the module receives them (a
    forward pre-hook), so that the term needs no change to the training loop: the loss function
    calls `loss(outputs)` with the module's outputs for that batch.
    """

    def __init__(self, source: nn.Module, collapse: Tensor, num_classes: int, temperature: float) -> None:
        self.source = source
        self.collapse = collapse
        self.num_classes = num_classes
        self.temperature = temperature
        self._inputs: Tensor | None = None
        self._handle: RemovableHandle | None = None

    def attach(self, module: nn.Module) -> None:
        def record(layer: nn.Module, args: tuple[Tensor, ...]) -> None:
            if layer.training:
                self._inputs = args[0]

        self._handle = module.register_forward_pre_hook(record)

    def detach(self) -> None:
        if self._handle is not None:
            self._handle.remove()
        self._handle, self._inputs = None, None

    def loss(self, module_logits: Tensor) -> Tensor:
        if self._inputs is None:
            raise RuntimeError("the teacher has seen no training batch; attach it to the module first")
        with torch.no_grad():
            logits = self.source(self._inputs)
        targets = collapsed_soft_targets(logits, self.collapse.to(logits.device), self.num_classes, self.temperature)
        return distillation_loss(module_logits, targets, self.temperature)
