"""Online EWC: Elastic Weight Consolidation (Kirkpatrick et al. 2017) in its online form, as
Schwarz et al. define it in "Progress & Compress: A scalable framework for continual learning"
(ICML 2018), on finetune's shared backbone with a head per task.

After task k the diagonal Fisher information F_k of the network's predictive distribution on
the task's training images joins a running sum, F* ← γF* + F_k, and the weights are kept as
θ* (online EWC keeps one penalty, not one per task). While task k+1 learns, every step's loss
gains (λ/2) Σ γF* (θ − θ*)² over the weights every task shares (`ewc.strength` λ, `ewc.decay` γ).
"""

from collections.abc import Iterable, Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call, grad, vmap

from cpg.continual.policies import Backbone
from cpg.continual.quadratic import Anchored, Tensors, copied, shared_parameters
from cpg.continual.session import TaskSession
from cpg.continual.strategy import Strategy
from cpg.registry import STRATEGIES

GRADIENT_FLOATS = 2**26
"""How many floats of per-image gradients one vectorised pass may hold (256 MB)."""


def diagonal_fisher(network: nn.Module, params: Mapping[str, Tensor], batches: Iterable[tuple[Tensor, Tensor]],
                    device: torch.device) -> Tensors:
    """The diagonal of the Fisher information of `network`'s predictive distribution p(y|x) with
    respect to `params`, averaged over the images of `batches`: per image
    Σ_y p(y|x) (∂ log p(y|x) / ∂θ)², the expectation over the network's own classes (the labels
    are not used). In evaluation mode, so BatchNorm uses its running statistics and an image's
    gradient does not depend on its batch."""
    network.eval()
    weights = {name: param.detach() for name, param in params.items()}
    fixed = {name: tensor.detach() for name, tensor in [*network.named_parameters(), *network.named_buffers()]
             if name not in weights}

    def log_likelihood(theta: Tensors, image: Tensor, label: int) -> Tensor:
        outputs = functional_call(network, {**fixed, **theta}, (image.unsqueeze(0),))
        return F.log_softmax(outputs, dim=1)[0, label]

    chunk = max(1, GRADIENT_FLOATS // max(1, sum(weight.numel() for weight in weights.values())))
    per_image = vmap(grad(log_likelihood), in_dims=(None, 0, None), chunk_size=chunk)
    fisher = {name: torch.zeros_like(weight) for name, weight in weights.items()}
    images_seen = 0
    for images, _ in batches:
        images = images.to(device)
        with torch.no_grad():
            probabilities = F.softmax(network(images), dim=1)
        for label in range(probabilities.shape[1]):
            for name, gradients in per_image(weights, images, label).items():
                fisher[name] += torch.tensordot(probabilities[:, label], gradients.square(), dims=1)
        images_seen += len(images)
    return {name: value / max(1, images_seen) for name, value in fisher.items()}


class OnlineEWC(Anchored):
    """Keeps the running Fisher information F* (the importance) and θ* (the anchor)."""

    importance_kind = "fisher"
    strength_setting = "ewc.strength"

    def coefficient(self, session: TaskSession) -> float:
        settings = session.config.ewc
        return settings.strength * settings.decay / 2

    def task_committed(self, session: TaskSession) -> None:
        if session.is_last_task:
            return  # no later task for it to protect
        network, task = session.network, session.task
        network.use_task(task)
        params = shared_parameters(network)
        fisher = diagonal_fisher(network, params, session.data(task).eval_batches("train"), session.device)
        decay = session.config.ewc.decay
        self.importance = {name: decay * self.importance[name] + value if self.importance else value
                           for name, value in fisher.items()}
        self.anchor = copied(params)


EWC = STRATEGIES.add("ewc", Strategy(network=Backbone(), plugins=(OnlineEWC(),)))
