"""The task's input normalisation as a module, so that an exported program takes raw images."""

import torch
from torch import Tensor, nn

from cpg.data.preprocessing import Preprocessing


class Normalise(nn.Module):
    """(x × unit_scale − mean) / std per channel, computed as the data pipeline computes it
    (`cpg.data.in_memory.InMemoryImages`), so the exported model sees the engine's inputs."""

    def __init__(self, preprocessing: Preprocessing) -> None:
        super().__init__()
        if preprocessing.mean is None or preprocessing.std is None:
            raise ValueError("this task's preprocessing has no channel statistics to normalise with")
        mean, std = torch.tensor(preprocessing.mean), torch.tensor(preprocessing.std)
        self.register_buffer("scale", (preprocessing.unit_scale / std)[:, None, None])
        self.register_buffer("shift", (-mean / std)[:, None, None])

    def forward(self, images: Tensor) -> Tensor:
        return torch.addcmul(self.shift, images, self.scale)


def taking_raw_images(model: nn.Module, preprocessing: Preprocessing) -> nn.Module:
    """`model` behind the task's normalisation when the program is to normalise, else `model`."""
    if not preprocessing.normalised_in_program:
        return model
    return nn.Sequential(Normalise(preprocessing), model).eval()
