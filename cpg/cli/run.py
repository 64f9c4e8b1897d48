"""`cpg run` and `cpg resume`."""

import argparse
from pathlib import Path

from cpg.cli.parser import overrides
from cpg.cli.pipelines import resolve_config
from cpg.config import build_config, read_yaml
from cpg.errors import UserError
from cpg.report import ConsoleReport
from cpg.cli.launch import launch_processes
from cpg.distributed import is_main_process
from cpg.runner import check_names, execute


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args.config, args.tasks, overrides(args))
    if args.nproc is not None and args.nproc > 1:
        check_names(config)
        return launch_processes(args.nproc, args.argv)
    results = execute(config, restart=args.restart, console=ConsoleReport(quiet=args.quiet))
    if is_main_process():
        ConsoleReport().summary(results)
    return 0


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
    if args.nproc is not None and args.nproc > 1:
        return launch_processes(args.nproc, args.argv)
    results = execute(build_config(*layers), console=ConsoleReport(quiet=args.quiet))
    if is_main_process():
        ConsoleReport().summary(results)
    return 0
