"""What a strategy works with: config, data, run folder, reporter, network and state."""

import time
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from cpg.checkpoint import RunFolder, write_json
from cpg.config import RunConfig
from cpg.continual.state import RunState
from cpg.data import Benchmark
from cpg.data.batches import TaskData
from cpg.distributed import Distributed
from cpg.engine import state_copy
from cpg.engine.cadence import Cadence
from cpg.nn import TaskNetwork, layer_capacity
from cpg.report import Reporter
from cpg.report.results import build_results
from cpg.seeding import derive_seed

NETWORK_SEED = "network"
"""What the run's seed is derived with before a network is built (`derive_seed`)."""

COMMIT_SCALARS = ("test_accuracy", "val_accuracy", "sparsity", "width", "owned_share", "picked_share", "free_capacity")
"""Numbers of a committed task's record logged as `taskNN/commit/<name>`."""


class RunContext:
    """Shared by the strategies. Under multi-process training only rank 0 writes to the run
    folder; every write is followed by a barrier so other ranks may read what it wrote."""

    def __init__(self, config: RunConfig, benchmark: Benchmark, folder: RunFolder, reporter: Reporter,
                 device: torch.device, network: TaskNetwork | None, state: RunState,
                 saved: dict[str, Any] | None = None, dist: Distributed | None = None) -> None:
        self.config = config
        self.benchmark = benchmark
        self.folder = folder
        self.reporter = reporter
        self.device = device
        self.network = network
        self.state = state
        self.saved = saved  # what the version the run resumed from holds (network, optimizer states)
        self.dist = dist or Distributed()
        self.cadence = Cadence(config.save_every_seconds)
        self._mark = time.perf_counter()
        self._snapshots: dict[str, dict[str, Any]] = {}  # in memory: the snapshots the state refers to
        self._written: set[str] = set()  # those of them already on disk

    def _tick(self) -> None:
        now = time.perf_counter()
        self.state.wall_seconds += now - self._mark
        self._mark = now

    def save(self, network: nn.Module | None, optimizers: Sequence[torch.optim.Optimizer] = (),
             force: bool = True) -> None:
        """Persist the position, records, network and optimizer states as one atomic version:
        now when `force`, else when the save cadence (`save_every_seconds`) says so."""
        if not force and not self.dist.any(self.cadence.due()):
            return
        tensors: dict[str, Any] = {"network": network.state_dict() if network is not None else {}}
        if optimizers:
            tensors["optimizers"] = {"list": [optimizer.state_dict() for optimizer in optimizers]}
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

    def task_data(self, task: int) -> TaskData:
        data = TaskData(self.benchmark.tasks[task - 1], self.config.batch_size, self.config.eval_batch_size,
                        self.config.seed, self.config.select_on)
        data.pin_memory = self.device.type == "cuda"
        data.num_workers = self.config.num_workers if self.config.num_workers is not None else (
            4 if self.device.type == "cuda" else 0)
        return data

    def results(self, summary: dict[str, Any]) -> dict[str, Any]:
        """results.json's content; `summary` is the strategy's width, capacity and size."""
        versions = self.folder.versions()
        size = self.folder.model_path(versions[-1]).stat().st_size if versions else None
        return build_results(self.config, self.benchmark.name, summary, self.state.results, self.state.matrix,
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
