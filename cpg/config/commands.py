"""Commands cpg suggests on the console, built so that they work as printed."""

import shlex
from pathlib import Path

from cpg.config.schema import RunConfig


def baseline_command(config: RunConfig, run_config: Path) -> str:
    """The `cpg baseline` command writing the goal file of the run of ``config``.

    A benchmark named by `--tasks` alone is rebuilt from its name; one that needs options (a
    task list, image folders, a synthetic size) or data elsewhere than the default data root is
    rebuilt from ``run_config``, the run's own `run.yaml`, which holds all of them.
    """
    if not config.benchmark_options and config.data_root == RunConfig.data_root:
        return f"cpg baseline --tasks {config.tasks} --arch {config.arch}"
    return f"cpg baseline --config {shlex.quote(str(run_config))}"
