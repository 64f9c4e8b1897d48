"""`results.json`: everything a user needs to judge a run, in one document."""

from collections.abc import Iterable
from itertools import chain
from typing import Any

from torch import Tensor

from cpg.config import RunConfig
from cpg.nn import TaskNetwork, free_share
from cpg.nn.attention import UnitAttention
from cpg.nn.task_head import TaskHead
from cpg.nn.task_norm import TaskBatchNorm
from cpg.report.continual import (average_accuracy, average_forgetting, backward_transfer, final_accuracies,
                                  forgetting)


def dense_parameter_count(network: TaskNetwork, width: float) -> int:
    """Parameters of one plain network of this architecture at `width` (one head)."""
    if network.factory is None:
        return sum(layer.weight.numel() for _, layer in network.sharable_layers())
    return sum(p.numel() for p in network.factory(width).parameters())


STORAGE_KINDS = ("shared_weights", "ownership", "picking_masks", "attention", "batchnorm", "biases", "heads",
                 "plain_layers")


def storage_bytes(network: TaskNetwork) -> dict[str, int]:
    """The bytes a user stores to keep every task, by kind: the shared weights (float32), the
    ownership mask (1 byte per weight, where committed tasks compute with it), the packed picking
    masks (1 bit per earlier weight and task; SupSup's supermasks, 1 bit per weight and task),
    HAT's attention (1 bit per unit and committed task, float32 embeddings of a task learning),
    and per task its BatchNorm (affine and running statistics), biases and head; plain layers are
    those a strategy shares without masks (finetune's backbone)."""
    sizes = dict.fromkeys(STORAGE_KINDS, 0)
    seen: set[int] = set()

    def add(kind: str, tensors: Iterable[Tensor]) -> None:
        for tensor in tensors:
            if id(tensor) not in seen:
                seen.add(id(tensor))
                sizes[kind] += tensor.numel() * tensor.element_size()

    for _, layer in network.sharable_layers():
        add("shared_weights", [layer.weight])
        if layer.committed_mask.uses_ownership:
            add("ownership", [layer.ownership])
        else:
            seen.add(id(layer.ownership))  # bookkeeping for learning, not needed to compute a task
        add("picking_masks", layer.picks.buffers())
        add("biases", layer.task_bias.parameters())
    for module in network.modules():
        if isinstance(module, TaskBatchNorm):
            add("batchnorm", chain(module.parameters(), module.buffers()))
        elif isinstance(module, TaskHead):
            add("heads", module.parameters())
        elif isinstance(module, UnitAttention):
            add("attention", chain(module.parameters(), module.buffers()))
    add("plain_layers", chain(network.parameters(), network.buffers()))
    return {**sizes, "total": sum(sizes.values())}


def network_summary(network: TaskNetwork) -> dict[str, Any]:
    """Width, free capacity and size of what a strategy keeps. `model_size` counts weights as
    the CPG paper does (parameters of a plain network at the final width ÷ at width 1);
    `storage_bytes` is everything stored to run every task, by kind."""
    one_network = dense_parameter_count(network, 1.0)
    final = dense_parameter_count(network, network.width)
    return {
        "final_width": network.width,
        "free_capacity": free_share(network),
        "model_size": {
            "parameters_one_network": one_network,
            "parameters": final,
            "relative_to_one_network": final / one_network if one_network else 1.0,
        },
        "storage_bytes": storage_bytes(network),
        "dense_float32_bytes": 4 * final,
    }


def build_results(config: RunConfig, benchmark_name: str, summary: dict[str, Any],
                  task_results: list[dict[str, Any]], matrix: list[list[float]],
                  wall_seconds: float, checkpoint_bytes: int | None, goal_seconds: float = 0.0) -> dict[str, Any]:
    final = final_accuracies(matrix)
    forgotten = forgetting(matrix)
    tasks = []
    for index, result in enumerate(task_results):
        tasks.append({
            **result,
            "final_accuracy": final[index] if index < len(final) else None,
            "accuracy_at_commit": result["test_accuracy"],
            "forgetting": forgotten[index] if index < len(forgotten) else None,
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
        "prune_last_task": config.prune.last_task,
        "tasks": tasks,
        "accuracy_matrix": matrix,
        "average_accuracy": average_accuracy(matrix),
        "forgetting": forgotten,
        "average_forgetting": average_forgetting(matrix),
        "backward_transfer": backward_transfer(matrix),
        **summary,
        "checkpoint_bytes": checkpoint_bytes,
        "wall_time_seconds": wall_seconds,
        "goal_seconds": goal_seconds,  # of the wall time, measuring the goals
        "seconds_per_stage": stage_seconds,
    }
