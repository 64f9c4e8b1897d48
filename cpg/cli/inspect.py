"""`cpg inspect RUN`: tasks, accuracy matrix and capacity of a run, as tables, JSON or PNGs."""

import argparse
import json
from pathlib import Path

from cpg.report import ConsoleReport
from cpg.report.inspection_tables import inspection_tables
from cpg.workflows.inspect import inspect_run


def run_inspect(args: argparse.Namespace) -> int:
    document, written = inspect_run(Path(args.run), Path(args.plot) if args.plot else None)
    if args.json:
        print(json.dumps(document, indent=2))
        return 0
    console = ConsoleReport().console
    for table in inspection_tables(document):
        console.print(table)
    console.print(f"average accuracy {document['average_accuracy'] * 100:.2f}%   "
                  f"free capacity {_percent(document['free_capacity'])}")
    if written:
        console.print("plots: " + "  ".join(str(path) for path in written))
    return 0


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f}%"
