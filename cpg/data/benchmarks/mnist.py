"""MNIST and Fashion-MNIST read through torchvision from their raw idx files, and the split
sequences of five tasks of two classes built on them."""

from __future__ import annotations

from pathlib import Path

from torchvision.datasets import MNIST, FashionMNIST

from cpg.data.build import BenchmarkRequest
from cpg.data.class_split import Split, class_split_tasks
from cpg.data.per_class import keep_per_class, train_per_class_option
from cpg.data.task import Benchmark
from cpg.errors import UserError
from cpg.registry import BENCHMARKS

MNIST_SHAPE = (1, 28, 28)
NUM_CLASSES = 10
CLASSES_PER_SPLIT_TASK = 2


@BENCHMARKS.register("split-mnist")
def split_mnist(request: BenchmarkRequest) -> Benchmark:
    return split_mnist_benchmark(request, MNIST)


@BENCHMARKS.register("split-fashion-mnist")
def split_fashion_mnist(request: BenchmarkRequest) -> Benchmark:
    return split_mnist_benchmark(request, FashionMNIST)


def split_mnist_benchmark(request: BenchmarkRequest, source: type[MNIST]) -> Benchmark:
    """Classes 0/1, 2/3, … 8/9 of ``source`` (MNIST or FashionMNIST) as five tasks, named
    ``mnist_0-1`` … (``fashionmnist_0-1`` …); no augmentation."""
    count = train_per_class_option(request.name, request.options)
    classes, train, test = read_mnist(source, request.root, request.download)
    train, kept = keep_per_class(train, count)
    tasks = class_split_tasks(
        source.__name__.lower(), classes, train, test, CLASSES_PER_SPLIT_TASK, request.val_fraction
    )
    return Benchmark(name=request.name, tasks=tasks, input_shape=MNIST_SHAPE, kept=kept)


def read_mnist(
    source: type[MNIST], root: Path, download: bool
) -> tuple[tuple[str, ...], Split, Split]:
    """Class names and the (uint8 images [N, 1, 28, 28], labels) of the train and test splits,
    from the unpacked idx files in ``<root>/<source>/raw/`` (``MNIST/raw/``,
    ``FashionMNIST/raw/``), where torchvision puts them."""
    folder = root / source.__name__ / "raw"
    files = [archive.removesuffix(".gz") for archive, _ in source.resources]
    missing = [file for file in files if not (folder / file).is_file()]
    if missing and not download:
        raise UserError(
            f"{source.__name__} data not found ({_what_is_missing(folder, missing)}); `download` fetches it, "
            f"or point `data_root` at the folder that holds {source.__name__}/raw"
        )
    try:
        splits = [source(str(root), train=train, download=download) for train in (True, False)]
    except (AssertionError, TypeError, ValueError, KeyError) as error:
        raise UserError(
            f"{folder} does not hold valid {source.__name__} idx files ({_one_line(error)}); "
            "fetch a fresh copy with `download`"
        ) from error
    except (RuntimeError, OSError) as error:
        raise UserError(
            f"could not read or download {source.__name__} in {root} ({_one_line(error)}); "
            "check the folder's permissions and the network"
        ) from error
    classes = tuple(label.split(" - ")[0] for label in source.classes)
    return classes, *(_as_tensors(split, folder) for split in splits)


def _one_line(error: Exception) -> str:
    """torchvision's download error lists every mirror tried on lines of its own."""
    return " ".join(str(error).split())


def _what_is_missing(folder: Path, missing: list[str]) -> str:
    if not folder.is_dir():
        return f"no {folder}"
    packed = [file for file in missing if (folder / f"{file}.gz").is_file()]
    hint = "; `download` unpacks the .gz files already there" if packed else ""
    return f"{folder} lacks {', '.join(missing)}{hint}"


def _as_tensors(dataset: MNIST, folder: Path) -> Split:
    images, labels = dataset.data, dataset.targets
    if images.shape[1:] != MNIST_SHAPE[1:] or len(labels) != len(images):
        raise UserError(
            f"{folder} holds {len(images)} images of {tuple(images.shape[1:])} pixels and "
            f"{len(labels)} labels; MNIST-format files hold one label per 28×28 image"
        )
    if len(labels) and not 0 <= int(labels.min()) <= int(labels.max()) < NUM_CLASSES:
        raise UserError(f"{folder} holds labels outside 0…{NUM_CLASSES - 1}")
    return images.unsqueeze(1), labels.long()
