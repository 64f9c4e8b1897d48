"""split-mnist, split-fashion-mnist, perm-mnist and rot-mnist read from idx files the tests
write in the exact format torchvision reads."""

import re

import pytest
import torch
from torchvision.datasets import MNIST

from cpg.cli import main
from cpg.data import build_benchmark
from cpg.data.benchmarks.permuted import pixel_permutation
from cpg.data.benchmarks.rotated import task_angles
from cpg.errors import UserError
from tests.fixtures.mnist_idx import FILES, IMAGE_MAGIC, LABEL_MAGIC, read_idx, write_mnist

TRAIN_PER_CLASS, TEST_PER_CLASS = 20, 5
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mnist")
    write_mnist(root, "MNIST", TRAIN_PER_CLASS, TEST_PER_CLASS)
    write_mnist(root, "FashionMNIST", TRAIN_PER_CLASS, TEST_PER_CLASS, seed=1)
    return root


def first_pixels(dataset):
    """The raw top-left pixel of every image (the fixture stores the image's class there)."""
    images, _ = dataset.__getitems__(range(len(dataset)))
    return (images[:, 0, 0, 0] * dataset.std[0] + dataset.mean[0]).mul(255).round().long()


def flat(split):
    return split.images.flatten(1)


def test_fixture_writes_big_endian_idx_files(mnist_root):
    images, labels = FILES["train"]
    magic, dims, values = read_idx(mnist_root / "MNIST" / "raw" / images)
    assert (magic, dims, values.dtype.name) == (IMAGE_MAGIC, (10 * TRAIN_PER_CLASS, 28, 28), "uint8")
    magic, dims, classes = read_idx(mnist_root / "MNIST" / "raw" / labels)
    assert (magic, dims) == (LABEL_MAGIC, (10 * TRAIN_PER_CLASS,))
    assert values[:, 0, 0].tolist() == classes.tolist()


@pytest.mark.parametrize(("name", "prefix", "names"), [
    ("split-mnist", "mnist", [str(digit) for digit in range(10)]),
    ("split-fashion-mnist", "fashionmnist", FASHION_CLASSES),
])
def test_split_sequences_are_five_pairs_in_class_order(mnist_root, name, prefix, names):
    benchmark = build_benchmark(name, data_root=mnist_root)
    assert benchmark.input_shape == (1, 28, 28)
    assert [task.name for task in benchmark.tasks] == [f"{prefix}_{d}-{d + 1}" for d in range(0, 10, 2)]
    for index, task in enumerate(benchmark.tasks):
        pair = [2 * index, 2 * index + 1]
        assert list(task.classes) == [names[label] for label in pair]
        assert len(task.train) + len(task.val) == 2 * TRAIN_PER_CLASS
        assert len(task.test) == 2 * TEST_PER_CLASS
        assert task.train.augment is None
        for split in (task.train, task.val, task.test):
            assert first_pixels(split).tolist() == [pair[label] for label in split.labels.tolist()]


def test_perm_mnist_applies_one_seeded_permutation_per_task_to_train_and_test(mnist_root):
    benchmark = build_benchmark("perm-mnist", data_root=mnist_root, options={"num_tasks": 3})
    assert [task.name for task in benchmark.tasks] == ["mnist_perm_1", "mnist_perm_2", "mnist_perm_3"]
    original, *permuted = benchmark.tasks
    assert list(original.classes) == [str(digit) for digit in range(10)]
    assert first_pixels(original.test).tolist() == original.test.labels.tolist()
    columns = {column.numpy().tobytes(): index for index, column in enumerate(flat(original.train).T)}
    orders = []
    for index, task in enumerate(permuted, start=1):
        order = torch.tensor([columns[column.numpy().tobytes()] for column in flat(task.train).T])
        assert sorted(order.tolist()) == list(range(784)) and not torch.equal(order, torch.arange(784))
        assert torch.equal(order, pixel_permutation(784, 0, index, True))
        assert torch.equal(flat(task.test), flat(original.test)[:, order])
        assert torch.equal(flat(task.val), flat(original.val)[:, order])
        assert torch.equal(task.test.labels, original.test.labels)
        orders.append(order)
    assert not torch.equal(*orders)


def test_perm_mnist_tasks_depend_only_on_seed_and_position(mnist_root):
    def images(**options):
        return [flat(task.test) for task in build_benchmark("perm-mnist", data_root=mnist_root, options=options).tasks]

    two, three = images(num_tasks=2), images(num_tasks=3)
    assert torch.equal(two[1], three[1])
    other_seed = images(num_tasks=2, seed=1)
    assert torch.equal(two[0], other_seed[0]) and not torch.equal(two[1], other_seed[1])
    (first,) = images(num_tasks=1, identity_first=False)
    assert not torch.equal(first, two[0])
    assert sorted(first[0].tolist()) == sorted(two[0][0].tolist())


