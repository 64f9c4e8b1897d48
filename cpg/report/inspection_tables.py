"""Rich tables of a `cpg inspect` document (see `cpg.report.inspection`)."""

from typing import Any

from rich.console import Group

from cpg.report.console import accuracy_matrix_table
from cpg.report.tables import compact_table, goal_header, titled


def inspection_tables(document: dict[str, Any]) -> list[Group]:
    """The tasks, the accuracy matrix and the per-layer capacity, in that order."""
    tables = [tasks_table(document), accuracy_matrix_table(document["accuracy_matrix"])]
    if document["layers"]:
        tables.append(capacity_table(document["layers"]))
    return tables


def tasks_table(document: dict[str, Any]) -> Group:
    position = document["position"]
    state = "finished" if position["stage"] == "done" else f"at task {position['task']}, {position['stage']}"
    title = (f"{document['run']} · {document['strategy']} · {document['arch']} · "
             f"width {_number(document['width'])} of {document['max_width']:g} · {state} (%)")
    table = compact_table(("task", "name", goal_header(document["select_on"]), "test acc", "forgetting", "sparsity",
                           "owned", "picked", "width", "time s"), text_columns=("name",))
    for task in document["tasks"]:
        table.add_row(
            str(task["task"]), task["name"], _percent(task["goal"]), _percent(task["final_accuracy"]),
            _percent(task["forgetting"]), _percent(task["sparsity"]), _percent(task["owned_share"]),
            "pick only" if task["picking_only"] else _percent(task["picked_share"]),
            _number(task["width"]), f"{task['seconds']:.1f}",
        )
    return titled(title, table)


def capacity_table(layers: list[dict[str, Any]]) -> Group:
    """Per layer: its weights, the free share and the share each task owns."""
    tasks = sorted({int(task) for layer in layers for task in layer["owned"]})
    table = compact_table(("layer", "weights", "free", *(f"task {task}" for task in tasks)), text_columns=("layer",))
    for layer in layers:
        total = layer["weights"]
        owned = [_percent(layer["owned"].get(str(task), 0) / total) for task in tasks]
        table.add_row(layer["name"], f"{total:,}", _percent(layer["free"] / total), *owned)
    return titled("capacity per layer (% of the layer's weights)", table)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"
