"""Runs that differ only in seed: which runs they are, and a number's mean ± standard deviation
over them.

A run's settings are its `run.yaml` when its folder has one, read as a run reads it (a setting
added to cpg after the run was made has its default, so an older run still joins the newer runs
of its experiment), else what its results.json records of them (a peer's results: strategy,
architecture, maximum width, selection split, and the peer's library and settings). Two runs
differ only in seed when their settings are equal once the seed and the settings that only say
where files go or how fast a run goes (NOT_THE_EXPERIMENT) are set aside: the benchmark and its
options, strategy, architecture, maximum width, schedule, goals and every other setting must
match.
"""

import json
from collections.abc import Iterable, Mapping
from os.path import commonprefix
from pathlib import Path
from statistics import fmean, stdev
from typing import Any, Protocol, TypeVar

from cpg.config import build_config, read_yaml, to_mapping
from cpg.errors import UserError

NOT_THE_EXPERIMENT = frozenset({
    "seed", "name", "checkpoint_dir", "log_dir", "data_root", "download", "verify_checksums", "device", "num_workers",
    "eval_batch_size", "eval_cache_tasks", "save_every_seconds", "goal.directory", "peer.settings.seed", "peer.threads",
})
"""Settings (dotted) that do not change what a run learns: its seed, where its files are, how fast it runs."""

RECORDED = ("strategy", "arch", "max_width", "select_on", "prune_last_task", "peer")
"""What a results.json records of its run's settings, for a run without a run.yaml beside it."""


def experiment(folder: Path, results: Mapping[str, Any]) -> str:
    """The settings of the run in `folder` (results.json `results`) but its seed, as JSON: runs
    with the same experiment differ only in seed."""
    config = folder / "run.yaml"
    settings = _run_settings(config) if config.is_file() else {key: results[key] for key in RECORDED if key in results}
    kept = {key: value for key, value in _dotted(settings).items() if key not in NOT_THE_EXPERIMENT}
    return json.dumps(kept, sort_keys=True, default=str)


def _run_settings(path: Path) -> dict[str, Any]:
    """A run.yaml with every setting it leaves out at its default; as written when this version of
    cpg cannot read it (a setting since renamed or removed)."""
    written = read_yaml(path)
    try:
        return to_mapping(build_config((str(path), written)))
    except UserError:
        return written


def _dotted(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, Mapping):
            flat.update(_dotted(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class Seeded(Protocol):
    """A run as seed_groups sees it (read-only, as a frozen dataclass's fields are)."""

    @property
    def experiment(self) -> str: ...

    @property
    def seed(self) -> int | None: ...


S = TypeVar("S", bound=Seeded)


def seed_groups(runs: Iterable[S]) -> list[list[S]]:
    """The runs grouped by experiment, in the order of each group's first run. A run joins the
    first group of its experiment that lacks its seed, else starts one: a group never counts a
    seed twice (two runs of one experiment and seed are two versions of one run)."""
    groups: list[list[S]] = []
    for run in runs:
        group = next((group for group in groups if group[0].experiment == run.experiment
                      and all(other.seed != run.seed for other in group)), None)
        if group is None:
            groups.append([run])
        else:
            group.append(run)
    return groups


def group_name(names: list[str]) -> str:
    """The runs' name, or for several names the pattern they match (compare-digits-5-cpg-s*)."""
    if len(set(names)) == 1:
        return names[0]
    prefix = commonprefix(names)
    return f"{prefix}*" if prefix else ", ".join(names)


def spread(values: list[float], form: str, plus_minus: str = "±") -> str:
    """The mean in `form` (a format spec such as ".2f"), then `plus_minus` and the sample standard
    deviation (n − 1) when there are several values."""
    mean = format(fmean(values), form)
    return mean if len(values) == 1 else f"{mean}{plus_minus}{format(stdev(values), form.lstrip('+'))}"
