"""Loaders of one task's splits, seeded by the run's position."""

import torch
from torch.utils.data import DataLoader

from cpg.data import Task, make_loader
from cpg.data.balanced import class_balanced_sampler
from cpg.errors import UserError
from cpg.seeding import derive_seed


class TaskData:
    def __init__(self, task: Task, batch_size: int, eval_batch_size: int, seed: int, select_on: str = "val",
                 balanced: bool = False) -> None:
        self.task = task
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.seed = seed
        self.select_on = select_on
        self.balanced = balanced  # draw training batches class-balanced (long-tailed data)
        self.pin_memory = False

    def train_batches(self, *position: object) -> DataLoader:
        """The training split in an order (and augmentation) fixed by `position`."""
        seed = derive_seed(self.seed, *position)
        sampler = class_balanced_sampler(self.task.train, seed) if self.balanced else None
        return make_loader(
            self.task.train, self.batch_size, shuffle=sampler is None, seed=seed, sampler=sampler,
            pin_memory=self.pin_memory,
        )

    def eval_batches(self, split: str) -> DataLoader:
        """`split` is "val", "test", or "select" (the split model selection uses)."""
        if split == "select":
            split = self.select_on
        dataset = {"val": self.task.val, "test": self.task.test, "train": self.task.train}[split]
        return make_loader(dataset, self.eval_batch_size, shuffle=False, pin_memory=self.pin_memory)

    def steps_per_epoch(self) -> int:
        return max(1, -(-len(self.task.train) // self.batch_size))


def resolve_device(name: str) -> torch.device:
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"unknown device {name!r} (examples: cpu, cuda, cuda:1)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device {name!r} requested but CUDA is not available on this machine")
    return device
