"""The `cpg` command: argument parsing, exit codes, one-line errors."""

import sys

from cpg.checkpoint import CheckpointError
from cpg.cli.baseline import add_baseline
from cpg.cli.compare import add_compare
from cpg.cli.compress import add_compress
from cpg.cli.doctor import add_doctor
from cpg.cli.eval import add_eval
from cpg.cli.export import add_export
from cpg.cli.inspect import add_inspect
from cpg.cli.parser import OneLineParser
from cpg.cli.run import add_resume, add_run
from cpg.cli.seam import add_seam
from cpg.cli.train import add_train
from cpg.errors import RunFailed, UserError


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="cpg", description="Continual learning by Compacting, Picking and Growing.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if debug:
        argv.remove("--debug")
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return args.handler(args)
    except (UserError, CheckpointError) as error:
        if debug:
            raise
        print(f"cpg: error: {error}", file=sys.stderr)
        return 2
    except RunFailed as failure:
        if debug:
            raise
        print(f"cpg: error: {failure}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("cpg: interrupted; resume with `cpg resume <run folder>`", file=sys.stderr)
        return 130
