"""RETRAIN: the picking mask starts over on the chosen weights; kept only if it does better."""

from cpg.continual.machine import MachineBase
from cpg.continual.run_store import RunStore
from cpg.continual.state import Stage


class RetrainStage(MachineBase):
    def _retrain(self) -> Stage:
        settings = self.config.retrain
        if self.state.epoch == 0:
            self.network.reset_picking()
        optimizers = self._optimizers(settings.lr, settings.mask_lr)
        with self.context.reporter.stage(self.task, self._title("retrain"), "retrain", settings.epochs,
                                         self.state.epoch) as report:
            outcome = self._loop("retrain", (), settings.epochs, optimizers, report, lambda epoch: settings.mask_lr,
                                 selects=True, score=lambda record: (record.selection,),
                                 start_score=lambda: (self.progress.chosen_val_accuracy,), patience=settings.patience,
                                 store=RunStore(self, start="chosen", best="retrained")).run()
        self.progress.retrain_kept = bool(outcome.best_epoch)
        return Stage.COMMIT
