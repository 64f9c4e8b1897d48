"""Classification losses for long-tailed data, interchangeable with `F.cross_entropy`."""

import torch.nn.functional as F
from torch import Tensor

from cpg.engine import LossFn


def focal_loss(gamma: float) -> LossFn:
    """Focal loss (Lin et al., ICCV 2017), −(1 − p_y)^γ · log p_y averaged over the batch: it
    down-weights examples the model already classifies confidently. γ = 0 is cross-entropy."""
    if gamma < 0:
        raise ValueError(f"the focal loss needs gamma >= 0, got {gamma}")
    if gamma == 0:
        return F.cross_entropy

    def loss(logits: Tensor, targets: Tensor) -> Tensor:
        log_p = F.log_softmax(logits, dim=1).gather(1, targets[:, None]).squeeze(1)
        return -((1 - log_p.exp()).pow(gamma) * log_p).mean()

    return loss
