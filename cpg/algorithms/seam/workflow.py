"""One re-engineering from start to end: learn the masks, build the standalone module, report."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from cpg.algorithms.seam.config import SeamConfig
from cpg.algorithms.seam.deploy import standalone_module
from cpg.algorithms.seam.reengineering import Reengineered, reengineer
from cpg.algorithms.seam.report import seam_report
from cpg.algorithms.source import Source
from cpg.algorithms.seam.target import TargetProblem
from cpg.engine import LoopStore, MemoryStore
from cpg.report import Reporter


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
