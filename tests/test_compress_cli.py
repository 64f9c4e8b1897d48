"""`cpg compress`: the compressed model loads without cpg and computes what the pruned model
computes; fine-tuning, FLOPs targets, run sources, recipes; one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cpg.classifier import load_classifier
from cpg.cli import main
from cpg.config import read_yaml
from cpg.config.compress import compress_config
from cpg.data import build_benchmark
from cpg.importance import L1Norm
from cpg.pruner import global_threshold, keep_masks, score_spaces
from tests.fixtures.committed_run import committed_run
from tests.fixtures.pruned import digits_classifier_file, masked
from tests.test_cli_errors import one_line_error

RECIPES = sorted((Path(__file__).resolve().parents[1] / "pipelines").glob("compress-*.yaml"))

WITHOUT_CPG = """
import importlib.abc, sys
class NoCpg(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "cpg" or name.startswith("cpg."):
            raise ImportError("cpg must not be needed to run a compressed model")
sys.meta_path.insert(0, NoCpg())
import torch
model = torch.export.load(sys.argv[2]).module()
with torch.no_grad():
    torch.save(model(torch.load(sys.argv[1])), sys.argv[3])
assert not any(name == "cpg" or name.startswith("cpg.") for name in sys.modules)
"""


def compress_json(capsys, argv: list[str]) -> dict:
    assert main(["compress", *argv, "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


def test_compressed_model_runs_without_cpg_and_computes_the_pruned_masked_model(tmp_path, capsys):
    classifier = digits_classifier_file(tmp_path / "resnet20.pt")
    output = tmp_path / "small.pt2"
    report = compress_json(capsys, [str(classifier), "--ratio", "0.5", "--metric", "l1", "--epochs", "0",
                                    "-o", str(output)])
    model = load_classifier(classifier).model
    spaces = score_spaces(model, L1Norm())
    reference = masked(model, keep_masks(spaces, global_threshold(spaces, 0.5)))
    images, _ = build_benchmark("digits-10").tasks[0].test.__getitems__(range(200))
    torch.save(images, tmp_path / "images.pt")
    completed = subprocess.run([sys.executable, "-c", WITHOUT_CPG, str(tmp_path / "images.pt"), str(output),
                                str(tmp_path / "logits.pt")], cwd=tmp_path, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    with torch.no_grad():
        torch.testing.assert_close(torch.load(tmp_path / "logits.pt"), reference(images), rtol=1e-4, atol=1e-5)
    before, after = report["before"], report["after"]
    assert after["channels"] == before["channels"] // 2 == sum(layer["after"] for layer in report["layers"])
    assert after["parameters"] < before["parameters"] and after["flops"] < before["flops"]
    assert report["finetune"]["selected_epoch"] == 0 and report["test_images_checked"] > 0


def test_fine_tuning_to_a_flops_target_with_a_data_driven_metric(tmp_path, capsys):
    classifier = digits_classifier_file(tmp_path / "vgg16.pt", "vgg16", 0.05)
    report = compress_json(capsys, [str(classifier), "--flops", "0.5", "--metric", "taylor", "--mode", "uniform",
                                    "--epochs", "1", "--calibration-images", "64", "-o", str(tmp_path / "v.pt2")])
    assert report["ratio"]["flops"] <= 0.5 and report["settings"]["mode"] == "uniform"
    assert len(report["finetune"]["history"]) == 1 and report["finetune"]["selected_epoch"] in (0, 1)
    assert set(report["accuracy"]) == {"before", "pruned", "after"} and report["latency_ms"]["ratio"] > 0


def test_a_task_of_a_cpg_run_is_compressed_by_explicit_layer_ratios(tmp_path_factory, tmp_path, capsys):
    run_dir, _ = committed_run(tmp_path_factory)
    ratios = tmp_path / "ratios.yaml"
    ratios.write_text("features.3: 0.5\n")
    report = compress_json(capsys, ["--run", str(run_dir), "--task", "2", "--layer-ratios", str(ratios),
                                    "--epochs", "0", "-o", str(tmp_path / "task2.pt2")])
    assert report["settings"]["mode"] == "ratios" and report["arch"] == "small_cnn"
    layers = {layer["layers"][0]: layer for layer in report["layers"]}
    assert layers["features.3"]["after"] == layers["features.3"]["before"] - round(0.5 * layers["features.3"]["before"])
    assert all(layer["after"] == layer["before"] for name, layer in layers.items() if name != "features.3")


@pytest.mark.parametrize("recipe", RECIPES, ids=[path.stem for path in RECIPES])
def test_recipes_are_valid(recipe):
    assert compress_config((str(recipe), read_yaml(recipe))).mode in ("uniform", "global", "ratios")


@pytest.mark.parametrize(("flags", "message"), [
    (["--ratio", "1"], "ratio: must be strictly between 0 and 1, got 1"),
    (["--ratio", "0"], "ratio: must be strictly between 0 and 1, got 0"),
    (["--ratio", "1.5"], "ratio: must be strictly between 0 and 1"),
    (["--flops", "-0.1"], "flops: must be strictly between 0 and 1"),
    (["--ratio", "0.5", "--metric", "nope"], "unknown metric 'nope'; choose one of: bn, doctor, l1, l2, taylor"),
    (["--layer-ratios", "RATIOS"], "layer_ratios: the model has no prunable layer 'layer9.conv'"),
    (["--ratio", "0.5", "--mode", "sideways"], "mode: unknown mode 'sideways'"),
    ([], "give one target: ratio"),
])
def test_bad_settings_are_one_line_errors(tmp_path, capsys, flags, message):
    classifier = digits_classifier_file(tmp_path / "resnet20.pt")
    (tmp_path / "ratios.yaml").write_text("layer9.conv: 0.5\n")
    flags = [str(tmp_path / "ratios.yaml") if flag == "RATIOS" else flag for flag in flags]
    line = one_line_error(capsys, ["compress", str(classifier), "-o", str(tmp_path / "out.pt2"), "--quiet", *flags])
    assert message in line


def test_an_exported_program_is_refused_with_the_way_to_compress_its_task(tmp_path, capsys):
    (tmp_path / "task2.pt2").write_bytes(b"PK")
    line = one_line_error(capsys, ["compress", str(tmp_path / "task2.pt2"), "--ratio", "0.5", "-o", "small.pt2"])
    assert "cannot be pruned again" in line and "the task of the run it came from" in line
