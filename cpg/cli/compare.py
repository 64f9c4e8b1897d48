"""`cpg compare`: runs of one benchmark side by side."""

import argparse

from cpg.report import ConsoleReport
from cpg.report.compare import comparison_markdown, comparison_rows, comparison_table


def compare(args: argparse.Namespace) -> int:
    benchmark, rows = comparison_rows(args.runs)
    if args.markdown:
        print(comparison_markdown(benchmark, rows))
    else:
        ConsoleReport().console.print(comparison_table(benchmark, rows))
    return 0
