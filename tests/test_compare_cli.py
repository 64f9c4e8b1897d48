"""`cpg compare` marks an unfinished run and compares every run after the same task."""

import json

import pytest

from cpg.cli import main
from cpg.workflows import execute
from tests.runs import Watch

TWO_TASKS = {"num_tasks": 2, "classes_per_task": 2, "train_per_class": 20, "test_per_class": 10, "image_size": 8,
             "channels": 1, "difficulty": 0.8}


class Stopped(BaseException):
    """Stands in for a run killed right after its first task was committed."""


def test_an_unfinished_run_is_marked_and_every_run_compared_after_the_task_all_have_finished(
        quick_config, quiet, tmp_path, monkeypatch, capsys):
    execute(quick_config(name="done", benchmark_options=TWO_TASKS), console=quiet)

    def stop_when_the_second_task_starts(session):
        if session.task == 2:
            raise Stopped

    with pytest.raises(Stopped):
        execute(quick_config(name="half", benchmark_options=TWO_TASKS, finetune={"epochs": 2}), console=quiet,
                plugins=[Watch(started=stop_when_the_second_task_starts)])
    runs = tmp_path / "checkpoints"
    done, half = (json.loads((runs / name / "results.json").read_text()) for name in ("done", "half"))
    assert len(done["tasks"]) == 2 and len(half["tasks"]) == 1

    assert main(["compare", str(runs / "done"), str(runs / "half"), "--markdown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "after task 1" in lines[0]
    done_row = next(line for line in lines if line.startswith("| done "))
    half_row = next(line for line in lines if line.startswith("| half "))
    assert "unfinished" in half_row and "1/2" in half_row and "unfinished" not in done_row and "2/2" in done_row
    for row, results in ((done_row, done), (half_row, half)):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        after_task_1 = f"{results['accuracy_matrix'][0][0] * 100:.2f}"
        assert cells[3] == after_task_1, row  # average accuracy over the tasks both have learned
        assert cells[-1] == f"{results['accuracy_matrix'][0][0] * 100:.1f}", row  # no column for task 2
