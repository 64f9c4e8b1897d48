"""`cpg eval --infer-task`: each test image's task inferred by the lowest entropy of the tasks'
outputs, and the accuracy without the task id beside the accuracy with it."""

import dataclasses
import json
import math

import pytest
import torch

from cpg.cli import main
from cpg.data import from_tensors
from cpg.data.in_memory import InMemoryImages
from cpg.data.preprocessing import task_preprocessing
from cpg.errors import UserError
from cpg.workflows import execute, open_run
from cpg.workflows.evaluate import infer_run_tasks
from cpg.workflows.task_inference import normalised_entropy, pooled, renormalised
from tests.fixtures.committed_run import committed_run

OFFSET, NOISE, TASKS = 1.0, 0.5, 3


def images(count: int, seed: int, channel: int) -> tuple[torch.Tensor, torch.Tensor]:
    """3-channel 8×8 images whose class is the sign of a constant offset of channel `channel`;
    every other channel is noise of the same spread, so each task's statistics are alike."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(count) % 2
    pictures = math.hypot(OFFSET, NOISE) * torch.randn(count, TASKS, 8, 8, generator=generator)
    signs = (2 * labels - 1).float()[:, None, None]
    pictures[:, channel] = signs * OFFSET + NOISE * torch.randn(count, 8, 8, generator=generator)
    return pictures, labels


def channel_tasks(identical: bool):
    """Task k carries its class in channel k (a model of another task sees only noise in the
    channel it reads, and is unsure); or, `identical`, every task holds the same images."""
    entries = []
    for task in range(TASKS):
        channel, seed = (0, 0) if identical else (task, 10 * task)
        entries.append((*images(80, seed + 1, channel), *images(40, seed + 2, channel), 2))
    return from_tensors("channels", entries)


def inferred(quick_config, quiet, tmp_path, identical):
    benchmark = channel_tasks(identical)
    execute(quick_config(strategy="supsup"), console=quiet, benchmark=benchmark)
    return infer_run_tasks(open_run(tmp_path / "checkpoints" / "run"), benchmark, [1, 2, 3])


def test_the_task_of_each_image_is_inferred_when_the_tasks_see_different_inputs(quick_config, quiet, tmp_path):
    rows = inferred(quick_config, quiet, tmp_path, identical=False)
    overall = pooled(rows)
    assert overall["images"] == 120
    assert overall["accuracy_with_task_id"] > 0.95
    assert overall["task_inference_accuracy"] > 0.95
    assert overall["accuracy_without_task_id"] > 0.9
    assert all(row.inferred_as.get(row.task, 0) >= 0.9 * row.images for row in rows)


def test_identical_tasks_cannot_be_told_apart(quick_config, quiet, tmp_path):
    """An image is the same input whichever task it belongs to, so it is inferred to be one of
    them: one copy in three is right, chance."""
    rows = inferred(quick_config, quiet, tmp_path, identical=True)
    overall = pooled(rows)
    assert overall["task_inference_accuracy"] == pytest.approx(1 / 3, abs=0.01)
    assert overall["accuracy_without_task_id"] <= overall["task_inference_accuracy"]
    assert overall["accuracy_with_task_id"] > 0.95


def test_an_image_enters_every_task_normalised_as_that_task_normalises():
    (bright, labels), test = images(40, 3, 1), images(20, 4, 1)
    benchmark = from_tensors("two", [(*images(40, 1, 0), *images(20, 2, 0), 2), (bright * 3 + 1, labels, *test, 2)])
    first, second = benchmark.tasks
    raw = first.test.images
    as_second = InMemoryImages(raw, first.test.labels, second.test.mean, second.test.std)
    inputs, _ = first.test.__getitems__(range(len(raw)))
    expected, _ = as_second.__getitems__(range(len(raw)))
    moved = renormalised(inputs, task_preprocessing(first), task_preprocessing(second))
    assert torch.allclose(moved, expected, atol=1e-5)
    assert renormalised(inputs, task_preprocessing(first), task_preprocessing(first)) is inputs
    unknown = dataclasses.replace(task_preprocessing(second), mean=None, std=None)
    with pytest.raises(UserError, match="cannot infer the task"):
        renormalised(inputs, task_preprocessing(first), unknown)


def test_entropy_is_divided_by_the_log_of_the_classes():
    assert torch.allclose(normalised_entropy(torch.zeros(2, 5)), torch.ones(2))
    assert normalised_entropy(torch.tensor([[20.0, 0.0, 0.0]])).item() < 1e-6


def test_eval_infer_task_reports_inference_beside_the_accuracies(tmp_path_factory, capsys):
    run_dir, results = committed_run(tmp_path_factory)
    assert main(["eval", str(run_dir), "--infer-task", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [row["accuracy"] for row in document["tasks"]] == results["accuracy_matrix"][-1]
    inference = document["task_inference"]
    rows = inference["tasks"]
    assert [row["accuracy_with_task_id"] for row in rows] == pytest.approx(results["accuracy_matrix"][-1])
    for row in rows:
        assert row["accuracy_without_task_id"] <= min(row["task_inference_accuracy"], row["accuracy_with_task_id"])
        assert sum(row["inferred_as"].values()) == row["images"]
    everything = inference["all"]
    assert everything["images"] == sum(row["images"] for row in rows)
    weighted = sum(row["task_inference_accuracy"] * row["images"] for row in rows) / everything["images"]
    assert everything["task_inference_accuracy"] == pytest.approx(weighted)
    assert "entropy" in inference["rule"]
    assert main(["eval", str(run_dir), "--infer-task", "--task", "2"]) == 0
    out = capsys.readouterr().out
    assert "without the task id" in out and "task inferred %" in out
