"""DOCTOR: Model Doctor on the task being learned, an optional stage after FINETUNE."""

from cpg.continual.machine import MachineBase
from cpg.continual.run_store import RunStore
from cpg.continual.state import Stage
from cpg.doctor import diagnose_learning_task, load_diagnosis, save_diagnosis, treat_learning_task


class DoctorStage(MachineBase):
    def _doctor(self) -> Stage:
        """Model Doctor on the task being learned (`doctor.enabled`). Sharable layers confine it
        to what the task may change; the treated weights are kept only if they beat the
        finetuned ones on the selection split. The diagnosis is saved first, in the run folder."""
        settings = self.config.doctor
        path = self.context.folder.root / f"doctor-task-{self.task}.pt"
        data = self._data(self.task)
        if self.state.epoch == 0:
            self.snapshot("before_doctor")
            diagnosis = diagnose_learning_task(self.network, self.task, data, settings, self.context.device)
            if self.context.dist.is_main:
                save_diagnosis(path, diagnosis, data.task.classes)
            self.context.dist.barrier()
        else:
            diagnosis, _ = load_diagnosis(path)
        self.network.set_weight_decay(self.config.weight_decay)
        with self.context.reporter.stage(self.task, self._title("doctor"), "doctor", settings.epochs,
                                         self.state.epoch) as report:
            treatment = treat_learning_task(self.network, self.task, diagnosis, data, settings, self.context.device,
                                            self.config.momentum, report,
                                            RunStore(self, start="before_doctor", best="doctor"))
        kept = treatment.best_epoch > 0
        if kept:
            self.progress.finetune_val_accuracy = treatment.best_accuracy
        best_treated = max(epoch["val_acc"] for epoch in treatment.history)
        self.progress.doctor = {"start_accuracy": treatment.start_accuracy, "best_accuracy": best_treated, "kept": kept}
        self.context.reporter.message(
            f"task {self.task}: doctor {treatment.start_accuracy:.4f} -> {best_treated:.4f} "
            f"({'kept' if kept else 'not better, finetuned weights kept'})")
        return self._after_finetune()
