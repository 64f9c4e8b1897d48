"""Goal files: `baselines/<benchmark>-<arch>.json` (written by `cpg baseline`, or shipped) and
`baselines/<benchmark>-<arch>-<key>.json` (written by a run that measured its goals, named by
its protocol's key, see `cpg.goals.protocol`).

A file measured by cpg records its protocol and, per task, the accuracy on every split with its
number of images and which images the goal network got right; it serves only runs of the same
protocol. A published file (`"published": true`) records numbers from a paper, usually for the
test split only: it serves runs that select on a split it holds, compared without per-image
results (the unpaired rule), whatever their protocol.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cpg.checkpoint import write_json
from cpg.data import Benchmark
from cpg.errors import UserError
from cpg.goals.goal import Goal
from cpg.goals.protocol import protocol_differences, protocol_key

PACKAGE_BASELINES = Path(__file__).resolve().parents[2] / "baselines"
SPLITS = ("train", "val", "test")


def goal_path(directory: str | Path, benchmark: str, arch: str, protocol: dict[str, Any] | None = None) -> Path:
    """The plain goal file of (benchmark, arch), or, with `protocol`, the file of that protocol."""
    suffix = f"-{protocol_key(protocol)}" if protocol is not None else ""
    return Path(directory) / f"{benchmark}-{arch}{suffix}.json"


def candidate_files(benchmark: str, arch: str, protocol: dict[str, Any], directory: str | Path) -> list[Path]:
    """The goal files a run of `protocol` may use, in the order it tries them: its protocol's own
    file, then the plain file in `directory`, then the one shipped with cpg."""
    paths = [goal_path(directory, benchmark, arch, protocol), goal_path(directory, benchmark, arch),
             goal_path(PACKAGE_BASELINES, benchmark, arch)]
    unique = list(dict.fromkeys(path.resolve() for path in paths))
    return [path for path in unique if path.is_file()]


@dataclass(frozen=True)
class GoalFile:
    path: Path
    document: dict[str, Any]

    @classmethod
    def read(cls, path: str | Path) -> "GoalFile":
        path = Path(path)
        try:
            document = json.loads(path.read_text())
            if not isinstance(document.get("tasks"), list) or not all("name" in entry for entry in document["tasks"]):
                raise ValueError("no list of tasks with names")
        except (OSError, ValueError, TypeError, AttributeError) as error:
            raise UserError(f"{path}: not a valid goal file ({type(error).__name__}: {error})") from None
        return cls(path, document)

    @property
    def source(self) -> str:
        return str(self.document.get("source", "no source given"))

    @property
    def published(self) -> bool:
        return bool(self.document.get("published"))

    def splits(self) -> list[str]:
        return [split for split in SPLITS
                if all(split in entry and f"{split}_images" in entry for entry in self.document["tasks"])]

    def problem(self, benchmark: Benchmark, arch: str | None, split: str, protocol: dict[str, Any] | None) -> str | None:
        """Why this file cannot serve a run (None: it can). `arch` None: a network of the user's
        own, which the user vouches for; `protocol` None: not checked (such a network has none)."""
        names = [entry["name"] for entry in self.document["tasks"]]
        expected = [task.name for task in benchmark.tasks]
        if names != expected:
            return f"its tasks {names[:3]}… are not those of benchmark {benchmark.name!r} ({expected[:3]}…)"
        if arch is not None and self.document.get("arch") != arch:
            return f"goals of architecture {self.document.get('arch')!r}, this run trains {arch!r}"
        if split not in self.splits():
            held = ", ".join(self.splits()) or "no"
            if self.published:
                return f"it holds a paper's published {held} accuracies, for runs that select on them (`select_on` {held})"
            return f"no {split} accuracy for every task (it holds {held})"
        if self.published or protocol is None:
            return None
        measured = self.document.get("protocol")
        if measured is None:
            return "it does not record the protocol it was measured with (an older cpg wrote it): measure it again"
        differences = protocol_differences(measured, protocol)
        if differences:
            more = f" (and {len(differences) - 1} more)" if len(differences) > 1 else ""
            return f"measured with {differences[0]}{more}"
        return None

    def goals(self, split: str) -> list[Goal]:
        try:
            return [Goal.from_row(entry, split) for entry in self.document["tasks"]]
        except (KeyError, ValueError, TypeError) as error:
            raise UserError(f"{self.path}: not a valid goal file ({type(error).__name__}: {error})") from None


def write_goals(path: Path, benchmark: Benchmark, arch: str, rows: list[dict[str, Any]], source: str,
                protocol: dict[str, Any]) -> None:
    """Write a goal file (atomically); each row has the task's accuracy on every split (`train`,
    `val`, `test`), the number of images behind it (`train_images`, …) and, for `val` and `test`,
    which images were right (`val_correct`, `test_correct`)."""
    write_json(path, {
        "benchmark": benchmark.name,
        "arch": arch,
        "source": source,
        "protocol": protocol,
        "tasks": [{"name": task.name, **row} for task, row in zip(benchmark.tasks, rows)],
    })
