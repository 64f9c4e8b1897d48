"""`cpg doctor diagnose` and `cpg doctor treat`: Model Doctor on a classifier from `cpg train`."""

import argparse
import dataclasses
from pathlib import Path

from cpg.classifier import load_classifier
from cpg.cli.pipelines import resolve_config
from cpg.config.doctor import DoctorConfig, check_doctor
from cpg.data.long_tail import OPTION as IMBALANCE
from cpg.errors import UserError
from cpg.report import ConsoleReport, Reporter
from cpg.workflows.doctor import Patient, TreatSettings, diagnose_classifier, examine, treat_classifier, write_diagnosis

DIAGNOSIS_FLAGS = ("layer", "images_per_class", "signal", "threshold")
TREATMENT_FLAGS = ("alpha", "epochs", "lr", "focal_gamma", "balanced_sampling")


def run_diagnose(args: argparse.Namespace) -> int:
    patient = _patient(args)
    diagnosis = diagnose_classifier(patient, _settings(args, DIAGNOSIS_FLAGS, patient.config.doctor))
    output = Path(args.output) if args.output else _beside(args.classifier, "-diagnosis.pt")
    plot = None if args.plot is None else Path(args.plot) if args.plot else output.with_suffix(".png")
    write_diagnosis(patient, diagnosis, output, plot)
    console = ConsoleReport(quiet=args.quiet)
    counts = diagnosis.masks.sum(dim=1).tolist()
    console.console.print(f"{diagnosis.layer}: channels per class {counts} of {diagnosis.masks.shape[1]}  -> {output}")
    if plot is not None:
        console.console.print(f"heatmap -> {plot}")
    return 0


def run_treat(args: argparse.Namespace) -> int:
    patient = _patient(args)
    settings = _settings(args, DIAGNOSIS_FLAGS + TREATMENT_FLAGS, patient.config.doctor)
    if args.diagnosis:
        conflicting = [flag for flag in ("layer", "images_per_class", "signal") if getattr(args, flag) is not None]
        if conflicting:
            raise UserError(f"--{conflicting[0].replace('_', '-')} applies to a new diagnosis, not to --diagnosis "
                            f"{args.diagnosis}; drop one of the two")
    output = Path(args.output) if args.output else _beside(args.classifier, "-treated.pt")
    treat = TreatSettings(settings, output, Path(args.diagnosis) if args.diagnosis else None,
                          settings.threshold if args.diagnosis and args.threshold is not None else None)
    console = ConsoleReport(quiet=args.quiet)
    treatment = treat_classifier(patient, treat, Reporter(console))
    result, select_on = treatment.result, patient.config.select_on
    verdict = ("wrote the treated classifier" if treatment.kept else
               f"no treated epoch beat it on {select_on}: kept the untreated classifier")
    console.console.print(
        f"{patient.task.name}: {select_on} {result.start_accuracy * 100:.2f}% -> {result.best_accuracy * 100:.2f}% "
        f"(epoch {result.best_epoch}), test {treatment.test_before * 100:.2f}% -> {treatment.test_after * 100:.2f}%; "
        f"{verdict} -> {output}"
    )
    return 0


def _patient(args: argparse.Namespace) -> Patient:
    """The classifier, the settings its data is read with, and the task it classifies: what
    the command line says, else what the classifier file says it was trained on."""
    classifier = load_classifier(args.classifier)
    if args.dataset:
        name, ratio, number = args.dataset, None, 1
    elif classifier.trained_on is None:
        raise UserError(f"{args.classifier} does not say what data it was trained on; pass --dataset and --task")
    else:
        trained_on = classifier.trained_on
        name, ratio, number = trained_on.benchmark, trained_on.imbalance, trained_on.task
    number = args.task if args.task is not None else number
    ratio = args.imbalance if args.imbalance is not None else ratio
    given = (("seed", args.seed), ("device", args.device), ("data_root", args.data_root), ("download", args.download),
             ("verify_checksums", args.verify_checksums))
    flags = {key: value for key, value in given if value is not None}
    config = resolve_config(args.config, name, {"tasks": name, **flags})
    if ratio is not None:
        config = dataclasses.replace(config, benchmark_options={**config.benchmark_options, IMBALANCE: ratio})
    return examine(Path(args.classifier), classifier, config, number)


def _settings(args: argparse.Namespace, flags: tuple[str, ...], pipeline: DoctorConfig) -> DoctorConfig:
    """The pipeline's `doctor:` settings (--config; defaults without one), with the flags given."""
    given = {flag: getattr(args, flag) for flag in flags if getattr(args, flag, None) is not None}
    if "signal" in given:
        given["signal"] = given["signal"].replace("-", "_")
    settings = dataclasses.replace(pipeline, **given)
    check_doctor(settings, group="")
    return settings


def _beside(path: str, suffix: str) -> Path:
    path = Path(path)
    return path.with_name(path.stem + suffix)
