"""Batches of one task's splits: training batches in an order (and augmentation) fixed by a
position, evaluation batches in the splits' order."""

from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler

from cpg.data.balanced import class_balanced_sampler
from cpg.data.in_memory import InMemoryImages
from cpg.data.loader import make_loader
from cpg.data.task import Task
from cpg.distributed import Distributed
from cpg.errors import UserError
from cpg.seeding import derive_seed


class TaskData:
    """The splits of `task` as loaders, with the batch sizes and seed of the command reading them."""

    def __init__(self, task: Task, batch_size: int, eval_batch_size: int, seed: int, select_on: str = "val",
                 balanced: bool = False) -> None:
        self.task = task
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.seed = seed
        self.select_on = select_on
        self.balanced = balanced  # draw training batches class-balanced (long-tailed data)
        self.pin_memory = False
        self.num_workers = 0  # loader processes for file-based datasets (in-memory ones need none)

    def train_batches(self, *position: object, shard: Distributed | None = None) -> DataLoader:
        """The training split in an order (and augmentation) fixed by `position`. With `shard`
        (data-parallel training) each rank reads its own part with batch_size / world_size."""
        seed = derive_seed(self.seed, *position)
        batch_size = self.batch_size
        if shard is not None and shard.enabled:
            if self.balanced:
                raise UserError("class-balanced sampling is not available in multi-process training")
            sampler: Sampler | None = DistributedSampler(self.task.train, shard.world_size, shard.rank,
                                                         shuffle=True, seed=seed % 2**31)
            batch_size = max(1, self.batch_size // shard.world_size)
        else:
            sampler = class_balanced_sampler(self.task.train, seed) if self.balanced else None
        return make_loader(
            self.task.train, batch_size, shuffle=sampler is None, seed=seed, sampler=sampler,
            pin_memory=self.pin_memory, num_workers=self._workers(self.task.train),
        )

    def eval_batches(self, split: str) -> DataLoader:
        """`split` is "val", "test", "train", or "select" (the split model selection uses)."""
        dataset = self._split(split)
        return make_loader(dataset, self.eval_batch_size, shuffle=False, pin_memory=self.pin_memory,
                           num_workers=self._workers(dataset))

    def images(self, split: str) -> int:
        return len(self._split(split))  # type: ignore[arg-type]

    def _split(self, split: str) -> Dataset:
        if split == "select":
            split = self.select_on
        return {"val": self.task.val, "test": self.task.test, "train": self.task.train}[split]

    def _workers(self, dataset: Dataset) -> int:
        return 0 if isinstance(dataset, InMemoryImages) else self.num_workers

    def steps_per_epoch(self) -> int:
        return max(1, -(-len(self.task.train) // self.batch_size))