def test_rot_mnist_turns_every_image_of_a_task_by_its_angle(mnist_root):
    benchmark = build_benchmark("rot-mnist", data_root=mnist_root, options={"angles": [0, 90, 45]})
    assert [task.name for task in benchmark.tasks] == ["mnist_rot_0", "mnist_rot_90", "mnist_rot_45"]
    upright, quarter, eighth = benchmark.tasks
    for split in ("train", "val", "test"):
        base = getattr(upright, split).images
        assert torch.equal(getattr(quarter, split).images, torch.rot90(base, 1, (-2, -1)))
        turned = getattr(eighth, split).images
        assert turned.dtype == torch.uint8 and turned.shape == base.shape
        assert not torch.equal(turned, base)
        assert turned[:, :, 0, 0].eq(0).all() and turned[:, :, -1, -1].eq(0).all()
        assert torch.equal(getattr(eighth, split).labels, getattr(upright, split).labels)


def test_rot_mnist_default_angles_spread_over_half_a_turn():
    assert task_angles("rot-mnist", {}) == tuple(18.0 * index for index in range(10))
    assert task_angles("rot-mnist", {"num_tasks": 4}) == (0.0, 45.0, 90.0, 135.0)
    assert task_angles("rot-mnist", {"angles": [10, 20.5]}) == (10.0, 20.5)


@pytest.mark.parametrize(("name", "options", "message"), [
    ("perm-mnist", {"num_tasks": 0}, "'num_tasks' .* integer >= 1"),
    ("perm-mnist", {"identity_first": "yes"}, "'identity_first' .* true or false"),
    ("perm-mnist", {"angles": [0]}, "has no option 'angles'"),
    ("rot-mnist", {"angles": "90"}, "'angles' .* list of angles"),
    ("rot-mnist", {"angles": [0, 90, 0]}, "repeats an angle"),
    ("rot-mnist", {"angles": [0, 90], "num_tasks": 3}, "num_tasks is 3 but 'angles' lists 2"),
    ("split-mnist", {"num_tasks": 3}, "has no option 'num_tasks'"),
])
def test_bad_options_are_user_errors_before_any_file_is_read(tmp_path, name, options, message):
    with pytest.raises(UserError, match=message):
        build_benchmark(name, data_root=tmp_path, options=options)


@pytest.mark.parametrize(("name", "folder"), [
    ("split-mnist", "MNIST"), ("perm-mnist", "MNIST"), ("rot-mnist", "MNIST"), ("split-fashion-mnist", "FashionMNIST"),
])
def test_missing_data_says_where_it_looked_and_how_to_get_it(tmp_path, name, folder):
    with pytest.raises(UserError, match="`download` fetches it") as error:
        build_benchmark(name, data_root=tmp_path)
    assert f"no {tmp_path / folder / 'raw'}" in str(error.value) and "`data_root`" in str(error.value)


def test_missing_file_is_named(tmp_path):
    (write_mnist(tmp_path, train_per_class=2, test_per_class=1) / FILES["test"][1]).unlink()
    with pytest.raises(UserError, match=re.escape(f"lacks {FILES['test'][1]})")):
        build_benchmark("split-mnist", data_root=tmp_path)


def test_packed_files_alone_point_to_download_which_unpacks_them(tmp_path):
    write_mnist(tmp_path, train_per_class=2, test_per_class=1, packed=True)
    with pytest.raises(UserError, match="`download` unpacks the .gz files already there"):
        build_benchmark("split-mnist", data_root=tmp_path)


def test_a_file_that_is_not_idx_is_a_user_error(tmp_path):
    raw = write_mnist(tmp_path, train_per_class=2, test_per_class=1)
    (raw / FILES["train"][1]).write_bytes((raw / FILES["train"][0]).read_bytes())
    with pytest.raises(UserError, match="does not hold valid MNIST idx files"):
        build_benchmark("split-mnist", data_root=tmp_path)


def test_a_failed_download_is_one_line(tmp_path, monkeypatch):
    def unreachable(self):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried mirror 1, got:\nno network\n")

    monkeypatch.setattr(MNIST, "download", unreachable)  # torchvision's download without a network: no test goes online
    with pytest.raises(UserError, match="could not read or download MNIST") as error:
        build_benchmark("split-mnist", data_root=tmp_path, download=True)
    assert "\n" not in str(error.value) and "Tried mirror 1, got: no network" in str(error.value)


def test_missing_mnist_is_one_line_on_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["run", "--tasks", "split-mnist", "--name", "x", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("cpg: error: MNIST data not found (no data/MNIST/raw)") and "--download" in err[0]
