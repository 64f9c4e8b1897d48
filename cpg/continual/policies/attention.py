"""HAT's network policy: one network whose tasks gate its units with hard attention
(cpg/nn/attention_network.py). A task trains its attention embeddings, BatchNorm, biases and
head, and the weights no committed task computes with; its training procedure (the annealed
scale, the regulariser, the embeddings' gradient compensation) is `AttentionTraining`'s."""

from dataclasses import dataclass

import torch

from cpg.continual.policies.network import SharedNetwork
from cpg.continual.session import TaskSession
from cpg.errors import SettingError
from cpg.nn.attention_network import AttentionNetwork
from cpg.nn.network import Factory


def attention_network(session: TaskSession) -> AttentionNetwork:
    """The session's network, which must be one HAT built."""
    network = session.network
    if not isinstance(network, AttentionNetwork):
        raise SettingError("strategy", f"{session.config.strategy} builds its own network from `arch` (attention over "
                                       "the units its channel spaces declare); it cannot learn with a network of yours")
    return network


@dataclass(frozen=True)
class HardAttention(SharedNetwork):
    """Per task, attention over the units of every channel space; a weight both of whose units
    committed tasks use is frozen (owned by the task whose commit froze it)."""

    decays_in_backward = True

    def build(self, factory: Factory) -> AttentionNetwork:
        return AttentionNetwork.build(factory)

    def start_task(self, session: TaskSession) -> None:
        network = attention_network(session)
        session.add_task()
        session.progress.claimed = {name: int((layer.ownership == 0).sum()) for name, layer in network.sharable_layers()}
        self.begin_learning(session)

    def begin_learning(self, session: TaskSession) -> None:
        attention_network(session).begin_attention(session.task, session.progress.trained_layers)

    def trained_weights(self, session: TaskSession) -> list[torch.nn.Parameter]:
        """The free weights (gated), and the task's attention embeddings, BatchNorm, biases and head."""
        return session.network.trained_weights() + session.network.task_parameters(session.task)
