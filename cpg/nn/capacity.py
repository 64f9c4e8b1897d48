"""How full the network is: free and owned weights per layer and per task."""

from dataclasses import dataclass

import torch

from cpg.nn.network import TaskNetwork


@dataclass(frozen=True)
class LayerCapacity:
    name: str
    total: int
    free: int
    owned: dict[int, int]  # task -> weights it owns


@torch.no_grad()
def layer_capacity(network: TaskNetwork) -> list[LayerCapacity]:
    result = []
    for name, layer in network.sharable_layers():
        counts = torch.bincount(layer.ownership.reshape(-1).to(torch.int64), minlength=1)
        owned = {task: int(count) for task, count in enumerate(counts.tolist()) if task > 0 and count}
        result.append(LayerCapacity(name, layer.ownership.numel(), int(counts[0]), owned))
    return result


@torch.no_grad()
def free_share(network: TaskNetwork) -> float:
    """Share of all shared weights that no task owns."""
    free = total = 0
    for _, layer in network.sharable_layers():
        free += int(torch.count_nonzero(layer.ownership == 0))
        total += layer.ownership.numel()
    return free / total if total else 0.0


def owned_share(network: TaskNetwork) -> dict[int, float]:
    """Share of all shared weights each task owns."""
    layers = layer_capacity(network)
    total = sum(layer.total for layer in layers)
    shares: dict[int, float] = {}
    for layer in layers:
        for task, count in layer.owned.items():
            shares[task] = shares.get(task, 0.0) + count / total
    return shares


@torch.no_grad()
def picked_share(network: TaskNetwork, task: int) -> float:
    """Share of the earlier tasks' weights that `task` uses (1.0 when it reuses them all)."""
    earlier = picked = 0
    for _, layer in network.sharable_layers():
        shape = layer.task_shapes.get(task)
        if shape is None:
            continue
        ownership = layer.ownership[tuple(slice(0, size) for size in shape)]
        earlier += int(((ownership >= 1) & (ownership < task)).sum())
        picked += int(layer.reused_mask(task).sum())
    return picked / earlier if earlier else 0.0
