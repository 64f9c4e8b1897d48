"""Inference cost of CPG's task switching and of exported tasks (README: Performance).

1. Evaluating a committed task with its effective weights cached ÷ a plain dense model's
   forward, same architecture and batch (goal ≤ 1.02). The task is task 2 of a network whose
   task 1 was pruned to 50%, so its weights are picked from task 1's and its own. Printed
   twice: against a freshly initialised dense model, and against the plain model holding the
   task's own weights (`task_model`), which isolates the cost of task switching from any
   effect of the weights' values.
2. On a committed multi-task run (trained here in about half a minute, synthetic data, real
   pruning): the exported model of each task (slimmed, BatchNorm folded) ÷ the full-width
   dense model.

Forwards run in evaluation mode without gradients. Every round runs the models in order and
then in reverse order, so a change of machine load hits them alike; a ratio is the median over
rounds of the round's time ratio.

    python benchmarks/eval_overhead.py [--arch vgg16 resnet20] [--batch 32 128] [--rounds 21]
                                       [--run-arch resnet20] [--skip-run]
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from cpg import pruner
from cpg.config import build_config
from cpg.export.task import export_task
from cpg.models import build_model, model_factory
from cpg.nn import Reuse, TaskNetwork, task_model
from cpg.report import ConsoleReport
from cpg.workflows import execute, open_run

SHAPE = (3, 32, 32)


def two_task_network(arch: str) -> TaskNetwork:
    network = TaskNetwork.build(model_factory(arch, SHAPE))
    for sparsity in (0.5, 0.0):
        task = network.add_task(5)
        network.claim_free_weights(task)
        network.begin_learning(task, Reuse.PICK)
        if sparsity:
            pruner.MagnitudePruner(network, task).prune_to(sparsity)
        network.commit(task)
    network.use_task(2)
    return network.eval()


@torch.no_grad()
def round_times(models: Sequence[torch.nn.Module], inputs: torch.Tensor, rounds: int) -> list[list[float]]:
    """Per round, the seconds of each model (two forwards: forward order, then reverse)."""

    def timed(model: torch.nn.Module) -> float:
        start = time.perf_counter()
        model(inputs)
        return time.perf_counter() - start

    for _ in range(2):
        for model in models:
            timed(model)
    result = []
    for _ in range(rounds):
        forward = [timed(model) for model in models]
        backward = [timed(model) for model in reversed(models)][::-1]
        result.append([a + b for a, b in zip(forward, backward)])
    return result


def ratio(times: list[list[float]], candidate: int, baseline: int) -> float:
    return statistics.median(row[candidate] / row[baseline] for row in times)


def milliseconds(times: list[list[float]], index: int) -> float:
    return statistics.median(row[index] for row in times) / 2 * 1e3


def cached_vs_dense(arch: str, batch: int, rounds: int) -> str:
    torch.manual_seed(0)
    dense = build_model(arch, 5, SHAPE).eval()
    network = two_task_network(arch)
    times = round_times([dense, task_model(network, 2), network], torch.randn(batch, *SHAPE), rounds)
    return (f"dense {milliseconds(times, 0):8.2f} ms  cpg {milliseconds(times, 2):8.2f} ms  "
            f"ratio {ratio(times, 2, 0):.3f}  (÷ plain model with the same weights {ratio(times, 2, 1):.3f})")


def committed_run(root: Path, arch: str) -> Path:
    """A 3-task synthetic run with gradual pruning up to 90% (goal 60%)."""
    settings = {
        "tasks": "synthetic", "arch": arch, "max_width": 1.0, "batch_size": 32, "name": "eval-overhead",
        "benchmark_options": {"num_tasks": 3, "classes_per_task": 4, "train_per_class": 100, "test_per_class": 20,
                              "image_size": 16, "channels": 3, "difficulty": 0.1},
        "goal": {"value": 0.6},
        "finetune": {"epochs": 8, "lr": 0.05, "lr_steps": {}, "mask_lr": 0.005, "mask_lr_steps": {}},
        "prune": {"targets": [0.5, 0.8, 0.9], "epochs": 2, "ramp_epochs": 1, "update_every": 2},
        "retrain": {"epochs": 1, "patience": 1},
        "checkpoint_dir": str(root / "checkpoints"), "log_dir": str(root / "logs"),
    }
    execute(build_config(("benchmark", settings)), console=ConsoleReport(quiet=True))
    return root / "checkpoints" / "eval-overhead"


def exported_vs_dense(run_dir: Path, batch: int, rounds: int) -> None:
    run = open_run(run_dir)
    shape = run.input_shape
    inputs = torch.randn(batch, *shape)
    dense = build_model(run.config.arch, 4, shape, run.network.width).eval()
    dense_parameters = sum(p.numel() for p in dense.parameters())
    print(f"run: {run.config.arch}, {len(run.network.committed_tasks)} tasks, images {shape}, width {run.network.width:g}, batch {batch}")
    for task in run.network.committed_tasks:
        exported = export_task(run.network, task, shape, fuse_bn=True)
        times = round_times([dense, exported.model], inputs, rounds)
        record = run.state.results[task - 1]
        print(f"  task {task}: accuracy {record['test_accuracy']:.3f}  sparsity {record['sparsity']:.2f}  "
              f"channels {exported.exported.channels}/{exported.task_width.channels}  "
              f"parameters {exported.exported.parameters / dense_parameters:.3f}  dense {milliseconds(times, 0):7.2f} ms  "
              f"exported {milliseconds(times, 1):7.2f} ms  ratio {ratio(times, 1, 0):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", nargs="+", default=["vgg16", "resnet20"])
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--rounds", type=int, default=21, help="rounds per measurement")
    parser.add_argument("--run-arch", default="resnet20", help="architecture of the committed run (part 2)")
    parser.add_argument("--skip-run", action="store_true", help="only part 1")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("cached effective weights ÷ dense forward (goal ≤ 1.02)")
    for arch in args.arch:
        for batch in args.batch:
            print(f"  {arch:10s} batch {batch:4d}  {cached_vs_dense(arch, batch, args.rounds)}")
    if args.skip_run:
        return
    print("exported task (slimmed, BatchNorm folded) ÷ full-width dense model")
    with tempfile.TemporaryDirectory() as root:
        exported_vs_dense(committed_run(Path(root), args.run_arch), args.batch[0], args.rounds)


if __name__ == "__main__":
    main()
