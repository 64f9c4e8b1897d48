"""What a benchmark is made of: a sequence of tasks, each with its own classes and splits."""

from __future__ import annotations

from dataclasses import dataclass

from torch.utils.data import Dataset


@dataclass(frozen=True)
class Task:
    """One task of a continual-learning sequence.

    Labels run from 0 to ``num_classes - 1``; label ``i`` is the class ``classes[i]``.
    ``train`` is the task's training data minus the held-out ``val`` part and is augmented when
    the benchmark augments; ``val`` and ``test`` are never augmented.
    """

    name: str
    classes: tuple[str, ...]
    train: Dataset
    val: Dataset
    test: Dataset

    @property
    def num_classes(self) -> int:
        return len(self.classes)


TASK_NORMALISATION = "each task normalised by its own training mean/std"
IN_MEMORY_TRANSFORMS = f"no augmentation; {TASK_NORMALISATION}"
"""What `cpg.data.assemble.in_memory_task` does to images without an augmentation."""


@dataclass(frozen=True)
class Benchmark:
    """A named sequence of tasks whose images all have the shape ``input_shape`` (C, H, W).

    ``transforms`` says in words how images become the network's input (resizing, channels,
    augmentation, normalisation); ``kept`` says which of the source's training images the tasks
    hold when a number of them per class was asked for (the ``train_per_class`` option), else is
    None. A run prints both when it starts.
    """

    name: str
    tasks: tuple[Task, ...]
    input_shape: tuple[int, int, int]
    transforms: str = IN_MEMORY_TRANSFORMS
    kept: str | None = None

    def describe(self) -> str:
        """One line: the benchmark's tasks, input shape and transforms; and a second line
        saying which training images were kept, when ``kept`` says so."""
        shape = "×".join(map(str, self.input_shape))
        count = f"{len(self.tasks)} task{'s' if len(self.tasks) != 1 else ''}"
        line = f"{self.name}: {count}, input {shape}; {self.transforms}"
        return line if self.kept is None else f"{line}\n{self.name}: {self.kept}"
