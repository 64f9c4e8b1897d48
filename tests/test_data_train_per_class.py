"""The ``train_per_class`` option of the benchmarks read in torchvision's formats, on generated
files whose every image carries its class in its first byte."""

import pytest
import torch

from cpg.cli import main
from cpg.data import build_benchmark
from cpg.data.per_class import keep_per_class
from cpg.data.task import Benchmark, Task
from cpg.errors import UserError
from tests.conftest import TORCHVISION_TRAIN
from tests.runs import write_pipeline

NAMES = ("cifar10", "split-cifar10", "split-cifar100", "cifar100-20", "split-mnist", "split-fashion-mnist",
         "perm-mnist", "rot-mnist")
SMALL = {"perm-mnist": {"num_tasks": 2}, "rot-mnist": {"num_tasks": 2}}
"""Two tasks of perm-mnist and rot-mnist; the first is MNIST as read (no permutation, 0°)."""
COUNT = 5


def build(name: str, root, **options) -> Benchmark:
    return build_benchmark(name, data_root=root, verify_checksums=False, options={**SMALL.get(name, {}), **options})


def held(task: Task, label: int) -> torch.Tensor:
    """The raw training and validation images of ``task`` with ``label``."""
    return torch.cat([split.images[split.labels == label] for split in (task.train, task.val)])


def by_source_class(tasks: tuple[Task, ...]) -> dict[int, set[bytes]]:
    """The training and validation images of ``tasks`` by the class of the files they came from
    (their first byte), after checking that every label of a task holds one such class."""
    kept: dict[int, set[bytes]] = {}
    for task in tasks:
        for label in range(task.num_classes):
            images = held(task, label)
            (source_class,) = set(images.flatten(1)[:, 0].tolist())
            assert source_class not in kept
            kept[source_class] = {image.numpy().tobytes() for image in images}
    return kept


@pytest.mark.parametrize("name", NAMES)
def test_each_task_holds_train_per_class_images_of_each_class_and_its_whole_test_split(torchvision_root, name):
    reduced, whole = build(name, torchvision_root, train_per_class=COUNT), build(name, torchvision_root)
    assert [task.name for task in reduced.tasks] == [task.name for task in whole.tasks]
    for task, full in zip(reduced.tasks, whole.tasks):
        counts = torch.bincount(torch.cat([task.train.labels, task.val.labels]), minlength=task.num_classes)
        assert counts.tolist() == [COUNT] * task.num_classes
        assert len(task.val) == task.num_classes
        assert torch.equal(task.test.images, full.test.images) and torch.equal(task.test.labels, full.test.labels)


@pytest.mark.parametrize("name", NAMES)
def test_two_builds_keep_the_same_images(torchvision_root, name):
    first, second = (build(name, torchvision_root, train_per_class=COUNT) for _ in range(2))
    for one, other in zip(first.tasks, second.tasks):
        for split in ("train", "val"):
            assert torch.equal(getattr(one, split).images, getattr(other, split).images)
            assert torch.equal(getattr(one, split).labels, getattr(other, split).labels)


@pytest.mark.parametrize(("name", "same_files"), [
    ("split-cifar10", "cifar10"), ("split-cifar100", "cifar100-20"), ("split-mnist", "perm-mnist"),
    ("split-mnist", "rot-mnist"),
])
def test_sequences_over_the_same_files_keep_the_same_images_of_each_class(torchvision_root, name, same_files):
    kept = by_source_class(build(name, torchvision_root, train_per_class=COUNT).tasks)
    whole = by_source_class(build(name, torchvision_root).tasks)
    other = build(same_files, torchvision_root, train_per_class=COUNT).tasks
    assert kept == by_source_class(other[:1] if same_files in SMALL else other)
    assert kept.keys() == whole.keys()
    assert all(len(kept[label]) == COUNT and kept[label] < whole[label] for label in kept)


def test_the_split_fashion_mnist_tasks_keep_images_of_their_own_classes(torchvision_root):
    kept = by_source_class(build("split-fashion-mnist", torchvision_root, train_per_class=COUNT).tasks)
    whole = by_source_class(build("split-fashion-mnist", torchvision_root).tasks)
    assert kept.keys() == whole.keys() == set(range(10))
    assert all(len(kept[label]) == COUNT and kept[label] < whole[label] for label in kept)


def test_the_run_line_says_what_was_kept(torchvision_root):
    lines = build("split-cifar10", torchvision_root, train_per_class=COUNT).describe().splitlines()
    assert lines[1] == (f"split-cifar10: kept {COUNT} of {TORCHVISION_TRAIN} training images per class "
                        "(stratified, seed 0), validation held out of them; test split whole")
    assert len(build("split-cifar10", torchvision_root).describe().splitlines()) == 1


