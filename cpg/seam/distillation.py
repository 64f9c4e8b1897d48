"""Distillation from the source model, an option beyond SeaM (off by default).

SeaM's head learns the target problem from the target's few training images alone. This term
also asks the module to predict what the source predicts, collapsed onto the target problem:
the source's probabilities summed per target class (`TargetProblem.collapse`; one class vs the
rest: the class's probability against the sum of the others; a class subset: the other
classes dropped and the subset's probabilities renormalised), then softened at temperature T.
The term is T² × KL(source ‖ module at temperature T), batch mean; the T² keeps its gradient's
scale independent of T (Hinton et al., 2015).

T softens the collapsed prediction, not the source's softmax before collapsing: the collapsed
log-probabilities (a log-sum-exp of the logits per target class) are divided by T. Summing a
softmax taken at T > 1 instead would move the decision, since one class faces the summed mass
of all the others: at high T every image would look like "rest".

Optionally the term also covers the training images that balancing left out of a one-vs-rest
problem (`TargetProblem.left_out`): the source labels them, the cross-entropy never sees them.
"""

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from cpg.data import make_loader
from cpg.data.in_memory import InMemoryImages
from cpg.seeding import derive_seed


def collapsed_log_probabilities(source_logits: Tensor, collapse: Tensor, num_classes: int) -> Tensor:
    """[batch, source classes] logits → [batch, target classes] log-probabilities: per target
    class, the log of the summed probability of the source classes mapped to it, renormalised
    over the classes the problem covers."""
    logits = source_logits.float()
    summed = torch.stack([logits[:, collapse == target].logsumexp(dim=1) for target in range(num_classes)], dim=1)
    return summed.log_softmax(dim=1)


def collapsed_soft_targets(source_logits: Tensor, collapse: Tensor, num_classes: int, temperature: float) -> Tensor:
    """The collapsed prediction softened at `temperature`: softmax(log-probabilities / T)."""
    return F.softmax(collapsed_log_probabilities(source_logits, collapse, num_classes) / temperature, dim=1)


def distillation_loss(module_logits: Tensor, soft_targets: Tensor, temperature: float) -> Tensor:
    """T² × KL(soft_targets ‖ softmax(module_logits / T)), averaged over the batch."""
    log_module = F.log_softmax(module_logits.float() / temperature, dim=1)
    return temperature**2 * F.kl_div(log_module, soft_targets, reduction="batchmean")


class EndlessBatches:
    """Shuffled batches of images (labels dropped) without end, a new order on every pass; the
    passes of an epoch are seeded by it (`restart`), so a resumed epoch draws the same ones."""

    def __init__(self, images: InMemoryImages, batch_size: int, seed: int) -> None:
        self.images = images
        self.batch_size = batch_size
        self.seed = seed
        self._epoch = 0
        self._passes = 0
        self._batches: Iterator[tuple[Tensor, Tensor]] = iter(())

    def restart(self, epoch: int) -> None:
        self._epoch, self._passes, self._batches = epoch, 0, iter(())

    def next(self) -> Tensor:
        batch = next(self._batches, None)
        if batch is None:
            seed = derive_seed(self.seed, self._epoch, self._passes)
            self._batches = iter(make_loader(self.images, self.batch_size, shuffle=True, seed=seed))
            self._passes += 1
            batch = next(self._batches)
        return batch[0]


class SourceTeacher:
    """The distillation term of the batch the module last saw in training mode.

    Once attached, it records each training batch's inputs as the module receives them (a
    forward pre-hook), so that the term needs no change to the training loop: the loss function
    calls `loss(outputs)` with the module's outputs for that batch. With `extra` batches (the
    left-out images), each call also runs the module on the next one, and the term is the mean
    over both batches' images.
    """

    def __init__(self, source: nn.Module, collapse: Tensor, num_classes: int, temperature: float,
                 extra: EndlessBatches | None = None) -> None:
        self.source = source
        self.collapse = collapse
        self.num_classes = num_classes
        self.temperature = temperature
        self.extra = extra
        self._module: nn.Module | None = None
        self._inputs: Tensor | None = None
        self._handle: RemovableHandle | None = None
        self._recording = True

    def attach(self, module: nn.Module) -> None:
        def record(layer: nn.Module, args: tuple[Tensor, ...]) -> None:
            if layer.training and self._recording:
                self._inputs = args[0]

        self._module = module
        self._handle = module.register_forward_pre_hook(record)

    def detach(self) -> None:
        if self._handle is not None:
            self._handle.remove()
        self._module, self._inputs, self._handle = None, None, None

    def loss(self, module_logits: Tensor) -> Tensor:
        if self._module is None or self._inputs is None:
            raise RuntimeError("the teacher has seen no training batch; attach it to the module first")
        inputs = self._inputs
        term = self._term(module_logits, inputs)
        if self.extra is None:
            return term
        extra = self.extra.next().to(inputs.device)
        self._recording = False
        try:
            extra_term = self._term(self._module(extra), extra)
        finally:
            self._recording = True
        return (term * len(inputs) + extra_term * len(extra)) / (len(inputs) + len(extra))

    def _term(self, module_logits: Tensor, inputs: Tensor) -> Tensor:
        with torch.no_grad():
            logits = self.source(inputs)
        targets = collapsed_soft_targets(logits, self.collapse.to(logits.device), self.num_classes, self.temperature)
        return distillation_loss(module_logits, targets, self.temperature)
