"""FLOPs with and without counting zero weights, and interleaved median latency."""

import torch
from torch import nn

from cpg.export import count_flops, median_latencies


def test_linear_flops_count_only_nonzero_weights_when_asked():
    layer = nn.Linear(4, 3)
    inputs = torch.randn(2, 4)
    assert count_flops(layer, inputs) == 2 * 2 * 4 * 3
    with torch.no_grad():
        layer.weight[0] = 0
        layer.weight[1, :2] = 0
    assert count_flops(layer, inputs) == 48
    assert count_flops(layer, inputs, nonzero_weights=True) == 2 * 2 * (12 - 6)


def test_conv_flops_count_nonzero_weights_per_output_position():
    conv = nn.Conv2d(2, 3, 3, padding=1, bias=False)
    inputs = torch.randn(5, 2, 4, 4)
    positions = 5 * 4 * 4
    assert count_flops(conv, inputs) == 2 * positions * conv.weight.numel()
    with torch.no_grad():
        conv.weight[1] = 0
        conv.weight[2, 0, 0, 0] = 0
    nonzero = conv.weight.numel() - 18 - 1
    assert count_flops(conv, inputs, nonzero_weights=True) == 2 * positions * nonzero


def test_a_model_counts_all_its_layers():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 2 * 2, 3))
    inputs = torch.randn(1, 1, 4, 4)
    assert count_flops(model, inputs) == 2 * 4 * 18 + 2 * 8 * 3


def test_median_latencies_measure_every_model():
    fast, slow = nn.Identity(), nn.Sequential(*[nn.Linear(256, 256) for _ in range(8)])
    times = median_latencies([fast, slow], torch.randn(64, 256), repeats=5, warmup=1)
    assert len(times) == 2 and 0 < times[0] < times[1]
