"""Finding the pipeline YAML of a run: `--config FILE`, or the shipped one for `--tasks`; a
`--tasks` ending in .yaml is a task list file (see `cpg.config.task_list`)."""

import dataclasses
from pathlib import Path

from cpg.config import RunConfig, build_config, read_pipeline
from cpg.config.task_list import BENCHMARK, is_task_list, task_list_layer
from cpg.registry import STRATEGIES
from cpg.workflows.run_settings import run_name

SHIPPED = Path(__file__).resolve().parents[2] / "pipelines"


def default_pipeline(tasks: str | None, strategy: str | None = None) -> Path | None:
    """`pipelines/<tasks>-<strategy>.yaml` if there is one, else `pipelines/<tasks>.yaml`
    (looked up in the working directory, then among the pipelines shipped with cpg)."""
    if tasks is None:
        return None
    names = ([f"{tasks}-{strategy}.yaml"] if strategy and strategy != "cpg" else []) + [f"{tasks}.yaml"]
    for name in names:
        for folder in (Path("pipelines"), SHIPPED):
            if (folder / name).is_file():
                return folder / name
    return None


def resolve_config(config_file: str | None, tasks: str | None, flags: dict) -> RunConfig:
    """Defaults < pipeline YAML < task list file < command-line flags. A run of a task list
    is named after the file unless `--name` says otherwise; a strategy that does not grow runs
    at width 1 unless the command line gives --max-width (which it then refuses)."""
    task_list = tasks is not None and is_task_list(tasks)
    benchmark = BENCHMARK if task_list else tasks
    layers = []
    path = Path(config_file) if config_file else default_pipeline(benchmark, flags.get("strategy"))
    if path is not None:
        layers += read_pipeline(path)
    if task_list:
        layers.append(task_list_layer(tasks))
        flags = {key: value for key, value in flags.items() if key != "tasks"}
    layers.append(("command line", flags))
    config = build_config(*layers)
    if "max_width" not in flags and not STRATEGIES.get(config.strategy).growth.grows:
        config = dataclasses.replace(config, max_width=1.0)  # a pipeline's width is for the strategies that grow
    if task_list and config.name is None:
        config.name = run_name(dataclasses.replace(config, tasks=Path(tasks).stem))
    return config
