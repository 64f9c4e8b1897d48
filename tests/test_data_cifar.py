import pickle

import pytest
import torch

from cpg.data import build_benchmark
from cpg.errors import UserError
from tests.fixtures.cifar_archive import (
    CIFAR10_LABEL_NAMES,
    CIFAR100_COARSE_LABEL_NAMES,
    CIFAR100_COARSE_OF_FINE,
    CIFAR100_FINE_LABEL_NAMES,
    TEST_PER_CLASS,
    TRAIN_PER_CLASS,
    write_cifar100,
)


@pytest.fixture(scope="module")
def cifar100(cifar_root):
    return build_benchmark("cifar100-20", data_root=cifar_root, verify_checksums=False)


def _label_bytes(dataset):
    """The first raw byte of every image: the fixture stores the image's label there."""
    images, labels = dataset.__getitems__(range(len(dataset)))
    raw = (images[:, 0, 0, 0] * dataset.std[0] + dataset.mean[0]) * 255
    return raw.round().long(), labels


def test_cifar100_20_has_one_task_per_superclass(cifar100):
    assert cifar100.input_shape == (3, 32, 32)
    assert [task.name for task in cifar100.tasks] == CIFAR100_COARSE_LABEL_NAMES
    for task in cifar100.tasks:
        assert task.num_classes == 5
        assert list(task.classes) == sorted(task.classes)
        assert len(task.train) + len(task.val) == 5 * TRAIN_PER_CLASS
        assert len(task.test) == 5 * TEST_PER_CLASS
        image, label = task.test[0]
        assert image.shape == (3, 32, 32) and image.dtype == torch.float32
        assert 0 <= int(label) < 5


def test_cifar100_images_land_in_their_superclass_with_their_local_label(cifar100):
    for coarse, task in enumerate(cifar100.tasks):
        fines = [CIFAR100_FINE_LABEL_NAMES.index(name) for name in task.classes]
        assert fines == sorted(fines)
        assert all(CIFAR100_COARSE_OF_FINE[fine] == coarse for fine in fines)
        for split in (task.val, task.test):
            fine, label = _label_bytes(split)
            assert fine.tolist() == [fines[local] for local in label.tolist()]
        assert task.train.images[:, 0, 0, 0].tolist() == [
            fines[local] for local in task.train.labels.tolist()
        ]


def test_cifar_train_is_augmented_val_and_test_are_not(cifar100):
    task = cifar100.tasks[0]
    assert not torch.equal(*(task.train.__getitems__(range(8))[0] for _ in range(2)))
    for split in (task.val, task.test):
        assert torch.equal(*(split.__getitems__(range(len(split)))[0] for _ in range(2)))


def test_cifar_tasks_are_normalised_by_their_own_statistics(cifar100):
    first, second = cifar100.tasks[:2]
    assert not torch.equal(first.train.mean, second.train.mean)
    assert torch.equal(first.train.mean, first.test.mean)
    assert first.train.mean.shape == (3,)


def test_checksums_are_verified_by_default(cifar_root):
    for name in ("cifar100-20", "cifar10"):
        with pytest.raises(UserError, match="`verify_checksums` false"):
            build_benchmark(name, data_root=cifar_root)


def test_cifar10_is_one_task_of_its_ten_classes(cifar_root):
    benchmark = build_benchmark("cifar10", data_root=cifar_root, verify_checksums=False)
    (task,) = benchmark.tasks
    assert task.name == "cifar10" and list(task.classes) == CIFAR10_LABEL_NAMES
    assert len(task.train) + len(task.val) == 10 * TRAIN_PER_CLASS
    fine, label = _label_bytes(task.test)
    assert torch.equal(fine, label)


@pytest.mark.parametrize(("name", "folder"), [
    ("cifar100-20", "cifar-100-python"), ("cifar10", "cifar-10-batches-py")
])
def test_missing_data_says_where_it_looked_and_how_to_get_it(tmp_path, name, folder):
    with pytest.raises(UserError, match="`download` fetches it") as error:
        build_benchmark(name, data_root=tmp_path)
    assert str(tmp_path / folder) in str(error.value)


def test_missing_file_is_named(tmp_path):
    (write_cifar100(tmp_path) / "test").unlink()
    with pytest.raises(UserError, match="lacks test"):
        build_benchmark("cifar100-20", data_root=tmp_path, verify_checksums=False)


def test_default_data_root_is_data_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="data/cifar-100-python"):
        build_benchmark("cifar100-20")
    write_cifar100(tmp_path / "data")
    assert len(build_benchmark("cifar100-20", verify_checksums=False).tasks) == 20


def test_fine_label_names_that_are_not_cifar100_are_a_user_error(tmp_path):
    meta_path = write_cifar100(tmp_path) / "meta"
    meta = pickle.loads(meta_path.read_bytes())
    meta["fine_label_names"][0] = "aardvark"
    meta_path.write_bytes(pickle.dumps(meta, protocol=2))
    with pytest.raises(UserError, match="not those of CIFAR-100"):
        build_benchmark("cifar100-20", data_root=tmp_path, verify_checksums=False)


def test_fixture_writes_the_real_file_layout(cifar_root):
    train = pickle.loads((cifar_root / "cifar-100-python" / "train").read_bytes())
    assert set(train) == {"data", "fine_labels", "coarse_labels", "filenames", "batch_label"}
    assert train["data"].dtype.name == "uint8" and train["data"].shape == (1000, 3072)
    meta = pickle.loads((cifar_root / "cifar-10-batches-py" / "batches.meta").read_bytes())
    assert meta["label_names"] == CIFAR10_LABEL_NAMES
