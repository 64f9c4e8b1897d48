"""Source models for re-engineering and channel compression: a classifier file from
`cpg train` or a user's own `state_dict` of a registered architecture (one task of a saved CPG
run is a source too: `cpg.workflows.sources`)."""

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from cpg.classifier import load_classifier
from cpg.config.source import SourceDataConfig
from cpg.data import Task
from cpg.data.long_tail import OPTION as IMBALANCE
from cpg.errors import UserError
from cpg.models import build_model, check_arch
from cpg.source.data import source_task


@dataclass
class Source:
    """A trained classifier and the data it was trained on: label i is `task.classes[i]`."""

    model: nn.Module
    arch: str
    task: Task
    input_shape: tuple[int, int, int]
    description: str

    @property
    def classes(self) -> tuple[str, ...]:
        return self.task.classes


def source_from_classifier(path: str | Path, config: SourceDataConfig) -> Source:
    classifier = load_classifier(path)
    trained_on = classifier.trained_on
    if trained_on is None:
        raise UserError(f"{path} does not say which dataset it was trained on; load its weights as a state_dict of "
                        "its architecture, with the dataset it was trained on")
    options = None if trained_on.imbalance is None else {IMBALANCE: trained_on.imbalance}
    task, input_shape = source_task(trained_on.benchmark, trained_on.task, config, options)
    if tuple(task.classes) != tuple(classifier.classes) or tuple(input_shape) != tuple(classifier.input_shape):
        raise UserError(f"{path}: its classes or image shape differ from those of {trained_on.describe()} as read now")
    return Source(classifier.model.eval(), classifier.arch, task, input_shape,
                  f"{path} ({classifier.arch}, {trained_on.describe()})")


def source_from_state_dict(path: str | Path, arch: str, benchmark: str, task_number: int | None,
                           config: SourceDataConfig, width: float = 1.0) -> Source:
    """Your own weights of `arch`, trained on task `task_number` of `benchmark` (None: all of its
    tasks merged into one, see `source_task`)."""
    check_arch(arch)
    state = _read_state_dict(Path(path))
    task, input_shape = source_task(benchmark, task_number, config)
    data = benchmark if task_number is None else f"{benchmark} task {task_number}"
    model = build_model(arch, task.num_classes, input_shape, width)
    _check_fit(state, model, f"{path} does not fit {arch} (width {width:g}) with the {task.num_classes} classes of {data}")
    model.load_state_dict(state, strict=False)
    return Source(model.eval(), arch, task, input_shape, f"{path} ({arch}, {data})")


def _read_state_dict(path: Path) -> dict[str, Tensor]:
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        document = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load fails on foreign files with many kinds of error
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        raise UserError(f"{path}: not a readable state_dict ({reason[:120]})") from None
    if isinstance(document, dict) and isinstance(document.get("state_dict"), dict):
        document = document["state_dict"]
    if not isinstance(document, dict) or not all(isinstance(value, Tensor) for value in document.values()):
        raise UserError(f"{path}: not a state_dict (a mapping of names to tensors)")
    if document and all(key.startswith("module.") for key in document):
        document = {key.removeprefix("module."): value for key, value in document.items()}
    return document


def _check_fit(state: dict[str, Tensor], model: nn.Module, context: str) -> None:
    """One line naming the first mismatch; BatchNorm's `num_batches_tracked` may be absent."""
    expected = model.state_dict()
    missing = [key for key in expected if key not in state and not key.endswith("num_batches_tracked")]
    unexpected = [key for key in state if key not in expected]
    wrong = [key for key in expected if key in state and state[key].shape != expected[key].shape]
    if missing:
        raise UserError(f"{context}: it lacks {missing[0]}" + _more(missing))
    if unexpected:
        raise UserError(f"{context}: it has no place for {unexpected[0]}" + _more(unexpected))
    if wrong:
        key = wrong[0]
        raise UserError(f"{context}: {key} is {tuple(state[key].shape)}, the model needs {tuple(expected[key].shape)}" + _more(wrong))


def _more(keys: list[str]) -> str:
    return f" (and {len(keys) - 1} more)" if len(keys) > 1 else ""
