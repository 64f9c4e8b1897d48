"""Physical slimming (cpg.export): shapes shrink, residual-coupled channels are cut together, and
the slimmed model computes what the original computes without the removed channels."""

import copy

import pytest
import torch
from torch import nn

from cpg.export import exact_keep, slim
from cpg.models import build_model, channel_spaces
from cpg.models.vgg import VGG

CASES = [("small_cnn", (1, 8, 8), 1.0), ("vgg16", (1, 8, 8), 0.1), ("resnet20", (3, 8, 8), 1.0),
         ("mnist_cnn", (1, 28, 28), 0.5), ("mlp", (1, 28, 28), 0.5), ("resnet50", (3, 32, 32), 0.1)]


def randomised(model: nn.Module) -> nn.Module:
    """Nontrivial BatchNorm statistics, so that a wrongly sliced norm shows."""
    torch.manual_seed(1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-1, 1)
    return model.eval()


def without_channels(model: nn.Module, removed: dict[str, torch.Tensor]) -> nn.Module:
    """The reference: the removed channels' inputs to every consumer set to zero."""
    reference = copy.deepcopy(model)
    modules = dict(reference.named_modules())
    with torch.no_grad():
        for space in channel_spaces(reference):
            gone = removed.get(space.producers[0])
            if gone is None:
                continue
            for consumer in space.consumers:
                columns = (gone.nonzero().flatten()[:, None] * consumer.repeat + torch.arange(consumer.repeat)).flatten()
                modules[consumer.name].weight[:, columns] = 0
    return reference


def random_keep(model: nn.Module, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    keep = {}
    for space in channel_spaces(model):
        mask = torch.rand(space.size, generator=generator) < 0.6
        mask[0] = True
        keep.update({name: mask for name in space.producers})
    return keep


@pytest.mark.parametrize(("arch", "shape", "width"), CASES)
def test_slimmed_model_equals_the_model_without_the_removed_channels(arch, shape, width):
    model = randomised(build_model(arch, 10, shape, width))
    keep = random_keep(model)
    slimmed = slim(model, keep)
    reference = without_channels(model, {name: ~mask for name, mask in keep.items()})
    inputs = torch.randn(4, *shape)
    assert torch.allclose(slimmed(inputs), reference(inputs), atol=1e-5)
    modules = dict(slimmed.named_modules())
    for name, mask in keep.items():
        layer = modules[name]
        assert (layer.out_channels if isinstance(layer, nn.Conv2d) else layer.out_features) == int(mask.sum())
    assert sum(p.numel() for p in slimmed.parameters()) < sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(("arch", "shape", "width"), CASES)
def test_slimmed_model_is_made_of_ordinary_layers_and_leaves_the_original_alone(arch, shape, width):
    model = randomised(build_model(arch, 10, shape, width))
    before = copy.deepcopy(model.state_dict())
    slimmed = slim(model, random_keep(model))
    allowed = (nn.Conv2d, nn.BatchNorm2d, nn.Linear)
    for module in slimmed.modules():
        if any(p is not None for p in module.parameters(recurse=False)):
            assert type(module) in allowed
    assert all(torch.equal(before[key], value) for key, value in model.state_dict().items())


def test_residual_coupled_channels_are_kept_as_the_union():
    model = randomised(build_model("resnet20", 10, (3, 8, 8)))
    stream = next(space for space in channel_spaces(model) if "conv1" in space.producers)
    assert set(stream.producers) == {"conv1", "layer1.0.conv2", "layer1.1.conv2", "layer1.2.conv2"}
    keep_stem = torch.zeros(16, dtype=torch.bool)
    keep_stem[[0, 1]] = True
    keep_block = torch.zeros(16, dtype=torch.bool)
    keep_block[5] = True
    slimmed = slim(model, {"conv1": keep_stem, "layer1.0.conv2": keep_block})
    for name in ("conv1", "layer1.0.conv2", "layer1.2.conv2"):
        assert slimmed.get_submodule(name).out_channels == 3
    assert slimmed.get_submodule("bn1").num_features == 3
    assert slimmed.get_submodule("layer1.1.conv1").in_channels == 3
    assert slimmed.get_submodule("layer2.0.conv1").in_channels == 3
    assert slimmed.get_submodule("layer2.0.downsample.0").in_channels == 3
    union = keep_stem | keep_block
    reference = without_channels(model, {name: ~union for name in stream.producers})
    inputs = torch.randn(3, 3, 8, 8)
    assert torch.allclose(slimmed(inputs), reference(inputs), atol=1e-5)


def test_flatten_boundary_removes_every_position_of_a_channel():
    model = randomised(VGG(5, in_channels=1, input_size=8, hidden=16, layout=(8, "M", 6)))
    space = next(space for space in channel_spaces(model) if space.producers == ("features.4",))
    assert space.consumers[0].name == "classifier.0" and space.consumers[0].repeat == 16
    keep = torch.tensor([True, False, True, False, False, True])
    slimmed = slim(model, {"features.4": keep})
    assert slimmed.get_submodule("classifier.0").in_features == 3 * 16
    reference = without_channels(model, {"features.4": ~keep})
    inputs = torch.randn(2, 1, 8, 8)
    assert torch.allclose(slimmed(inputs), reference(inputs), atol=1e-5)


def test_a_space_never_loses_every_channel():
    model = build_model("small_cnn", 10, (1, 8, 8)).eval()
    slimmed = slim(model, {"features.0": torch.zeros(32, dtype=torch.bool)})
    assert slimmed.get_submodule("features.0").out_channels == 1
    assert slimmed(torch.randn(2, 1, 8, 8)).shape == (2, 10)


def test_model_outputs_cannot_be_removed():
    model = build_model("small_cnn", 10, (1, 8, 8))
    with pytest.raises(ValueError, match="not a layer whose output channels can be removed"):
        slim(model, {model.head_layer: torch.ones(10, dtype=torch.bool)})


def test_exact_keep_removes_dead_and_unread_channels_without_changing_outputs():
    model = randomised(build_model("resnet20", 10, (3, 8, 8)))
    modules = dict(model.named_modules())
    with torch.no_grad():
        for space in channel_spaces(model):
            for name in space.producers:
                modules[name].weight[: space.size // 2] = 0  # dead: the BN constant decides
            for consumer in space.consumers:
                modules[consumer.name].weight[:, -2:] = 0  # unread
        modules["layer1.0.bn1"].bias[0] = -5.0  # dead and zero after ReLU: goes
        modules["layer1.0.bn1"].bias[1] = 5.0  # dead but a positive constant read by a padded conv: stays
        modules["layer1.0.bn1"].running_mean[:2] = 0.0
    keep = exact_keep(model, (3, 8, 8))
    assert not keep["layer1.0.conv1"][0] and keep["layer1.0.conv1"][1]
    assert not keep["layer1.0.conv1"][-1]
    slimmed = slim(model, keep)
    inputs = torch.randn(4, 3, 8, 8)
    assert torch.allclose(slimmed(inputs), model(inputs), atol=1e-5)
    assert sum(p.numel() for p in slimmed.parameters()) < sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(("arch", "shape", "width"), CASES)
def test_exact_keep_of_an_untouched_model_keeps_everything(arch, shape, width):
    model = randomised(build_model(arch, 10, shape, width))
    assert all(bool(mask.all()) for mask in exact_keep(model, shape).values())
