"""COMMIT: freeze the task, record it, and evaluate every task learned so far."""

from dataclasses import asdict

from cpg import pruner
from cpg.algorithms.machine import StageMachine
from cpg.algorithms.state import Stage, TaskProgress, TaskResult
from cpg.pruner import MagnitudePruner


class CommitStage(StageMachine):
    def _commit(self) -> Stage:
        task = self.task
        sparsity = MagnitudePruner(self.network, task, self.progress.claimed).sparsity() if self.progress.prune else 0.0
        pruner.commit(self.network, task)
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
            goal_met=self.progress.goal_met if self.uses_goals else None,
            sparsity=sparsity,
            owned_share=pruner.owned_share(self.network).get(task, 0.0),
            picked_share=pruner.picked_share(self.network, task),
            prune=[asdict(record) for record in self.progress.prune],
            decisions=self.progress.decisions,
            retrain_kept=self.progress.retrain_kept,
            doctor=self.progress.doctor,
            seconds=dict(self.progress.seconds),
        )
        self.state.results.append(asdict(result))
        self.context.reporter.message(
            f"task {task} committed: test accuracy {row[-1]:.4f} ({self._goal_text()}), width {result.width:g}, "
            f"sparsity {sparsity:.2f}, free capacity {pruner.free_share(self.network):.2%}"
        )
        self.context.task_committed(self.network, self.summary())
        self.state.snapshots = {}
        self.state.prune_index = 0
        self.state.progress = TaskProgress()
        if task == len(self.context.benchmark.tasks):
            return Stage.DONE
        self.state.task = task + 1
        return Stage.FINETUNE
