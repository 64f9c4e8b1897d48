"""`cpg run` and `cpg resume`."""

import argparse
from pathlib import Path

from cpg.cli.launch import launch_processes
from cpg.cli.parser import overrides
from cpg.cli.pipelines import resolve_config
from cpg.config import RunConfig, build_config, read_yaml
from cpg.distributed import is_main_process
from cpg.engine.stop import StopRequested
from cpg.errors import Interrupted, UserError
from cpg.report import ConsoleReport
from cpg.workflows.run import execute
from cpg.workflows.run_settings import check_names, run_name


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args.config, args.tasks, overrides(args))
    if args.nproc is not None and args.nproc > 1:
        check_names(config)
    return _learn(config, args, restart=args.restart)


def resume(args: argparse.Namespace) -> int:
    folder = Path(args.run)
    config_path = folder / "run.yaml"
    if not config_path.is_file():
        raise UserError(f"{folder}: not a run folder (no run.yaml)")
    layers = [(str(config_path), read_yaml(config_path))]
    if args.config:
        layers.append((args.config, read_yaml(args.config)))
    layers.append(("command line", {"checkpoint_dir": str(folder.parent), "name": folder.name}))
    if args.device:
        layers.append(("command line", {"device": args.device}))
    return _learn(build_config(*layers), args)


def _learn(config: RunConfig, args: argparse.Namespace, restart: bool = False) -> int:
    """Run or resume `config` (in `args.nproc` processes when asked), then say where it went."""
    folder = Path(config.checkpoint_dir) / run_name(config)
    try:
        if args.nproc is not None and args.nproc > 1:
            return launch_processes(args.nproc, args.argv)  # its first process reports
        results = execute(config, restart=restart, console=ConsoleReport(quiet=args.quiet))
    except StopRequested as stop:
        raise Interrupted(f"{stop}; continue with `cpg resume {folder}`") from None
    except KeyboardInterrupt:
        if (folder / "run.yaml").is_file():
            raise Interrupted(f"the run continues from its last save (at most {config.save_every_seconds:g} s old, "
                              f"or its last committed task): `cpg resume {folder}`") from None
        raise Interrupted("nothing was saved yet; run the same command again") from None
    if is_main_process():
        console = ConsoleReport()
        console.summary(results)
        logs = Path(config.log_dir) / run_name(config)
        console.console.print(f"run folder: {folder}\nTensorBoard: tensorboard --logdir {logs}", highlight=False,
                              soft_wrap=True)
    return 0
