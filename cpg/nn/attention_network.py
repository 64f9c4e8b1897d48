"""A `TaskNetwork` whose tasks gate units with HAT's attention (cpg/nn/attention.py).

A layer's weight W[i, j] connects unit j of the space the layer reads to unit i of the space it
writes; task t computes with W ⊙ a_t[i]·a_t[j] (gates of 1 on the network's input). Gating the
read units is HAT's gating of activations, moved past the BatchNorm and ReLU that cpg's
architectures put between two layers (ReLU and pooling commute with a gate ≥ 0); gating the
written units too makes an unused unit's output independent of every shared weight. A weight
is frozen once both of its units are used by committed tasks (min(a_<t[i], a_<t[j]) = 1 with
binary gates): it then belongs, in the layer's ownership, to the task whose commit froze it,
and the gradient of every owned weight is zero (`GradientGate`), as is its weight decay. Free
weights train with every task, so a weight a committed task computes with never changes.
"""

from collections.abc import Sequence

import torch
from torch import Tensor

from cpg.models.channels import channel_spaces
from cpg.nn.attention import UnitAttention
from cpg.nn.convert import convert
from cpg.nn.masking import CommittedMask, TaskLearning, earlier_weights
from cpg.nn.network import Factory, TaskNetwork
from cpg.nn.sharable import SharableMixin


class UnitGates(CommittedMask):
    """Which spaces a layer writes (`out`) and reads (`into`, each unit read `repeat` times:
    a linear layer behind a flatten), and the masks over its weight that gates of them give."""

    uses_ownership = False

    def __init__(self, attention: UnitAttention, out: int | None, into: int | None, repeat: int = 1) -> None:
        self.attention, self.out, self.into, self.repeat = attention, out, into, repeat

    def outer(self, out: Tensor | None, into: Tensor | None, shape: Sequence[int]) -> Tensor:
        """The per-weight product of gates of the written units (`out`) and the read ones
        (`into`), as `out`, `into` or the ones they are None for."""
        trailing = (1,) * (len(shape) - 2)
        rows = out.view(-1, 1, *trailing) if out is not None else None
        columns = into.repeat_interleave(self.repeat).view(1, -1, *trailing) if into is not None else None
        if rows is None and columns is None:
            raise ValueError("a layer that neither writes nor reads a channel space has no attention")
        product = columns if rows is None else rows if columns is None else rows * columns
        return product.expand(*shape[:2], *product.shape[2:])

    def _spaces(self, flat: Tensor) -> tuple[Tensor | None, Tensor | None]:
        span = self.attention.span
        return (None if self.out is None else span(flat, self.out), None if self.into is None else span(flat, self.into))

    def keep(self, task: int, ownership: Tensor, packed: Tensor | None) -> Tensor:
        return self.hard(task, ownership.shape)

    def hard(self, task: int, shape: Sequence[int]) -> Tensor:
        """The binary gates of `task` (learning or committed) over the weight."""
        return self.outer(*self._spaces(self.attention.hard(task)), shape).expand(*shape)

    def stamp(self, task: int) -> tuple:
        return self.attention.stamp(task)

    def soft(self, task: int, shape: Sequence[int]) -> Tensor:
        """σ(s·e) gates of the learning task over the weight, with autograd."""
        out = None if self.out is None else self.attention.soft(task, self.out)
        into = None if self.into is None else self.attention.soft(task, self.into)
        return self.outer(out, into, shape)

    def frozen_through(self, task: int, shape: Sequence[int]) -> Tensor:
        """The weights both of whose units committed tasks up to `task` use."""
        return self.outer(*self._spaces(self.attention.used_through(task)), shape).expand(*shape)


class GradientGate(torch.autograd.Function):
    """Identity forward; backward (∂L/∂W + λ·W) ⊙ free: owned weights get no gradient and no decay."""

    @staticmethod
    def forward(ctx, weight: Tensor, free: Tensor, decay: float) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(weight, free)
        ctx.decay = decay
        return weight.view_as(weight)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        weight, free = ctx.saved_tensors
        return (grad + ctx.decay * weight) * free, None, None


