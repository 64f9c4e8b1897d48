"""Multi-process training with torch.distributed: who this process is and what it shares.

Under `torchrun` (or `cpg run --nproc N`) every rank runs the same state machine on the same
network. Gradients are averaged by DistributedDataParallel; everything else that decides the
run's course is identical on all ranks by construction: weights start equal (DDP broadcasts
them) and stay equal, BatchNorm statistics are broadcast from rank 0 after every epoch,
training totals are summed over ranks, and evaluation runs on the whole split on every rank.
Only rank 0 writes checkpoints, results and logs.
"""

import datetime
import inspect
import os
from collections.abc import Iterable
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

T = TypeVar("T")


class Distributed:
    """This process's place in the job; a single process is rank 0 of 1."""

    def __init__(self, rank: int = 0, world_size: int = 1, local_rank: int = 0) -> None:
        self.rank = rank
        self.world_size = world_size
        self.local_rank = local_rank

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def sum(self, values: Tensor) -> Tensor:
        """The element-wise sum of `values` over ranks (in place)."""
        if self.enabled:
            dist.all_reduce(values, op=dist.ReduceOp.SUM)
        return values

    def any(self, flag: bool) -> bool:
        """Whether `flag` is true on some rank: a decision every rank then takes alike."""
        if not self.enabled:
            return flag
        value = torch.tensor([int(flag)])
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def broadcast(self, tensors: Iterable[Tensor]) -> None:
        """Overwrite `tensors` on every rank with rank 0's values."""
        if self.enabled:
            for tensor in tensors:
                dist.broadcast(tensor, src=0)

    def broadcast_object(self, value: T) -> T:
        """Rank 0's `value` (any picklable object), on every rank."""
        if not self.enabled:
            return value
        holder = [value]
        dist.broadcast_object_list(holder, src=0)
        return holder[0]

    def wrap(self, network: nn.Module) -> nn.Module:
        """The module to train: DistributedDataParallel around `network` when distributed.
        Buffers are not broadcast every step (ownership masks never change while training);
        `broadcast` syncs BatchNorm statistics once per epoch instead."""
        if not self.enabled:
            return network
        device_ids = [self.local_rank] if next(network.parameters()).device.type == "cuda" else None
        return DistributedDataParallel(network, device_ids=device_ids, **_NO_BUFFER_SYNC)

    def close(self) -> None:
        if self.enabled and dist.is_initialized():
            dist.destroy_process_group()


_NO_BUFFER_SYNC = (
    {"forward_sync_buffers": False}
    if "forward_sync_buffers" in inspect.signature(DistributedDataParallel.__init__).parameters
    else {"broadcast_buffers": False}
)
"""No buffer broadcast before every forward (newer torch renamed the option)."""


def is_main_process() -> bool:
    """Rank 0 of a torchrun job, or a plain process."""
    return int(os.environ.get("RANK", "0")) == 0


def from_environment(device_type: str) -> Distributed:
    """Join the process group torchrun describes in the environment (gloo on CPU, NCCL on
    CUDA); a plain process is a job of one."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Distributed()
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if device_type == "cuda" else "gloo"
        dist.init_process_group(backend, timeout=datetime.timedelta(minutes=10))
    if device_type == "cuda":
        torch.cuda.set_device(local_rank)
    return Distributed(rank, world_size, local_rank)
