"""Arguments of `cpg eval`."""

import argparse

SPLITS = ("test", "val")
"""The splits `cpg.workflows.evaluate` evaluates."""


def add_eval(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="evaluate committed tasks of a run (one load, no rebuilding)")
    parser.add_argument("run", help="the run folder, e.g. checkpoints/digits-5-small_cnn-cpg-w1.5-s0")
    parser.add_argument("--task", type=int, nargs="+", metavar="K", help="tasks to evaluate, in this order (default: all)")
    parser.add_argument("--split", choices=SPLITS, default="test", help="split to evaluate (default: test)")
    parser.add_argument("--device", default="auto",
                        help="auto (default: CUDA when available, else cpu), cpu, cuda, cuda:1 …")
    parser.add_argument("--data-root", help="folder holding the datasets (default: the run's)")
    parser.add_argument("--infer-task", action="store_true",
                        help="also infer each image's task without its id (the task whose output has the lowest "
                             "entropy) and report task-inference accuracy and accuracy without the id")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(handler="cpg.cli.eval:run_eval")
