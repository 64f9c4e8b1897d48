"""benchmarks/seam_cifar10.py and seam_digits.py: their main path on small sources, the CIFAR-10
one on a generated archive; the CIFAR-10 one skips the classes it finished and resumes the one a
stop interrupted."""

import importlib
import json
from pathlib import Path

import pytest
import torch

from cpg.classifier import Classifier, TrainedOn, save_classifier
from cpg.engine.stop import STOP, StopRequested
from cpg.models import build_model
from tests.fixtures.cifar_archive import CIFAR10_LABEL_NAMES, TEST_PER_CLASS
from tests.fixtures.seam import digits_classifier

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
TINY = """
alpha: 1.0
mask_lr: 0.2
head_lr: 0.05
epochs: 2
batch_size: 8
target_train_per_class: 3
latency_batch: 2
latency_repeats: 1
save_every_seconds: 0
distill: {weight: 0.0, temperature: 1.0, left_out: false}
finetune: {epochs: 1}
attack: {steps: 1}
"""


@pytest.fixture
def benchmarks(monkeypatch, tmp_path):
    """Import a benchmark script by name, run in `tmp_path`."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY)
    return importlib.import_module


@pytest.fixture
def cifar_classifier(tmp_path) -> str:
    """An untrained narrow ResNet-20 that says it was trained on CIFAR-10."""
    torch.manual_seed(0)
    model = build_model("resnet20", 10, (3, 32, 32), 0.05)
    path = tmp_path / "cifar10-resnet20.pt"
    save_classifier(path, Classifier(model, "resnet20", (3, 32, 32), tuple(CIFAR10_LABEL_NAMES), 0.05,
                                     TrainedOn("cifar10", 1)))
    return str(path)


def rows(output: str, setting: str) -> list[list[str]]:
    """The table rows printed under the heading of `setting`."""
    block = output.split(f"\n{setting}: ", 1)[1].split("\n\n", 1)[0]
    return [row.split() for row in block.splitlines()[2:]]


def test_seam_cifar10_prints_every_class_of_both_settings_and_skips_them_when_run_again(
        benchmarks, capsys, monkeypatch, tmp_path, cifar_root, cifar_classifier):
    seam_cifar10 = benchmarks("seam_cifar10")
    argv = ["--classifier", cifar_classifier, "--data-root", str(cifar_root), "--no-verify-checksums",
            "--config", "tiny.yaml", "--classes", "cat,1", "--results", "results"]
    seam_cifar10.main(argv)
    output = capsys.readouterr().out
    assert "3 per target class" in output
    for setting in ("off", "on"):
        table = rows(output, setting)
        assert [row[0] for row in table] == ["cat", "automobile"]
        assert all(row[4] == str(2 * TEST_PER_CLASS) for row in table)
        assert not any("earlier" in " ".join(row) for row in table)
    written = sorted(path.relative_to(tmp_path / "results").parts[1] for path in (tmp_path / "results").rglob("*.json"))
    assert written == ["automobile.json", "automobile.json", "cat.json", "cat.json"]
    report = json.loads(next((tmp_path / "results").glob("on-*/cat.json")).read_text())["report"]
    assert report["settings"]["distill"]["weight"] == 0.3 and report["target"]["examples"]["train"] == 6
    assert not any((tmp_path / "checkpoints" / "work").iterdir())

    def refuse(*args, **kwargs):
        raise AssertionError("a finished class ran again")

    # the script's own step, made to fail: a script has no seam but its command line
    monkeypatch.setattr(seam_cifar10, "reengineer_class", refuse)
    seam_cifar10.main(argv)
    again = capsys.readouterr().out
    for setting in ("off", "on"):
        assert [row[0] for row in rows(again, setting)] == ["cat", "automobile"]
        assert all(" ".join(row).endswith("(done earlier)") for row in rows(again, setting))
        assert [row[:9] for row in rows(again, setting)] == [row[:9] for row in rows(output, setting)]


def test_seam_cifar10_resumes_a_stopped_class_to_the_result_of_an_uninterrupted_one(
        benchmarks, capsys, tmp_path, cifar_root, cifar_classifier):
    seam_cifar10 = benchmarks("seam_cifar10")
    argv = ["--classifier", cifar_classifier, "--data-root", str(cifar_root), "--no-verify-checksums",
            "--config", "tiny.yaml", "--classes", "dog", "--settings", "off"]
    seam_cifar10.main([*argv, "--results", "whole"])
    STOP.requested = True
    try:
        with pytest.raises(StopRequested, match="stopped after epoch 1"):
            seam_cifar10.main([*argv, "--results", "stopped"])
    finally:
        STOP.requested = False
    capsys.readouterr()
    seam_cifar10.main([*argv, "--results", "stopped"])
    assert "(resumed; the time of this invocation)" in capsys.readouterr().out

    def report(results: str) -> dict:
        document = json.loads(next((tmp_path / results).glob("off-*/dog.json")).read_text())
        assert document["resumed"] == (results == "stopped")
        return {key: document["report"][key] for key in ("retained_ratio", "accuracy", "selected_epoch",
                                                          "flops_per_image", "epochs_run")}

    assert report("stopped") == report("whole")


def test_seam_cifar10_bad_input_is_one_line(benchmarks, capsys, cifar_root, cifar_classifier):
    seam_cifar10 = benchmarks("seam_cifar10")
    script = benchmarks("script")
    code = script.run(lambda: seam_cifar10.main(["--classifier", cifar_classifier, "--data-root", str(cifar_root),
                                                 "--no-verify-checksums", "--config", "tiny.yaml",
                                                 "--classes", "cat,dragon"]))
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(error) == 1 and error[0].startswith("cpg: error: target class 'dragon'")


def test_seam_cifar10_needs_the_data_only_when_run(benchmarks, capsys, tmp_path, cifar_classifier):
    seam_cifar10 = benchmarks("seam_cifar10")
    script = benchmarks("script")
    assert script.run(lambda: seam_cifar10.main(["--classifier", cifar_classifier, "--data-root", str(tmp_path),
                                                 "--config", "tiny.yaml"])) == 2
    assert "CIFAR10 data not found" in capsys.readouterr().err


def test_seam_digits_compares_both_settings_with_indirect_reuse(benchmarks, capsys, tmp_path):
    path = tmp_path / "digits.pt"
    save_classifier(path, digits_classifier())
    benchmarks("seam_digits").main(["--classifier", str(path), "--config", "tiny.yaml", "--classes", "3",
                                    "--finetune"])
    output = capsys.readouterr().out
    for setting in ("off", "on"):
        (row,) = rows(output, setting)
        assert row[0] == "3" and len(row) == 11 and row[-1].endswith("%")
    assert "off: mean accuracy" in output and "bar " in output and "mean standard fine-tuning DIR" in output
