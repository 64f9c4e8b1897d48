"""A classifier file says what it was trained on in fields (benchmark, task, imbalance); files
written before those fields existed said "BENCHMARK:K" in one string and still load."""

import pytest

from cpg.checkpoint import save_tensors
from cpg.classifier import Classifier, TrainedOn, load_classifier, save_classifier
from cpg.config import build_config
from cpg.models import build_model


def small_cnn():
    return build_model("small_cnn", 3, (1, 8, 8))


def test_trained_on_is_written_and_read_as_fields(tmp_path):
    trained_on = TrainedOn("digits-10", 2, 10.0)
    save_classifier(tmp_path / "c.pt", Classifier(small_cnn(), "small_cnn", (1, 8, 8), ("a", "b", "c"), 1.0, trained_on))
    assert load_classifier(tmp_path / "c.pt").trained_on == trained_on


@pytest.mark.parametrize("dataset, expected", [
    ("digits-10:1", TrainedOn("digits-10", 1)),
    ("cifar100-20:3", TrainedOn("cifar100-20", 3)),
    ("digits-10-lt10:1", TrainedOn("digits-10", 1, 10.0)),
    ("", None),
])
def test_an_older_file_with_a_dataset_string_loads(tmp_path, dataset, expected):
    model = small_cnn()
    save_tensors(tmp_path / "old.pt", {"contents": "classifier", "arch": "small_cnn", "input_shape": [1, 8, 8],
                                       "classes": ["a", "b", "c"], "width": 1.0, "dataset": dataset,
                                       "state_dict": model.state_dict()})
    classifier = load_classifier(tmp_path / "old.pt")
    assert classifier.trained_on == expected and classifier.classes == ("a", "b", "c")


def test_a_runs_benchmark_and_its_imbalance_name_what_a_task_was_trained_on():
    config = build_config(("test", {"tasks": "digits-10", "benchmark_options": {"imbalance": 10}}))
    assert TrainedOn.of_run(config, 1) == TrainedOn("digits-10", 1, 10.0)
    assert TrainedOn.of_run(build_config(("test", {"tasks": "digits-5"})), 4).describe() == "digits-5 task 4"
