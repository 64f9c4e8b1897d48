"""A plain trained classifier on disk: architecture, classes, weights and the data it learned
(`cpg train`).

SeaM and Model Doctor start from such a file, from a user's own `state_dict` of a registered
architecture, or from one task of a CPG run.
"""

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from torch import nn

from cpg.checkpoint import CheckpointError, load_tensors, save_tensors
from cpg.config import RunConfig
from cpg.data.long_tail import OPTION as IMBALANCE
from cpg.data.long_tail import split_long_tail_name
from cpg.models import build_model


@dataclass(frozen=True)
class TrainedOn:
    """Task `task` (1-based) of the registered benchmark `benchmark`, its training split made
    long-tailed with ratio `imbalance` when that is given."""

    benchmark: str
    task: int = 1
    imbalance: float | None = None

    @classmethod
    def of_run(cls, config: RunConfig, task: int) -> "TrainedOn":
        """Task `task` of the benchmark `config` reads."""
        ratio = config.benchmark_options.get(IMBALANCE)
        return cls(config.tasks, task, None if ratio is None else float(ratio))

    def describe(self) -> str:
        return f"{self.benchmark} task {self.task}" + ("" if self.imbalance is None else
                                                        f", long-tailed (ratio {self.imbalance:g})")


@dataclass
class Classifier:
    model: nn.Module
    arch: str
    input_shape: tuple[int, int, int]
    classes: tuple[str, ...]
    width: float = 1.0
    trained_on: TrainedOn | None = None  # None: not known (the file does not say)


def save_classifier(path: str | Path, classifier: Classifier) -> None:
    save_tensors(Path(path), {
        "contents": "classifier",
        "arch": classifier.arch,
        "input_shape": list(classifier.input_shape),
        "classes": list(classifier.classes),
        "width": classifier.width,
        "trained_on": asdict(classifier.trained_on) if classifier.trained_on else None,
        "state_dict": classifier.model.state_dict(),
    })


def load_classifier(path: str | Path) -> Classifier:
    path = Path(path)
    document = load_tensors(path)
    if document.get("contents") != "classifier":
        raise CheckpointError(f"{path}: not a classifier file (write one with `cpg train`)")
    input_shape = tuple(document["input_shape"])
    classes = tuple(document["classes"])
    model = build_model(document["arch"], len(classes), input_shape, document["width"])
    model.load_state_dict(document["state_dict"])
    return Classifier(model, document["arch"], input_shape, classes, document["width"], _trained_on(document))


def _trained_on(document: dict[str, Any]) -> TrainedOn | None:
    """The file's `trained_on`; files written before it existed say "BENCHMARK:K" in `dataset`,
    the benchmark's name ending in "-lt<ratio>" when it was long-tailed."""
    if "trained_on" in document:
        return TrainedOn(**document["trained_on"]) if document["trained_on"] else None
    name, _, task = str(document.get("dataset", "")).rpartition(":")
    if not name:  # unknown, or not in that form
        return None
    benchmark, ratio = split_long_tail_name(name)
    return TrainedOn(benchmark, int(task) if task.isdigit() else 1, ratio)
