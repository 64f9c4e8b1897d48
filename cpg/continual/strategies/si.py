"""Synaptic Intelligence: Zenke, Poole & Ganguli, "Continual Learning Through Synaptic
Intelligence" (ICML 2017), on finetune's shared backbone with a head per task.

While task μ learns, each shared weight k accumulates its contribution to the drop of the
task's loss along the training path, ω_k += −g_k Δθ_k per step (g the gradient of the task's
own loss, without the penalty, as the authors' code takes it; Δθ the step's update). When the
task ends, Ω_k += ω_k / (Δ_k² + ξ), Δ_k being how far the weight moved during the task, and
the weights are kept as θ̃. Every later step's loss gains c Σ Ω_k (θ_k − θ̃_k)²
(`si.strength` c, `si.damping` ξ).
"""

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from cpg.continual.policies import Backbone
from cpg.continual.quadratic import Anchored, Penalty, Tensors, copied, shared_parameters, tensor_bytes
from cpg.continual.session import TaskSession
from cpg.continual.strategy import Strategy
from cpg.engine import LoopHook
from cpg.registry import STRATEGIES


class PathIntegral(LoopHook):
    """Adds −g·Δθ of every step to `omega`, g the gradient of the loss without `penalty`."""

    def __init__(self, params: Mapping[str, torch.nn.Parameter], omega: Tensors, penalty: Penalty | None) -> None:
        self.params = params
        self.omega = omega
        self.penalty = penalty
        self.before: Tensors = {}
        self.gradients: Tensors = {}

    @torch.no_grad()
    def after_backward(self, step: int) -> None:
        self.before = copied(self.params)
        self.gradients = {}
        for name, param in self.params.items():
            if param.grad is not None:
                penalty = self.penalty.gradient(name) if self.penalty is not None else 0
                self.gradients[name] = param.grad - penalty

    @torch.no_grad()
    def after_step(self, step: int) -> None:
        for name, gradient in self.gradients.items():
            self.omega[name] -= gradient * (self.params[name] - self.before[name])


class SynapticIntelligence(Anchored):
    """Keeps Ω (the importance) and θ̃ (the anchor), and while a task learns its running ω and
    the weights it started from."""

    strength_setting = "si.strength"

    def __init__(self) -> None:
        super().__init__()
        self.omega: Tensors = {}
        self.start: Tensors = {}

    def coefficient(self, session: TaskSession) -> float:
        return session.config.si.strength

    def task_started(self, session: TaskSession) -> None:
        params = shared_parameters(session.network)
        self.start = copied(params)
        self.omega = {name: torch.zeros_like(param) for name, param in self.start.items()}

    def loop_hooks(self, session: TaskSession, stage: str) -> Sequence[LoopHook]:
        penalty = self.penalty(session)
        integral = PathIntegral(shared_parameters(session.network), self.omega, penalty)
        return [*([penalty] if penalty is not None else []), integral]

    @torch.no_grad()
    def task_committed(self, session: TaskSession) -> None:
        params = shared_parameters(session.network)
        damping = session.config.si.damping
        for name, param in params.items():
            contribution = self.omega[name] / ((param - self.start[name]).square() + damping)
            self.importance[name] = self.importance[name] + contribution if name in self.importance else contribution
        self.anchor = copied(params)
        self.omega, self.start = {}, {}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "omega": self.omega, "start": self.start}

    def load_state_dict(self, state: dict[str, Any], session: TaskSession) -> None:
        super().load_state_dict(state, session)
        self.omega = copied(state["omega"], session.device)
        self.start = copied(state["start"], session.device)

    def storage_bytes(self, session: TaskSession) -> dict[str, int]:
        return {**super().storage_bytes(session), "path_integral": tensor_bytes(self.omega, self.start)}


SI = STRATEGIES.add("si", Strategy(network=Backbone(), plugins=(SynapticIntelligence(),)))
