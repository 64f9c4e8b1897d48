"""Defects inherited through reuse: an L∞ PGD attack crafted on the source model's features,
and the share of a reused model's correct answers it turns wrong.

The attack knows only the source: it perturbs an image within ±eps per pixel (raw pixel units,
staying inside the data's pixel range) to push the source's features (the input of its output
layer) as far as possible from the clean image's, in squared Euclidean distance, from a random
start inside the ball, by `steps` signed-gradient steps of `step_size`. A model reused from the
source inherits the defect to the extent that the same perturbation fools it too.
"""

from collections.abc import Callable

import torch
from torch import Tensor, nn

from cpg.config.seam import AttackSettings
from cpg.nn.convert import find_head


class FeatureAttack:
    def __init__(self, source: nn.Module, mean: Tensor, std: Tensor, pixel_range: tuple[float, float],
                 settings: AttackSettings) -> None:
        self.source = source.eval()
        self.layer = source.get_submodule(find_head(source))
        self.mean = mean.view(1, -1, 1, 1)
        self.std = std.view(1, -1, 1, 1)
        self.low, self.high = pixel_range
        self.settings = settings

    def features(self, images: Tensor) -> Tensor:
        captured: list[Tensor] = []
        handle = self.layer.register_forward_pre_hook(lambda module, args: captured.append(args[0]))
        try:
            self.source(images)
        finally:
            handle.remove()
        return captured[0]

    def perturb(self, images: Tensor, generator: torch.Generator) -> Tensor:
        """Adversarial versions of normalised `images`, normalised the same way."""
        mean, std = self.mean.to(images.device), self.std.to(images.device)
        raw = images * std + mean
        eps, step = self.settings.eps, self.settings.step_size
        with torch.no_grad():
            clean = self.features(images)
        noise = torch.rand(raw.shape, generator=generator).to(raw.device) * 2 - 1
        delta = self._project(raw, noise * eps)
        for _ in range(self.settings.steps):
            delta.requires_grad_(True)
            distance = (self.features((raw + delta - mean) / std) - clean).pow(2).sum()
            (gradient,) = torch.autograd.grad(distance, delta)
            delta = self._project(raw, delta.detach() + step * gradient.sign())
        return ((raw + delta - mean) / std).detach()

    def _project(self, raw: Tensor, delta: Tensor) -> Tensor:
        delta = delta.clamp(-self.settings.eps, self.settings.eps)
        return (raw + delta).clamp(self.low, self.high) - raw


@torch.no_grad()
def defect_inheritance(predict: Callable[[Tensor], Tensor], clean: Tensor, adversarial: Tensor, labels: Tensor,
                       batch_size: int = 256) -> tuple[float, float]:
    """(clean accuracy, defect inheritance rate) of a model given by its label predictions:
    the rate is the share of the examples it gets right that it gets wrong once perturbed."""
    correct, turned = [], []
    for start in range(0, len(labels), batch_size):
        part = slice(start, start + batch_size)
        right = predict(clean[part]).cpu() == labels[part]
        correct.append(right)
        turned.append(right & (predict(adversarial[part]).cpu() != labels[part]))
    right_all, turned_all = torch.cat(correct), torch.cat(turned)
    right_count = int(right_all.sum())
    return right_count / len(right_all), int(turned_all.sum()) / max(right_count, 1)
