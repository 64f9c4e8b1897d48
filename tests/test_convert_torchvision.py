"""A user's own network: torchvision's ResNet-18, converted and trained by the engine."""

import pytest
import torch
import torchvision

import cpg
from cpg.data import build_benchmark
from cpg.workflows import fit
from tests.runs import Watch


@pytest.mark.slow
def test_converted_resnet18_learns_two_tasks_without_forgetting(quick_config, quiet):
    torch.manual_seed(0)
    network = cpg.TaskNetwork(cpg.convert(torchvision.models.resnet18(num_classes=2)))
    options = {"num_tasks": 2, "classes_per_task": 2, "train_per_class": 24, "test_per_class": 8,
               "image_size": 16, "channels": 3, "difficulty": 0.2}
    config = quick_config(benchmark_options=options, finetune={"epochs": 2}, prune={"targets": [0.5], "epochs": 1},
                          retrain={"epochs": 1})
    benchmark = build_benchmark("synthetic", options=options)
    batch = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    seen = {}

    def record(session):
        net = session.network
        net.eval()
        net.use_task(net.committed_tasks[-1])
        with torch.no_grad():
            seen[net.committed_tasks[-1]] = net(batch).clone()

    results = fit(network, benchmark, config, console=quiet, plugins=[Watch(committed=record)])
    assert results["forgetting"] == [0.0]
    network.eval()
    network.use_task(1)
    with torch.no_grad():
        assert torch.equal(network(batch), seen[1])
    assert isinstance(network.body.fc, cpg.nn.TaskHead)
