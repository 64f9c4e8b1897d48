"""Checkpoint bytes after 20 tasks ÷ dense float32 model bytes (README: Performance), plus save and
load time per checkpoint.

Builds a 20-task CPG network on VGG16-BN with the protocol's structure: each task claims the
free weights, trains its picking mask for a few steps on random data, is pruned, and is
committed; the network grows once to width 1.5. Training is cut to a few steps because sizes
do not depend on how well the tasks are learned.

    python benchmarks/checkpoint_size.py [--arch vgg16] [--tasks 20] [--steps 2]
"""

import argparse
import tempfile
import time

import torch
import torch.nn.functional as F

from cpg import optim, pruner
from cpg.checkpoint import RunFolder, load_tensors
from cpg.models import model_factory
from cpg.nn import Reuse, TaskNetwork, free_share

SHAPE = (3, 32, 32)


def learn(network: TaskNetwork, steps: int, sparsity: float) -> None:
    task = network.add_task(5)
    network.claim_free_weights(task)
    network.begin_learning(task, Reuse.PICK)
    network.use_task(task)
    network.train()
    optimizers = [optim.sgd(network.trained_weights() + network.task_parameters(task), 1e-2, 0.9)]
    if network.picking_logits():
        optimizers.append(optim.adam(network.picking_logits(), 5e-2))
    for _ in range(steps):
        inputs, targets = torch.randn(8, *SHAPE), torch.randint(0, 5, (8,))
        for optimizer in optimizers:
            optimizer.zero_grad()
        F.cross_entropy(network(inputs), targets).backward()
        for optimizer in optimizers:
            optimizer.step()
    pruner.MagnitudePruner(network, task).prune_to(sparsity, tuple(optimizers))
    network.commit(task)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="vgg16")
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    factory = model_factory(args.arch, SHAPE)
    network = TaskNetwork.build(factory)
    for task in range(1, args.tasks + 1):
        if task == 2:
            network.grow(1.5)
        learn(network, args.steps, sparsity=0.9 if task < args.tasks else 0.0)
    dense_bytes = 4 * sum(p.numel() for p in factory(network.width).parameters())
    with tempfile.TemporaryDirectory() as root:
        folder = RunFolder(root)
        started = time.perf_counter()
        version = folder.save({"task": args.tasks}, {"network": network.state_dict()})
        saved = time.perf_counter() - started
        size = folder.model_path(version).stat().st_size
        started = time.perf_counter()
        load_tensors(folder.model_path(version))
        loaded = time.perf_counter() - started
    print(f"{args.arch}, {args.tasks} tasks, width {network.width:g}, free capacity {free_share(network):.1%}")
    print(f"checkpoint {size / 2**20:8.1f} MiB   dense float32 {dense_bytes / 2**20:8.1f} MiB   ratio {size / dense_bytes:.3f}")
    print(f"save {saved:.2f} s   load {loaded:.2f} s")


if __name__ == "__main__":
    main()