class GatedLearning(TaskLearning):
    """A task learning its attention over one layer, and the layer's free weights (`ownership == 0`)."""

    def __init__(self, task: int, gates: UnitGates, weight: Tensor, ownership: Tensor,
                 trains_weight: bool | None = None) -> None:
        self.task, self.gates = task, gates
        self.shape, self.dtype = tuple(weight.shape), weight.dtype
        self.reread(ownership)
        self.trains_weight = bool(self.free.any()) if trains_weight is None else trains_weight

    @torch.no_grad()
    def reread(self, ownership: Tensor) -> None:
        self.free = (ownership == 0).to(self.dtype)
        self.earlier = earlier_weights(ownership, self.task)

    def weight(self, weight: Tensor) -> Tensor:
        self.generation += 1
        trained = GradientGate.apply(weight, self.free, self.weight_decay) if self.trains_weight else weight.detach()
        return trained * self.gates.soft(self.task, self.shape)

    @torch.no_grad()
    def frozen_weight(self, weight: Tensor) -> Tensor:
        return weight * self.gates.hard(self.task, self.shape).to(weight.dtype)

    def picked(self) -> Tensor:
        return self.gates.hard(self.task, self.shape) & self.earlier

    def stamp(self) -> tuple:
        embedding = self.gates.attention.embeddings[str(self.task)]
        return (id(self), self.generation, embedding._version)


class AttentionNetwork(TaskNetwork):
    """A `TaskNetwork` built from a registered architecture (whose `channel_spaces()` say which
    layer writes and reads which units) with one `UnitAttention` over them."""

    def __init__(self, body: torch.nn.Module, attention: UnitAttention, gates: dict[str, UnitGates],
                 factory: Factory | None = None) -> None:
        super().__init__(body, factory=factory)
        self.attention = attention
        self.gates = gates
        for name, layer in self.sharable_layers():
            layer.committed_mask = gates[name]

    @classmethod
    def build(cls, factory: Factory, width: float = 1.0) -> "AttentionNetwork":
        if width != 1.0:
            raise ValueError("HAT's attention does not grow: build it at width 1")
        plain = factory(width)
        spaces = channel_spaces(plain)
        attention = UnitAttention([space.size for space in spaces])
        writes = {name: index for index, space in enumerate(spaces) for name in space.producers}
        reads = {consumer.name: (index, consumer.repeat) for index, space in enumerate(spaces)
                 for consumer in space.consumers}
        body = convert(plain)
        names = [name for name, module in body.named_modules() if isinstance(module, SharableMixin)]
        for name in names:
            if getattr(body.get_submodule(name), "groups", 1) != 1:
                raise ValueError(f"{name}: HAT's attention over grouped convolutions is not supported")
        gates = {name: UnitGates(attention, writes.get(name), *reads.get(name, (None, 1))) for name in names}
        return cls(body, attention, gates, factory=factory)

    def add_task(self, num_classes: int) -> int:
        number = super().add_task(num_classes)
        self.attention.add_task(number, device=self.device)
        return number

    def task_parameters(self, task: int) -> list[torch.nn.Parameter]:
        """The task's head, BatchNorm, biases and attention embeddings."""
        return super().task_parameters(task) + self.attention.task_parameters(task)

    def begin_attention(self, task: int, trained: set[str] | None = None) -> None:
        """Set up every layer for `task`: it learns its attention, and the layers named in
        `trained` (None: those with free weights) train their free weights."""
        self.learn(task, lambda name, layer: GatedLearning(
            task, self.gates[name], layer.weight, layer.ownership, None if trained is None else name in trained))

    @torch.no_grad()
    def commit(self, task: int) -> None:
        """Freeze `task`: its gates become bits, and the free weights both of whose units are now
        used become its own."""
        super().commit(task)
        self.attention.commit(task)
        for name, layer in self.sharable_layers():
            frozen = self.gates[name].frozen_through(task, layer.weight.shape) & (layer.ownership == 0)
            layer.ownership.masked_fill_(frozen, task)
