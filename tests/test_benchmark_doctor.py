"""benchmarks/doctor_cifar10.py: its main path on a generated long-tailed CIFAR-10 archive with a
tiny pipeline; run again, it reuses the classifiers it made."""

import importlib
from pathlib import Path

import pytest

from cpg.data import build_benchmark
from cpg.data.labels import class_counts
from tests.fixtures.cifar_archive import CIFAR10_LABEL_NAMES, TEST_PER_CLASS

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
TINY = """
tasks: cifar10
arch: resnet20
benchmark_options: {imbalance: 100}
batch_size: 8
eval_batch_size: 64
save_every_seconds: 0
finetune: {epochs: 1, lr: 0.05, lr_steps: {}}
doctor: {epochs: 1, images_per_class: 2}
"""
MODELS = ["ce", "focal", "balanced", "ce-doctor", "ce-finetuned"]


@pytest.fixture
def doctor_cifar10(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY)
    return importlib.import_module("doctor_cifar10")


def table(output: str) -> list[list[str]]:
    lines = output.split("\n       class ", 1)[1].splitlines()
    return [line.split() for line in lines[1:12]]


def test_trains_treats_and_prints_per_class_accuracy_then_reuses_the_classifiers(
        doctor_cifar10, capsys, monkeypatch, tmp_path, cifar_root):
    argv = ["--data-root", str(cifar_root), "--no-verify-checksums", "--config", "tiny.yaml", "--results", "results",
            "--control"]
    doctor_cifar10.main(argv)
    output = capsys.readouterr().out
    written = {path.stem for path in (tmp_path / "results").glob("*.pt")}
    assert written == {*MODELS, "ce-doctor-diagnosis", "ce-finetuned-diagnosis"}
    rows = table(output)
    tail = class_counts(build_benchmark("cifar10", data_root=cifar_root, verify_checksums=False,
                                        options={"imbalance": 100}).tasks[0].train, 10)
    assert [row[0] for row in rows] == [*CIFAR10_LABEL_NAMES, "overall"]
    assert [int(row[1]) for row in rows[:10]] == tail.tolist() and int(rows[10][1]) == int(tail.sum())
    assert all(row[2] == str(TEST_PER_CLASS) for row in rows[:10])
    assert all(len(row) == 3 + len(MODELS) and all(cell.endswith("%") for cell in row[3:]) for row in rows)
    assert not any((tmp_path / "checkpoints" / "work").iterdir())

    def refuse(argv):
        raise AssertionError(f"made again: {argv}")

    # the script's own step, made to fail: a script has no seam but its command line
    monkeypatch.setattr(doctor_cifar10, "cpg_main", refuse)
    doctor_cifar10.main(argv)
    again = capsys.readouterr().out
    assert again.count("(made earlier)") == len(MODELS) and table(again) == rows


def test_bad_input_is_one_line(doctor_cifar10, capsys, cifar_root):
    script = importlib.import_module("script")
    code = script.run(lambda: doctor_cifar10.main(["--data-root", str(cifar_root), "--config", "tiny.yaml",
                                                   "--focal-gamma", "0"]))
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(error) == 1 and "--focal-gamma must be positive" in error[0]
