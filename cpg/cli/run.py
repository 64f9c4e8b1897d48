"""`cpg run` and `cpg resume`."""

import argparse
from pathlib import Path

from cpg.cli.parser import add_protocol_flags, overrides
from cpg.cli.pipelines import resolve_config
from cpg.config import build_config, read_yaml
from cpg.errors import UserError
from cpg.report import ConsoleReport
from cpg.cli.launch import launch_processes
from cpg.distributed import is_main_process
from cpg.runner import check_names, execute


def add_run(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="learn a task sequence (resumes an existing run of the same name)")
    add_protocol_flags(parser)
    parser.add_argument("--max-width", type=float, help="largest width multiplier growth may reach (≥ 1)")
    parser.add_argument("--strategy", help="cpg (default), packnet, piggyback, pae, finetune, independent")
    parser.add_argument("--goal", type=float, help="one goal accuracy (0–1) for every task instead of the goal file")
    parser.add_argument("--init", metavar="FILE", help="state_dict of the plain --arch model (width 1) that task 1 "
                                                       "starts from; its classifier is not used")
    parser.add_argument("--name", help="run name: checkpoints/<name>, logs/<name>")
    parser.add_argument("--restart", action="store_true", help="discard a saved run of the same name and start over")
    parser.add_argument("--amp", action="store_true", default=None,
                        help="mixed precision: bfloat16 autocast on the CPU, float16 on CUDA")
    parser.add_argument("--nproc", type=int, help="train with N processes (torchrun, DistributedDataParallel)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=run)


def add_resume(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("resume", help="continue a run from its folder")
    parser.add_argument("run", help="the run folder, e.g. checkpoints/digits-5-small_cnn-cpg-w1.5-s0")
    parser.add_argument("--config", help="YAML of settings to change (epochs of later stages, lr, device…); "
                                         "changes to the protocol (tasks, arch, max width…) are refused")
    parser.add_argument("--device", help="continue on another device")
    parser.add_argument("--nproc", type=int, help="continue with N processes (torchrun, DistributedDataParallel)")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(handler=resume)


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
