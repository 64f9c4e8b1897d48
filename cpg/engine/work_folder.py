"""Where a command outside a run (`cpg train`, `cpg seam`, `cpg compress`, `cpg doctor treat`,
`cpg baseline`) keeps its training loops between epochs, so that the same command run again
after a kill resumes where it stopped.

The work folder of a command is named after a digest of everything that determines its result
(the command, its settings and inputs), under `checkpoints/work/`; the same command with other
settings starts afresh in a folder of its own. It is removed when the command has written its
result.
"""

import hashlib
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import torch
from torch import nn

from cpg.checkpoint import RunFolder
from cpg.engine.cadence import Cadence
from cpg.engine.loop import LoopPosition, state_copy
from cpg.errors import RunFailed


class WorkFolder:
    """The work folder of one command; `store(name, model)` gives a loop its own part of it."""

    def __init__(self, root: str | Path, save_every_seconds: float = 60.0,
                 warn: Callable[[str], None] = lambda message: None) -> None:
        self.root = Path(root)
        self.save_every_seconds = save_every_seconds
        self.warn = warn

    @classmethod
    def for_command(cls, command: str, identity: Mapping[str, Any], checkpoint_dir: str | Path = "checkpoints",
                    save_every_seconds: float = 60.0,
                    warn: Callable[[str], None] = lambda message: None) -> "WorkFolder":
        """The folder of `command` run with `identity` (settings and inputs, JSON-serialisable)."""
        text = json.dumps({"command": command, **identity}, sort_keys=True, default=str)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        return cls(Path(checkpoint_dir) / "work" / f"{command}-{digest}", save_every_seconds, warn)

    def store(self, name: str, model: nn.Module, writes: bool = True) -> "FolderStore":
        """The store of loop `name`; `writes` False: a process that reads it but leaves the
        writing to another (multi-process training, where rank 0 writes)."""
        return FolderStore(RunFolder(self.root / name), model, Cadence(self.save_every_seconds), self.warn, writes)

    def announce(self, message: Callable[[str], None]) -> None:
        """Say, through `message`, that the command resumes (when an earlier invocation saved here)."""
        if self.started:
            message(f"resuming the work saved in {self.root} (a command stopped before it finished)")

    @property
    def started(self) -> bool:
        """Whether an earlier invocation saved something here (a resumed command)."""
        return self.root.is_dir() and any(self.root.iterdir())

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def file_identity(path: str | Path) -> dict[str, Any]:
    """What names a command's input file in a work folder's identity: it, its size and time."""
    stat = Path(path).stat()
    return {"path": str(Path(path).resolve()), "size": stat.st_size, "modified_ns": stat.st_mtime_ns}


class FolderStore:
    """A `LoopStore` in a folder: on its cadence the model's weights, the optimizer states and
    the loop's position (one atomic version); the kept epoch's weights as a snapshot, held in
    memory and written with the next save."""

    def __init__(self, folder: RunFolder, model: nn.Module, cadence: Cadence, warn: Callable[[str], None],
                 writes: bool = True) -> None:
        self.folder = folder
        self.model = model
        self.cadence = cadence
        self.warn = warn
        self.writes = writes
        self._snapshots: dict[str, str] = {}
        self._kept: dict[str, Any] | None = None  # the kept weights, until written

    def resume(self) -> tuple[LoopPosition, list[dict[str, Any]]] | None:
        if not self.folder.has_checkpoint():
            return None
        state, tensors = self.folder.load(self.warn)
        self.model.load_state_dict(tensors["model"])
        self._snapshots = dict(state.get("snapshots", {}))
        return LoopPosition.from_dict(state["position"]), list(tensors.get("optimizers", []))

    def save(self, position: LoopPosition, optimizers: Sequence[torch.optim.Optimizer], force: bool) -> None:
        if not self.writes or (not force and not self.cadence.due()):
            return
        self.folder.root.mkdir(parents=True, exist_ok=True)
        if self._kept is not None:
            self.folder.save_snapshot(self._snapshots["kept"], {"model": self._kept})
            self._kept = None
        self.folder.save({"position": position.to_dict(), "snapshots": self._snapshots},
                         {"model": self.model.state_dict(), "optimizers": [optimizer.state_dict() for optimizer in optimizers]})
        self.cadence.mark()

    def keep(self, epoch: int) -> None:
        self._snapshots = {"kept": f"snapshot-kept-{epoch}.pt"}
        self._kept = state_copy(self.model, "cpu")

    def restore(self, epoch: int) -> None:
        kept = self._kept if self._kept is not None else self.folder.load_snapshot(self._snapshots["kept"])["model"]
        self.model.load_state_dict(kept)

    def fail(self, message: str) -> NoReturn:
        raise RunFailed(f"{message}; the last saved epoch is kept in {self.folder.root}: lower the learning rate "
                        "(or fix the data) and run the command again to resume")
