"""Arguments of `cpg inspect`."""

import argparse

PLOTS = ("accuracy_matrix.png", "capacity.png", "accuracy_vs_sparsity.png")
"""The plots `cpg.workflows.inspect` writes, named without importing it."""


def add_inspect(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("inspect", help="show a run's tasks, accuracy matrix and capacity per layer")
    parser.add_argument("run", help="the run folder, e.g. checkpoints/digits-5-small_cnn-cpg-w1.5-s0")
    parser.add_argument("--json", action="store_true", help="print the same as one JSON document")
    parser.add_argument("--plot", metavar="DIR", help=f"also write {', '.join(PLOTS)} to DIR")
    parser.set_defaults(handler="cpg.cli.inspect:run_inspect")
