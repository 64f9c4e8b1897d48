"""The run folder: atomic writes, versioned state/model pairs, safe loading (docs/architecture.md).

Every save writes `model-N.pt` and then `state-N.json`, each through a temporary file that is
flushed, fsynced and renamed, so a crash leaves either the new pair or the previous one. Loading
takes the newest pair that reads back whole and agrees with itself; tensors load with
`torch.load(weights_only=True)`, so a checkpoint can never run code.
"""

import json
import os
import pickle
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from cpg.errors import UserError

FORMAT = 1
KIND = "cpg-checkpoint"
KEEP_GENERATIONS = 2
STATE_HEADER = ("format", "version", "model_crc32", "checksums")
"""What a saved state holds besides the caller's state: written by `RunFolder.save`, checked and
removed by `RunFolder.load`."""
TENSORS_HEADER = ("kind", "format", "version")
"""Likewise for a version's model file."""


class CheckpointError(UserError):
    """A checkpoint file that cannot be used: missing, truncated, corrupted, foreign, newer."""


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _ChecksumWriter:
    """A binary file wrapper that computes the CRC-32 of everything written through it."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self.crc32 = 0
        self.size = 0

    def write(self, data: bytes) -> int:
        self.crc32 = zlib.crc32(data, self.crc32)
        self.size += len(data)
        return self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()


def atomic_write(path: Path, write: Callable[[Any], None]) -> int:
    """Write `path` through a temporary file in the same folder (flush, fsync, rename); returns
    the CRC-32 of the bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as handle:
        writer = _ChecksumWriter(handle)
        write(writer)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)
    return writer.crc32


def file_crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return crc


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda handle: handle.write(text.encode()))


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def save_tensors(path: Path, payload: dict[str, Any]) -> int:
    """Save tensors and plain containers with the format header `load_tensors` checks; returns
    the file's CRC-32."""
    document = {"kind": KIND, "format": FORMAT, **payload}
    return atomic_write(path, lambda handle: torch.save(document, handle))


def load_tensors(path: Path, map_location: str | torch.device = "cpu", crc32: int | None = None) -> dict[str, Any]:
    """Load a file written by `save_tensors` (checking its CRC-32 when given); any problem is
    one `CheckpointError` naming the file."""
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if crc32 is not None and file_crc32(path) != crc32:
        raise CheckpointError(f"{path}: corrupted (its checksum does not match the one recorded when it was written)")
    try:
        document = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        reason = str(error).splitlines()[0] if str(error) else "unpickling failed"
        raise CheckpointError(f"{path}: refused to load (not plain tensors: {reason[:120]})") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckpointError(f"{path}: truncated or corrupted ({reason[:120]})") from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise CheckpointError(f"{path}: not a cpg checkpoint")
    if not isinstance(document.get("format"), int) or document["format"] > FORMAT:
        raise CheckpointError(
            f"{path}: written in checkpoint format {document.get('format')}, newer than this cpg reads ({FORMAT}); upgrade cpg"
        )
    return document


