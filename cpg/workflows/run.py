"""Starting and resuming a run: its folder, data, goals, network and strategy, to its results."""

import copy
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import yaml

from cpg.checkpoint import CheckpointError, RunFolder, load_network_state, write_json, write_text
from cpg.config import RunConfig, scale_epochs, to_mapping
from cpg.continual import DONE, STRATEGIES, Plugin, RunRecorder, RunState, StageMachine, TaskSession
from cpg.continual.plugin import plugin_states, resume_plugins
from cpg.continual.session import NETWORK_SEED
from cpg.data import Benchmark
from cpg.device import device_line, resolve_device
from cpg.distributed import Distributed, from_environment
from cpg.errors import SettingError
from cpg.models import model_factory
from cpg.models.pretrained import with_initial_weights
from cpg.nn import TaskNetwork
from cpg.report import ConsoleReport, Reporter, TensorBoardLog
from cpg.seeding import derive_seed
from cpg.workflows.run_goals import compute_goals
from cpg.workflows.run_settings import check_names, check_resumable, load_benchmark, run_name, saved_config


def execute(config: RunConfig, *, restart: bool = False, console: ConsoleReport | None = None,
            benchmark: Benchmark | None = None, plugins: Sequence[Plugin] = ()) -> dict[str, Any]:
    """Run (or resume) the strategy of `config` to the end; returns results.json's content.
    `benchmark` stands in for the one `config.tasks` names (read otherwise); `plugins` join the
    strategy's (cpg.continual.plugin). Under torchrun every rank calls this; only rank 0 writes
    and prints."""
    check_names(config)
    return _launch(config, restart, console, plugins, benchmark=benchmark)


def fit(network: TaskNetwork, benchmark: Benchmark, config: RunConfig, *, restart: bool = False,
        console: ConsoleReport | None = None, plugins: Sequence[Plugin] = ()) -> dict[str, Any]:
    """Learn `benchmark` with a network of your own (see `cpg.convert`); the run folder is
    `config.checkpoint_dir / config.name`, and calling again resumes it. Without a factory the
    network cannot grow, so `config.max_width` must be 1.0."""
    if network.factory is None and config.max_width > 1.0:
        raise SettingError("max_width", "this network has no factory to grow with; set it to 1.0")
    if config.init is not None:
        raise SettingError("init", "it applies to the networks cpg builds from arch; load your weights into your "
                                   "model before cpg.convert")
    STRATEGIES.get(config.strategy).check(config.strategy, config)
    resolve_device(config.device)
    return _launch(config, restart, console, plugins, network, benchmark)


def _launch(config: RunConfig, restart: bool, console: ConsoleReport | None, plugins: Sequence[Plugin],
            network: TaskNetwork | None = None, benchmark: Benchmark | None = None) -> dict[str, Any]:
    dist = from_environment(resolve_device(config.device).type)
    try:
        device = resolve_device(config.device, dist.local_rank if dist.enabled else None)
        name = run_name(config)
        folder = RunFolder(Path(config.checkpoint_dir) / name)
        resuming = folder.has_checkpoint() and not restart
        notes = check_resumable(saved_config(folder), config) if resuming else []
        finished = _finished_results(folder) if resuming and not notes else None
        if finished is not None:
            if dist.is_main:
                (console or ConsoleReport()).message(f"{folder.root} has finished every task; its results "
                                                     "(restarting the run starts it over)")
            return finished
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
            return _execute(config, benchmark, folder, reporter, device, resuming, notes, network, dist, plugins)
        finally:
            reporter.close()
    finally:
        dist.close()


def _finished_results(folder: RunFolder) -> dict[str, Any] | None:
    """results.json of a run whose newest version is whole and past its last task, else None
    (a damaged version is left to the loading that resumes, which reports it)."""
    skipped: list[str] = []
    state, _ = folder.load(skipped.append)
    if skipped or state.get("stage") != DONE or not folder.results_path.is_file():
        return None
    return json.loads(folder.results_path.read_text())


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
             network: TaskNetwork | None, dist: Distributed, plugins: Sequence[Plugin]) -> dict[str, Any]:
    saved = None
    strategy = STRATEGIES.get(config.strategy).for_run(plugins)
    user_network = network
    if network is None:
        torch.manual_seed(derive_seed(config.seed, NETWORK_SEED))
        factory = model_factory(config.arch, benchmark.input_shape)
        if config.init is not None and not resuming:
            factory = with_initial_weights(factory, config.init, config.arch, reporter.message)
        network = strategy.network.build(factory)
    if resuming:
        network, saved_state, saved = _load_latest(folder, network, config, reporter)
        state = RunState.from_dict(saved_state)
        reporter.message(f"resuming {folder.root} at task {state.task}, {state.stage}, epoch {state.epoch}")
        state.events += [f"resumed with changed {note}" for note in notes]
    else:
        state = RunState(task_names=[task.name for task in benchmark.tasks], input_shape=list(benchmark.input_shape))
    reporter.message(benchmark.describe())
    reporter.message(device_line(config.device, device))
    if network is not None:
        network.to(device)
        network.set_cache_capacity(config.eval_cache_tasks)
    if dist.is_main:
        write_text(folder.config_path, yaml.safe_dump(to_mapping(config), sort_keys=False))
    state.goals = compute_goals(config, benchmark, reporter, device, state, user_network, dist)
    scaled = scale_epochs(config)
    recorder = RunRecorder(scaled, benchmark.name, folder, state, reporter, dist, saved,
                           plugin_states=lambda: plugin_states(strategy.plugins))
    session = TaskSession(scaled, benchmark, network, recorder, reporter, device, dist)
    if saved is None:
        session.save()  # the first version
    else:
        resume_plugins(strategy.plugins, saved.get("plugins", {}), session)
        if notes:  # the same network, optimizer and plugin states, with the changes recorded in the state
            recorder.write(saved)
    StageMachine(session, strategy).run()
    results = recorder.results(strategy.summary(session))
    if dist.is_main:
        write_json(folder.results_path, results)
        reporter.hparams(to_mapping(config), results)
    return results
