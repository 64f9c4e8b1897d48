"""The `cpg` command: argument parsing, exit codes, one-line errors.

The parser is built from `cpg.cli.arguments`, which does not import torch; a command's handler
(and with it torch) is imported only when the command runs."""

import argparse
import importlib
import sys
from collections.abc import Callable

from cpg import __version__
from cpg.allocator import use_huge_pages
from cpg.cli.arguments.baseline import add_baseline
from cpg.cli.arguments.compare import add_compare
from cpg.cli.arguments.compress import add_compress
from cpg.cli.arguments.doctor import add_doctor
from cpg.cli.arguments.eval import add_eval
from cpg.cli.arguments.export import add_export
from cpg.cli.arguments.inspect import add_inspect
from cpg.cli.arguments.run import add_resume, add_run
from cpg.cli.arguments.seam import add_seam
from cpg.cli.arguments.train import add_train
from cpg.cli.parser import OneLineParser, as_flags, record_flags
from cpg.errors import RunFailed, UserError


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="cpg", description="Continual learning by Compacting, Picking and Growing.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=f"cpg {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    add_run(subparsers)
    add_resume(subparsers)
    add_baseline(subparsers)
    add_train(subparsers)
    add_compare(subparsers)
    add_doctor(subparsers)
    add_seam(subparsers)
    add_inspect(subparsers)
    add_eval(subparsers)
    add_export(subparsers)
    add_compress(subparsers)
    record_flags(parser)
    return parser


def handler(name: str) -> Callable[[argparse.Namespace], int]:
    """The function "module:function" names, importing its module now."""
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if debug:
        argv.remove("--debug")
    args = build_parser().parse_args(argv)
    args.argv = argv
    use_huge_pages()  # before the handler imports torch
    try:
        run = handler(args.handler)
        from cpg.engine.stop import STOP  # after parsing: --help and usage errors never import torch

        with STOP.handling():
            return run(args)
    except UserError as error:
        if debug:
            raise
        print(f"cpg: error: {as_flags(error, args.flags)}", file=sys.stderr)
        return 2
    except RunFailed as failure:
        if debug:
            raise
        resume = f": cpg resume {failure.run_folder} --config CHANGED.yaml" if failure.run_folder else ""
        print(f"cpg: error: {failure}{resume}", file=sys.stderr)
        return 3
    except KeyboardInterrupt as interruption:
        print(f"cpg: interrupted; {interruption}" if str(interruption) else "cpg: interrupted", file=sys.stderr)
        return 130
