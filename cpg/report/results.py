"""`results.json`: everything a user needs to judge a run, in one document."""

from typing import Any

from cpg import pruner
from cpg.config import RunConfig
from cpg.nn import TaskNetwork
from cpg.report.continual import average_accuracy, backward_transfer, final_accuracies, forgetting


def dense_parameter_count(network: TaskNetwork, width: float) -> int:
    """Parameters of one plain network of this architecture at `width` (one head)."""
    if network.factory is None:
        return sum(layer.weight.numel() for _, layer in network.sharable_layers())
    return sum(p.numel() for p in network.factory(width).parameters())


def network_summary(network: TaskNetwork, networks: int = 1) -> dict[str, Any]:
    """Width, free capacity and size of what a strategy keeps: `networks` copies of `network`."""
    one_network = dense_parameter_count(network, 1.0)
    final = dense_parameter_count(network, network.width)
    return {
        "final_width": network.width,
        "free_capacity": pruner.free_share(network),
        "model_size": {
            "parameters_one_network": one_network,
            "parameters": networks * final,
            "relative_to_one_network": networks * final / one_network if one_network else float(networks),
        },
        "dense_float32_bytes": 4 * final,
    }


def build_results(config: RunConfig, benchmark_name: str, summary: dict[str, Any],
                  task_results: list[dict[str, Any]], matrix: list[list[float]],
                  wall_seconds: float, checkpoint_bytes: int | None) -> dict[str, Any]:
    final = final_accuracies(matrix)
    forgotten = forgetting(matrix)
    tasks = []
    for index, result in enumerate(task_results):
        tasks.append({
            **result,
            "final_accuracy": final[index] if index < len(final) else None,
            "accuracy_at_commit": result["test_accuracy"],
            "forgetting": forgotten[index] if index < len(forgotten) else 0.0,
        })
    stage_seconds: dict[str, float] = {}
    for result in task_results:
        for stage, seconds in result.get("seconds", {}).items():
            stage_seconds[stage] = stage_seconds.get(stage, 0.0) + seconds
    return {
        "benchmark": benchmark_name,
        "strategy": config.strategy,
        "arch": config.arch,
        "seed": config.seed,
        "max_width": config.max_width,
        "select_on": config.select_on,
        "tasks": tasks,
        "accuracy_matrix": matrix,
        "average_accuracy": average_accuracy(matrix),
        "forgetting": forgotten,
        "backward_transfer": backward_transfer(matrix),
        **summary,
        "checkpoint_bytes": checkpoint_bytes,
        "wall_time_seconds": wall_seconds,
        "seconds_per_stage": stage_seconds,
    }
