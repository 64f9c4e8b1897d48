"""One training epoch and one evaluation pass (the loop around them: cpg/engine/loop.py).

An epoch keeps its running loss and accuracy on the device and reads them once at its end, so
a training step never waits for the device.
"""

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

LossFn = Callable[[Tensor, Tensor], Tensor]


class NonFiniteError(RuntimeError):
    """The loss or a weight became NaN or infinite."""


@dataclass
class TrainStep:
    """One training step as a hook sees it before the backward pass: the batch, the model's
    outputs, the loss (a hook may add a term to it: a regulariser, a distillation loss) and the
    optimizers about to step. `index` counts steps within the epoch."""

    index: int
    inputs: Tensor
    targets: Tensor
    outputs: Tensor
    loss: Tensor
    optimizers: Sequence[torch.optim.Optimizer]


class StepHook(Protocol):
    """Called inside the loop; `step` counts optimizer steps within the epoch."""

    def before_backward(self, step: TrainStep) -> None: ...

    def after_backward(self, step: int) -> None: ...

    def after_step(self, step: int) -> None: ...


@dataclass(frozen=True)
class EpochStats:
    loss: float
    accuracy: float
    samples: int


def train_epoch(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor]],
    optimizers: Sequence[torch.optim.Optimizer],
    device: torch.device,
    hooks: Sequence[StepHook] = (),
    loss_fn: LossFn = F.cross_entropy,
    on_batch: Callable[[], None] | None = None,
    amp: bool = False,
    reduce: Callable[[Tensor], Tensor] | None = None,
) -> EpochStats:
    """One pass over `batches` in training mode; raises `NonFiniteError` on a NaN/inf loss.

    `amp` trains under autocast (bfloat16 on the CPU, float16 with loss scaling on CUDA).
    `reduce` sums the epoch's totals over processes (data-parallel training).
    """
    model.train()
    totals = torch.zeros(3, dtype=torch.float64, device=device)  # loss sum, correct, samples
    scaler = torch.amp.GradScaler(device.type) if amp and device.type == "cuda" else None
    precision = torch.float16 if device.type == "cuda" else torch.bfloat16
    for step, (inputs, targets) in enumerate(batches):
        inputs = inputs.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=precision, enabled=amp):
            outputs = model(inputs)
            loss = loss_fn(outputs, targets)
            if hooks:
                seen = TrainStep(step, inputs, targets, outputs, loss, optimizers)
                for hook in hooks:
                    hook.before_backward(seen)
                loss = seen.loss
        (scaler.scale(loss) if scaler else loss).backward()
        for hook in hooks:
            hook.after_backward(step)
        for optimizer in optimizers:
            if scaler:
                scaler.step(optimizer)
            else:
                optimizer.step()
        if scaler:
            scaler.update()
        for hook in hooks:
            hook.after_step(step)
        count = targets.numel()
        totals[0] += loss.detach().float() * count
        totals[1] += (outputs.detach().argmax(dim=1) == targets).sum()
        totals[2] += count
        if on_batch is not None:
            on_batch()
    if reduce is not None:
        totals = reduce(totals)
    return _stats(totals[0], totals[1], int(totals[2].item()))


@torch.no_grad()
def evaluate(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor]],
    device: torch.device,
    loss_fn: LossFn = F.cross_entropy,
) -> EpochStats:
    """Loss and accuracy in evaluation mode."""
    model.eval()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), dtype=torch.long, device=device)
    samples = 0
    for inputs, targets in batches:
        inputs = inputs.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)
        outputs = model(inputs)
        loss_sum += loss_fn(outputs, targets) * targets.numel()
        correct += (outputs.argmax(dim=1) == targets).sum()
        samples += targets.numel()
    return _stats(loss_sum, correct, samples)


@torch.no_grad()
def correct_predictions(model: nn.Module, batches: Iterable[tuple[Tensor, Tensor]], device: torch.device) -> Tensor:
    """Which images of `batches` `model` classifies correctly (a boolean vector on the CPU, in
    the batches' order): what a paired comparison of two models on the same images needs."""
    model.eval()
    correct = [(model(inputs.to(device, non_blocking=True)).argmax(dim=1) == targets.to(device)).cpu()
               for inputs, targets in batches]
    return torch.cat(correct) if correct else torch.zeros(0, dtype=torch.bool)


def _stats(loss_sum: Tensor, correct: Tensor, samples: int) -> EpochStats:
    if samples == 0:
        return EpochStats(0.0, 0.0, 0)
    loss = loss_sum.item() / samples
    if not math.isfinite(loss):
        raise NonFiniteError(f"the loss became {loss}")
    return EpochStats(loss, correct.item() / samples, samples)


@torch.no_grad()
def check_finite(parameters: Iterable[Tensor]) -> None:
    """Raise `NonFiniteError` if any parameter holds NaN or inf (one device sync)."""
    flags = [torch.isfinite(p).all() for p in parameters]
    if flags and not bool(torch.stack(flags).all()):
        raise NonFiniteError("a weight became NaN or infinite")
