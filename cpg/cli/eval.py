"""`cpg eval RUN`: accuracy of committed tasks from one load of the checkpoint, and with
`--infer-task` without the task id."""

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Group

from cpg.report import ConsoleReport
from cpg.report.tables import compact_table, titled
from cpg.workflows.evaluate import EvalSettings, Evaluation, evaluate_run
from cpg.workflows.task_inference import RULE, pooled


def run_eval(args: argparse.Namespace) -> int:
    evaluation = evaluate_run(EvalSettings(Path(args.run), args.task, args.split, args.device, args.data_root,
                                           args.infer_task))
    if args.json:
        print(json.dumps(_document(evaluation), indent=2))
        return 0
    console = ConsoleReport().console
    table = compact_table(("task", "name", "accuracy %", "at commit %", "loss", "images"), text_columns=("name",))
    for row in evaluation.rows:
        at_commit = row["accuracy_at_commit"]
        table.add_row(str(row["task"]), row["name"], f"{row['accuracy'] * 100:.2f}",
                      "–" if at_commit is None else f"{at_commit * 100:.2f}", f"{row['loss']:.4f}", str(row["samples"]))
    console.print(titled(f"{evaluation.run.folder.root} · {args.split} split", table))
    if evaluation.inferred is not None:
        console.print(_inference_table(evaluation))
    return 0


def _document(evaluation: Evaluation) -> list[dict[str, Any]] | dict[str, Any]:
    """The rows (a list) or, with the task inferred, the rows and what inference gave."""
    if evaluation.inferred is None:
        return evaluation.rows
    return {"tasks": evaluation.rows, "task_inference": {
        "rule": RULE, "tasks": [asdict(row) for row in evaluation.inferred], "all": pooled(evaluation.inferred)}}


def _inference_table(evaluation: Evaluation) -> Group:
    inferred = evaluation.inferred or []
    table = compact_table(("task", "task inferred %", "without id %", "with id %", "images"))
    for row in [*inferred, None]:
        numbers = asdict(row) if row is not None else pooled(inferred)
        table.add_row("all" if row is None else str(row.task), f"{numbers['task_inference_accuracy'] * 100:.2f}",
                      f"{numbers['accuracy_without_task_id'] * 100:.2f}",
                      f"{numbers['accuracy_with_task_id'] * 100:.2f}", str(numbers["images"]))
    return titled("without the task id", table, f"the task inferred by the {RULE}; right without the id: "
                  "both the inferred task and its class are right")
