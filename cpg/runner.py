"""Starting and resuming a run: folder, data, goals, network, strategy, results."""

import copy
import shutil
from pathlib import Path
from typing import Any

import torch
import yaml

from cpg.algorithms import RunState, strategy_class
from cpg.algorithms.context import RunContext
from cpg.algorithms.independent import train_task_alone
from cpg.algorithms.task_data import resolve_device
from cpg.checkpoint import CheckpointError, RunFolder, load_network_state, write_json, write_text
from cpg.config import RunConfig, build_config, read_yaml, scale_epochs, to_mapping
from cpg.config.commands import baseline_command
from cpg.data import BENCHMARKS, Benchmark, build_benchmark
from cpg.distributed import Distributed, from_environment
from cpg.errors import UserError
from cpg.goals import find_goal_file, load_goals
from cpg.models import check_arch, model_factory
from cpg.models.pretrained import with_initial_weights
from cpg.nn import TaskNetwork
from cpg.report import ConsoleReport, Reporter, TensorBoardLog
from cpg.seeding import derive_seed

PROTOCOL_KEYS = ("tasks", "benchmark_options", "arch", "strategy", "max_width", "width_step", "seed",
                 "val_fraction", "select_on", "init")
"""Settings a resumed run may not change: they define what the saved state means."""


def run_name(config: RunConfig) -> str:
    return config.name or f"{config.tasks}-{config.arch}-{config.strategy}-w{config.max_width:g}-s{config.seed}"


def check_names(config: RunConfig) -> None:
    """Fail on unknown names or settings a strategy cannot honour, before any data is read or
    anything is written."""
    if config.tasks not in BENCHMARKS:
        raise UserError(f"unknown task sequence {config.tasks!r}; choose one of: {', '.join(BENCHMARKS)}")
    check_arch(config.arch)
    strategy_class(config.strategy).adapt(config)
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
                "start a new run with another --name, or pass --restart to discard the saved one"
            )
    return [f"{key}: {old[key]!r} -> {new[key]!r}" for key in new if old[key] != new[key] and key != "name"]


def compute_goals(config: RunConfig, benchmark: Benchmark, reporter: Reporter, device: torch.device,
                  state: RunState) -> list[float | None]:
    if state.goals:
        return state.goals
    if not strategy_class(config.strategy).uses_goals:
        return [None] * len(benchmark.tasks)
    if config.goal.value is not None:
        return [config.goal.value] * len(benchmark.tasks)
    path = find_goal_file(benchmark.name, config.arch)
    split = config.select_on
    if path is not None:
        reporter.message(f"goals from {path}")
        return load_goals(path, benchmark, split, config.benchmark_options)
    reporter.message(
        f"no goal file baselines/{benchmark.name}-{config.arch}.json: training one {config.arch} per task first "
        f"to set the goals (save them for later runs with "
        f"`{baseline_command(config, RunFolder(Path(config.checkpoint_dir) / run_name(config)).config_path)}`)"
    )
    scaled = scale_epochs(config)
    return [train_task_alone(scaled, benchmark, index, reporter, device)[1][split]
            for index in range(len(benchmark.tasks))]


def execute(config: RunConfig, *, restart: bool = False, console: ConsoleReport | None = None) -> dict[str, Any]:
    """Run (or resume) the strategy of `config` to the end; returns results.json's content.
    Under torchrun every rank calls this; only rank 0 writes and prints."""
    check_names(config)
    return _launch(config, restart, console)


def fit(network: TaskNetwork, benchmark: Benchmark, config: RunConfig, *, restart: bool = False,
        console: ConsoleReport | None = None) -> dict[str, Any]:
    """Learn `benchmark` with a network of your own (see `cpg.convert`); the run folder is
    `config.checkpoint_dir / config.name`, and calling again resumes it. Without a factory the
    network cannot grow, so `config.max_width` must be 1.0."""
    if network.factory is None and config.max_width > 1.0:
        raise UserError("this network has no factory to grow with; set max_width to 1.0")
    if config.init is not None:
        raise UserError("init applies to the networks cpg builds from arch; load your weights into your model "
                        "before cpg.convert")
    strategy_class(config.strategy).adapt(config)
    resolve_device(config.device)
    return _launch(config, restart, console, network, benchmark)


