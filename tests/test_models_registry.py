"""The architecture registry: every registered model names its head and declares its channel
spaces, which is all that slimming and export read of it."""

import pytest
from torch import nn

from cpg.errors import UserError
from cpg.models import ARCHS, build_model, channel_spaces, check_arch
from cpg.nn import convert

INPUTS = {"mnist_cnn": (1, 28, 28), "mlp": (1, 28, 28), "resnet50": (3, 32, 32)}


def small(name: str) -> nn.Module:
    return build_model(name, 7, INPUTS.get(name, (3, 8, 8)), 0.1 if name in ("vgg16", "resnet50") else 1.0)


@pytest.mark.parametrize("name", ARCHS.names())
def test_the_declared_head_is_the_layer_computing_the_outputs(name):
    model = small(name)
    linears = [layer for layer, module in model.named_modules() if isinstance(module, nn.Linear)]
    assert model.head_layer == linears[-1]
    assert model.get_submodule(model.head_layer).out_features == 7


@pytest.mark.parametrize("name", ARCHS.names())
def test_every_layer_but_the_head_produces_a_channel_space(name):
    model = small(name)
    weighted = {layer for layer, module in model.named_modules() if isinstance(module, (nn.Conv2d, nn.Linear))}
    producers = {producer for space in channel_spaces(model) for producer in space.producers}
    assert producers == weighted - {model.head_layer}


def test_convert_makes_the_declared_head_per_task():
    from cpg.nn import TaskHead

    model = convert(small("vgg16"))
    assert isinstance(model.get_submodule("classifier.4"), TaskHead)


def test_a_model_that_declares_no_channel_spaces_cannot_be_traced():
    with pytest.raises(TypeError, match="cannot trace the channels of Sequential"):
        channel_spaces(nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2)))


def test_an_unknown_arch_is_a_user_error_naming_the_choices():
    with pytest.raises(UserError, match="unknown arch 'resnet7'; choose one of: mlp, mnist_cnn, resnet20, .*, vgg16$"):
        check_arch("resnet7")
