"""What the tasks share: one network of Sharable layers (each task owns and picks weights), one
unprotected backbone with a head per task, or nothing (a plain network per task)."""

import random
from dataclasses import dataclass
from typing import Any

import torch

from cpg import optim
from cpg.config import RunConfig
from cpg.continual.session import TaskSession
from cpg.models import build_model
from cpg.nn import Reuse, TaskNetwork
from cpg.nn.convert import convert_head
from cpg.nn.network import Factory
from cpg.report.results import network_summary
from cpg.seeding import derive_seed


class NetworkPolicy:
    """How a strategy's tasks share a network. The task methods are those of a shared network
    (`SharedNetwork`); a policy without one never has them called."""

    def check(self, strategy: str, config: RunConfig) -> None:
        """Refuse settings the policy cannot honour."""

    def build(self, factory: Factory) -> TaskNetwork | None:
        raise NotImplementedError

    def summary(self, session: TaskSession) -> dict[str, Any]:
        """Width, free capacity and size for results.json."""
        raise NotImplementedError

    def resume(self, session: TaskSession) -> None:
        """Set the task being learned up again after the run was loaded."""

    def start_task(self, session: TaskSession) -> None:
        raise NotImplementedError(f"{type(self).__name__} shares no network")

    def optimizers(self, session: TaskSession, lr: float, mask_lr: float) -> list[torch.optim.Optimizer]:
        raise NotImplementedError(f"{type(self).__name__} shares no network")

    def task_committed(self, session: TaskSession) -> None:
        """The current task was committed, before the run is saved."""


class SharedNetwork(NetworkPolicy):
    """One `TaskNetwork` learns every task; the current task trains `trained_weights`."""

    decays_in_backward = False
    """Whether the layers decay the task's own weights inside their backward pass (masked
    layers do), rather than the optimizer."""

    def summary(self, session: TaskSession) -> dict[str, Any]:
        return network_summary(session.network)

    def resume(self, session: TaskSession) -> None:
        network = session.network
        if network.tasks and not network.tasks[-1].committed:
            self.begin_learning(session)

    def begin_learning(self, session: TaskSession) -> None:
        raise NotImplementedError

    def trained_weights(self, session: TaskSession) -> list[torch.nn.Parameter]:
        raise NotImplementedError

    def optimizers(self, session: TaskSession, lr: float, mask_lr: float) -> list[torch.optim.Optimizer]:
        """SGD for what the task trains (with weight decay unless the layers decay in their
        backward pass); Adam for its picking mask when `mask_lr` > 0. Exactly these parameters
        require gradients from now on."""
        network, config = session.network, session.config
        weights = self.trained_weights(session)
        decay = 0.0 if self.decays_in_backward else config.weight_decay
        optimizers = [optim.sgd(weights, lr, config.momentum, decay)]
        picks = network.picking_logits() if mask_lr > 0 else []
        if picks:
            optimizers.append(optim.adam(picks, mask_lr))
        network.train_only(weights + picks)
        network.set_direct_gradients(not session.dist.enabled)
        if self.decays_in_backward:
            network.set_weight_decay(config.weight_decay)
        return optimizers


@dataclass(frozen=True)
class Masked(SharedNetwork):
    """One network of Sharable layers: a task claims the free weights, trains them, and reuses
    earlier tasks' weights through its picking mask (`Reuse.PICK`) or all of them (`Reuse.ALL`);
    pruning releases weights for later tasks, and the network may grow."""

    reuse: Reuse = Reuse.PICK
    decays_in_backward = True

    def build(self, factory: Factory) -> TaskNetwork:
        return TaskNetwork.build(factory)

    def start_task(self, session: TaskSession) -> None:
        progress, network = session.progress, session.network
        if progress.attempts == 0 and "task_start" not in session.state.snapshots:
            session.snapshot("task_start")  # what GROW starts the task over from
        session.add_task()
        progress.claimed = network.claim_free_weights(session.task)
        self.begin_learning(session)
        if progress.claimed_total == 0:
            how = "picking alone" if self.reuse is Reuse.PICK else "its BatchNorm, biases and head alone"
            session.reporter.message(f"task {session.task}: no free weight left, learning it by {how}")

    def begin_learning(self, session: TaskSession) -> None:
        session.network.begin_learning(session.task, self.reuse, session.progress.trained_layers)

    def trained_weights(self, session: TaskSession) -> list[torch.nn.Parameter]:
        """The task's own shared weights (gated), its BatchNorm, biases and head."""
        return session.network.trained_weights() + session.network.task_parameters(session.task)


