"""`cpg baseline`: one network per task, to produce a goal file."""

import argparse
from pathlib import Path

from cpg.cli.parser import overrides
from cpg.cli.pipelines import resolve_config
from cpg.report import ConsoleReport, Reporter
from cpg.workflows.baseline import BaselineSettings, measure_baselines


def baseline(args: argparse.Namespace) -> int:
    config = resolve_config(args.config, args.tasks, overrides(args))
    console = ConsoleReport(quiet=args.quiet)
    baselines = measure_baselines(BaselineSettings(config, Path(args.output) if args.output else None),
                                  Reporter(console))
    for name, row in baselines.tasks:
        console.console.print(f"{name:40s} val {row['val'] * 100:6.2f}%   test {row['test'] * 100:6.2f}%")
    console.console.print(f"wrote {baselines.path}")
    return 0
