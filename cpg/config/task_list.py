"""Task list files: `cpg run --tasks path/to/tasks.yaml` learns the image folders a YAML lists.

The file holds the options of the `imagefolder` benchmark: ``tasks`` (a list of ``{name, root}``,
each root holding ``train/`` and ``test/`` ImageFolder trees) and, optionally, the transform
options (``image_size``, ``channels``, ``augment``, ``normalize``). Relative roots are relative
to the folder of the file.
"""

from pathlib import Path
from typing import Any

from cpg.config.loading import read_yaml

SUFFIXES = (".yaml", ".yml")
BENCHMARK = "imagefolder"


def is_task_list(tasks: str) -> bool:
    """Whether a `--tasks` value names a task list file rather than a benchmark."""
    return Path(tasks).suffix.lower() in SUFFIXES


def task_list_layer(path: str | Path) -> tuple[str, dict[str, Any]]:
    """The config layer of the task list file ``path``: the `imagefolder` benchmark with the
    file's options, its relative roots made absolute."""
    path = Path(path)
    options = read_yaml(path)
    tasks = options.get("tasks")
    if isinstance(tasks, list):
        options["tasks"] = [_absolute_root(entry, path.parent) for entry in tasks]
    return str(path), {"tasks": BENCHMARK, "benchmark_options": options}


def _absolute_root(entry: Any, folder: Path) -> Any:
    """``entry`` with its ``root`` resolved against ``folder``; anything malformed is left as it
    is for the benchmark to reject with a message naming the entry."""
    if isinstance(entry, dict) and isinstance(entry.get("root"), str):
        return {**entry, "root": str((folder / entry["root"]).resolve())}
    return entry
