"""`cpg compare`: runs of one benchmark side by side."""

import argparse

from rich.console import Console

from cpg.report.compare import comparison_markdown, comparison_rows, comparison_table


def compare(args: argparse.Namespace) -> int:
    benchmark, rows = comparison_rows(args.runs)
    if args.markdown:
        print(comparison_markdown(benchmark, rows))
    else:
        console = Console()
        if not console.is_terminal:
            console.width = max(console.width, 200)
        console.print(comparison_table(benchmark, rows))
    return 0
