"""mnist_cnn and mlp: shapes, width multipliers, conversion and growth of a TaskNetwork."""

import pytest
import torch
from torch import nn

from cpg import pruner
from cpg.models import build_model, model_factory
from cpg.nn import SharableConv2d, SharableLinear, TaskHead, TaskNetwork
from tests.test_nn_sharable import start

SHAPE = (1, 28, 28)


def hidden_sizes(model: nn.Module) -> list[int]:
    return [m.out_channels if isinstance(m, nn.Conv2d) else m.out_features
            for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))][:-1]


def test_mnist_cnn_keeps_the_spatial_map_up_to_its_hidden_linear_layer():
    model = build_model("mnist_cnn", 10, SHAPE)
    assert hidden_sizes(model) == [32, 64, 64, 128]
    assert model.classifier[0].in_features == 64 * 7 * 7
    assert not any(isinstance(m, nn.AdaptiveAvgPool2d) for m in model.modules())
    assert model(torch.randn(2, *SHAPE)).shape == (2, 10)
    assert build_model("mnist_cnn", 3, (1, 8, 8))(torch.randn(2, 1, 8, 8)).shape == (2, 3)


def test_mlp_is_two_hidden_layers_on_the_flattened_image():
    model = build_model("mlp", 10, SHAPE)
    assert hidden_sizes(model) == [400, 400]
    assert model.classifier[0].in_features == 784
    assert build_model("mlp", 5, (3, 8, 8)).classifier[0].in_features == 192


@pytest.mark.parametrize(("arch", "width", "sizes"), [
    ("mnist_cnn", 4.0, [64, 128, 128, 256]), ("mlp", 4.0, [800, 800]), ("mlp", 6.25, [1000, 1000]),
])
def test_width_scales_channels_and_units_by_its_square_root(arch, width, sizes):
    assert hidden_sizes(build_model(arch, 10, SHAPE, width)) == sizes


@pytest.mark.parametrize("arch", ["mnist_cnn", "mlp"])
def test_growth_keeps_a_committed_task_bit_exact_and_widens_every_layer(arch):
    torch.manual_seed(0)
    network = TaskNetwork.build(model_factory(arch, SHAPE))
    layers = dict(network.sharable_layers())
    assert all(isinstance(layer, (SharableConv2d, SharableLinear)) for layer in layers.values())
    assert isinstance(network.body.head, TaskHead)
    first = start(network)
    pruner.MagnitudePruner(network, first).prune_to(0.5)
    network.commit(first)
    batch = torch.randn(8, *SHAPE)
    network.eval()
    with torch.no_grad():
        before = network(batch).clone()
    sizes = {name: tuple(layer.weight.shape) for name, layer in layers.items()}
    network.grow(1.5)
    for name, layer in network.sharable_layers():
        assert layer.weight.shape[0] > sizes[name][0]
    network.use_task(first)
    with torch.no_grad():
        assert torch.equal(network(batch), before)
    second = start(network)
    network.train()
    assert network(batch).shape == (8, 2)
    assert network.width == 1.5 and second == first + 1
