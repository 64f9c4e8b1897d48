"""Tables laid out for narrow terminals: they fit 80 columns where their content can."""

from collections.abc import Collection, Sequence

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text


def compact_table(headers: Sequence[str], text_columns: Collection[str] = ()) -> Table:
    """A rule under the header, one space between columns, no border. Headers are never split;
    numbers are right-aligned; the `text_columns` (names, labels) fold long values instead."""
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 0), show_edge=False)
    for header in headers:
        if header in text_columns:
            table.add_column(header, overflow="fold", min_width=len(header))
        else:
            table.add_column(header, justify="right", min_width=len(header))
    return table


def titled(title: str, table: Table, note: str | None = None) -> Group:
    """`table` under its title (and over a note); they wrap at the console's width, not at the
    table's."""
    return Group(Text(title, style="italic"), table, *([Text(note, style="dim")] if note else []))


def goal_header(select_on: str) -> str:
    """The header of a goal column: the split the goal was measured on, since the accuracy beside
    it is a test accuracy."""
    return f"{select_on} goal"