def _launch(config: RunConfig, restart: bool, console: ConsoleReport | None, network: TaskNetwork | None = None,
            benchmark: Benchmark | None = None) -> dict[str, Any]:
    dist = from_environment(torch.device(config.device).type)
    try:
        device = resolve_device(config.device, dist.local_rank if dist.enabled else None)
        name = run_name(config)
        folder = RunFolder(Path(config.checkpoint_dir) / name)
        resuming = folder.has_checkpoint() and not restart
        notes = check_resumable(saved_config(folder), config) if resuming else []
        benchmark = benchmark or load_benchmark(config)
        if dist.is_main:
            if restart and folder.root.exists():
                shutil.rmtree(folder.root)
                shutil.rmtree(Path(config.log_dir) / name, ignore_errors=True)
            folder.root.mkdir(parents=True, exist_ok=True)
        dist.barrier()
        if dist.is_main:
            reporter = Reporter(console or ConsoleReport(), TensorBoardLog(Path(config.log_dir) / name))
        else:
            reporter = Reporter(ConsoleReport(silent=True))
        try:
            return _execute(config, benchmark, folder, reporter, device, resuming, notes, network, dist)
        finally:
            reporter.close()
    finally:
        dist.close()


def _load_latest(folder: RunFolder, template: TaskNetwork | None, config: RunConfig,
                 reporter: Reporter) -> tuple[TaskNetwork | None, dict[str, Any], dict[str, Any]]:
    """The newest saved version that reads back whole and fits the network and the config."""
    loaded: dict[str, TaskNetwork | None] = {"network": None}

    def validate(state: dict[str, Any], tensors: dict[str, Any], source: Path) -> None:
        if template is None:
            return
        network = copy.deepcopy(template)
        load_network_state(network, tensors.get("network"), source)
        committed = len(network.committed_tasks)
        if committed != len(state.get("results", [])):
            raise CheckpointError(f"{source}: holds {committed} committed tasks, its state records {len(state.get('results', []))}")
        if network.width > config.max_width + 1e-9:
            raise CheckpointError(f"{source}: width {network.width} exceeds max_width {config.max_width}")
        loaded["network"] = network

    state, tensors = folder.load(reporter.warning, validate)
    return loaded["network"], state, tensors


def _execute(config: RunConfig, benchmark: Benchmark, folder: RunFolder, reporter: Reporter,
             device: torch.device, resuming: bool, notes: list[str],
             network: TaskNetwork | None, dist: Distributed) -> dict[str, Any]:
    optimizer_state = None
    strategy_type = strategy_class(config.strategy)
    if network is None:
        torch.manual_seed(derive_seed(config.seed, "network"))
        factory = model_factory(config.arch, benchmark.input_shape)
        if config.init is not None and not resuming:
            factory = with_initial_weights(factory, config.init, config.arch, reporter.message)
        network = strategy_type.build_network(factory)
    if resuming:
        network, saved_state, tensors = _load_latest(folder, network, config, reporter)
        state = RunState.from_dict(saved_state)
        optimizer_state = tensors.get("optimizers")
        reporter.message(f"resuming {folder.root} at task {state.task}, {state.stage.value}, epoch {state.epoch}")
        state.events += [f"resumed with changed {note}" for note in notes]
    else:
        state = RunState(task_names=[task.name for task in benchmark.tasks], input_shape=list(benchmark.input_shape))
    reporter.message(benchmark.describe())
    if network is not None:
        network.to(device)
        network.set_cache_capacity(config.eval_cache_tasks)
    if dist.is_main:
        write_text(folder.config_path, yaml.safe_dump(to_mapping(config), sort_keys=False))
    state.goals = compute_goals(config, benchmark, reporter, device, state)
    context = RunContext(scale_epochs(strategy_type.adapt(config)), benchmark, folder, reporter, device, network,
                         state, optimizer_state, dist)
    if not resuming or notes:
        context.save(network, optimizer_state or {})  # the first version, or the recorded config changes
    strategy = strategy_type(context)
    strategy.run()
    results = context.results(strategy.summary())
    if dist.is_main:
        write_json(folder.results_path, results)
        reporter.hparams(to_mapping(config), results)
    return results
