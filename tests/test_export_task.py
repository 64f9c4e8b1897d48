"""`cpg export`: a standalone plain model of one task, slimmed, loadable without cpg."""

import json
import subprocess
import sys

import pytest
import torch

from cpg.cli import main
from cpg.export.task import export_task
from cpg.models import model_factory
from cpg.nn import Reuse, TaskNetwork
from cpg.workflows import open_run
from cpg.workflows.run_settings import load_benchmark
from tests.fixtures.committed_run import committed_run

WITHOUT_CPG = """
import sys, importlib.abc
class NoCpg(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "cpg" or name.startswith("cpg."):
            raise ImportError("cpg must not be needed to load an exported model")
sys.meta_path.insert(0, NoCpg())
import torch
images = torch.load(sys.argv[1])
program = torch.export.load(sys.argv[2]).module()
script = torch.jit.load(sys.argv[3])
with torch.no_grad():
    torch.save({"export": program(images), "torchscript": script(images)}, sys.argv[4])
assert not any(name == "cpg" or name.startswith("cpg.") for name in sys.modules)
"""


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    return committed_run(tmp_path_factory)


def test_exported_task_loads_without_cpg_takes_raw_images_and_predicts_like_the_engine(finished, tmp_path, capsys):
    run_dir, _ = finished
    task = 2
    program, script = tmp_path / "task2.pt2", tmp_path / "task2.ts"
    assert main(["export", str(run_dir), "--task", str(task), "-o", str(program), "--fuse-bn", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["test_images_checked"] > 0 and report["after"]["parameters"] <= report["before"]["parameters"]
    assert main(["export", str(run_dir), "--task", str(task), "-o", str(script), "--format", "torchscript"]) == 0
    run = open_run(run_dir)
    test = load_benchmark(run.config).tasks[task - 1].test
    torch.save(test.images.float(), tmp_path / "images.pt")  # raw: as the benchmark stores them
    completed = subprocess.run([sys.executable, "-c", WITHOUT_CPG, str(tmp_path / "images.pt"), str(program),
                                str(script), str(tmp_path / "logits.pt")], cwd=tmp_path, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    run.network.use_task(task)
    with torch.no_grad():
        engine = run.network(test.__getitems__(range(len(test)))[0])
    for name, logits in torch.load(tmp_path / "logits.pt").items():
        torch.testing.assert_close(logits, engine, rtol=1e-4, atol=1e-5, msg=name)
        assert torch.equal(logits.argmax(1), engine.argmax(1)), name


def test_export_says_what_input_the_program_takes(finished, tmp_path, capsys):
    run_dir, _ = finished
    program = tmp_path / "task1.pt2"
    assert main(["export", str(run_dir), "--task", "1", "-o", str(program), "--json"]) == 0
    described = json.loads(capsys.readouterr().out)["input"]
    test = load_benchmark(open_run(run_dir).config).tasks[0].test
    assert described["normalised_in_program"] is True and described["stored_as"] == "float32"
    assert described["mean"] == pytest.approx(test.mean.tolist()) and described["std"] == pytest.approx(test.std.tolist())
    assert described["unit_scale"] == 1.0 and described["shape"] == [1, 8, 8]
    assert described["value_range"] == pytest.approx([test.images.min().item(), test.images.max().item()])
    stored = {"cpg-input.json": ""}
    torch.export.load(str(program), extra_files=stored)
    assert json.loads(stored["cpg-input.json"]) == described
    assert main(["export", str(run_dir), "--task", "1", "-o", str(program)]) == 0
    console = capsys.readouterr().out
    assert "input:" in console and "raw images" in console and f"{test.mean[0].item():.4g}" in console


def network_leaving_channels_unused(unused: int) -> TaskNetwork:
    """Task 1 owns every weight except those of the second conv that read the first conv's
    first `unused` channels: those channels carry nothing to the outputs."""
    torch.manual_seed(0)
    network = TaskNetwork.build(model_factory("small_cnn", (1, 8, 8)))
    task = network.add_task(3)
    network.claim_free_weights(task)
    layers = dict(network.sharable_layers())
    layers["features.3"].ownership[:, :unused] = 0
    network.begin_learning(task, Reuse.PICK)
    network.commit(task)
    return network.eval()


def test_slimming_removes_the_channels_a_task_leaves_unused():
    unused = 4
    network = network_leaving_channels_unused(unused)
    exported = export_task(network, 1, (1, 8, 8))
    conv1 = dict(network.sharable_layers())["features.3"]
    removed = unused * (9 + 2 + conv1.weight.shape[0] * 9)  # conv0 rows, their BatchNorm, conv1 columns
    assert exported.exported.parameters == exported.task_width.parameters - removed
    assert exported.exported.channels == exported.task_width.channels - unused
    images = torch.randn(64, 1, 8, 8)
    network.use_task(1)
    with torch.no_grad():
        torch.testing.assert_close(exported.model(images), network(images), rtol=1e-5, atol=1e-6)


def test_a_task_using_every_channel_keeps_them_all():
    exported = export_task(network_leaving_channels_unused(0), 1, (1, 8, 8), fuse_bn=True)
    assert exported.exported.channels == exported.task_width.channels
    assert not any(isinstance(module, torch.nn.BatchNorm2d) for module in exported.model.modules())
