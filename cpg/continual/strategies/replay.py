"""Experience replay with a reservoir buffer: Chaudhry et al., "On Tiny Episodic Memories in
Continual Learning" (2019), on finetune's shared backbone with a head per task.

The buffer holds at most `replay.memory` training images of the tasks learned so far, chosen
by reservoir sampling (Vitter's algorithm R) over the stream of every task's training images:
after n images each has had the same chance, memory / n, to be kept, so each task holds about
its share of the stream. Images join when their task is committed, in an order fixed by the
run's seed. While a later task learns, every step draws `replay.batch_size` images from the
buffer (default: the training batch size); each goes through its own task's head, and the
step's loss becomes the mean over the step's images and the replayed ones (the paper's joint
batch; the replayed images pass the network in a forward of their own, one per task, as in
Avalanche's multi-head models). Replayed images are read from their task's training split, so
they are augmented as that task's training images are.
"""

import math
import random
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset, default_collate

from cpg.continual.plugin import Plugin
from cpg.continual.policies import Backbone
from cpg.continual.session import TaskSession
from cpg.continual.strategy import Strategy
from cpg.data.in_memory import InMemoryImages
from cpg.engine import LoopHook, TrainStep
from cpg.errors import UserError
from cpg.registry import STRATEGIES
from cpg.seeding import derive_seed


def read_images(split: Dataset, indices: Sequence[int], generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """The images and labels of `split` at `indices`, as a training batch reads them
    (augmentation drawn from `generator` for in-memory splits)."""
    if isinstance(split, InMemoryImages):
        return split.with_generator(generator).__getitems__(list(indices))
    return default_collate([split[index] for index in indices])


class Reservoir:
    """At most `size` (task, index) pairs of the stream seen so far, each kept with equal chance."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: list[tuple[int, int]] = []
        self.seen = 0

    def add(self, item: tuple[int, int], rng: random.Random) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(item)
        else:
            slot = rng.randrange(self.seen)
            if slot < self.size:
                self.items[slot] = item


class Replay(LoopHook):
    """Replays a batch from the buffer at every step, seeded by the run's position."""

    def __init__(self, session: TaskSession, stage: str, items: list[tuple[int, int]], batch_size: int) -> None:
        self.session = session
        self.stage = stage
        self.items = items
        self.batch_size = min(batch_size, len(items))
        self.generator = torch.Generator()

    def before_epoch(self, epoch: int) -> None:
        state = self.session.state
        self.generator.manual_seed(derive_seed(self.session.config.seed, "replay", state.task, self.stage,
                                               state.prune_index, epoch))

    def before_backward(self, step: TrainStep) -> None:
        session, network = self.session, self.session.network
        chosen = torch.randperm(len(self.items), generator=self.generator)[:self.batch_size].tolist()
        by_task: dict[int, list[int]] = {}
        for position in chosen:
            task, index = self.items[position]
            by_task.setdefault(task, []).append(index)
        replayed = []
        for task, indices in sorted(by_task.items()):
            images, labels = read_images(session.benchmark.tasks[task - 1].train, indices, self.generator)
            network.use_task(task)
            outputs = network(images.to(session.device))
            replayed.append(F.cross_entropy(outputs, labels.to(session.device), reduction="sum"))
        network.use_task(session.task)
        count = len(step.targets)
        step.loss = (step.loss * count + torch.stack(replayed).sum()) / (count + len(chosen))


class ExperienceReplay(Plugin):
    """Keeps the reservoir: which training images of which tasks, and how many it has seen."""

    def __init__(self) -> None:
        self.reservoir: Reservoir | None = None

    def task_started(self, session: TaskSession) -> None:
        if session.dist.enabled:
            raise UserError("replay keeps one buffer in one process; run it without --nproc")

    def loop_hooks(self, session: TaskSession, stage: str) -> Sequence[LoopHook]:
        if self.reservoir is None or not self.reservoir.items:
            return ()
        return [Replay(session, stage, self.reservoir.items, session.config.replay.batch_size or session.config.batch_size)]

    def task_committed(self, session: TaskSession) -> None:
        if self.reservoir is None:
            self.reservoir = Reservoir(session.config.replay.memory)
        task = session.task
        rng = random.Random(derive_seed(session.config.seed, "reservoir", task))
        images = list(range(len(session.benchmark.tasks[task - 1].train)))
        rng.shuffle(images)
        for index in images:
            self.reservoir.add((task, index), rng)

    def state_dict(self) -> dict[str, Any]:
        if self.reservoir is None:
            return {}
        return {"size": self.reservoir.size, "seen": self.reservoir.seen,
                "items": torch.tensor(self.reservoir.items, dtype=torch.long).reshape(-1, 2)}

    def load_state_dict(self, state: dict[str, Any], session: TaskSession) -> None:
        self.reservoir = Reservoir(state["size"])
        self.reservoir.seen = state["seen"]
        self.reservoir.items = [(int(task), int(index)) for task, index in state["items"].tolist()]

    def storage_bytes(self, session: TaskSession) -> dict[str, int]:
        """The buffer's images at the size their split stores them, with a label each (int64)."""
        if self.reservoir is None:
            return {}
        sizes = [_image_bytes(session.benchmark.tasks[task - 1].train, session) + 8 for task, _ in self.reservoir.items]
        return {"replay_buffer": sum(sizes)}


def _image_bytes(split: Dataset, session: TaskSession) -> int:
    if isinstance(split, InMemoryImages):
        return split.images[0].numel() * split.images.element_size()
    return math.prod(session.benchmark.input_shape)  # files decode to 8-bit pixels


REPLAY = STRATEGIES.add("replay", Strategy(network=Backbone(earlier_heads=True), plugins=(ExperienceReplay(),)))
