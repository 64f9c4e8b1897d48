"""CHOOSE: the pruning step the task keeps (the selection policy's rule), then RETRAIN or COMMIT."""

from cpg.continual.session import TaskSession
from cpg.continual.strategy import STAGES, Strategy


@STAGES.register("choose")
class ChooseStage:
    def run(self, session: TaskSession, strategy: Strategy) -> str:
        progress, network = session.progress, session.network
        records = progress.prune
        chosen = strategy.selection.choose(session)
        if chosen is None:
            session.restore("unpruned")
        elif chosen is not records[-1]:
            session.restore("candidate")
        progress.chosen_sparsity = chosen.sparsity if chosen else 0.0
        progress.chosen_val_accuracy = chosen.val_accuracy if chosen else session.evaluate(session.task, "select")
        strategy.selection.record_choice(session, chosen)
        session.reporter.message(
            f"task {session.task}: chose sparsity {progress.chosen_sparsity:.2f} "
            f"(val {progress.chosen_val_accuracy:.4f}, {session.goal_text()})"
        )
        session.snapshot("chosen")
        if session.task >= 2 and network.picking_logits() and session.config.retrain.epochs > 0:
            return "retrain"
        return "commit"
