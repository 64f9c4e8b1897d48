"""A diagnosis on disk, next to the classifier or in the run folder it belongs to."""

from pathlib import Path

import torch

from cpg.checkpoint import CheckpointError, load_tensors, save_tensors
from cpg.doctor.diagnosis import Diagnosis


def save_diagnosis(path: str | Path, diagnosis: Diagnosis, classes: tuple[str, ...]) -> None:
    save_tensors(Path(path), {
        "contents": "doctor-diagnosis",
        "layer": diagnosis.layer,
        "signal": diagnosis.signal,
        "threshold": diagnosis.threshold,
        "classes": list(classes),
        "relevance": diagnosis.relevance,
        "images": diagnosis.images,
        "masks": diagnosis.masks,
    })


def load_diagnosis(path: str | Path) -> tuple[Diagnosis, tuple[str, ...]]:
    """The diagnosis and the class names it was made for."""
    path = Path(path)
    document = load_tensors(path)
    if document.get("contents") != "doctor-diagnosis":
        raise CheckpointError(f"{path}: not a diagnosis file (write one with `cpg doctor diagnose`)")
    relevance = document["relevance"]
    if not isinstance(relevance, torch.Tensor) or relevance.dim() != 2:
        raise CheckpointError(f"{path}: its relevance is not a [classes, channels] tensor")
    diagnosis = Diagnosis(document["layer"], document["signal"], float(document["threshold"]), relevance,
                          document["images"])
    return diagnosis, tuple(document["classes"])
