"""Arguments of `cpg baseline`."""

import argparse

from cpg.cli.parser import add_protocol_flags


def add_baseline(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("baseline", help="train one model per task and write its goal file")
    add_protocol_flags(parser)
    parser.add_argument("-o", "--output", help="goal file to write (default: baselines/<tasks>-<arch>.json)")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(handler="cpg.cli.baseline:baseline")
