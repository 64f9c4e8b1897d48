"""DOCTOR: Model Doctor on the task being learned, an optional stage after FINETUNE."""

from collections.abc import Iterator
from contextlib import contextmanager

from cpg.continual.run_store import RunStore
from cpg.continual.session import TaskSession
from cpg.continual.strategy import STAGES, Strategy
from cpg.doctor import diagnose_learning_task, load_diagnosis, save_diagnosis, treat_learning_task
from cpg.errors import SettingError


@STAGES.register("doctor")
class DoctorStage:
    """Model Doctor on the task being learned (`doctor.enabled`). Sharable layers confine it to
    what the task may change; the treated weights are kept only if they beat the finetuned ones
    on the selection split. The diagnosis is saved first, in the run folder."""

    def run(self, session: TaskSession, strategy: Strategy) -> str:
        network, settings, task = session.network, session.config.doctor, session.task
        path = session.recorder.folder.root / f"doctor-task-{task}.pt"
        data = session.data(task)
        if session.state.epoch == 0:
            session.snapshot("before_doctor")
            with _in_the_doctor_group():
                diagnosis = diagnose_learning_task(network, task, data, settings, session.device)
            if session.dist.is_main:
                save_diagnosis(path, diagnosis, data.task.classes)
            session.dist.barrier()
        else:
            diagnosis, _ = load_diagnosis(path)
        network.set_weight_decay(session.config.weight_decay)
        with _in_the_doctor_group(), session.reporter.stage(task, session.title("doctor"), "doctor", settings.epochs,
                                                            session.state.epoch) as report:
            treatment = treat_learning_task(network, task, diagnosis, data, settings, session.device,
                                            session.config.momentum, report,
                                            RunStore(session, start="before_doctor", best="doctor"))
        kept = treatment.best_epoch > 0
        if kept:
            session.progress.finetune_val_accuracy = treatment.best_accuracy
        best_treated = max(epoch["val_acc"] for epoch in treatment.history)
        session.progress.doctor = {"start_accuracy": treatment.start_accuracy, "best_accuracy": best_treated,
                                   "kept": kept}
        session.reporter.message(
            f"task {task}: doctor {treatment.start_accuracy:.4f} -> {best_treated:.4f} "
            f"({'kept' if kept else 'not better, finetuned weights kept'})")
        return strategy.after_training(session)


@contextmanager
def _in_the_doctor_group() -> Iterator[None]:
    """Model Doctor names its settings as its own (`layer`); in a run they are `doctor.layer`."""
    try:
        yield
    except SettingError as error:
        raise SettingError(f"doctor.{error.setting}", error.problem) from None
