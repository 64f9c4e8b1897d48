"""`cpg seam` and `cpg seam finetune`: one-line errors with exit 2, a JSON report, a standalone
module file."""

import json

import pytest
import torch

from cpg.classifier import save_classifier
from cpg.cli import main
from cpg.models import build_model
from tests.fixtures.seam import digits_classifier

QUICK = ["--epochs", "3", "--mask-lr", "0.2", "--alpha", "3", "--batch-size", "64"]


@pytest.fixture
def classifier(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "digits.pt"
    save_classifier(path, digits_classifier())
    return str(path)


def one_line_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("cpg: error: ")
    return lines[0]


def test_unknown_target_class(capsys, classifier):
    line = one_line_error(capsys, ["seam", "--classifier", classifier, "--target-class", "12"])
    assert "'12' is not a class of the source" in line


def test_unknown_class_in_a_list(capsys, classifier):
    assert "'x' is not a class" in one_line_error(capsys, ["seam", "--classifier", classifier, "--target-classes", "1,x"])


def test_negative_alpha(capsys, classifier):
    line = one_line_error(capsys, ["seam", "--classifier", classifier, "--target-class", "3", "--alpha", "-1"])
    assert "alpha: must not be negative" in line


def test_negative_distillation_weight(capsys, classifier):
    line = one_line_error(capsys, ["seam", "--classifier", classifier, "--target-class", "3", "--distill-weight", "-1"])
    assert "distill.weight: must not be negative" in line


def test_state_dict_of_another_arch(capsys, tmp_path, classifier):
    path = tmp_path / "resnet.pt"
    torch.save(build_model("resnet20", 10, (1, 8, 8)).state_dict(), path)
    line = one_line_error(capsys, ["seam", "--state-dict", str(path), "--arch", "small_cnn", "--dataset", "digits-10",
                                   "--target-class", "3"])
    assert "does not fit small_cnn" in line and "lacks features.0.weight" in line


def test_state_dict_with_other_classes(capsys, tmp_path, classifier):
    path = tmp_path / "five.pt"
    torch.save(build_model("small_cnn", 5, (1, 8, 8)).state_dict(), path)
    line = one_line_error(capsys, ["seam", "--state-dict", str(path), "--arch", "small_cnn", "--dataset", "digits-10",
                                   "--target-class", "3"])
    assert "head.weight is (5, 128), the model needs (10, 128)" in line


def test_file_that_is_not_a_state_dict(capsys, tmp_path, classifier):
    path = tmp_path / "text.pt"
    path.write_text("hello")
    line = one_line_error(capsys, ["seam", "--state-dict", str(path), "--arch", "small_cnn", "--dataset", "digits-10",
                                   "--target-class", "3"])
    assert "not a readable state_dict" in line


@pytest.mark.parametrize("dataset, expected", [("digits-10:two", "give BENCHMARK or BENCHMARK:K"),
                                               ("digits-5:6", "task 6: digits-5 has tasks 1..5")])
def test_a_dataset_names_a_benchmark_and_maybe_its_task(capsys, tmp_path, classifier, dataset, expected):
    path = tmp_path / "weights.pt"
    torch.save(build_model("small_cnn", 2, (1, 8, 8)).state_dict(), path)
    line = one_line_error(capsys, ["seam", "--state-dict", str(path), "--arch", "small_cnn", "--dataset", dataset,
                                   "--target-class", "3"])
    assert expected in line


def test_no_source_or_no_target(capsys, classifier):
    assert "exactly one of --classifier" in one_line_error(capsys, ["seam", "--target-class", "3"])
    assert "exactly one of --target-class" in one_line_error(capsys, ["seam", "--classifier", classifier])


def test_seam_prints_a_json_report_and_writes_the_module(capsys, tmp_path, classifier):
    out = tmp_path / "module.pt2"
    assert main(["seam", "--classifier", classifier, "--target-class", "4", *QUICK, "--json", "-o", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["target"]["classes"] == ["4", "not 4"]
    assert 0 < report["retained_ratio"] <= 1
    assert set(report["accuracy"]["module"]) == {"val", "test"}
    assert 0 < report["flops_per_image"]["module"] <= report["flops_per_image"]["source"] + 2 * 10 * 2  # + head
    assert report["latency_ms"]["batch"] > 0 and report["output"] == str(out)
    module = torch.export.load(out).module()
    assert module(torch.zeros(3, 1, 8, 8)).shape == (3, 2)


def test_seam_state_dict_source_and_subset_target(capsys, tmp_path, classifier):
    path = tmp_path / "weights.pt"
    torch.save({"state_dict": {f"module.{key}": value for key, value in digits_classifier().model.state_dict().items()}}, path)
    assert main(["seam", "--state-dict", str(path), "--arch", "small_cnn", "--dataset", "digits-10",
                 "--target-classes", "1,7,9", *QUICK, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["target"]["classes"] == ["1", "7", "9"]


def test_seam_finetune_compares_defect_inheritance(capsys, classifier):
    argv = ["seam", "--classifier", classifier, *QUICK, "finetune", "--target-class", "2", "--finetune-epochs", "1",
            "--attack-steps", "2", "--eps", "0.2", "--json"]
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    reuse = document["indirect_reuse"]
    assert reuse["attack"]["steps"] == 2 and reuse["finetune"]["epochs"] == 1
    for model in ("module", "standard", "source"):
        assert 0 <= reuse[model]["clean_accuracy"] <= 1
        assert 0 <= reuse[model]["defect_inheritance_rate"] <= 1
    assert document["reengineering"]["settings"]["epochs"] == 3


def test_seam_with_distillation_flags(capsys, classifier):
    assert main(["seam", "--classifier", classifier, "--target-class", "8", *QUICK, "--distill-weight", "1.5",
                 "--distill-temperature", "3", "--distill-left-out", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["distill"] == {"weight": 1.5, "temperature": 3.0, "left_out": True}


def test_seam_table_says_how_many_images_each_accuracy_rests_on(capsys, classifier):
    command = ["seam", "--classifier", classifier, "--target-class", "4", *QUICK]
    assert main([*command, "--json"]) == 0
    examples = json.loads(capsys.readouterr().out)["target"]["examples"]
    assert main(command) == 0
    table = capsys.readouterr().out
    for split in ("val", "test"):
        assert f"accuracy ({split}, {examples[split]:,} images)" in table


def test_a_capped_target_says_what_it_trained_on(capsys, classifier):
    command = ["seam", "--classifier", classifier, "--target-class", "4", *QUICK, "--target-train-per-class", "30"]
    assert main([*command, "--json"]) == 0
    captured = capsys.readouterr()
    target = json.loads(captured.out)["target"]
    assert target["examples"]["train"] == 60 and target["training_sample"]["per_class"] == 30
    assert target["training_sample"]["available"] > 60
    said = f"60 of {target['training_sample']['available']:,} training images (at most 30 per target class"
    assert said in captured.err and said in target["data"]
    assert main(command) == 0
    assert said in capsys.readouterr().out


def test_a_cap_below_one_is_a_one_line_error(capsys, classifier):
    line = one_line_error(capsys, ["seam", "--classifier", classifier, "--target-class", "4",
                                   "--target-train-per-class", "0"])
    assert "target_train_per_class: must be at least 1" in line
