"""What decides whether a task is learned well enough and which pruning step it keeps: its goal
(the rules: cpg/continual/decisions.py), or nothing (the last step is kept)."""

from dataclasses import dataclass
from typing import Any

from cpg.continual.decisions import Comparison, Estimate, compare, kept_step, prune_cap
from cpg.continual.session import TaskSession
from cpg.continual.state import PruneRecord, TaskProgress


class SelectionPolicy:
    uses_goals = False
    """Whether the run needs a goal per task (measured or read before it starts)."""

    def check_goal(self, session: TaskSession) -> dict[str, Any] | None:
        """After training: set `progress.goal_met`; returns the decision's numbers, if any."""
        session.progress.goal_met = True
        return None

    def goal_met(self, progress: TaskProgress) -> bool | None:
        """What results.json records of the goal check (None: there was none)."""
        return None

    def prune_cap(self, session: TaskSession) -> float | None:
        """The sparsity no pruning target of the task may exceed (None: no cap)."""
        return None

    def judge_step(self, session: TaskSession, record: PruneRecord, selection: Estimate) -> None:
        """Judge a finished pruning step whose selection accuracy is `selection` (sets
        `record.passed_gate` and `met_goal`)."""

    def may_keep(self, session: TaskSession, record: PruneRecord) -> bool:
        """Whether CHOOSE may keep the step (then it is kept as the snapshot `candidate`)."""
        return False

    def stops_after(self, session: TaskSession, record: PruneRecord) -> bool:
        """Whether PRUNE stops after this step, leaving the sparser targets out."""
        return False

    def choose(self, session: TaskSession) -> PruneRecord | None:
        """The pruning step the task keeps (None: the unpruned weights)."""
        records = session.progress.prune
        return records[-1] if records else None

    def record_choice(self, session: TaskSession, chosen: PruneRecord | None) -> None:
        """Record the choice with the rule it followed."""


@dataclass(frozen=True)
class LastStep(SelectionPolicy):
    """No goals: every task counts as learned, and the last pruning step is kept."""


@dataclass(frozen=True)
class Goals(SelectionPolicy):
    """A task's goal decides whether it is learned well enough (a miss below the maximum width
    grows the network) and which pruning step it keeps; each decision is recorded with its
    numbers."""

    uses_goals = True

    def check_goal(self, session: TaskSession) -> dict[str, Any]:
        progress = session.progress
        selection = session.selection()
        progress.finetune_val_accuracy = selection.accuracy
        goal = self._against_goal(session, selection)
        progress.goal_met = goal.passed
        return {"decision": "goal", "attempt": progress.attempts + 1, "width": session.network.width,
                "met": progress.goal_met, "goal": goal.to_dict(), "train_accuracy": progress.finetune_train_accuracy}

    def goal_met(self, progress: TaskProgress) -> bool:
        return progress.goal_met

    def prune_cap(self, session: TaskSession) -> float | None:
        """With the goal out of reach, the sparsity that leaves the later tasks their share
        (`decisions.prune_cap`)."""
        if not self._out_of_reach(session):
            return None
        return prune_cap(len(session.benchmark.tasks) - session.task)

    def judge_step(self, session: TaskSession, record: PruneRecord, selection: Estimate) -> None:
        gate = self._against_gate(session, record.train_accuracy)
        goal = self._against_goal(session, selection)
        record.passed_gate, record.met_goal = gate.passed, goal.passed
        if not record.passed_gate:
            after = "stop: below the training gate"
        elif not self.may_keep(session, record):
            after = "stop: goal missed (a sparser step is not kept after a step that misses)"
        else:
            after = "continue"
        session.progress.decisions.append({
            "decision": "prune step", "target": record.target, "sparsity": record.sparsity,
            "train_gate": gate.to_dict(), "goal": goal.to_dict(), "next": after,
        })

    def may_keep(self, session: TaskSession, record: PruneRecord) -> bool:
        """Within the gate, and meeting the goal unless it is out of reach (then the sparsest step
        within the gate is kept). PRUNE stops after the first step it may not keep, so every step
        before it may be kept (fixed sequence)."""
        return record.passed_gate and (record.met_goal or self._out_of_reach(session))

    def stops_after(self, session: TaskSession, record: PruneRecord) -> bool:
        return not self.may_keep(session, record)

    def choose(self, session: TaskSession) -> PruneRecord | None:
        records = session.progress.prune
        index = kept_step([(record.passed_gate, record.met_goal) for record in records], self._out_of_reach(session))
        return None if index is None else records[index]

    def record_choice(self, session: TaskSession, chosen: PruneRecord | None) -> None:
        cap = self.prune_cap(session)
        rule = (f"the sparsest step within the training gate, pruning no further than {cap:.3f} (goal out of reach "
                "at the maximum width)" if cap is not None else
                "the sparsest step of those, in order of sparsity, that each met the goal within the training gate")
        progress = session.progress
        progress.decisions.append({
            "decision": "choose", "rule": rule if chosen else f"{rule}; none: the unpruned weights",
            "target": chosen.target if chosen else 0.0, "sparsity": progress.chosen_sparsity,
            "selection_accuracy": progress.chosen_val_accuracy,
        })

    @staticmethod
    def _out_of_reach(session: TaskSession) -> bool:
        """At the maximum width with the goal missed: prune for the tasks to come."""
        return not session.progress.goal_met and session.at_max_width

    @staticmethod
    def _against_goal(session: TaskSession, selection: Estimate) -> Comparison:
        """The selection accuracy against the task's goal, paired image by image when the goal
        says which images its network got right."""
        goal = session.goal
        if goal is None:
            raise RuntimeError(f"task {session.task} has no goal, but {session.config.strategy} decides by goals")
        settings = session.config.goal
        return compare(selection, Estimate(goal.accuracy, goal.images, goal.correct_vector()),
                       settings.allowed_loss, settings.standard_errors)

    @staticmethod
    def _against_gate(session: TaskSession, train_accuracy: float) -> Comparison:
        """A pruning step's training accuracy against the gate: `goal.train_accuracy`, or the
        task's own training accuracy before pruning when that is lower."""
        images = session.images("train")
        before = Estimate(session.progress.finetune_train_accuracy, images)
        gate = Estimate(session.config.goal.train_accuracy).lower(before)
        return compare(Estimate(train_accuracy, images), gate, 0.0, session.config.goal.standard_errors)
