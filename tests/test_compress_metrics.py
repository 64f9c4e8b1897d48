"""Channel metrics on hand-made layers whose scores have a closed form, and the shared
weight-score interface (magnitude, SeaM's learned mask)."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cpg import pruner
from cpg.errors import UserError
from cpg.importance import BatchNormScale, ChannelNorm, ClassRelevance, L1Norm, L2Norm, LearnedMask, Taylor, build_metric
from cpg.models import build_model, model_factory
from cpg.nn import Reuse, TaskNetwork
from cpg.seam import MaskedModule


def conv_with_rows(rows: list[list[float]]) -> nn.Sequential:
    """A 1×1 conv whose output channel c has the weights rows[c]."""
    conv = nn.Conv2d(len(rows[0]), len(rows), 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(rows)[:, :, None, None])
    return nn.Sequential(conv)


def test_l1_and_l2_norms_of_each_output_channel():
    model = conv_with_rows([[1.0, -2.0], [0.0, 0.0], [3.0, 4.0]])
    assert L1Norm().scores(model, {"0": None})["0"].tolist() == [3.0, 0.0, 7.0]
    assert L2Norm().scores(model, {"0": None})["0"].tolist() == pytest.approx([math.sqrt(5), 0.0, 5.0])


def test_batchnorm_scale_is_the_absolute_gamma_and_skips_layers_without_batchnorm():
    model = nn.Sequential(nn.Conv2d(1, 3, 1), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(3, 2))
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([-2.0, 0.5, 0.0]))
    scores = BatchNormScale().scores(model, {"0": "1", "3": None})
    assert list(scores) == ["0"] and scores["0"].tolist() == [2.0, 0.5, 0.0]


def taylor_model() -> nn.Sequential:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    with torch.no_grad():
        model[1].running_mean.uniform_(-1, 1)
        model[1].running_var.uniform_(0.5, 2)
        model[2].weight[:, 2] = 0  # channel 2 is read by nothing
    return model.train()


def test_taylor_is_the_mean_absolute_activation_times_gradient_in_evaluation_mode():
    model = taylor_model()
    generator = torch.Generator().manual_seed(1)
    batches = [(torch.randn(5, 4, generator=generator), torch.randint(0, 2, (5,), generator=generator))
               for _ in range(2)]
    statistics = model[1].running_mean.clone()
    scores = Taylor().scores(model, {"0": "1"}, batches)["0"]
    inputs, targets = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
    with torch.no_grad():
        norm = model[1]
        carried = (model[0](inputs) - norm.running_mean) / torch.sqrt(norm.running_var + norm.eps) * norm.weight + norm.bias
        error = F.softmax(model[2](carried), dim=1) - F.one_hot(targets, 2).float()  # ∂ cross-entropy / ∂ logits
        expected = (carried * (error @ model[2].weight)).abs().mean(dim=0)
    assert torch.allclose(scores, expected, atol=1e-6)
    assert scores[2] == 0 and bool((scores[:2] > 0).all())
    assert model.training and torch.equal(model[1].running_mean, statistics)


def test_class_relevance_is_the_highest_normalised_relevance_over_classes():
    model = nn.Sequential(nn.Linear(3, 3, bias=False), nn.Linear(3, 2, bias=False))
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(3))
        model[1].weight.copy_(torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]]))
    batches = [(torch.randn(6, 3), torch.tensor([0, 1, 0, 1, 0, 0]))]
    # class 0 relies on channel 0 (gradient 2), class 1 on channel 1; channel 2 only hurts class 0
    assert ClassRelevance().scores(model, {"0": None}, batches)["0"].tolist() == [1.0, 1.0, 0.0]


def test_learned_mask_reduced_over_a_channel_counts_the_weights_it_keeps():
    module = MaskedModule(build_model("small_cnn", 10, (1, 8, 8)), 10, 2)
    index = module.masked_names.index("features.0.weight")
    with torch.no_grad():
        module.masks[index][3] = -1.0
        module.masks[index][5, 0, 0] = -1.0
    source = module.source
    scores = ChannelNorm(1, module.learned_mask()).scores(source, {"features.0": "features.1"})["features.0"]
    fan_in = source.features[0].weight[0].numel()
    assert scores[3] == 0 and scores[5] == fan_in - 3 and scores[0] == fan_in
    assert torch.equal(module.binary_masks()["features.0.weight"].flatten(1).sum(1).float(), scores)


def test_cpg_gradual_pruning_releases_the_weights_a_learned_mask_removes():
    torch.manual_seed(0)
    network = TaskNetwork.build(model_factory("small_cnn", (1, 8, 8)))
    task = network.add_task(3)
    network.claim_free_weights(task)
    network.begin_learning(task, Reuse.PICK)
    masks = {}
    for name, layer in network.sharable_layers():
        mask = torch.ones_like(layer.weight)
        mask.view(-1)[torch.randperm(mask.numel())[:round(0.25 * mask.numel())]] = -1.0
        masks[f"{name}.weight"] = mask
    pruner.MagnitudePruner(network, task, score=LearnedMask(masks, 0.0)).prune_to(0.25)
    for name, layer in network.sharable_layers():
        assert torch.equal(layer.ownership == 0, masks[f"{name}.weight"] < 0), name


def test_unknown_metric_is_a_user_error():
    with pytest.raises(UserError, match="unknown metric 'nope'; choose one of: bn, doctor, l1, l2, taylor"):
        build_metric("nope")
