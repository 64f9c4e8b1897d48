"""DOCTOR: Model Doctor on the task being learned, an optional stage after FINETUNE."""

from cpg import pruner
from cpg.algorithms.doctor import save_diagnosis, treat_learning_task
from cpg.algorithms.machine import StageMachine
from cpg.algorithms.state import Stage


class DoctorStage(StageMachine):
    def _doctor(self) -> Stage:
        """Model Doctor on the task being learned (`doctor.enabled`). Sharable layers confine it
        to what the task may change; the treated weights are kept only if they beat the
        finetuned ones on the selection split."""
        self._snapshot("before_doctor")
        pruner.set_weight_decay(self.network, self.config.weight_decay)
        settings = self.config.doctor
        with self.context.reporter.stage(self.task, self._title("doctor"), "doctor", settings.epochs) as report:
            outcome = treat_learning_task(self.network, self.task, self._data(self.task), settings,
                                          self.context.device, self.config.momentum, report)
        treatment = outcome.treatment
        kept = treatment.best_accuracy > treatment.start_accuracy
        if kept:
            self.progress.finetune_val_accuracy = treatment.best_accuracy
        else:
            self._restore("before_doctor")
        self.progress.doctor = {"start_accuracy": treatment.start_accuracy, "best_accuracy": treatment.best_accuracy,
                                "kept": kept}
        save_diagnosis(self.context.folder.root / f"doctor-task-{self.task}.pt", outcome.diagnosis,
                       self.context.benchmark.tasks[self.task - 1].classes)
        self.context.reporter.message(
            f"task {self.task}: doctor {treatment.start_accuracy:.4f} -> {treatment.best_accuracy:.4f} "
            f"({'kept' if kept else 'not better, finetuned weights kept'})")
        return self._after_finetune()
