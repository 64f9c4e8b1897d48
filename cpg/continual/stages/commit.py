"""COMMIT: freeze the task, record it, and evaluate every task learned so far."""

from dataclasses import asdict

from cpg.continual.session import TaskSession
from cpg.continual.state import DONE, FIRST_STAGE, TaskProgress, TaskResult
from cpg.continual.strategy import STAGES, Strategy
from cpg.nn import free_share, owned_share, picked_share
from cpg.pruner import MagnitudePruner


@STAGES.register("commit")
class CommitStage:
    def run(self, session: TaskSession, strategy: Strategy) -> str:
        network, progress, state, task = session.network, session.progress, session.state, session.task
        sparsity = MagnitudePruner(network, task, progress.claimed).sparsity() if progress.prune else 0.0
        network.commit(task)
        row = [session.evaluate(earlier, "test") for earlier in range(1, task + 1)]
        state.matrix.append(row)
        session.count_time("commit")  # before the task's record, which holds it
        goal = session.goal
        result = TaskResult(
            task=task,
            name=session.benchmark.tasks[task - 1].name,
            goal=goal.accuracy if goal else None,
            test_accuracy=row[-1],
            val_accuracy=session.evaluate(task, "val"),
            width=network.task(task).width,
            attempts=progress.attempts + 1,
            picking_only=progress.claimed_total == 0,
            goal_met=strategy.selection.goal_met(progress),
            sparsity=sparsity,
            owned_share=owned_share(network).get(task, 0.0),
            picked_share=picked_share(network, task),
            prune=[asdict(record) for record in progress.prune],
            decisions=progress.decisions,
            retrain_kept=progress.retrain_kept,
            doctor=progress.doctor,
            seconds=dict(progress.seconds),
        )
        state.results.append(asdict(result))
        session.reporter.message(
            f"task {task} committed: test accuracy {row[-1]:.4f} ({session.goal_text()}), width {result.width:g}, "
            f"sparsity {sparsity:.2f}, free capacity {free_share(network):.2%}"
        )
        strategy.network.task_committed(session)
        for plugin in strategy.plugins:
            plugin.task_committed(session)
        session.recorder.task_committed(network, strategy.summary(session))
        state.snapshots = {role: name for role, name in state.snapshots.items() if role.startswith("after_task_")}
        state.prune_index = 0
        state.progress = TaskProgress()
        if session.is_last_task:
            return DONE
        state.task = task + 1
        return FIRST_STAGE
