"""Source models and their data: state_dict files, merged benchmarks, tasks of CPG runs."""

import pytest
import torch

from cpg.config.seam import SeamConfig
from cpg.data import build_benchmark
from cpg.errors import UserError
from cpg.nn import task_model
from cpg.seam import binary_problem
from cpg.source import source_from_state_dict
from cpg.source import source_task
from cpg.workflows import execute, open_run
from cpg.workflows.sources import source_from_run
from tests.fixtures.seam import digits_classifier


def test_state_dict_wrapped_prefixed_and_without_batch_counters_loads(tmp_path):
    state = digits_classifier().model.state_dict()
    wrapped = {"state_dict": {f"module.{key}": value for key, value in state.items()
                              if not key.endswith("num_batches_tracked")}}
    torch.save(wrapped, tmp_path / "weights.pt")
    source = source_from_state_dict(tmp_path / "weights.pt", "small_cnn", "digits-10", None, SeamConfig())
    assert all(torch.equal(source.model.state_dict()[key], value) for key, value in state.items()
               if not key.endswith("num_batches_tracked"))
    assert source.classes == tuple(str(digit) for digit in range(10))


def test_state_dict_errors_are_one_line(tmp_path):
    state = digits_classifier().model.state_dict()
    state["extra.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "extra.pt")
    with pytest.raises(UserError) as raised:
        source_from_state_dict(tmp_path / "extra.pt", "small_cnn", "digits-10", None, SeamConfig())
    assert "has no place for extra.weight" in str(raised.value) and "\n" not in str(raised.value)
    with pytest.raises(UserError, match="no such file"):
        source_from_state_dict(tmp_path / "missing.pt", "small_cnn", "digits-10", None, SeamConfig())


def test_a_multi_task_benchmark_without_a_task_is_merged_by_class_name():
    task, shape = source_task("digits-5", None, SeamConfig())
    assert shape == (1, 8, 8) and task.classes == tuple(str(digit) for digit in range(10))
    pairs = build_benchmark("digits-5").tasks
    for split in ("train", "val", "test"):
        merged = getattr(task, split)
        assert len(merged) == sum(len(getattr(pair, split)) for pair in pairs)
        three = getattr(pairs[1], split)  # digits 2 and 3
        assert torch.equal(merged.images[merged.labels == 3], three.images[three.labels == 1])


def test_one_task_of_a_benchmark_by_number():
    task, _ = source_task("digits-5", 2, SeamConfig())
    assert task.classes == ("2", "3")
    with pytest.raises(UserError, match="has tasks 1..5"):
        source_task("digits-5", 6, SeamConfig())


def test_a_task_of_a_cpg_run_is_a_source(tmp_path, quick_config):
    config = quick_config(benchmark_options={"num_tasks": 2, "classes_per_task": 3, "train_per_class": 20,
                                             "test_per_class": 10, "image_size": 8, "channels": 1,
                                             "difficulty": 0.3},
                          prune={"targets": [0.5], "epochs": 1}, retrain={"epochs": 1})
    execute(config)
    folder = tmp_path / "checkpoints" / "run"
    source = source_from_run(folder, 2, SeamConfig())
    run = open_run(folder)
    images, _ = source.task.test.__getitems__(range(8))
    with torch.no_grad():
        assert torch.equal(source.model(images), task_model(run.network, 2)(images))
    assert len(source.classes) == 3 and len(binary_problem(source.task, "0").test) > 0
    with pytest.raises(UserError):
        source_from_run(folder, 3, SeamConfig())
