"""Training throughput (images per second), measured in one process (README: Performance):

1. cpg's training loop (seeded in-memory loader + `cpg.engine.train_epoch`) on a plain model
   ÷ a plain PyTorch loop (DataLoader over a TensorDataset) on the same model and data;
2. the same loop on a CPG network learning its second task (picking and gating on)
   ÷ the plain loop on the dense model;
3. two processes with gloo (DistributedDataParallel, each with half the threads and half of
   every batch) ÷ one process, on the CPG network.

    python benchmarks/throughput.py [--arch resnet20] [--images 2048] [--epochs 3]
"""

import argparse
import os
import statistics
import tempfile
import time

from cpg.allocator import use_huge_pages

use_huge_pages()  # before torch is imported: the allocator settings `cpg` runs with

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402

from scenarios import learning_optimizers, second_task_network  # noqa: E402

from cpg import optim  # noqa: E402
from cpg.data import make_loader  # noqa: E402
from cpg.data.in_memory import InMemoryImages  # noqa: E402
from cpg.distributed import Distributed  # noqa: E402
from cpg.engine import train_epoch  # noqa: E402
from cpg.models import build_model  # noqa: E402

SHAPE = (3, 32, 32)
BATCH = 32


def data(images: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return torch.randn(images, *SHAPE, generator=generator), torch.randint(0, 5, (images,), generator=generator)


def plain_epoch(model: torch.nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer) -> None:
    model.train()
    for inputs, targets in loader:
        optimizer.zero_grad()
        F.cross_entropy(model(inputs), targets).backward()
        optimizer.step()


def images_per_second(run_epoch, images: int, epochs: int) -> float:
    run_epoch()
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        run_epoch()
        times.append(time.perf_counter() - start)
    return images / statistics.median(times)


def interleaved(loops: dict[str, object], images: int, rounds: int) -> dict[str, float]:
    """Images per second of each loop, timed one epoch at a time in turn (so a change in the
    machine's load affects all alike); the median over `rounds`."""
    times: dict[str, list[float]] = {name: [] for name in loops}
    for loop in loops.values():
        loop()
    for _ in range(rounds):
        for name, loop in loops.items():
            start = time.perf_counter()
            loop()
            times[name].append(time.perf_counter() - start)
    return {name: images / statistics.median(values) for name, values in times.items()}


def in_process(arch: str, images: int, epochs: int) -> None:
    inputs, targets = data(images)
    dense = build_model(arch, 5, SHAPE)
    plain_loader = DataLoader(TensorDataset(inputs, targets), batch_size=BATCH, shuffle=True,
                              generator=torch.Generator().manual_seed(0))
    plain_optimizer = optim.sgd(dense.parameters(), 1e-2, 0.9, weight_decay=4e-5)
    dataset = InMemoryImages(inputs, targets, mean=torch.zeros(3), std=torch.ones(3))
    engine_optimizer = optim.sgd(dense.parameters(), 1e-2, 0.9, weight_decay=4e-5)
    network = second_task_network(arch, SHAPE)
    optimizers = learning_optimizers(network)
    rates = interleaved({
        "plain": lambda: plain_epoch(dense, plain_loader, plain_optimizer),
        "engine": lambda: train_epoch(dense, make_loader(dataset, BATCH, shuffle=True, seed=1), [engine_optimizer],
                                      torch.device("cpu")),
        "cpg": lambda: train_epoch(network, make_loader(dataset, BATCH, shuffle=True, seed=1), optimizers,
                                   torch.device("cpu")),
    }, images, epochs)
    plain, engine, masked = rates["plain"], rates["engine"], rates["cpg"]
    print(f"{arch}: plain loop {plain:7.1f} img/s   cpg loop, plain model {engine:7.1f} img/s "
          f"(ratio {engine / plain:.3f})   cpg loop, CPG network {masked:7.1f} img/s (ratio {masked / plain:.3f})")


def _worker(rank: int, world: int, arch: str, images: int, epochs: int, address: str, results: dict) -> None:
    torch.set_num_threads(max(1, torch.get_num_threads() // world) if world > 1 else torch.get_num_threads())
    if world > 1:
        dist.init_process_group("gloo", init_method=address, rank=rank, world_size=world)
    torch.manual_seed(0)
    network = second_task_network(arch, SHAPE)
    optimizers = learning_optimizers(network)
    network.set_direct_gradients(world == 1)
    model = Distributed(rank, world).wrap(network)
    inputs, targets = data(images)
    dataset = TensorDataset(inputs, targets)

    def run_epoch() -> None:
        sampler = DistributedSampler(dataset, world, rank, seed=0) if world > 1 else None
        loader = DataLoader(dataset, batch_size=BATCH // world, sampler=sampler, shuffle=sampler is None)
        train_epoch(model, loader, optimizers, torch.device("cpu"))
        if world > 1:
            dist.barrier()

    rate = images_per_second(run_epoch, images, epochs)
    if rank == 0:
        results[world] = rate
    if world > 1:
        dist.destroy_process_group()


def multi_process(arch: str, images: int, epochs: int) -> None:
    manager = mp.Manager()
    results = manager.dict()
    with tempfile.TemporaryDirectory() as folder:
        for world in (1, 2):
            address = f"file://{os.path.join(folder, f'rendezvous-{world}')}"
            mp.spawn(_worker, args=(world, arch, images, epochs, address, results), nprocs=world, join=True)
    print(f"{arch}: 1 process {results[1]:7.1f} img/s   2 processes (gloo) {results[2]:7.1f} img/s "
          f"(ratio {results[2] / results[1]:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="resnet20")
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {BATCH}")
    in_process(args.arch, args.images, args.epochs)
    multi_process(args.arch, args.images, args.epochs)


if __name__ == "__main__":
    main()
