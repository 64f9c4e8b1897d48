"""Arguments of `cpg run` and `cpg resume`."""

import argparse

from cpg.cli.parser import add_protocol_flags
from cpg.config.schema import RunConfig
from cpg.registry import STRATEGIES


def add_run(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="learn a task sequence (resumes an existing run of the same name)")
    add_protocol_flags(parser)
    parser.add_argument("--max-width", type=float, help="largest width multiplier growth may reach (≥ 1)")
    parser.add_argument("--strategy", help=f"{', '.join(STRATEGIES)} (default {RunConfig.strategy})")
    parser.add_argument("--goal", dest="goal_value", metavar="GOAL", type=float, help="one goal accuracy (0–1) for every task instead of the goal file")
    parser.add_argument("--init", metavar="FILE", help="state_dict of the plain --arch model (width 1) that task 1 "
                                                       "starts from; its classifier is not used")
    parser.add_argument("--name", help="run name: checkpoints/<name>, logs/<name>")
    parser.add_argument("--restart", action="store_true", help="discard a saved run of the same name and start over")
    parser.add_argument("--amp", action="store_true", default=None,
                        help="mixed precision: bfloat16 autocast on the CPU, float16 on CUDA")
    parser.add_argument("--nproc", type=int, help="train with N processes (torchrun, DistributedDataParallel)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler="cpg.cli.run:run")


def add_resume(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("resume", help="continue a run from its folder")
    parser.add_argument("run", help="the run folder, e.g. checkpoints/digits-5-small_cnn-cpg-w1.5-s0")
    parser.add_argument("--config", help="YAML of settings to change (epochs of later stages, lr, device…); "
                                         "changes to the protocol (tasks, arch, max width…) are refused")
    parser.add_argument("--device", help="continue on another device")
    parser.add_argument("--nproc", type=int, help="continue with N processes (torchrun, DistributedDataParallel)")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(handler="cpg.cli.run:resume")
