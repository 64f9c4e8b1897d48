"""The CIFAR-100-20 protocol, shortened (two pruning steps, a small network), on an archive the test
writes in the real format."""

import json
from pathlib import Path

from cpg.cli import main
from tests.fixtures.cifar_archive import CIFAR100_COARSE_LABEL_NAMES, write_cifar100


def test_cifar100_20_runs_from_a_local_archive(tmp_path, monkeypatch, capsys):
    write_cifar100(tmp_path / "data", train_per_class=6, test_per_class=2)
    monkeypatch.chdir(tmp_path)
    protocol = Path(__file__).parents[1] / "pipelines" / "cifar100-20.yaml"
    (tmp_path / "short.yaml").write_text(f"base: {protocol}\nprune:\n  targets: [0.5, 0.9]\n")
    code = main([
        "run", "--config", "short.yaml", "--arch", "small_cnn", "--data-root", "data", "--no-verify-checksums",
        "--epochs-scale", "0.01", "--goal", "0", "--max-width", "1", "--name", "cifar", "--quiet",
    ])
    assert code == 0
    results = json.loads((tmp_path / "checkpoints" / "cifar" / "results.json").read_text())
    assert [task["name"] for task in results["tasks"]] == CIFAR100_COARSE_LABEL_NAMES
    assert [len(row) for row in results["accuracy_matrix"]] == list(range(1, 21))
    assert results["forgetting"] == [0.0] * 19
    assert (tmp_path / "logs" / "cifar").is_dir()
    assert "vehicles_2" in capsys.readouterr().out
