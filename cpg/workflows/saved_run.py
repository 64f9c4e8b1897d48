"""Opening a finished (or interrupted) run folder for evaluation, export and reuse."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from cpg.checkpoint import RunFolder
from cpg.config import RunConfig
from cpg.continual import STRATEGIES
from cpg.continual.state import RunState
from cpg.errors import UserError
from cpg.models import model_factory
from cpg.nn import TaskNetwork
from cpg.report import ConsoleReport
from cpg.workflows.run_settings import saved_config


@dataclass
class Run:
    folder: RunFolder
    config: RunConfig
    state: RunState
    network: TaskNetwork

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.state.input_shape)  # type: ignore[return-value]

    def check_task(self, task: int) -> None:
        if task not in self.network.committed_tasks:
            raise UserError(f"task {task}: the run has committed tasks {self.network.committed_tasks or 'none'}")


def open_run(path: str | Path, device: str | torch.device = "cpu", warn: Callable[[str], None] | None = None) -> Run:
    """Load the latest consistent checkpoint of a run folder (weights only, no code runs). A
    damaged newer version is skipped with a warning naming it and the version used (on stderr
    unless `warn` is given)."""
    warn = warn or ConsoleReport().warning
    folder = RunFolder(path)
    if not folder.config_path.is_file():
        raise UserError(f"{folder.root}: not a run folder (no run.yaml)")
    config = saved_config(folder)
    saved_state, tensors = folder.load(warn)
    state = RunState.from_dict(saved_state)
    network = STRATEGIES.get(config.strategy).network.build(model_factory(config.arch, tuple(state.input_shape)))
    if network is None:
        raise UserError(f"{folder.root}: an {config.strategy} run keeps one plain model per task, "
                        "task-K.pt (load it with cpg.classifier.load_classifier)")
    network.load_state_dict(tensors["network"])
    network.to(device).eval()
    network.set_cache_capacity(config.eval_cache_tasks)
    return Run(folder, config, state, network)