class RunFolder:
    """`checkpoints/<run>/`: run.yaml, state-N.json + model-N.pt pairs, snapshots, results."""

    _STATE = re.compile(r"state-(\d+)\.json$")

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._checksums: dict[str, int] = {}  # file name -> CRC-32 recorded when written

    @property
    def config_path(self) -> Path:
        return self.root / "run.yaml"

    @property
    def results_path(self) -> Path:
        return self.root / "results.json"

    def model_path(self, version: int) -> Path:
        return self.root / f"model-{version}.pt"

    def state_path(self, version: int) -> Path:
        return self.root / f"state-{version}.json"

    def versions(self) -> list[int]:
        if not self.root.is_dir():
            return []
        found = (self._STATE.match(path.name) for path in self.root.iterdir())
        return sorted(int(match.group(1)) for match in found if match)

    def has_checkpoint(self) -> bool:
        return bool(self.versions())

    def save(self, state: dict[str, Any], tensors: dict[str, Any]) -> int:
        """Write a new version: the model file first, then the state that refers to it by
        version and checksum (and to the checksums of the snapshots it names)."""
        versions = self.versions()
        version = versions[-1] + 1 if versions else 1
        crc32 = save_tensors(self.model_path(version), {"version": version, **tensors})
        snapshots = state.get("snapshots", {}).values()
        checksums = {name: self._checksums[name] for name in snapshots if name in self._checksums}
        document = {"format": FORMAT, "version": version, "model_crc32": crc32, "checksums": checksums, **state}
        write_json(self.state_path(version), document)
        self._prune_generations(state)
        return version

    def load(self, warn: Callable[[str], None],
             validate: Callable[[dict[str, Any], dict[str, Any], Path], None] | None = None,
             ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The newest consistent (state, tensors) pair that `validate` accepts, as they were
        given to `save`; older pairs are used when newer ones are damaged, each skipped one
        reported through `warn`. Nothing is deleted or rewritten."""
        problems = []
        for version in reversed(self.versions()):
            try:
                state, tensors = self._load_version(version)
                if validate is not None:
                    validate(state, tensors, self.model_path(version))
            except CheckpointError as error:
                problems.append(str(error))
                continue
            for problem in problems:
                warn(f"skipped a damaged checkpoint, using version {version}: {problem}")
            self._checksums.update(state.get("checksums", {}))
            return _without(state, STATE_HEADER), _without(tensors, TENSORS_HEADER)
        if problems:
            others = f" (the {len(problems) - 1} earlier version(s) are damaged too)" if len(problems) > 1 else ""
            raise CheckpointError(problems[0] + others)
        raise CheckpointError(f"{self.root}: no checkpoint in this folder")

    def amend_latest(self, change: Callable[[dict[str, Any]], None], warn: Callable[[str], None]) -> int:
        """Save the newest consistent version again as a new one, its state changed by
        `change(state)` (an event recorded after the fact); returns the new version."""
        state, tensors = self.load(warn)
        change(state)
        return self.save(state, tensors)

    def _load_version(self, version: int) -> tuple[dict[str, Any], dict[str, Any]]:
        path = self.state_path(version)
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise CheckpointError(f"{path}: truncated or corrupted ({type(error).__name__})") from None
        if not isinstance(state, dict) or state.get("version") != version:
            raise CheckpointError(f"{path}: not a cpg run state")
        if not isinstance(state.get("format"), int) or state["format"] > FORMAT:
            raise CheckpointError(f"{path}: written in a newer state format ({state.get('format')}); upgrade cpg")
        tensors = load_tensors(self.model_path(version), crc32=state.get("model_crc32"))
        if tensors.get("version") != version:
            raise CheckpointError(f"{self.model_path(version)}: belongs to version {tensors.get('version')}, not {version}")
        for name in state.get("snapshots", {}).values():
            if not (self.root / name).is_file():
                raise CheckpointError(f"{self.root / name}: snapshot referred to by {path.name} is missing")
        return state, tensors

    def save_snapshot(self, filename: str, tensors: dict[str, Any]) -> None:
        """Write a snapshot (a file named `snapshot-*.pt`, kept while a saved state names it)."""
        if not (filename.startswith("snapshot-") and filename.endswith(".pt")):
            raise ValueError(f"snapshot files are named snapshot-*.pt, got {filename!r}")
        self._checksums[filename] = save_tensors(self.root / filename, tensors)

    def load_snapshot(self, filename: str) -> dict[str, Any]:
        return load_tensors(self.root / filename, crc32=self._checksums.get(filename))

    def _prune_generations(self, state: dict[str, Any]) -> None:
        """Keep the last `KEEP_GENERATIONS` pairs and the snapshots they refer to."""
        versions = self.versions()
        keep = set(versions[-KEEP_GENERATIONS:])
        referenced = set(state.get("snapshots", {}).values())
        for version in keep:
            try:
                referenced |= set(json.loads(self.state_path(version).read_text()).get("snapshots", {}).values())
            except (OSError, ValueError):
                continue
        for version in versions:
            if version not in keep:
                self.state_path(version).unlink(missing_ok=True)
                self.model_path(version).unlink(missing_ok=True)
        for path in self.root.glob("snapshot-*.pt"):
            if path.name not in referenced:
                path.unlink(missing_ok=True)


def _without(document: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in keys}


def load_network_state(network: torch.nn.Module, state_dict: dict[str, Any], source: Path) -> None:
    """Load a saved network state, turning any mismatch (shapes, dtypes, missing or foreign
    entries) into a `CheckpointError` that names the file."""
    if not isinstance(state_dict, dict):
        raise CheckpointError(f"{source}: holds no network state")
    try:
        network.load_state_dict(state_dict)
    except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as error:
        reason = str(error).strip().splitlines()
        raise CheckpointError(f"{source}: does not fit this network ({' '.join(reason[:2])[:200]})") from None
    current = network.state_dict()
    for key, value in state_dict.items():
        if isinstance(value, torch.Tensor) and key in current and current[key].dtype != value.dtype:
            raise CheckpointError(f"{source}: {key} is {value.dtype}, expected {current[key].dtype}")
