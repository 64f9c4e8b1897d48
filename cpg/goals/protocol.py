"""What goals depend on: a goal file is reused only by runs of the same protocol.

A goal is the accuracy one network of the run's architecture reaches on a task when trained
alone with the run's FINETUNE schedule. Everything that changes that number is part of the
protocol: the benchmark and its options, the architecture, the validation fraction, the seed,
the schedule as the run scales it (epochs, learning rates and their steps, batch size, momentum,
weight decay, mixed precision) and the weights training starts from (`init`, by content). The
split decisions read (`select_on`) is not: a goal file holds every split.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

from cpg.config import RunConfig, scale_epochs


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def goal_protocol(config: RunConfig) -> dict[str, Any]:
    """The protocol of `config`'s goals, as JSON reads it back (so that it compares equal to a
    protocol read from a file)."""
    scaled = scale_epochs(config)
    protocol = {
        "benchmark": config.tasks,
        "benchmark_options": dict(config.benchmark_options),
        "arch": config.arch,
        "val_fraction": config.val_fraction,
        "seed": config.seed,
        "finetune": {"epochs": scaled.finetune.epochs, "lr": scaled.finetune.lr,
                     "lr_steps": {str(epoch): factor for epoch, factor in sorted(scaled.finetune.lr_steps.items())}},
        "batch_size": config.batch_size,
        "momentum": config.momentum,
        "weight_decay": config.weight_decay,
        "amp": config.amp,
        "init": {"file": Path(config.init).name, "sha256": file_digest(config.init)} if config.init else None,
    }
    return json.loads(json.dumps(protocol))


def protocol_key(protocol: dict[str, Any]) -> str:
    """A short digest naming a protocol (the suffix of its goal file)."""
    return hashlib.sha256(json.dumps(protocol, sort_keys=True).encode()).hexdigest()[:10]


def protocol_differences(measured: dict[str, Any], run: dict[str, Any]) -> list[str]:
    """What differs between the protocol a goal file was measured with and the run's, one phrase
    per setting ("finetune.epochs 20 (goal file) vs 4 (this run)")."""
    flat_measured, flat_run = _flatten(measured), _flatten(run)
    return [f"{key} {_text(flat_measured.get(key))} (goal file) vs {_text(flat_run.get(key))} (this run)"
            for key in sorted(flat_measured.keys() | flat_run.keys()) if flat_measured.get(key) != flat_run.get(key)]


def _flatten(protocol: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in protocol.items():
        if isinstance(value, dict) and key != "benchmark_options" and key != "lr_steps":
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _text(value: Any) -> str:
    return "none" if value is None else json.dumps(value) if isinstance(value, (dict, list)) else str(value)
