"""Measuring goals: one network per task trained alone with the FINETUNE schedule (what `cpg
baseline` and a run without a goal file both do).

The training lives in a work folder, so a measurement stopped at any moment resumes where it
stopped: each task's loop is a `FolderStore`, and each finished task's row is written beside
them. Under several processes the networks are trained data-parallel by all of them, rank 0
writes, and the rows it measured are broadcast, so every rank decides on the same goals.
"""

import json
from typing import Any

import torch

from cpg.checkpoint import write_json
from cpg.config import RunConfig, scale_epochs
from cpg.continual.alone import ModelBuilder, train_task_alone
from cpg.data import Benchmark
from cpg.distributed import Distributed
from cpg.engine.work_folder import WorkFolder
from cpg.report import Reporter


def measure_goal_rows(config: RunConfig, benchmark: Benchmark, reporter: Reporter, device: torch.device,
                      work: WorkFolder, *, build: ModelBuilder | None = None,
                      dist: Distributed | None = None) -> list[dict[str, Any]]:
    """Per task, the accuracies of a network trained for it alone (see `train_task_alone`)."""
    dist = dist or Distributed()
    scaled = scale_epochs(config)
    work.announce(reporter.message)
    rows = []
    for index in range(len(benchmark.tasks)):
        finished = work.root / f"task-{index + 1}.json"
        if finished.is_file():
            rows.append(json.loads(finished.read_text()))
            continue
        _, row = train_task_alone(scaled, benchmark, index, reporter, device, build=build, dist=dist,
                                  store=lambda model, index=index: work.store(f"task-{index + 1}", model, dist.is_main))
        if dist.is_main:
            write_json(finished, row)
        rows.append(row)
    return dist.broadcast_object(rows)
