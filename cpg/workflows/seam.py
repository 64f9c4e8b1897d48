"""`cpg seam` and `cpg seam finetune` below the command line: one re-engineering from start to
end (learn the masks, build the standalone module, report), and the indirect-reuse comparison
after it. The loops are kept in a work folder, so a killed command resumes."""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cpg.config.seam import SeamConfig
from cpg.data import Task
from cpg.device import resolve_device
from cpg.engine import LoopStore, MemoryStore
from cpg.engine.work_folder import WorkFolder
from cpg.export import save_standalone
from cpg.report import Reporter
from cpg.seam import indirect_reuse
from cpg.seam.deploy import standalone_module
from cpg.seam.reengineering import Reengineered, reengineer
from cpg.seam.report import seam_report
from cpg.seam.target import TargetProblem, binary_problem, subset_problem, superclass_problem
from cpg.source import Source
from cpg.workflows.sources import SourceChoice


@dataclass(frozen=True)
class TargetChoice:
    """The target problem: exactly one of `one_class` against the rest, a subset of the source's
    `classes`, or a CIFAR-100 `superclass`."""

    one_class: str | None = None
    classes: tuple[str, ...] | None = None
    superclass: str | None = None

    def problem(self, task: Task, train_per_class: int | None = None) -> TargetProblem:
        """The problem on `task`'s data, with at most `train_per_class` training images per class."""
        if self.one_class is not None:
            return binary_problem(task, self.one_class, train_per_class)
        if self.classes is not None:
            return subset_problem(task, list(self.classes), train_per_class=train_per_class)
        return superclass_problem(task, self.superclass, train_per_class)


@dataclass(frozen=True)
class SeamSettings:
    config: SeamConfig
    source: SourceChoice
    target: TargetChoice
    output: Path | None = None  # `cpg seam`: where the standalone module is written (.pt2)


@dataclass
class SeamOutcome:
    result: Reengineered
    standalone: nn.Module  # plain, slimmed, evaluation mode
    report: dict[str, Any]


def run_seam(source: Source, problem: TargetProblem, config: SeamConfig, reporter: Reporter, device: torch.device,
             store: Callable[[nn.Module], LoopStore] = MemoryStore) -> SeamOutcome:
    result = reengineer(source, problem, config, reporter, device, store)
    standalone = standalone_module(result.module, source.input_shape)
    return SeamOutcome(result, standalone, seam_report(source, problem, result, standalone, config, device))


def reengineer_source(settings: SeamSettings, reporter: Reporter) -> dict[str, Any]:
    """Re-engineer the source for the target; write the standalone module when asked. Returns the report."""
    source, problem, device, work = _start("seam", settings, reporter)
    outcome = run_seam(source, problem, settings.config, reporter, device,
                       lambda module: work.store("reengineering", module))
    report = outcome.report
    if settings.output is not None:
        images, _ = problem.test.__getitems__(range(min(2, len(problem.test))))
        report["output"] = str(save_standalone(outcome.standalone, images, settings.output))
    work.remove()
    return report


def compare_reuse(settings: SeamSettings, reporter: Reporter) -> dict[str, Any]:
    """Re-engineer, then fine-tune the module and the whole source on the target and compare the
    defects they inherit. Returns both reports."""
    source, problem, device, work = _start("seam-finetune", settings, reporter)
    outcome = run_seam(source, problem, settings.config, reporter, device,
                       lambda module: work.store("reengineering", module))
    comparison = indirect_reuse(source, problem, outcome.result, settings.config, device, work.store)
    work.remove()
    return {"reengineering": outcome.report, "indirect_reuse": comparison}


def _start(command: str, settings: SeamSettings,
           reporter: Reporter) -> tuple[Source, TargetProblem, torch.device, WorkFolder]:
    """The source, the target problem, the device, and the work folder named by the settings."""
    config = settings.config
    source = settings.source.load(config)
    problem = settings.target.problem(source.task, config.target_train_per_class)
    reporter.message(problem.describe_data())
    device = resolve_device(config.device)
    identity = {"config": dataclasses.asdict(config), **settings.source.identity(),
                "target": dataclasses.asdict(settings.target), "output": str(settings.output)}
    work = WorkFolder.for_command(command, identity, save_every_seconds=config.save_every_seconds,
                                  warn=reporter.warning)
    work.announce(reporter.message)
    return source, problem, device, work
