"""Where a run is (persisted after every epoch) and what it has recorded so far."""

from dataclasses import asdict, dataclass, field
from typing import Any

from cpg.engine import LoopPosition

FIRST_STAGE = "finetune"
"""The stage every task starts in (the names of the others: cpg/continual/stages/)."""
DONE = "done"
"""Where a run is once its last task is committed."""


@dataclass
class PruneRecord:
    """One pruning step: where it ended, and whether CHOOSE may keep it (cpg/continual/decisions.py)."""

    target: float
    sparsity: float
    train_accuracy: float
    val_accuracy: float  # on the selection split
    passed_gate: bool = True  # training accuracy kept within the gate
    met_goal: bool = True  # selection accuracy met the goal


@dataclass
class TaskResult:
    """What results.json records of a committed task (same fields for every strategy)."""

    task: int
    name: str
    goal: float | None
    test_accuracy: float
    val_accuracy: float
    width: float = 1.0
    attempts: int = 1
    picking_only: bool = False
    goal_met: bool | None = None
    sparsity: float = 0.0
    owned_share: float = 0.0
    picked_share: float = 0.0
    prune: list[dict[str, float]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)  # each goal check, pruning step and choice, with its numbers
    retrain_kept: bool = False
    doctor: dict[str, float] | None = None  # start and best accuracy of the doctor stage, and whether it was kept
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class TaskProgress:
    """The working record of the task being learned."""

    attempts: int = 0  # finetune attempts; each growth starts a new one
    claimed: dict[str, int] = field(default_factory=dict)  # free weights the task received, per layer
    last_train_accuracy: float = 0.0  # running training accuracy of the last completed epoch
    finetune_train_accuracy: float = 0.0
    finetune_val_accuracy: float = 0.0
    goal_met: bool = False
    prune: list[PruneRecord] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    chosen_sparsity: float = 0.0
    chosen_val_accuracy: float = 0.0
    retrain_kept: bool = False
    doctor: dict[str, float] | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def claimed_total(self) -> int:
        return sum(self.claimed.values())

    @property
    def trained_layers(self) -> set[str]:
        """The layers the task claimed weights in (it trains them until it is committed)."""
        return {name for name, count in self.claimed.items() if count}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TaskProgress":
        data = dict(data)
        data["prune"] = [PruneRecord(**record) for record in data.get("prune", [])]
        return cls(**data)


@dataclass
class RunState:
    task: int = 1  # 1-based number of the task being learned
    stage: str = FIRST_STAGE  # the name of the stage being run
    loop: LoopPosition = field(default_factory=LoopPosition)  # where the stage's training loop is
    prune_index: int = 0  # next prune target
    progress: TaskProgress = field(default_factory=TaskProgress)
    snapshots: dict[str, str] = field(default_factory=dict)  # role -> file in the run folder
    snapshot_count: int = 0  # snapshots written so far (names them alike on every rank)
    results: list[dict[str, Any]] = field(default_factory=list)  # one per committed task
    matrix: list[list[float]] = field(default_factory=list)  # row j: test accuracies after task j
    goals: list[dict[str, Any] | None] = field(default_factory=list)  # per task, a `cpg.goals.Goal` as a dict
    task_names: list[str] = field(default_factory=list)
    input_shape: list[int] = field(default_factory=list)  # (C, H, W) the network was built for
    events: list[str] = field(default_factory=list)  # notable things that happened (numerical failures…)
    wall_seconds: float = 0.0  # training time so far, over every session of the run
    goal_seconds: float = 0.0  # of it, measuring the goals (0 when they were given or read from a file)

    @property
    def epoch(self) -> int:
        """The next epoch of the stage's training loop."""
        return self.loop.epoch

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunState":
        fields = {key: value for key, value in data.items() if key in cls.__dataclass_fields__}
        fields["progress"] = TaskProgress.from_dict(fields.get("progress", {}))
        fields["loop"] = LoopPosition.from_dict(fields.get("loop"))
        return cls(**fields)
