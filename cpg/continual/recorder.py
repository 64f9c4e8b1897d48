"""The run folder as a running strategy sees it: versions of the state with the network and
optimizer states, snapshots, events and results.json (the format itself: cpg/checkpoint.py)."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import torch
from torch import nn

from cpg.checkpoint import RunFolder, write_json
from cpg.config import RunConfig
from cpg.continual.state import RunState
from cpg.distributed import Distributed
from cpg.engine import state_copy
from cpg.engine.cadence import Cadence
from cpg.errors import RunFailed
from cpg.nn import TaskNetwork, layer_capacity
from cpg.report import Reporter
from cpg.report.results import build_results

COMMIT_SCALARS = ("test_accuracy", "val_accuracy", "sparsity", "width", "owned_share", "picked_share", "free_capacity")
"""Numbers of a committed task's record logged as `taskNN/commit/<name>`."""


@dataclass(eq=False)
class RunRecorder:
    """Writes `state` and what goes with it into `folder`. Under multi-process training only
    rank 0 writes; every write is followed by a barrier so other ranks may read what it wrote.
    `resumed` is what the version the run resumed from holds (network, optimizer states, the
    plugins' states); `plugin_states()` gives what every save holds of the plugins."""

    config: RunConfig
    benchmark_name: str
    folder: RunFolder
    state: RunState
    reporter: Reporter
    dist: Distributed
    _resumed: dict[str, Any] | None = None
    plugin_states: Callable[[], dict[str, Any]] = dict
    _mark: float = field(default_factory=time.perf_counter, init=False, repr=False)
    _snapshots: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)
    """In memory: the snapshots the state refers to."""
    _written: set[str] = field(default_factory=set, init=False, repr=False)
    """Those of them already on disk."""

    def __post_init__(self) -> None:
        self.cadence = Cadence(self.config.save_every_seconds)

    def take_resumed(self) -> dict[str, Any] | None:
        """What the version the run resumed from holds, once; None after that, or once a stage
        has begun anew (`forget_resumed`)."""
        resumed, self._resumed = self._resumed, None
        return resumed

    def forget_resumed(self) -> None:
        self._resumed = None

    def save(self, network: nn.Module | None, optimizers: Sequence[torch.optim.Optimizer] = (),
             force: bool = True) -> None:
        """Persist the position, records, network, optimizer states and the plugins' states as
        one atomic version: now when `force`, else when the save cadence (`save_every_seconds`)
        says so."""
        if not force and not self.dist.any(self.cadence.due()):
            return
        tensors: dict[str, Any] = {"network": network.state_dict() if network is not None else {}}
        if optimizers:
            tensors["optimizers"] = {"list": [optimizer.state_dict() for optimizer in optimizers]}
        plugins = self.plugin_states()
        if plugins:
            tensors["plugins"] = plugins
        self.write(tensors)

    def write(self, tensors: dict[str, Any]) -> None:
        """Persist the position and records with `tensors` (one atomic version), and the
        snapshots the state refers to that are still in memory."""
        self._tick()
        referenced = set(self.state.snapshots.values())
        self._snapshots = {name: tensors for name, tensors in self._snapshots.items() if name in referenced}
        if self.dist.is_main:
            for filename in self._snapshots.keys() - self._written:
                self.folder.save_snapshot(filename, {"network": self._snapshots[filename]})
            self.folder.save(self.state.to_dict(), tensors)
        self._written = set(self._snapshots)
        self.dist.barrier()
        self.cadence.mark()

    def save_snapshot(self, role: str, network: TaskNetwork) -> None:
        """Keep the network as it is now under `role`: a copy in memory, written with the next
        save that refers to it (a file named the same on every rank)."""
        self.state.snapshot_count += 1
        filename = f"snapshot-{role}-{self.state.snapshot_count}.pt"
        self._snapshots[filename] = state_copy(network, "cpu")
        self.state.snapshots[role] = filename

    def load_snapshot(self, role: str) -> dict[str, Any]:
        filename = self.state.snapshots[role]
        if filename in self._snapshots:
            return self._snapshots[filename]
        return self.folder.load_snapshot(filename)["network"]

    def roll_back(self, failure: str) -> NoReturn:
        """Keep the last good epoch (the latest saved version), record what happened in a new
        version of the state, and stop: nothing is lowered or retried silently."""
        message = f"task {self.state.task} {failure}; rolled back to the end of epoch {self.state.epoch}"
        if self.dist.is_main:
            self.folder.amend_latest(lambda saved: saved.setdefault("events", []).append(message),
                                     self.reporter.warning)
        self.dist.barrier()
        self.reporter.event(message)
        raise RunFailed(f"{message}. Lower the learning rate (or fix the data) and resume the run with those "
                        "settings changed", run_folder=self.folder.root)

    def results(self, summary: dict[str, Any]) -> dict[str, Any]:
        """results.json's content; `summary` is the strategy's width, capacity and size."""
        versions = self.folder.versions()
        size = self.folder.model_path(versions[-1]).stat().st_size if versions else None
        return build_results(self.config, self.benchmark_name, summary, self.state.results, self.state.matrix,
                             self.state.wall_seconds, size, self.state.goal_seconds)

    def task_committed(self, network: TaskNetwork | None, summary: dict[str, Any]) -> None:
        """Write results.json after every committed task, so a partial run is readable, and
        log the task's TensorBoard views (its numbers, the accuracy matrix, layer ownership)."""
        self._tick()
        if self.dist.is_main:
            write_json(self.folder.results_path, self.results(summary))
            record = self.state.results[-1]
            numbers = {**record, "free_capacity": summary.get("free_capacity")}
            values = {key: float(numbers[key]) for key in COMMIT_SCALARS if isinstance(numbers.get(key), (int, float))}
            layers = layer_capacity(network) if network is not None else []
            self.reporter.committed(record["task"], values, self.state.matrix, layers)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.state.wall_seconds += now - self._mark
        self._mark = now
