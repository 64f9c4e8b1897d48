"""What `cpg inspect` shows of a run: its tasks, the accuracy matrix and how full each layer is.

The task records and the accuracy matrix are those saved at every commit; ownership and
picking shares are read from the network as it is now (shares of its current width).
"""

from collections.abc import Sequence
from typing import Any

from cpg.config import RunConfig
from cpg.nn import capacity
from cpg.nn import TaskNetwork
from cpg.report.continual import average_accuracy, backward_transfer, final_accuracies, forgetting

TASK_FIELDS = ("task", "name", "goal", "final_accuracy", "accuracy_at_commit", "forgetting", "sparsity",
               "owned_share", "picked_share", "picking_only", "width", "seconds", "seconds_per_stage")
"""The keys of every entry of the document's `tasks` list (documented in the README)."""


def inspection(run: str, config: RunConfig, records: Sequence[dict[str, Any]], matrix: list[list[float]],
               network: TaskNetwork | None, position: dict[str, Any]) -> dict[str, Any]:
    """The `cpg inspect --json` document of a run folder `run`: `records` are the per-task
    records saved at commit, `position` where the run stands (task, stage, epoch)."""
    final = final_accuracies(matrix)
    forgotten = forgetting(matrix)
    owned = capacity.owned_share(network) if network is not None else {}
    tasks = []
    for index, record in enumerate(records):
        task = record["task"]
        live = network is not None and task in network.committed_tasks
        tasks.append({
            "task": task,
            "name": record.get("name", str(task)),
            "goal": record.get("goal"),
            "final_accuracy": final[index] if index < len(final) else None,
            "accuracy_at_commit": record.get("test_accuracy"),
            "forgetting": forgotten[index] if index < len(forgotten) else None,
            "sparsity": record.get("sparsity"),
            "owned_share": owned.get(task, 0.0) if live else record.get("owned_share"),
            "picked_share": None if index == 0 else (capacity.picked_share(network, task) if live
                                                     else record.get("picked_share")),
            "picking_only": bool(record.get("picking_only", False)),
            "width": record.get("width"),
            "seconds": sum(record.get("seconds", {}).values()),
            "seconds_per_stage": dict(record.get("seconds", {})),
        })
    layers = capacity.layer_capacity(network) if network is not None else []
    return {
        "run": run,
        "benchmark": config.tasks,
        "arch": config.arch,
        "strategy": config.strategy,
        "max_width": config.max_width,
        "select_on": config.select_on,
        "width": network.width if network is not None else None,
        "position": position,
        "tasks": tasks,
        "accuracy_matrix": matrix,
        "average_accuracy": average_accuracy(matrix),
        "backward_transfer": backward_transfer(matrix),
        "free_capacity": capacity.free_share(network) if layers else None,
        "layers": [{"name": layer.name, "weights": layer.total, "free": layer.free,
                    "owned": {str(task): count for task, count in sorted(layer.owned.items())}}
                   for layer in layers],
    }
