"""From scores to keep masks: uniform, global and per-layer choices, residual coupling, and the
FLOPs budget."""

import pytest
import torch

from cpg.errors import UserError
from cpg.export import count_flops, slim
from cpg.importance import L1Norm
from cpg.models import ChannelSpace, build_model
from cpg.pruner import ScoredSpace, global_threshold, keep_masks, per_layer, score_spaces, uniform, within_flops
from tests.fixtures.pruned import masked
from tests.test_seam_slim import randomised


def scored(name: str, scores: list[float] | None, size: int | None = None) -> ScoredSpace:
    size = len(scores) if scores is not None else size
    return ScoredSpace(ChannelSpace(size, (name,), (None,), ()), None if scores is None else torch.tensor(scores))


def test_uniform_removes_the_same_share_of_every_space_lowest_scores_first():
    spaces = [scored("a", [4.0, 1.0, 3.0, 2.0]), scored("b", [0.5, 0.1]), scored("c", None, 3)]
    kept = uniform(spaces, 0.5)
    assert [mask.tolist() for mask in kept] == [[True, False, True, False], [True, False], [True] * 3]
    assert uniform(spaces, 0.99)[0].sum() == 1  # a space always keeps its best channel


def test_global_threshold_compares_spaces_by_scores_relative_to_their_mean():
    relative = [3.0, 1.0, 2.0, 0.5, 4.0, 0.25]
    spaces = [scored("small", relative), scored("large", [1000 * value for value in relative[::-1]])]
    kept = global_threshold(spaces, 0.5)
    assert kept[0].tolist() == [True, False, True, False, True, False]
    assert kept[1].tolist() == kept[0].flip(0).tolist()


def test_global_threshold_removes_the_share_of_all_channels_but_never_empties_a_space():
    spaces = [scored("weak", [1e-6, 1e-7, 1e-8]), scored("strong", [5.0, 4.0, 3.0, 2.0, 1.0]), scored("x", None, 2)]
    kept = global_threshold(spaces, 0.9)
    assert [int(mask.sum()) for mask in kept] == [1, 1, 2]
    assert kept[0][0] and kept[1][0]
    assert sum(int((~mask).sum()) for mask in global_threshold(spaces, 0.5)[:2]) == 4


def test_per_layer_ratios_by_name_and_their_errors():
    spaces = [scored("a", [1.0, 2.0, 3.0, 4.0]), scored("b", [1.0, 2.0]), scored("linear", None, 4),
              ScoredSpace(ChannelSpace(2, ("s1", "s2"), (None, None), ()), torch.tensor([2.0, 1.0]))]
    kept = per_layer(spaces, {"a": 0.5, "s2": 0.5})
    assert [mask.tolist() for mask in kept] == [[False, False, True, True], [True, True], [True] * 4, [True, False]]
    with pytest.raises(UserError, match="no prunable layer 'nope'; choose among: a, b, linear, s1, s2"):
        per_layer(spaces, {"nope": 0.5})
    with pytest.raises(UserError, match="cannot rate the channels of 'linear'"):
        per_layer(spaces, {"linear": 0.5})
    with pytest.raises(UserError, match="'s1' and 's2' are joined by a residual add"):
        per_layer(spaces, {"s1": 0.5, "s2": 0.25})


def test_pruned_resnet_has_the_shapes_of_a_hand_built_narrower_resnet_and_computes_the_masked_model():
    model = randomised(build_model("resnet20", 10, (1, 8, 8)))
    spaces = score_spaces(model, L1Norm())
    stream = next(space for space in spaces if "conv1" in space.space.producers)
    assert set(stream.space.producers) == {"conv1", "layer1.0.conv2", "layer1.1.conv2", "layer1.2.conv2"}
    assert torch.allclose(stream.scores, sum(model.get_submodule(name).weight.abs().flatten(1).sum(1)
                                             for name in stream.space.producers))
    keep = keep_masks(spaces, uniform(spaces, 0.5))
    pruned = slim(model, keep)
    # 16/32/64 channels halved are the 8/16/32 of ResNet-20 at width 0.25 (channels scale by √width)
    hand_built = build_model("resnet20", 10, (1, 8, 8), width=0.25).state_dict()
    assert {key: value.shape for key, value in pruned.state_dict().items()} == \
           {key: value.shape for key, value in hand_built.items()}
    best = torch.sort(stream.scores, descending=True, stable=True).indices[:8]
    assert set(keep["layer1.1.conv2"].nonzero().flatten().tolist()) == set(best.tolist())
    inputs = torch.randn(4, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(pruned(inputs), masked(model, keep)(inputs), atol=1e-5)


def test_flops_budget_is_met_by_the_least_pruning_that_meets_it():
    model = randomised(build_model("vgg16", 10, (1, 8, 8), width=0.1))
    spaces = score_spaces(model, L1Norm())
    image = torch.zeros(1, 1, 8, 8)
    full = count_flops(model, image)

    def flops(ratio: float) -> int:
        return count_flops(slim(model, keep_masks(spaces, global_threshold(spaces, ratio))), image)

    ratio, kept = within_flops(model, spaces, lambda r: global_threshold(spaces, r), 0.4, image)
    assert all(map(torch.equal, kept, global_threshold(spaces, ratio)))
    assert flops(ratio) <= 0.4 * full < flops(ratio - 0.01)
    with pytest.raises(UserError, match="even one channel per prunable layer"):
        within_flops(model, spaces, lambda r: global_threshold(spaces, r), 1e-6, image)