@dataclass(frozen=True)
class Backbone(SharedNetwork):
    """One unprotected backbone trained by every task in turn, a head per task. Each task starts
    from the backbone as the previous task left it, or (`finetune.start_from: random`, the CPG
    paper's protocol) as a random earlier task left it. With `earlier_heads` the earlier tasks'
    heads train too, for the loss terms that reach them (distillation, replayed images)."""

    earlier_heads: bool = False

    def build(self, factory: Factory) -> TaskNetwork:
        return TaskNetwork(convert_head(factory(1.0)), factory=factory)

    def start_task(self, session: TaskSession) -> None:
        if session.task > 1 and session.config.finetune.start_from == "random":
            earlier = random.Random(derive_seed(session.config.seed, "start_from", session.task)).randrange(1, session.task)
            self._load_backbone(session, f"after_task_{earlier}")
        session.add_task()
        self.begin_learning(session)
        session.progress.claimed = {"backbone": sum(param.numel() for param in self.trained_weights(session))}

    def begin_learning(self, session: TaskSession) -> None:
        session.network.begin_learning(session.task, Reuse.ALL)  # only the head is task-aware: nothing to pick

    def trained_weights(self, session: TaskSession) -> list[torch.nn.Parameter]:
        """All of the network but, unless `earlier_heads`, the other tasks' heads."""
        network = session.network
        if self.earlier_heads:
            return list(network.parameters())
        others = {id(param) for record in network.tasks if record.number != session.task
                  for param in network.task_parameters(record.number)}
        return [param for param in network.parameters() if id(param) not in others]

    def task_committed(self, session: TaskSession) -> None:
        if session.config.finetune.start_from == "random":
            session.snapshot(f"after_task_{session.task}")  # a later task may start from this backbone

    @staticmethod
    def _load_backbone(session: TaskSession, role: str) -> None:
        """The shared backbone as it was saved under `role`; every task keeps its own head."""
        network = session.network
        saved = session.load_snapshot(role)
        heads = {id(param) for record in network.tasks for param in network.task_parameters(record.number)}
        backbone = {name for name, param in network.named_parameters() if id(param) not in heads}
        backbone |= {name for name, _ in network.named_buffers()}
        network.load_state_dict({key: value for key, value in saved.items() if key in backbone}, strict=False)


@dataclass(frozen=True)
class Separate(NetworkPolicy):
    """Nothing shared: each task trains a plain network of its own (`cpg.continual.alone`)."""

    def build(self, factory: Factory) -> None:
        return None

    def summary(self, session: TaskSession) -> dict[str, Any]:
        config, benchmark = session.config, session.benchmark
        one_network = sum(p.numel() for p in build_model(config.arch, 2, benchmark.input_shape).parameters())
        count = len(session.state.results)
        stored = sum(tensor.numel() * tensor.element_size()
                     for task in benchmark.tasks[:count]
                     for tensor in build_model(config.arch, task.num_classes, benchmark.input_shape).state_dict().values())
        return {
            "final_width": 1.0,
            "free_capacity": 0.0,
            "model_size": {"parameters_one_network": one_network, "parameters": count * one_network,
                           "relative_to_one_network": float(count)},
            "storage_bytes": {"plain_layers": stored, "total": stored},
            "dense_float32_bytes": 4 * count * one_network,
        }
