"""`cpg doctor diagnose` and `cpg doctor treat` below the command line: Model Doctor on a
classifier file, with the data it was trained on. Treatment runs in a work folder, so a killed
command resumes; when no treated epoch beats the untreated classifier, the untreated one is
written."""

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch

from cpg.classifier import Classifier, save_classifier
from cpg.config import RunConfig, to_mapping
from cpg.config.doctor import DoctorConfig
from cpg.data import Task
from cpg.data.batches import TaskData
from cpg.device import resolve_device
from cpg.doctor import Diagnosis, TreatmentResult, diagnose, load_diagnosis, save_diagnosis
from cpg.doctor import treat_classifier as treat_model
from cpg.engine import evaluate
from cpg.engine.work_folder import WorkFolder, file_identity
from cpg.errors import SettingError, UserError
from cpg.report import Reporter
from cpg.report.png import heatmap_png
from cpg.seeding import derive_seed
from cpg.workflows.run_settings import load_benchmark


@dataclass
class Patient:
    """A classifier, the settings its data is read with, and the task it classifies."""

    path: Path
    classifier: Classifier
    config: RunConfig
    task: Task


def examine(path: Path, classifier: Classifier, config: RunConfig, number: int) -> Patient:
    """The classifier in `path` with task `number` of the benchmark `config` reads, which must
    have the classifier's classes."""
    benchmark = load_benchmark(config)
    if not 1 <= number <= len(benchmark.tasks):
        raise SettingError("task", f"{number}: {benchmark.name} has tasks 1..{len(benchmark.tasks)}")
    task = benchmark.tasks[number - 1]
    if task.classes != classifier.classes:
        raise UserError(f"{path} classifies {list(classifier.classes)[:5]}…, but task {number} of "
                        f"{benchmark.name} has classes {list(task.classes)[:5]}…; "
                        "give the `dataset` and `task` it was trained on")
    return Patient(path, classifier, config, task)


def diagnose_classifier(patient: Patient, settings: DoctorConfig) -> Diagnosis:
    device = resolve_device(patient.config.device)
    return diagnose(patient.classifier.model.to(device), patient.task.train, patient.task.num_classes, settings,
                    device, patient.config.eval_batch_size)


def write_diagnosis(patient: Patient, diagnosis: Diagnosis, output: Path, plot: Path | None = None) -> None:
    """The diagnosis file, and with `plot` its class × channel heatmap."""
    save_diagnosis(output, diagnosis, patient.task.classes)
    if plot is not None:
        title = (f"{patient.path.name} · {diagnosis.layer} · {diagnosis.signal} · "
                 f"normalised relevance (mask: >= {diagnosis.threshold:g})")
        heatmap_png(plot, diagnosis.relevance.numpy(), list(patient.task.classes), title=title, value_range=(0.0, 1.0))


@dataclass(frozen=True)
class TreatSettings:
    doctor: DoctorConfig
    output: Path  # the treated (or, when no epoch beat it, the untreated) classifier
    diagnosis: Path | None = None  # a diagnosis file to treat with; None: diagnose first
    threshold: float | None = None  # for a diagnosis file: the threshold to use instead of its own


@dataclass(frozen=True)
class Treatment:
    diagnosis: Diagnosis
    result: TreatmentResult
    test_before: float
    test_after: float

    @property
    def kept(self) -> bool:
        """Whether a treated epoch beat the untreated classifier (else it is what was written)."""
        return self.result.best_epoch > 0


def treat_classifier(patient: Patient, settings: TreatSettings, reporter: Reporter) -> Treatment:
    """Treat the classifier; write it and the diagnosis it was treated with beside it."""
    config, task, doctor = patient.config, patient.task, settings.doctor
    diagnosis = _diagnosis(patient, settings)
    device = resolve_device(config.device)
    data = TaskData(task, config.batch_size, config.eval_batch_size, config.seed, config.select_on,
                    doctor.balanced_sampling)
    model = patient.classifier.model.to(device)
    test_before = evaluate(model, data.eval_batches("test"), device).accuracy
    work = WorkFolder.for_command("doctor-treat", {
        "config": to_mapping(config), "settings": dataclasses.asdict(doctor), "classifier": file_identity(patient.path),
        "diagnosis": file_identity(settings.diagnosis) if settings.diagnosis else None,
        "output": str(settings.output.resolve())}, config.checkpoint_dir, config.save_every_seconds, reporter.warning)
    work.announce(reporter.message)
    torch.manual_seed(derive_seed(config.seed, "doctor"))
    with reporter.stage(1, f"{task.name} · doctor ({diagnosis.layer}, α {doctor.alpha:g})", "doctor",
                        doctor.epochs) as report:
        result = treat_model(model, diagnosis, data, doctor, device, config.momentum, config.weight_decay, report,
                             work.store("treatment", model))
    test_after = evaluate(model, data.eval_batches("test"), device).accuracy
    save_classifier(settings.output, dataclasses.replace(patient.classifier, model=model.cpu()))
    save_diagnosis(settings.output.with_name(f"{settings.output.stem}-diagnosis.pt"), diagnosis, task.classes)
    work.remove()
    return Treatment(diagnosis, result, test_before, test_after)


def _diagnosis(patient: Patient, settings: TreatSettings) -> Diagnosis:
    if settings.diagnosis is None:
        return diagnose_classifier(patient, settings.doctor)
    diagnosis, classes = load_diagnosis(settings.diagnosis)
    if classes != patient.task.classes:
        raise UserError(f"{settings.diagnosis} was made for classes {list(classes)}, not {list(patient.task.classes)}")
    return diagnosis if settings.threshold is None else dataclasses.replace(diagnosis, threshold=settings.threshold)
