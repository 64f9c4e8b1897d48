"""The TensorBoard event files of a run hold per-stage scalars, per-task images and hparams."""

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tests.fixtures.committed_run import committed_run

STAGE_SCALARS = {
    "finetune": ("loss", "train_acc", "val_acc", "lr", "mask_lr", "width", "free_capacity"),
    "prune": ("loss", "train_acc", "sparsity", "lr", "free_capacity", "val_acc_at_target"),
    "retrain": ("loss", "train_acc", "val_acc", "lr", "mask_lr"),
    "commit": ("test_accuracy", "val_accuracy", "sparsity", "width", "owned_share", "picked_share", "free_capacity"),
}


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> EventAccumulator:
    run_dir, _ = committed_run(tmp_path_factory)
    accumulator = EventAccumulator(str(run_dir.parent.parent / "logs" / "run"), size_guidance={"images": 0, "scalars": 0})
    return accumulator.Reload()


def test_scalars_are_grouped_by_task_and_stage(events):
    tags = set(events.Tags()["scalars"])
    for task in (1, 2, 3):
        for stage, names in STAGE_SCALARS.items():
            if stage == "retrain" and task == 1:
                continue  # the first task has nothing to pick from
            for name in names:
                assert f"task{task:02d}/{stage}/{name}" in tags
    assert [event.step for event in events.Scalars("run/average_accuracy")] == [1, 2, 3]


def test_every_commit_logs_the_accuracy_matrix_and_the_ownership_per_layer(events):
    images = set(events.Tags()["images"])
    for task in (1, 2, 3):
        for name in ("accuracy_matrix", "ownership"):
            (image,) = events.Images(f"task{task:02d}/commit/{name}")
            assert image.encoded_image_string.startswith(b"\x89PNG") and image.width > 100 and image.height > 50
    assert len(images) == 6


def test_the_run_records_its_hyperparameters_and_final_metrics(events):
    assert set(events.PluginTagToContent("hparams")) >= {"_hparams_/experiment", "_hparams_/session_start_info"}
    start = events.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    assert b"finetune.lr" in start and b"max_width" in start
    scalars = set(events.Tags()["scalars"])
    assert {"hparams/average_accuracy", "hparams/max_forgetting", "hparams/final_width"} <= scalars
