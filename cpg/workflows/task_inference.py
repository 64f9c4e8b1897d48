"""The task of each test image inferred without its id (`cpg eval --infer-task`).

The rule is SupSup's exhaustive one (Wortsman et al. 2020): the image goes through every
committed task (its masks, BatchNorm and head) and the task whose output has the lowest entropy
is taken, the entropy divided by log(classes) so that heads of different sizes compare (the
same choice when every task has as many classes). The image enters each task as that task's
input pipeline would have made it: normalised by the candidate task's statistics, not its own.
An image counts as right without its id when both the inferred task and the class that task
predicts are right (the class-incremental view).
"""

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from cpg.data.preprocessing import Preprocessing
from cpg.errors import UserError
from cpg.nn import TaskNetwork

RULE = "lowest entropy of the task's output ÷ log(its classes), over every committed task"


@dataclass(frozen=True)
class InferredTask:
    """How the images of one task fared without their task id."""

    task: int
    images: int
    task_inference_accuracy: float  # the inferred task is the image's
    accuracy_without_task_id: float  # the inferred task, and the class it predicts, are right
    accuracy_with_task_id: float  # the image's own task predicts its class
    inferred_as: dict[int, int]  # how many images each committed task was inferred for


def normalised_entropy(logits: Tensor) -> Tensor:
    """Entropy of softmax(logits) per row ÷ log(classes), in [0, 1]."""
    log_probabilities = torch.log_softmax(logits.float(), dim=1)
    entropy = -(log_probabilities.exp() * log_probabilities).sum(dim=1)
    return entropy / math.log(logits.shape[1])


def renormalised(inputs: Tensor, source: Preprocessing, target: Preprocessing) -> Tensor:
    """Inputs normalised for the task of `source` as the task of `target` would have normalised them."""
    if (source.mean, source.std) == (target.mean, target.std):
        return inputs
    if None in (source.mean, source.std, target.mean, target.std):
        raise UserError("cannot infer the task: some tasks' images are normalised by statistics cpg cannot read "
                        "(a transform without Normalize), so an image cannot be given to another task as it expects")

    def channels(values: tuple[float, ...] | None) -> Tensor:
        return torch.tensor(values, dtype=inputs.dtype).view(1, -1, 1, 1)

    raw = inputs * channels(source.std) + channels(source.mean)
    return (raw - channels(target.mean)) / channels(target.std)


@torch.no_grad()
def infer_tasks(network: TaskNetwork, tasks: Sequence[int], batches: Callable[[int], Iterable[tuple[Tensor, Tensor]]],
                preprocessing: Mapping[int, Preprocessing]) -> list[InferredTask]:
    """For the images of each of `tasks` (`batches(task)`, made as `preprocessing[task]` says),
    the task inferred among every committed task, and the accuracies with and without the id."""
    candidates = network.committed_tasks
    entropies: dict[int, list[Tensor]] = {task: [] for task in tasks}
    predictions: dict[int, list[Tensor]] = {task: [] for task in tasks}
    labels: dict[int, Tensor] = {}
    network.eval()
    for candidate in candidates:
        network.use_task(candidate)
        for task in dict.fromkeys(tasks):
            outputs, targets = [], []
            for inputs, batch_labels in batches(task):
                inputs = renormalised(inputs, preprocessing[task], preprocessing[candidate])
                outputs.append(network(inputs.to(network.device)).cpu())
                targets.append(batch_labels)
            logits = torch.cat(outputs)
            entropies[task].append(normalised_entropy(logits))
            predictions[task].append(logits.argmax(dim=1))
            labels[task] = torch.cat(targets)
    return [_judged(task, candidates, torch.stack(entropies[task]), torch.stack(predictions[task]), labels[task])
            for task in tasks]


def _judged(task: int, candidates: list[int], entropies: Tensor, predictions: Tensor, labels: Tensor) -> InferredTask:
    """`entropies` and `predictions`: one row per candidate task, one column per image."""
    inferred = entropies.argmin(dim=0)
    own = candidates.index(task)
    task_right = inferred == own
    class_right = predictions[own] == labels
    images = len(labels)
    counts = torch.bincount(inferred, minlength=len(candidates)).tolist()
    return InferredTask(task, images, _share(task_right), _share(task_right & class_right), _share(class_right),
                        {candidate: count for candidate, count in zip(candidates, counts) if count})


def _share(correct: Tensor) -> float:
    return float(correct.float().mean()) if len(correct) else 0.0


def pooled(rows: Sequence[InferredTask]) -> dict[str, float | int]:
    """The three accuracies over every image of `rows` (each task weighted by its images)."""
    images = sum(row.images for row in rows)

    def mean(key: str) -> float:
        return sum(getattr(row, key) * row.images for row in rows) / images if images else 0.0

    return {"images": images, **{key: mean(key) for key in
                                 ("task_inference_accuracy", "accuracy_without_task_id", "accuracy_with_task_id")}}
