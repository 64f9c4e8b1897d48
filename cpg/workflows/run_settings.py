"""What a run's settings mean before it trains: its name, its names checked, its benchmark read,
and whether a saved run may resume with them."""

from cpg.checkpoint import RunFolder
from cpg.config import RunConfig, build_config, read_yaml, to_mapping
from cpg.continual import STRATEGIES
from cpg.data import BENCHMARKS, Benchmark, build_benchmark
from cpg.device import resolve_device
from cpg.errors import UserError
from cpg.models import check_arch

PROTOCOL_KEYS = ("tasks", "benchmark_options", "arch", "strategy", "max_width", "width_step", "seed",
                 "val_fraction", "select_on", "goal", "init")
"""Settings a resumed run may not change: they define what the saved state means."""


def run_name(config: RunConfig) -> str:
    return config.name or f"{config.tasks}-{config.arch}-{config.strategy}-w{config.max_width:g}-s{config.seed}"


def check_names(config: RunConfig) -> None:
    """Fail on unknown names or settings a strategy cannot honour, before any data is read or
    anything is written."""
    if config.tasks not in BENCHMARKS:
        raise UserError(f"unknown task sequence {config.tasks!r}; choose one of: {', '.join(BENCHMARKS)}")
    check_arch(config.arch)
    STRATEGIES.get(config.strategy).check(config.strategy, config)
    resolve_device(config.device)


def load_benchmark(config: RunConfig) -> Benchmark:
    return build_benchmark(config.tasks, data_root=config.data_root, download=config.download,
                           verify_checksums=config.verify_checksums, val_fraction=config.val_fraction,
                           options=config.benchmark_options)


def saved_config(folder: RunFolder) -> RunConfig:
    return build_config((str(folder.config_path), read_yaml(folder.config_path)))


def check_resumable(saved: RunConfig, config: RunConfig) -> list[str]:
    """Refuse protocol changes; return a note for each safe change."""
    old, new = to_mapping(saved), to_mapping(config)
    for key in PROTOCOL_KEYS:
        if old[key] != new[key]:
            raise UserError(
                f"cannot resume: {key} changed from {old[key]!r} to {new[key]!r}; "
                "start a new run with another `name`, or `restart` this one to discard what it saved"
            )
    return [f"{key}: {old[key]!r} -> {new[key]!r}" for key in new if old[key] != new[key] and key != "name"]
