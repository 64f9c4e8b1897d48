"""Diagnosis: which channels of a layer each class relies on (Model Doctor, AAAI 2022).

For each class, the most confidently and correctly classified training images are passed
through the model in evaluation mode; a per-channel relevance is summed over their spatial
positions and over the images, min–max normalised per class, and thresholded into the class's
channel mask.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import Dataset, Subset

from cpg.config.doctor import DoctorConfig
from cpg.data import make_loader
from cpg.data.in_memory import InMemoryImages
from cpg.doctor.probe import frozen, resolve_layer
from cpg.errors import UserError
from cpg.importance import class_relevance, min_max


@dataclass
class Diagnosis:
    """Per-class channel relevance of one layer; `masks` thresholds it."""

    layer: str
    signal: str
    threshold: float
    relevance: Tensor  # [classes, channels], each row min–max normalised to [0, 1]
    images: Tensor  # [classes], images the row was computed from

    @property
    def masks(self) -> Tensor:
        """Bool [classes, channels]: the channels of each class. A class without a single
        correctly classified training image gets every channel (nothing is known against any)."""
        masks = self.relevance >= self.threshold
        masks[self.images == 0] = True
        return masks


def diagnose(model: nn.Module, train: Dataset, num_classes: int, settings: DoctorConfig, device: torch.device,
             batch_size: int = 256, root: nn.Module | None = None) -> Diagnosis:
    """Diagnose `model` on its training split; `root` is the module whose layer names
    `settings.layer` refers to (default `model`)."""
    layer_name, layer = resolve_layer(root or model, settings.layer)
    dataset = _unaugmented(train)
    was_training = model.training
    model.eval()
    try:
        with frozen(model.parameters()):
            chosen = confident_examples(model, dataset, num_classes, settings.images_per_class, device, batch_size)
            indices = torch.cat(chosen)
            if not len(indices):
                raise UserError("the model classifies not a single training image correctly; train it before diagnosing it")
            batches = make_loader(_subset(dataset, indices), batch_size, shuffle=False)
            (total,) = class_relevance(model, [layer], batches, settings.signal, detach=True)
    finally:
        model.train(was_training)
    images = torch.tensor([len(members) for members in chosen])
    return Diagnosis(layer_name, settings.signal, settings.threshold, min_max(total), images)


@torch.no_grad()
def confident_examples(model: nn.Module, dataset: Dataset, num_classes: int, per_class: int,
                       device: torch.device, batch_size: int) -> list[Tensor]:
    """For each class, the indices of up to `per_class` correctly classified examples with the
    highest probability of their class, most confident first (ties: lower index first)."""
    confidence, labels, correct = [], [], []
    for inputs, targets in make_loader(dataset, batch_size, shuffle=False):
        logits = model(inputs.to(device)).float().cpu()
        confidence.append(F.softmax(logits, dim=1).gather(1, targets[:, None]).squeeze(1))
        correct.append(logits.argmax(dim=1) == targets)
        labels.append(targets)
    confidence, labels, correct = torch.cat(confidence), torch.cat(labels), torch.cat(correct)
    order = torch.sort(-confidence, stable=True).indices
    chosen = []
    for label in range(num_classes):
        ranked = order[(labels[order] == label) & correct[order]]
        chosen.append(ranked[:per_class])
    return chosen


def _unaugmented(dataset: Dataset) -> Dataset:
    """The same examples without training augmentation (in-memory splits)."""
    if isinstance(dataset, InMemoryImages) and dataset.augment is not None:
        return InMemoryImages(dataset.images, dataset.labels, dataset.mean, dataset.std)
    return dataset


def _subset(dataset: Dataset, indices: Tensor) -> Dataset:
    """The examples at `indices`, still read a batch at a time when held in memory."""
    if isinstance(dataset, InMemoryImages):
        return InMemoryImages(dataset.images[indices], dataset.labels[indices], dataset.mean, dataset.std)
    return Subset(dataset, indices.tolist())
