"""COMMIT: freeze the task, record it, and evaluate every task learned so far."""

from dataclasses import asdict

from cpg.continual.machine import MachineBase
from cpg.continual.state import Stage, TaskProgress, TaskResult
from cpg.continual.strategy import NetworkKind
from cpg.nn import free_share, owned_share, picked_share
from cpg.pruner import MagnitudePruner


class CommitStage(MachineBase):
    def _commit(self) -> Stage:
        task = self.task
        sparsity = MagnitudePruner(self.network, task, self.progress.claimed).sparsity() if self.progress.prune else 0.0
        self.network.commit(task)
        row = [self._evaluate(earlier, "test") for earlier in range(1, task + 1)]
        self.state.matrix.append(row)
        self._count_time(Stage.COMMIT)
        result = TaskResult(
            task=task,
            name=self.context.benchmark.tasks[task - 1].name,
            goal=self.goal.accuracy if self.goal else None,
            test_accuracy=row[-1],
            val_accuracy=self._evaluate(task, "val"),
            width=self.network.task(task).width,
            attempts=self.progress.attempts + 1,
            picking_only=self.progress.claimed_total == 0,
            goal_met=self.progress.goal_met if self.strategy.goals else None,
            sparsity=sparsity,
            owned_share=owned_share(self.network).get(task, 0.0),
            picked_share=picked_share(self.network, task),
            prune=[asdict(record) for record in self.progress.prune],
            decisions=self.progress.decisions,
            retrain_kept=self.progress.retrain_kept,
            doctor=self.progress.doctor,
            seconds=dict(self.progress.seconds),
        )
        self.state.results.append(asdict(result))
        self.context.reporter.message(
            f"task {task} committed: test accuracy {row[-1]:.4f} ({self._goal_text()}), width {result.width:g}, "
            f"sparsity {sparsity:.2f}, free capacity {free_share(self.network):.2%}"
        )
        if self.strategy.network is NetworkKind.BACKBONE and self.config.finetune.start_from == "random":
            self.snapshot(f"after_task_{task}")  # a later task may start from this backbone
        self.context.task_committed(self.network, self.summary())
        self.state.snapshots = {role: name for role, name in self.state.snapshots.items()
                                if role.startswith("after_task_")}
        self.state.prune_index = 0
        self.state.progress = TaskProgress()
        if task == len(self.context.benchmark.tasks):
            return Stage.DONE
        self.state.task = task + 1
        return Stage.FINETUNE
