"""RETRAIN: the picking mask starts over on the chosen weights; kept only if it does better."""

from cpg.continual.run_store import RunStore
from cpg.continual.session import TaskSession
from cpg.continual.strategy import STAGES, Strategy
from cpg.continual.task_loop import task_loop


@STAGES.register("retrain")
class RetrainStage:
    def run(self, session: TaskSession, strategy: Strategy) -> str:
        settings, progress = session.config.retrain, session.progress
        if session.state.epoch == 0:
            session.network.reset_picking()
        optimizers = strategy.network.optimizers(session, settings.lr, settings.mask_lr)
        with session.reporter.stage(session.task, session.title("retrain"), "retrain", settings.epochs,
                                    session.state.epoch) as report:
            outcome = task_loop(session, strategy, "retrain", (), settings.epochs, optimizers, report,
                                lambda epoch: settings.mask_lr, selects=True, score=lambda record: (record.selection,),
                                start_score=lambda: (progress.chosen_val_accuracy,), patience=settings.patience,
                                store=RunStore(session, start="chosen", best="retrained")).run()
        progress.retrain_kept = bool(outcome.best_epoch)
        return "commit"
