"""Arguments of `cpg compare`."""

import argparse


def add_compare(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compare", help="compare runs of the same benchmark (runs that differ only in "
                                                   "seed as one row: mean±std)")
    parser.add_argument("runs", nargs="+", help="run folders (or their results.json)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.set_defaults(handler="cpg.cli.compare:compare")