def test_more_than_a_class_has_keeps_all_of_it_and_says_so(torchvision_root):
    benchmark = build("cifar10", torchvision_root, train_per_class=TORCHVISION_TRAIN + 1)
    (task,) = benchmark.tasks
    assert len(task.train) + len(task.val) == 10 * TORCHVISION_TRAIN
    assert benchmark.kept == (f"kept every training image ({TORCHVISION_TRAIN} per class, none above "
                              f"train_per_class {TORCHVISION_TRAIN + 1}), validation held out of them; test split whole")


def test_classes_of_different_sizes_keep_at_most_the_count_and_smaller_counts_keep_subsets():
    labels = torch.tensor([0] * 3 + [1] * 8 + [2] * 5)[torch.randperm(16, generator=torch.Generator().manual_seed(0))]
    images = torch.arange(16)
    (four, four_labels), line = keep_per_class((images, labels), 4)
    assert torch.bincount(four_labels).tolist() == [3, 4, 4]
    assert line.startswith("kept 4 of 3–8 training images per class (1 class with fewer kept whole; stratified")
    assert torch.equal(labels[four], four_labels) and torch.equal(four, four.sort().values)
    (two, _), _ = keep_per_class((images, labels), 2)
    assert set(two.tolist()) < set(four.tolist())
    assert keep_per_class((images, labels), None) == ((images, labels), None)


def test_train_per_class_comes_before_the_long_tail(torchvision_root):
    benchmark = build("split-cifar10", torchvision_root, train_per_class=COUNT, imbalance=4)
    assert benchmark.name == "split-cifar10-lt4" and benchmark.kept.startswith(f"kept {COUNT} of")
    for task in benchmark.tasks:
        assert torch.bincount(task.train.labels).tolist() == [COUNT - 1, 1]
        assert torch.bincount(task.val.labels).tolist() == [1, 1]


def test_synthetic_keeps_its_own_train_per_class():
    benchmark = build_benchmark("synthetic", options={"num_tasks": 1, "train_per_class": 30})
    (task,) = benchmark.tasks
    assert len(task.train) + len(task.val) == 2 * 30 and benchmark.kept is None


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("value", [1, 0, -3, 2.5, "100", True])
def test_a_bad_value_is_one_line_before_any_file_is_read(tmp_path, name, value):
    with pytest.raises(UserError) as error:
        build(name, tmp_path, train_per_class=value)
    assert str(error.value) == (f"option 'train_per_class' of benchmark {name!r} must be an integer >= 2, "
                                f"got {value!r}")


@pytest.mark.parametrize(("name", "accepted"), [
    ("split-cifar10", "train_per_class, imbalance"),
    ("perm-mnist", "num_tasks, seed, identity_first, train_per_class, imbalance"),
    ("rot-mnist", "num_tasks, angles, train_per_class, imbalance"),
    ("digits-5", "imbalance"),
])
def test_an_unknown_option_lists_the_accepted_ones(tmp_path, name, accepted):
    with pytest.raises(UserError) as error:
        build(name, tmp_path, train_per_klass=COUNT)
    assert str(error.value) == f"benchmark {name!r} has no option 'train_per_klass' (accepted options: {accepted})"


def test_benchmarks_not_read_in_torchvision_formats_refuse_it(tmp_path):
    with pytest.raises(UserError, match="has no option 'train_per_class'"):
        build("digits-10", tmp_path, train_per_class=COUNT)
    with pytest.raises(UserError, match="has no option 'train_per_class'"):
        build_benchmark("imagefolder", options={"tasks": [{"name": "a", "root": "a"}], "train_per_class": COUNT})


def test_a_run_prints_what_was_kept_once(torchvision_root, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    pipeline = write_pipeline(tmp_path / "kept.yaml", tasks="perm-mnist", arch="mlp", data_root=str(torchvision_root),
                              benchmark_options={"num_tasks": 1, "train_per_class": COUNT})
    assert main(["run", "--config", str(pipeline), "--quiet"]) == 0
    benchmark_lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("perm-mnist: ")]
    assert len(benchmark_lines) == 2 and "1 task, input 1×28×28" in benchmark_lines[0]
    assert benchmark_lines[1] == (f"perm-mnist: kept {COUNT} of {TORCHVISION_TRAIN} training images per class "
                                  "(stratified, seed 0), validation held out of them; test split whole")
