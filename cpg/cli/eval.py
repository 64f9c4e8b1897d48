"""`cpg eval RUN`: accuracy of committed tasks from one load of the checkpoint."""

import argparse
import dataclasses
import json

from cpg.device import resolve_device
from cpg.evaluation import evaluate_tasks
from cpg.report import ConsoleReport
from cpg.report.tables import compact_table, titled
from cpg.runner import load_benchmark
from cpg.runs import open_run


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
    table = compact_table(("task", "name", "accuracy %", "at commit %", "loss", "images"), text_columns=("name",))
    for row in rows:
        at_commit = row["accuracy_at_commit"]
        table.add_row(str(row["task"]), row["name"], f"{row['accuracy'] * 100:.2f}",
                      "–" if at_commit is None else f"{at_commit * 100:.2f}", f"{row['loss']:.4f}", str(row["samples"]))
    ConsoleReport().console.print(titled(f"{run.folder.root} · {args.split} split", table))
    return 0
