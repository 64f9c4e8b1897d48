"""Hard attention to the task over units (HAT: Serra et al. 2018, "Overcoming catastrophic
forgetting with hard attention to the task").

Every channel space of the network (the units a layer, or the layers of a residual stream,
write: `cpg.models.channels`) has, per task, one embedding e per unit. While the task learns,
a unit's gate is σ(s·e), with the scale s annealed from 1/s_max to s_max over every epoch's
batches (`scale`, set by the training plugin); the regulariser c·Σ a(1 − a_<t) / Σ(1 − a_<t)
keeps the task to the units earlier tasks left free. Once committed, a task's gate is binary,
[e > 0] (σ(s_max·e) rounded: the paper's gates at s_max are all but binary, and binary gates keep
every earlier task bit-exact), kept as 1 bit per unit; its embeddings are dropped.
"""

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from cpg.nn.bits import pack_bits, unpack_bits

COSH_BOUND = 50.0
"""|s·e| beyond which cosh is not evaluated in the gradient compensation (the paper's code's)."""
EMBEDDING_BOUND = 6.0
"""Embeddings are clamped to ±this after every step (σ(s_max·6) is 1 in float32; the paper's code's)."""


class UnitAttention(nn.Module):
    """The attention of every task over the units of every channel space (`sizes`: units per
    space). Per task, one flat embedding of all units (while it learns) or its packed gates."""

    def __init__(self, sizes: Sequence[int]) -> None:
        super().__init__()
        self.sizes = tuple(sizes)
        self.starts = tuple(sum(self.sizes[:index]) for index in range(len(self.sizes)))
        self.units = sum(self.sizes)
        self.embeddings = nn.ParameterDict()
        self.gates = nn.Module()
        self.scale = 1.0

    def add_task(self, task: int, device: torch.device | None = None) -> None:
        """The task's embeddings, drawn from N(0, 1)."""
        self.embeddings[str(task)] = nn.Parameter(torch.randn(self.units, device=device))

    def task_parameters(self, task: int) -> list[nn.Parameter]:
        return [self.embeddings[str(task)]] if str(task) in self.embeddings else []

    def _span(self, space: int) -> slice:
        return slice(self.starts[space], self.starts[space] + self.sizes[space])

    def soft(self, task: int, space: int) -> Tensor:
        """σ(s·e) of the learning task's units of `space`, with autograd."""
        return torch.sigmoid(self.scale * self.embeddings[str(task)][self._span(space)])

    @torch.no_grad()
    def hard(self, task: int) -> Tensor:
        """The binary gates of every unit of `task` (learning or committed), as booleans."""
        embedding = self.embeddings[str(task)] if str(task) in self.embeddings else None
        if embedding is not None:
            return embedding > 0
        return unpack_bits(self.gates._buffers[str(task)], (self.units,))

    def span(self, gates: Tensor, space: int) -> Tensor:
        """The entries of `space` in a flat vector over all units."""
        return gates[self._span(space)]

    @torch.no_grad()
    def used_through(self, task: int) -> Tensor:
        """The units any committed task up to `task` uses (HAT's cumulative attention)."""
        used = torch.zeros(self.units, dtype=torch.bool, device=self._device())
        for name in self.gates._buffers:
            if int(name) <= task:
                used |= self.hard(int(name))
        return used

    def _device(self) -> torch.device:
        tensors = [*self.embeddings.values(), *self.gates.buffers()]
        return tensors[0].device if tensors else torch.device("cpu")

    @torch.no_grad()
    def commit(self, task: int) -> None:
        """Keep the task's binary gates as bits and drop its embeddings."""
        self.gates.register_buffer(str(task), pack_bits(self.hard(task)))
        del self.embeddings[str(task)]

    def stamp(self, task: int) -> tuple:
        packed = self.gates._buffers.get(str(task))
        return () if packed is None else (id(packed), packed._version)

    # training: the plugin's steps ------------------------------------------------------------

    def penalty(self, task: int) -> Tensor:
        """Σ a·(1 − a_<t) / Σ (1 − a_<t) over every unit, a the task's gates at the current scale
        (0 when earlier tasks use every unit)."""
        free = (~self.used_through(task - 1)).to(self.embeddings[str(task)].dtype)
        gates = torch.sigmoid(self.scale * self.embeddings[str(task)])
        return (gates * free).sum() / free.sum().clamp_min(1.0)

    @torch.no_grad()
    def compensate_(self, task: int, s_max: float) -> None:
        """Scale the embeddings' gradient by s_max·(cosh(s·e) + 1) / (s·(cosh(e) + 1)), so that
        it does not depend on where s is in its annealing."""
        embedding = self.embeddings[str(task)]
        if embedding.grad is None:
            return
        numerator = torch.cosh((self.scale * embedding).clamp(-COSH_BOUND, COSH_BOUND)) + 1
        embedding.grad.mul_(s_max / self.scale * numerator / (torch.cosh(embedding) + 1))

    @torch.no_grad()
    def clamp_(self, task: int) -> None:
        self.embeddings[str(task)].clamp_(-EMBEDDING_BOUND, EMBEDDING_BOUND)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):  # type: ignore[no-untyped-def]
        """Create the per-task embeddings and gates a checkpoint holds before loading them."""
        for key, value in state_dict.items():
            name = key[len(prefix):] if key.startswith(prefix) else ""
            kind, _, task = name.partition(".")
            if kind == "embeddings" and task not in self.embeddings:
                self.embeddings[task] = nn.Parameter(torch.empty_like(value, device=self._device()))
            elif kind == "gates" and task not in self.gates._buffers:
                self.gates.register_buffer(task, torch.empty_like(value, device=self._device()))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
