"""RETRAIN: the picking mask starts over on the chosen weights; kept only if it does better."""

from cpg import pruner
from cpg.algorithms.machine import StageMachine
from cpg.algorithms.state import Stage


class RetrainStage(StageMachine):
    def _retrain(self) -> Stage:
        settings = self.config.retrain
        if self.state.epoch == 0:
            pruner.reset_picking(self.network)
            self.progress.retrain_best = self.progress.chosen_val_accuracy
            self.progress.retrain_since_best = 0
        optimizers = self._optimizers(settings.lr, settings.mask_lr)
        pruner.set_weight_decay(self.network, self.config.weight_decay)
        with self.context.reporter.stage(self.task, self._title("retrain"), "retrain", settings.epochs,
                                         self.state.epoch) as report:
            for epoch in range(self.state.epoch, settings.epochs):
                if self.progress.retrain_since_best >= settings.patience:
                    break
                stats = self._train_epoch("retrain", (epoch,), optimizers)
                val = self._evaluate(self.task, "select")
                if val > self.progress.retrain_best:
                    self.progress.retrain_best = val
                    self.progress.retrain_since_best = 0
                    self.progress.retrain_kept = True
                    self._snapshot("retrained")
                else:
                    self.progress.retrain_since_best += 1
                report.epoch(epoch, {"loss": stats.loss, "train_acc": stats.accuracy, "val_acc": val,
                                     "lr": settings.lr, "mask_lr": settings.mask_lr, "width": self.network.width,
                                     "free_capacity": pruner.free_share(self.network)})
                self.state.epoch = epoch + 1
                self._save_epoch(optimizers)
        self._restore("retrained" if self.progress.retrain_kept else "chosen")
        return Stage.COMMIT
