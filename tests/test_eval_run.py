"""`cpg eval`: one load of the checkpoint, tasks switched in place, the numbers of commit time."""

import json
import shutil
from collections import Counter

import pytest

import cpg.checkpoint
from cpg.cli import main
from cpg.nn.cache import EffectiveWeightCache
from cpg.workflows import open_run
from cpg.workflows.evaluate import evaluate_tasks
from cpg.workflows.run_settings import load_benchmark
from tests.fixtures.committed_run import committed_run


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    return committed_run(tmp_path_factory)


def test_eval_of_every_task_equals_the_accuracies_recorded_at_commit(finished, capsys):
    run_dir, results = finished
    assert main(["eval", str(run_dir), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["task"] for row in rows] == [1, 2, 3]
    at_commit = [task["accuracy_at_commit"] for task in results["tasks"]]
    assert len(set(at_commit)) > 1 or at_commit[0] < 1.0, "the run is too easy to tell tasks apart"
    assert [row["accuracy"] for row in rows] == at_commit == results["accuracy_matrix"][-1]
    assert main(["eval", str(run_dir), "--split", "val", "--task", "2", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["accuracy"] == results["tasks"][1]["val_accuracy"]


def test_any_order_gives_the_same_numbers_without_reloading(finished, tmp_path):
    run_dir, _ = finished
    reference = open_run(run_dir)
    benchmark = load_benchmark(reference.config)
    in_order = {task: (stats.accuracy, stats.loss) for task, stats in evaluate_tasks(reference, benchmark, [1, 2, 3])}

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    run = open_run(copy)
    shutil.rmtree(copy)  # nothing can be loaded again
    computed: Counter = Counter()

    class CountingCache(EffectiveWeightCache):
        def get(self, task, stamp, compute):
            def counted():
                computed[(id(self), task)] += 1
                return compute()

            return super().get(task, stamp, counted)

    network = run.network
    for _, layer in network.sharable_layers():
        layer.cache = CountingCache(layer.cache.capacity)
    shuffled = evaluate_tasks(run, benchmark, [3, 1, 3, 2])
    assert [task for task, _ in shuffled] == [3, 1, 3, 2]
    for task, stats in shuffled:
        assert (stats.accuracy, stats.loss) == in_order[task]
    assert run.network is network
    layers = len(network.sharable_layers())
    assert sum(computed.values()) == 3 * layers and set(computed.values()) == {1}, "effective weights recomputed"


def test_eval_of_a_run_whose_newest_model_file_is_damaged_names_it_and_the_version_used(finished, tmp_path, capsys):
    run_dir, _ = finished
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    folder = cpg.checkpoint.RunFolder(copy)
    newest = folder.versions()[-1]
    damaged = folder.model_path(newest)
    damaged.write_bytes(damaged.read_bytes()[:100])
    assert main(["eval", str(copy), "--task", "1", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)[0]["task"] == 1
    assert str(damaged) in captured.err and f"version {newest - 1}" in captured.err
