"""`cpg eval RUN`: accuracy of committed tasks from one load of the checkpoint."""

import argparse
import json
from pathlib import Path

from cpg.report import ConsoleReport
from cpg.report.tables import compact_table, titled
from cpg.workflows.evaluate import EvalSettings, evaluate_run


def run_eval(args: argparse.Namespace) -> int:
    run, rows = evaluate_run(EvalSettings(Path(args.run), args.task, args.split, args.device, args.data_root))
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
