"""CIFAR-10 and CIFAR-100 read through torchvision from their standard python archives."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import torch
from torchvision.datasets import CIFAR10, CIFAR100

from cpg.data.assemble import in_memory_task, in_memory_transforms
from cpg.data.augment import RandomCropFlip
from cpg.data.build import BenchmarkRequest
from cpg.data.class_split import Split, class_split_tasks, select_classes
from cpg.data.per_class import keep_per_class, train_per_class_option
from cpg.data.superclasses import SUPERCLASSES
from cpg.data.task import Benchmark
from cpg.errors import UserError
from cpg.registry import BENCHMARKS

CIFAR_SHAPE = (3, 32, 32)
AUGMENT = RandomCropFlip(padding=4)
"""Training images: RandomCrop(32, padding=4) and RandomHorizontalFlip, as in the CIFAR literature."""
TRANSFORMS = in_memory_transforms(AUGMENT)


@BENCHMARKS.register("cifar100-20")
def cifar100_benchmark(request: BenchmarkRequest) -> Benchmark:
    """One task per superclass, in coarse-label index order, of the superclass's five classes."""
    fine_names, train, test, kept = _read_request(CIFAR100, request)
    fine_index = {fine: index for index, fine in enumerate(fine_names)}
    tasks = []
    for superclass, fines in SUPERCLASSES.items():
        group = tuple(sorted(fine_index[fine] for fine in fines))
        tasks.append(
            in_memory_task(
                superclass, tuple(fine_names[index] for index in group),
                select_classes(train, group), select_classes(test, group), request.val_fraction,
                AUGMENT,
            )
        )
    return Benchmark(request.name, tuple(tasks), CIFAR_SHAPE, TRANSFORMS, kept)


@BENCHMARKS.register("cifar10")
def cifar10_benchmark(request: BenchmarkRequest) -> Benchmark:
    """The ten CIFAR-10 classes as a single task named ``cifar10``."""
    classes, train, test, kept = _read_request(CIFAR10, request)
    task = in_memory_task("cifar10", tuple(classes), train, test, request.val_fraction, AUGMENT)
    return Benchmark(request.name, (task,), CIFAR_SHAPE, TRANSFORMS, kept)


@BENCHMARKS.register("split-cifar10")
def split_cifar10_benchmark(request: BenchmarkRequest) -> Benchmark:
    """Five tasks of two CIFAR-10 classes."""
    return split_cifar_benchmark(request, CIFAR10, 2)


@BENCHMARKS.register("split-cifar100")
def split_cifar100_benchmark(request: BenchmarkRequest) -> Benchmark:
    """Ten tasks of ten CIFAR-100 classes."""
    return split_cifar_benchmark(request, CIFAR100, 10)


def split_cifar_benchmark(request: BenchmarkRequest, source: type[CIFAR10], per_task: int) -> Benchmark:
    """CIFAR-10 or CIFAR-100 dealt out in class-index order, ``per_task`` classes per task
    (tasks ``cifar10_0-1`` … or ``cifar100_0-9`` …), augmented like the other CIFAR tasks."""
    classes, train, test, kept = _read_request(source, request)
    prefix = source.__name__.lower()
    tasks = class_split_tasks(prefix, tuple(classes), train, test, per_task, request.val_fraction, AUGMENT)
    return Benchmark(request.name, tasks, CIFAR_SHAPE, TRANSFORMS, kept)


def _read_request(
    source: type[CIFAR10], request: BenchmarkRequest
) -> tuple[list[str], Split, Split, str | None]:
    """Class names, train and test splits of ``source`` (CIFAR10 or CIFAR100) as ``request``
    reads them: the training split keeps the request's ``train_per_class`` images of each class,
    which the last item says (None: all of them)."""
    count = train_per_class_option(request.name, request.options)
    read = _read_cifar100 if source is CIFAR100 else partial(_read, source)
    classes, train, test = read(request.root, request.download, request.verify_checksums)
    train, kept = keep_per_class(train, count)
    return classes, train, test, kept


def _read_cifar100(
    root: Path, download: bool, verify_checksums: bool
) -> tuple[list[str], Split, Split]:
    """`_read` of CIFAR-100, refusing an archive whose fine label names are not CIFAR-100's."""
    fine_names, train, test = _read(CIFAR100, root, download, verify_checksums)
    if sorted(fine_names) != sorted(n for fines in SUPERCLASSES.values() for n in fines):
        raise UserError(
            f"the fine label names in {root / CIFAR100.base_folder / 'meta'} are not those of "
            "CIFAR-100; point `data_root` at a genuine cifar-100-python archive"
        )
    return fine_names, train, test


def _read(
    source: type[CIFAR10], root: Path, download: bool, verify_checksums: bool
) -> tuple[list[str], Split, Split]:
    """Class names and the (uint8 images [N, 3, 32, 32], labels) of the train and test splits."""
    folder = root / source.base_folder
    files = [name for name, _ in source.train_list + source.test_list] + [source.meta["filename"]]
    missing = [name for name in files if not (folder / name).is_file()]
    if missing and not download:
        found = f"{folder} lacks {', '.join(missing)}" if folder.is_dir() else f"no {folder}"
        raise UserError(
            f"{source.__name__} data not found ({found}); `download` fetches it, or point `data_root` at the "
            f"folder that holds {source.base_folder}"
        )
    reader = source if verify_checksums else _without_checksums(source)
    try:
        splits = [reader(str(root), train=train, download=download) for train in (True, False)]
    except RuntimeError as error:
        raise UserError(
            f"{folder} does not match the published {source.__name__} checksums; fetch a fresh "
            "copy with `download`, or switch the check off (`verify_checksums` false) for an "
            "archive you made yourself"
        ) from error
    except OSError as error:
        raise UserError(
            f"could not read or download {source.__name__} in {root} ({error}); check the "
            "folder's permissions and the network"
        ) from error
    return splits[0].classes, *(_as_tensors(split) for split in splits)


def _as_tensors(dataset: CIFAR10) -> Split:
    images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2)
    return images, torch.tensor(dataset.targets, dtype=torch.long)


def _without_checksums(source: type[CIFAR10]) -> type[CIFAR10]:
    """``source`` with every md5 set to None, which torchvision's integrity check reads as
    "the file exists": the same parsing, with the checksum test switched off."""
    return type(
        f"Unverified{source.__name__}",
        (source,),
        {
            "train_list": [[name, None] for name, _ in source.train_list],
            "test_list": [[name, None] for name, _ in source.test_list],
            "meta": {**source.meta, "md5": None},
        },
    )
