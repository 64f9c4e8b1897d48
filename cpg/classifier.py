"""A plain trained classifier on disk: architecture, classes and weights (`cpg train`).

SeaM and Model Doctor start from such a file, from a user's own `state_dict` of a registered
architecture, or from one task of a CPG run.
"""

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from cpg.checkpoint import CheckpointError, load_tensors, save_tensors
from cpg.models import build_model


@dataclass
class Classifier:
    model: nn.Module
    arch: str
    input_shape: tuple[int, int, int]
    classes: tuple[str, ...]
    width: float = 1.0
    dataset: str = ""


def save_classifier(path: str | Path, classifier: Classifier) -> None:
    save_tensors(Path(path), {
        "contents": "classifier",
        "arch": classifier.arch,
        "input_shape": list(classifier.input_shape),
        "classes": list(classifier.classes),
        "width": classifier.width,
        "dataset": classifier.dataset,
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
    return Classifier(model, document["arch"], input_shape, classes, document["width"], document["dataset"])
