"""`cpg inspect`: tables, the documented JSON fields, PNG plots, one-line errors."""

import json

import pytest
from PIL import Image

from cpg.cli import main
from cpg.report.inspection import TASK_FIELDS
from tests.fixtures.committed_run import committed_run

DOCUMENT_FIELDS = ("run", "benchmark", "arch", "strategy", "max_width", "width", "position", "tasks",
                   "accuracy_matrix", "average_accuracy", "backward_transfer", "free_capacity", "layers")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    return committed_run(tmp_path_factory)


def test_json_has_the_documented_fields_and_the_run_numbers(finished, capsys):
    run_dir, results = finished
    assert main(["inspect", str(run_dir), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(DOCUMENT_FIELDS) <= set(document)
    assert document["position"]["stage"] == "done" and document["width"] == 1.5
    assert document["accuracy_matrix"] == results["accuracy_matrix"]
    for task, recorded in zip(document["tasks"], results["tasks"]):
        assert set(TASK_FIELDS) <= set(task)
        assert task["final_accuracy"] == recorded["final_accuracy"] and task["sparsity"] == recorded["sparsity"]
    layers = document["layers"]
    assert layers and all(layer["free"] + sum(layer["owned"].values()) == layer["weights"] for layer in layers)
    owned = sum(layer["owned"].get("2", 0) for layer in layers) / sum(layer["weights"] for layer in layers)
    assert document["tasks"][1]["owned_share"] == pytest.approx(owned)


def test_tables_and_plots(finished, tmp_path, capsys):
    run_dir, _ = finished
    assert main(["inspect", str(run_dir), "--plot", str(tmp_path / "plots")]) == 0
    out = capsys.readouterr().out
    assert "accuracy matrix" in out and "capacity per layer" in out and "features.3" in out
    for name in ("accuracy_matrix.png", "capacity.png", "accuracy_vs_sparsity.png"):
        with Image.open(tmp_path / "plots" / name) as image:
            assert image.format == "PNG" and image.width > 150 and image.height > 80
            assert len(image.convert("RGB").getcolors(1 << 16)) > 3  # more than a blank canvas


@pytest.mark.parametrize("argv, message", [
    (["inspect", "{tmp}/nowhere"], "not a run folder"),
    (["eval", "{tmp}/nowhere"], "not a run folder"),
    (["eval", "{run}", "--task", "9"], "task 9: the run has committed tasks [1, 2, 3]"),
    (["export", "{run}", "--task", "4", "-o", "{tmp}/t.pt2"], "task 4: the run has committed tasks"),
    (["export", "{run}", "--task", "1", "-o", "{tmp}/t.pt"], ".pt2"),
])
def test_bad_run_or_task_is_one_line_and_exit_2(finished, tmp_path, capsys, argv, message):
    argv = [arg.format(tmp=tmp_path, run=finished[0]) for arg in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cpg: error: ") and message in err[0]
