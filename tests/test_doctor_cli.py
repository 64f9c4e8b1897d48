"""`cpg doctor` and the long-tail flags of `cpg train`: results on disk, one-line errors."""

import re
from pathlib import Path

import pytest
import torch
from PIL import Image

from cpg.classifier import Classifier, TrainedOn, load_classifier, save_classifier
from cpg.cli import main
from cpg.cli.pipelines import resolve_config
from cpg.data import build_benchmark
from cpg.data.labels import class_counts
from cpg.doctor import load_diagnosis
from tests.fixtures.doctor import digits_task, trained_digits_model


@pytest.fixture
def classifier(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "digits.pt"
    save_classifier(path, Classifier(trained_digits_model(), "small_cnn", (1, 8, 8), digits_task().classes,
                                     trained_on=TrainedOn("digits-10", 1)))
    return path


def one_line_error(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as raised:
        raise SystemExit(main(argv))
    assert raised.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cpg: error: "), lines
    return lines[0]


def test_diagnose_writes_masks_and_a_heatmap(classifier, capsys):
    assert main(["doctor", "diagnose", str(classifier), "--images-per-class", "10", "--plot", "--quiet"]) == 0
    diagnosis, classes = load_diagnosis(classifier.with_name("digits-diagnosis.pt"))
    assert classes == digits_task().classes and diagnosis.masks.shape == (10, 64)
    with Image.open(classifier.with_name("digits-diagnosis.png")) as image:
        assert image.format == "PNG" and image.width > 64 and image.height > 10 * 10
    assert "features.7" in capsys.readouterr().out


def test_treat_writes_a_classifier_that_loads(classifier, tmp_path, capsys):
    output = tmp_path / "treated.pt"
    argv = ["doctor", "treat", str(classifier), "--epochs", "1", "--images-per-class", "5", "-o", str(output),
            "--quiet"]
    assert main(argv) == 0
    treated = load_classifier(output)
    assert treated.classes == digits_task().classes and treated.trained_on == TrainedOn("digits-10", 1)
    assert load_diagnosis(tmp_path / "treated-diagnosis.pt")[0].layer == "features.7"
    assert "test" in capsys.readouterr().out


def test_a_treatment_worse_than_the_untreated_classifier_is_not_kept(classifier, tmp_path, capsys):
    output = tmp_path / "treated.pt"
    argv = ["doctor", "treat", str(classifier), "--epochs", "1", "--lr", "1", "--images-per-class", "5",
            "-o", str(output), "--quiet"]
    assert main(argv) == 0
    untreated = load_classifier(classifier).model.state_dict()
    written = load_classifier(output).model.state_dict()
    assert all(torch.equal(untreated[key], written[key]) for key in untreated)
    assert "kept the untreated classifier" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "expected"), [
    (["--layer", "features.2"], "no conv or linear layer named 'features.2'"),
    (["--threshold", "2"], "--threshold: must be in [0, 1]"),
    (["--images-per-class", "0"], "--images-per-class: must be at least 1"),
    (["--dataset", "digits-5"], "give the --dataset and --task it was trained on"),
    (["--task", "3"], "has tasks 1..1"),
    (["--imbalance", "0.5"], "'imbalance'"),
])
def test_diagnose_errors_are_one_line(classifier, capsys, argv, expected):
    assert expected in one_line_error(capsys, ["doctor", "diagnose", str(classifier), *argv])


def test_treat_errors_are_one_line(classifier, capsys, tmp_path):
    treat = ["doctor", "treat", str(classifier)]
    assert "--alpha: must not be negative" in one_line_error(capsys, [*treat, "--alpha", "-1"])
    assert "no such checkpoint file" in one_line_error(capsys, ["doctor", "treat", str(tmp_path / "missing.pt")])
    assert main(["doctor", "diagnose", str(classifier), "--images-per-class", "5", "--quiet"]) == 0
    diagnosis = str(classifier.with_name("digits-diagnosis.pt"))
    line = one_line_error(capsys, [*treat, "--diagnosis", diagnosis, "--signal", "activation"])
    assert "--signal applies to a new diagnosis" in line
    assert "not a classifier file" in one_line_error(capsys, ["doctor", "treat", diagnosis])
    assert "invalid choice: 'frobnicate'" in one_line_error(capsys, ["doctor", "frobnicate"])


def test_train_flags_for_long_tailed_data_are_checked(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "'imbalance'" in one_line_error(capsys, ["train", "--dataset", "digits-10", "--imbalance", "0.5"])
    assert "--focal-gamma" in one_line_error(capsys, ["train", "--dataset", "digits-10", "--focal-gamma", "-1"])


def test_a_long_tailed_classifier_is_diagnosed_on_its_long_tailed_data(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tail.pt"
    argv = ["train", "--dataset", "digits-10", "--imbalance", "10", "--balanced-sampling", "--focal-gamma", "2",
            "--epochs", "3", "-o", str(path), "--quiet"]
    assert main(argv) == 0
    assert load_classifier(path).trained_on == TrainedOn("digits-10", 1, 10.0)
    assert main(["doctor", "diagnose", str(path), "--quiet"]) == 0
    images = load_diagnosis(tmp_path / "tail-diagnosis.pt")[0].images
    tail_sizes = class_counts(build_benchmark("digits-10", options={"imbalance": 10}).tasks[0].train, 10)
    assert (images <= tail_sizes.clamp(max=50)).all() and images[-1] <= tail_sizes[-1] < 50


def test_treat_takes_the_pipelines_doctor_settings_and_flags_override_them(classifier, tmp_path):
    pipeline = tmp_path / "doctor.yaml"
    pipeline.write_text("tasks: digits-10\ndoctor: {epochs: 1, images_per_class: 3, threshold: 0.5}\n")
    treat = ["doctor", "treat", str(classifier), "--config", str(pipeline), "--quiet"]
    assert main([*treat, "-o", str(tmp_path / "a.pt")]) == 0
    diagnosis = load_diagnosis(tmp_path / "a-diagnosis.pt")[0]
    assert diagnosis.threshold == 0.5 and int(diagnosis.images.max()) == 3
    assert main([*treat, "--images-per-class", "2", "-o", str(tmp_path / "b.pt")]) == 0
    assert int(load_diagnosis(tmp_path / "b-diagnosis.pt")[0].images.max()) == 2


def test_the_cpu_protocol_for_long_tailed_cifar10_is_stated_with_its_wall_time():
    path = Path(__file__).resolve().parents[1] / "pipelines" / "cpu" / "doctor-resnet32-cifar10-lt.yaml"
    config = resolve_config(str(path), "cifar10", {})
    assert (config.tasks, config.arch, config.benchmark_options) == ("cifar10", "resnet32", {"imbalance": 100})
    assert (config.batch_size, config.weight_decay) == (128, 5e-4) and config.finetune.epochs < 200
    assert config.doctor.epochs >= 1 and not config.doctor.enabled
    first = path.read_text().splitlines()[0]
    assert re.match(r"# About [\d.]+ hours on one thread", first), first
