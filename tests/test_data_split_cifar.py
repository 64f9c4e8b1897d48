"""split-cifar10 and split-cifar100 read from archives the tests write in the real format."""

import pickle

import pytest

from cpg.data import build_benchmark
from cpg.data.augment import RandomCropFlip
from cpg.errors import UserError
from tests.fixtures.cifar_archive import (
    CIFAR10_LABEL_NAMES,
    CIFAR100_FINE_LABEL_NAMES,
    TEST_PER_CLASS,
    TRAIN_PER_CLASS,
    write_cifar100,
)


def first_bytes(dataset):
    """The first raw byte of every image: the fixture stores the image's label there."""
    images, _ = dataset.__getitems__(range(len(dataset)))
    return (images[:, 0, 0, 0] * dataset.std[0] + dataset.mean[0]).mul(255).round().long()


@pytest.mark.parametrize(("name", "names", "per_task"), [
    ("split-cifar10", CIFAR10_LABEL_NAMES, 2), ("split-cifar100", CIFAR100_FINE_LABEL_NAMES, 10),
])
def test_classes_are_dealt_out_in_index_order(cifar_root, name, names, per_task):
    benchmark = build_benchmark(name, data_root=cifar_root, verify_checksums=False)
    prefix = name.removeprefix("split-")
    starts = range(0, len(names), per_task)
    assert benchmark.input_shape == (3, 32, 32)
    assert [task.name for task in benchmark.tasks] == [f"{prefix}_{s}-{s + per_task - 1}" for s in starts]
    for start, task in zip(starts, benchmark.tasks):
        group = list(range(start, start + per_task))
        assert list(task.classes) == [names[label] for label in group]
        assert len(task.train) + len(task.val) == per_task * TRAIN_PER_CLASS
        assert len(task.test) == per_task * TEST_PER_CLASS
        assert task.train.images[:, 0, 0, 0].tolist() == [group[label] for label in task.train.labels.tolist()]
        for split in (task.val, task.test):
            assert first_bytes(split).tolist() == [group[label] for label in split.labels.tolist()]
        assert isinstance(task.train.augment, RandomCropFlip) and task.test.augment is None


@pytest.mark.parametrize("name", ["split-cifar10", "split-cifar100"])
def test_checksums_are_verified_by_default(cifar_root, name):
    with pytest.raises(UserError, match="`verify_checksums` false"):
        build_benchmark(name, data_root=cifar_root)


@pytest.mark.parametrize(("name", "folder"), [
    ("split-cifar10", "cifar-10-batches-py"), ("split-cifar100", "cifar-100-python"),
])
def test_missing_data_says_where_it_looked_and_how_to_get_it(tmp_path, name, folder):
    with pytest.raises(UserError, match="`download` fetches it") as error:
        build_benchmark(name, data_root=tmp_path)
    assert f"no {tmp_path / folder}" in str(error.value)


def test_an_archive_that_is_not_cifar100_is_refused(tmp_path):
    meta_path = write_cifar100(tmp_path, 1, 1) / "meta"
    meta = pickle.loads(meta_path.read_bytes())
    meta["fine_label_names"][0] = "aardvark"
    meta_path.write_bytes(pickle.dumps(meta, protocol=2))
    with pytest.raises(UserError, match="not those of CIFAR-100"):
        build_benchmark("split-cifar100", data_root=tmp_path, verify_checksums=False)
