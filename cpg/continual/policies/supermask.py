"""SupSup's network policy: fixed random weights (edge-popup's signed Kaiming constant) that no
task trains; each task learns a supermask over them (cpg/nn/supermask.py) and its head. Its
BatchNorm keeps running statistics of its own and is not trained (γ = 1, β = 0: SupSup's
non-affine BatchNorm), nor are the layers' biases."""

from dataclasses import dataclass

import torch

from cpg.config import RunConfig
from cpg.continual.policies.network import SharedNetwork
from cpg.continual.session import TaskSession
from cpg.errors import SettingError
from cpg.nn import TaskHead, TaskNetwork
from cpg.nn.network import Factory
from cpg.nn.supermask import STORED_SUPERMASK, StoredSupermask, SupermaskLearning, signed_constant_


@dataclass(frozen=True)
class Supermasks(SharedNetwork):
    """Every task learns a top-k supermask of `supsup.density` over the same fixed weights."""

    def check(self, strategy: str, config: RunConfig) -> None:
        if config.init is not None:
            raise SettingError("init", f"{strategy} computes with fixed random weights; it takes no initial weights")

    def build(self, factory: Factory) -> TaskNetwork:
        network = TaskNetwork.build(factory)
        for _, layer in network.sharable_layers():
            signed_constant_(layer.weight)
            layer.committed_mask = STORED_SUPERMASK
        return network

    def start_task(self, session: TaskSession) -> None:
        if not all(isinstance(layer.committed_mask, StoredSupermask) for _, layer in session.network.sharable_layers()):
            raise SettingError("strategy", f"{session.config.strategy} builds its own network of fixed random weights "
                                           "from `arch`; it cannot learn with a network of yours")
        session.add_task()
        session.progress.claimed = {}  # the task owns no weight: it learns by its mask alone
        self.begin_learning(session)

    def begin_learning(self, session: TaskSession) -> None:
        task, density = session.task, session.config.supsup.density
        session.network.learn(task, lambda name, layer: SupermaskLearning(task, layer.weight, density, layer.pick))

    def trained_weights(self, session: TaskSession) -> list[torch.nn.Parameter]:
        """The task's head (its supermask's scores are the picking logits)."""
        return [param for module in session.network.modules() if isinstance(module, TaskHead)
                for param in module.task_parameters(session.task)]
