"""`cpg doctor diagnose` and `cpg doctor treat`: Model Doctor on a classifier from `cpg train`."""

import argparse
import dataclasses
from pathlib import Path

import torch

from cpg.algorithms.doctor import Diagnosis, diagnose, load_diagnosis, save_diagnosis, treat_classifier
from cpg.data.batches import TaskData
from cpg.device import resolve_device
from cpg.classifier import Classifier, load_classifier, save_classifier
from cpg.cli.pipelines import resolve_config
from cpg.config import RunConfig, to_mapping
from cpg.config.doctor import DoctorConfig, check_doctor
from cpg.data import Task
from cpg.data.long_tail import OPTION as IMBALANCE
from cpg.engine import evaluate
from cpg.engine.work_folder import WorkFolder, file_identity
from cpg.errors import UserError
from cpg.report import ConsoleReport, Reporter
from cpg.report.png import heatmap_png
from cpg.runner import load_benchmark
from cpg.seeding import derive_seed

DIAGNOSIS_FLAGS = ("layer", "images_per_class", "signal", "threshold")
TREATMENT_FLAGS = ("alpha", "epochs", "lr", "focal_gamma", "balanced_sampling")


def run_diagnose(args: argparse.Namespace) -> int:
    classifier, config, task = _load(args)
    settings = _settings(args, DIAGNOSIS_FLAGS)
    diagnosis = _diagnose(classifier, config, task, settings)
    output = Path(args.output) if args.output else _beside(args.classifier, "-diagnosis.pt")
    save_diagnosis(output, diagnosis, task.classes)
    console = ConsoleReport(quiet=args.quiet)
    counts = diagnosis.masks.sum(dim=1).tolist()
    console.console.print(f"{diagnosis.layer}: channels per class {counts} of {diagnosis.masks.shape[1]}  -> {output}")
    if args.plot is not None:
        plot = Path(args.plot) if args.plot else output.with_suffix(".png")
        title = (f"{Path(args.classifier).name} · {diagnosis.layer} · {diagnosis.signal} · "
                 f"normalised relevance (mask: >= {diagnosis.threshold:g})")
        heatmap_png(plot, diagnosis.relevance.numpy(), list(task.classes), title=title, value_range=(0.0, 1.0))
        console.console.print(f"heatmap -> {plot}")
    return 0


def run_treat(args: argparse.Namespace) -> int:
    classifier, config, task = _load(args)
    settings = _settings(args, DIAGNOSIS_FLAGS + TREATMENT_FLAGS)
    if args.diagnosis:
        conflicting = [flag for flag in ("layer", "images_per_class", "signal") if getattr(args, flag) is not None]
        if conflicting:
            raise UserError(f"--{conflicting[0].replace('_', '-')} applies to a new diagnosis, not to --diagnosis "
                            f"{args.diagnosis}; drop one of the two")
        diagnosis, classes = load_diagnosis(args.diagnosis)
        if classes != task.classes:
            raise UserError(f"{args.diagnosis} was made for classes {list(classes)}, not {list(task.classes)}")
        if args.threshold is not None:
            diagnosis = dataclasses.replace(diagnosis, threshold=settings.threshold)
    else:
        diagnosis = _diagnose(classifier, config, task, settings)
    device = resolve_device(config.device)
    data = TaskData(task, config.batch_size, config.eval_batch_size, config.seed, config.select_on,
                    settings.balanced_sampling)
    model = classifier.model.to(device)
    test_before = evaluate(model, data.eval_batches("test"), device).accuracy
    console = ConsoleReport(quiet=args.quiet)
    reporter = Reporter(console)
    output = Path(args.output) if args.output else _beside(args.classifier, "-treated.pt")
    work = WorkFolder.for_command("doctor-treat", {"config": to_mapping(config), "settings": dataclasses.asdict(settings),
                                                   "classifier": file_identity(args.classifier),
                                                   "diagnosis": file_identity(args.diagnosis) if args.diagnosis else None,
                                                   "output": str(output.resolve())},
                                  config.checkpoint_dir, config.save_every_seconds, reporter.warning)
    work.announce(reporter.message)
    torch.manual_seed(derive_seed(config.seed, "doctor"))
    with reporter.stage(1, f"{task.name} · doctor ({diagnosis.layer}, α {settings.alpha:g})", "doctor",
                        settings.epochs) as report:
        result = treat_classifier(model, diagnosis, data, settings, device, config.momentum, config.weight_decay,
                                  report, work.store("treatment", model))
    test_after = evaluate(model, data.eval_batches("test"), device).accuracy
    kept = result.best_epoch > 0  # else the treatment left the untreated weights in place
    save_classifier(output, dataclasses.replace(classifier, model=model.cpu()))
    save_diagnosis(output.with_name(f"{output.stem}-diagnosis.pt"), diagnosis, task.classes)
    work.remove()
    verdict = ("wrote the treated classifier" if kept else
               f"no treated epoch beat it on {config.select_on}: kept the untreated classifier")
    console.console.print(
        f"{task.name}: {config.select_on} {result.start_accuracy * 100:.2f}% -> {result.best_accuracy * 100:.2f}% "
        f"(epoch {result.best_epoch}), test {test_before * 100:.2f}% -> {test_after * 100:.2f}%; {verdict} -> {output}"
    )
    return 0


def _load(args: argparse.Namespace) -> tuple[Classifier, RunConfig, Task]:
    """The classifier, the settings its data is read with, and the task it classifies."""
    classifier = load_classifier(args.classifier)
    if args.dataset:
        name, ratio, number = args.dataset, None, 1
    elif classifier.trained_on is None:
        raise UserError(f"{args.classifier} does not say what data it was trained on; pass --dataset and --task")
    else:
        name, ratio, number = classifier.trained_on.benchmark, classifier.trained_on.imbalance, classifier.trained_on.task
    number = args.task if args.task is not None else number
    ratio = args.imbalance if args.imbalance is not None else ratio
    flags = {key: value for key, value in (("seed", args.seed), ("device", args.device), ("data_root", args.data_root))
             if value is not None}
    config = resolve_config(args.config, name, {"tasks": name, **flags})
    if ratio is not None:
        config = dataclasses.replace(config, benchmark_options={**config.benchmark_options, IMBALANCE: ratio})
    benchmark = load_benchmark(config)
    if not 1 <= number <= len(benchmark.tasks):
        raise UserError(f"--task {number}: {benchmark.name} has tasks 1..{len(benchmark.tasks)}")
    task = benchmark.tasks[number - 1]
    if task.classes != classifier.classes:
        raise UserError(f"{args.classifier} classifies {list(classifier.classes)[:5]}…, but task {number} of "
                        f"{benchmark.name} has classes {list(task.classes)[:5]}…; "
                        "pass the --dataset and --task it was trained on")
    return classifier, config, task


def _settings(args: argparse.Namespace, flags: tuple[str, ...]) -> DoctorConfig:
    given = {flag: getattr(args, flag) for flag in flags if getattr(args, flag, None) is not None}
    if "signal" in given:
        given["signal"] = given["signal"].replace("-", "_")
    settings = dataclasses.replace(DoctorConfig(), **given)
    check_doctor(settings, where=lambda field: "--" + field.replace("_", "-"))
    return settings


def _diagnose(classifier: Classifier, config: RunConfig, task: Task, settings: DoctorConfig) -> Diagnosis:
    device = resolve_device(config.device)
    return diagnose(classifier.model.to(device), task.train, task.num_classes, settings, device, config.eval_batch_size)


def _beside(path: str, suffix: str) -> Path:
    path = Path(path)
    return path.with_name(path.stem + suffix)
