"""What the stages of a run work with: the network, the run's state, each task's data and the
recorder that saves them (cpg/continual/recorder.py)."""

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from cpg.config import RunConfig
from cpg.continual.decisions import Estimate
from cpg.continual.recorder import RunRecorder
from cpg.continual.state import RunState, TaskProgress
from cpg.data import Benchmark
from cpg.data.batches import TaskData
from cpg.distributed import Distributed
from cpg.engine import correct_predictions, evaluate
from cpg.goals import Goal
from cpg.nn import TaskNetwork
from cpg.report import Reporter
from cpg.seeding import derive_seed

NETWORK_SEED = "network"
"""What the run's seed is derived with before a network is built (`derive_seed`)."""


@dataclass(eq=False)
class TaskSession:
    """A run's network (its one owner: a stage that rebuilds it hands the new one over with
    `replace_network`), its state and records (`recorder`), and the task being learned.
    `shared_network` is None when the tasks share none (each trains a plain model of its own)."""

    config: RunConfig
    benchmark: Benchmark
    shared_network: TaskNetwork | None
    recorder: RunRecorder
    reporter: Reporter
    device: torch.device
    dist: Distributed
    _data: dict[int, TaskData] = field(default_factory=dict, init=False, repr=False)
    _clock: float = field(default_factory=time.perf_counter, init=False, repr=False)

    @property
    def network(self) -> TaskNetwork:
        """The network the tasks share."""
        if self.shared_network is None:
            raise RuntimeError("the tasks of this run share no network")
        return self.shared_network

    # where the run is ----------------------------------------------------------------------

    @property
    def state(self) -> RunState:
        return self.recorder.state

    @property
    def task(self) -> int:
        """The task being learned (from 1)."""
        return self.state.task

    @property
    def progress(self) -> TaskProgress:
        return self.state.progress

    @property
    def goal(self) -> Goal | None:
        return Goal.from_dict(self.state.goals[self.task - 1])

    def goal_text(self) -> str:
        return "no goal" if self.goal is None else f"goal {self.goal.accuracy:.4f}"

    @property
    def is_last_task(self) -> bool:
        return self.task == len(self.benchmark.tasks)

    @property
    def at_max_width(self) -> bool:
        return self.network.width >= self.config.max_width - 1e-9

    def title(self, label: str) -> str:
        """How progress bars name a stage of the current task."""
        name = self.benchmark.tasks[self.task - 1].name
        return f"task {self.task}/{len(self.benchmark.tasks)} {name} · {label}"

    def start_clock(self) -> None:
        self._clock = time.perf_counter()

    def count_time(self, stage: str) -> None:
        """Add the time since the clock was last read to `stage`'s total for this task."""
        now = time.perf_counter()
        seconds = self.progress.seconds
        seconds[stage] = seconds.get(stage, 0.0) + now - self._clock
        self._clock = now

    # data and evaluation ---------------------------------------------------------------------

    def data(self, task: int) -> TaskData:
        if task not in self._data:
            config = self.config
            data = TaskData(self.benchmark.tasks[task - 1], config.batch_size, config.eval_batch_size, config.seed,
                            config.select_on)
            data.pin_memory = self.device.type == "cuda"
            data.num_workers = config.num_workers if config.num_workers is not None else (
                4 if self.device.type == "cuda" else 0)
            self._data[task] = data
        return self._data[task]

    def images(self, split: str) -> int:
        """How many images the current task's `split` ("train", "val", "test", "select") holds."""
        return self.data(self.task).images(split)

    def evaluate(self, task: int, split: str) -> float:
        self.network.use_task(task)
        return evaluate(self.network, self.data(task).eval_batches(split), self.device).accuracy

    def selection(self) -> Estimate:
        """The current task's accuracy on the selection split, with which images it got right."""
        self.network.use_task(self.task)
        correct = correct_predictions(self.network, self.data(self.task).eval_batches("select"), self.device)
        return Estimate(int(correct.sum()) / max(1, len(correct)), len(correct), correct)

    # the network -------------------------------------------------------------------------------

    def add_task(self) -> None:
        """Add the current task to the network at its current width (seeded by both)."""
        torch.manual_seed(derive_seed(self.config.seed, "task", self.task, self.network.width))
        number = self.network.add_task(self.benchmark.tasks[self.task - 1].num_classes)
        assert number == self.task, (number, self.task)

    def replace_network(self, network: TaskNetwork) -> None:
        self.shared_network = network

    def rebuild_network(self, state_dict: dict[str, Any]) -> TaskNetwork:
        """A network built from scratch and loaded with a saved state (any width). It is built
        from the run's seed, as the run's first network was: what a state does not hold (the
        initial biases a first task starts from) comes out the same, resumed or not."""
        if self.network.factory is None:
            raise RuntimeError("the network has no factory to rebuild it from")
        torch.manual_seed(derive_seed(self.config.seed, NETWORK_SEED))
        network = TaskNetwork.build(self.network.factory)
        network.load_state_dict(state_dict)
        network.to(self.device)
        network.set_cache_capacity(self.config.eval_cache_tasks)
        return network

    def snapshot(self, role: str) -> None:
        self.recorder.save_snapshot(role, self.network)

    def load_snapshot(self, role: str) -> dict[str, Any]:
        return self.recorder.load_snapshot(role)

    def restore(self, role: str) -> None:
        """Load a snapshot of the current task into the network (same tasks, same width)."""
        self.network.load_state_dict(self.load_snapshot(role))
        self.network.refresh_learning()

    def save(self, optimizers: Sequence[torch.optim.Optimizer] = (), force: bool = True) -> None:
        """The network, state and `optimizers`' states as one version (see `RunRecorder.save`)."""
        self.recorder.save(self.shared_network, optimizers, force)
