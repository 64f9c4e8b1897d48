"""`cpg eval RUN`: accuracy of committed tasks from one load of the checkpoint."""

import argparse
import dataclasses
import json

from rich.table import Table

from cpg.algorithms.task_data import resolve_device
from cpg.evaluation import SPLITS, evaluate_tasks
from cpg.report import ConsoleReport
from cpg.runner import load_benchmark
from cpg.runs import open_run


def add_eval(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="evaluate committed tasks of a run (one load, no rebuilding)")
    parser.add_argument("run", help="the run folder, e.g. checkpoints/digits-5-small_cnn-cpg-w1.5-s0")
    parser.add_argument("--task", type=int, nargs="+", metavar="K", help="tasks to evaluate, in this order (default: all)")
    parser.add_argument("--split", choices=SPLITS, default="test", help="split to evaluate (default: test)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 … (default: cpu)")
    parser.add_argument("--data-root", help="folder holding the datasets (default: the run's)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(handler=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    run = open_run(args.run, resolve_device(args.device))
    tasks = args.task or run.network.committed_tasks
    config = run.config if args.data_root is None else dataclasses.replace(run.config, data_root=args.data_root)
    for task in tasks:
        run.check_task(task)
    benchmark = load_benchmark(dataclasses.replace(config, download=False))
    recorded_key = "test_accuracy" if args.split == "test" else "val_accuracy"
    recorded = {record["task"]: record.get(recorded_key) for record in run.state.results}
    rows = [{"task": task, "name": benchmark.tasks[task - 1].name, "split": args.split, "accuracy": stats.accuracy,
             "loss": stats.loss, "samples": stats.samples, "accuracy_at_commit": recorded.get(task)}
            for task, stats in evaluate_tasks(run, benchmark, tasks, args.split)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title=f"{run.folder.root} · {args.split} split")
    for column in ("task", "name", "accuracy %", "at commit %", "loss", "images"):
        table.add_column(column, justify="left" if column == "name" else "right")
    for row in rows:
        at_commit = row["accuracy_at_commit"]
        table.add_row(str(row["task"]), row["name"], f"{row['accuracy'] * 100:.2f}",
                      "–" if at_commit is None else f"{at_commit * 100:.2f}", f"{row['loss']:.4f}", str(row["samples"]))
    ConsoleReport().console.print(table)
    return 0
