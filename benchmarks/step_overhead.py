"""CPG finetune training step ÷ plain dense step, same architecture and batch (README: Performance).

The CPG step is that of task 2 after task 1 was pruned to 50%: gradient gating, weight decay on
owned weights and a trained picking mask are all on. Both steps use the same optimizer kind
(SGD with Nesterov momentum; Adam for the picking mask), measured alternately in one process.

    python benchmarks/step_overhead.py [--arch vgg16 resnet20] [--batch 32] [--rounds 15]
"""

import argparse
import statistics
import time

from cpg.allocator import use_huge_pages

use_huge_pages()  # before torch is imported: the allocator settings `cpg` runs with

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from scenarios import learning_optimizers, second_task_network  # noqa: E402

from cpg import optim  # noqa: E402
from cpg.models import build_model  # noqa: E402


def step_fn(model: torch.nn.Module, optimizers: list[torch.optim.Optimizer], x: torch.Tensor, y: torch.Tensor):
    def step() -> None:
        for optimizer in optimizers:
            optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        for optimizer in optimizers:
            optimizer.step()
    return step


def timed(step, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        step()
    return (time.perf_counter() - start) / count


def measure(arch: str, batch: int, rounds: int) -> tuple[float, float, float]:
    """Median dense and CPG step times, and the median of their per-round ratios: each round
    times the two steps back to back, so the ratio is not moved by drift between rounds."""
    shape = (3, 32, 32)
    x, y = torch.randn(batch, *shape), torch.randint(0, 5, (batch,))
    dense = build_model(arch, 5, shape).train()
    dense_step = step_fn(dense, [optim.sgd(dense.parameters(), 1e-2, 0.9, weight_decay=4e-5)], x, y)
    network = second_task_network(arch, shape).train()
    cpg_step = step_fn(network, learning_optimizers(network), x, y)
    for _ in range(3):
        dense_step()
        cpg_step()
    dense_times, cpg_times = [], []
    for _ in range(rounds):
        dense_times.append(timed(dense_step, 2))
        cpg_times.append(timed(cpg_step, 2))
    ratios = [masked / dense for dense, masked in zip(dense_times, cpg_times)]
    return statistics.median(dense_times), statistics.median(cpg_times), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", nargs="+", default=["vgg16", "resnet20"])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}")
    for arch in args.arch:
        dense, masked, ratio = measure(arch, args.batch, args.rounds)
        print(f"{arch:10s} dense {dense * 1e3:8.1f} ms   cpg {masked * 1e3:8.1f} ms   ratio {ratio:.3f}")


if __name__ == "__main__":
    main()
