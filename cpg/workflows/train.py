"""`cpg train` below the command line: a plain classifier trained on one task with the FINETUNE
schedule (in a work folder, so a killed command resumes) and saved with what it learned."""

from dataclasses import dataclass
from pathlib import Path

from cpg.classifier import Classifier, TrainedOn, save_classifier
from cpg.config import RunConfig, scale_epochs, to_mapping
from cpg.continual.alone import train_task_alone
from cpg.device import resolve_device
from cpg.engine.work_folder import WorkFolder
from cpg.errors import SettingError
from cpg.losses import focal_loss
from cpg.report import Reporter
from cpg.workflows.run_settings import check_names, load_benchmark


@dataclass(frozen=True)
class TrainSettings:
    config: RunConfig  # benchmark, arch, schedule, seed, device
    task: int = 1  # of the benchmark, from 1
    width: float = 1.0
    balanced_sampling: bool = False  # class-balanced batches (long-tailed data)
    focal_gamma: float = 0.0  # focal loss with this γ; 0: cross-entropy
    output: Path | None = None  # default: <checkpoint_dir>/classifiers/<benchmark>-<arch>.pt


@dataclass(frozen=True)
class TrainedClassifier:
    path: Path
    task_name: str
    accuracies: dict[str, float]  # train, val and test, with their numbers of images


def train_classifier(settings: TrainSettings, reporter: Reporter) -> TrainedClassifier:
    config = settings.config
    if settings.focal_gamma < 0:
        raise SettingError("focal_gamma", f"must not be negative, got {settings.focal_gamma}")
    check_names(config)
    benchmark = load_benchmark(config)
    if not 1 <= settings.task <= len(benchmark.tasks):
        raise SettingError("task", f"{settings.task}: {benchmark.name} has tasks 1..{len(benchmark.tasks)}")
    reporter.message(benchmark.describe())
    device = resolve_device(config.device)
    path = settings.output or Path(f"{config.checkpoint_dir}/classifiers/{benchmark.name}-{config.arch}.pt")
    work = WorkFolder.for_command("train", {"config": to_mapping(config), "task": settings.task,
                                            "width": settings.width, "balanced": settings.balanced_sampling,
                                            "focal_gamma": settings.focal_gamma, "output": str(path.resolve())},
                                  config.checkpoint_dir, config.save_every_seconds, reporter.warning)
    work.announce(reporter.message)
    model, accuracies = train_task_alone(scale_epochs(config), benchmark, settings.task - 1, reporter, device,
                                         balanced=settings.balanced_sampling, loss_fn=focal_loss(settings.focal_gamma),
                                         width=settings.width, store=lambda model: work.store("train", model))
    task = benchmark.tasks[settings.task - 1]
    save_classifier(path, Classifier(model.cpu(), config.arch, benchmark.input_shape, task.classes, settings.width,
                                     TrainedOn.of_run(config, settings.task)))
    work.remove()
    return TrainedClassifier(path, task.name, accuracies)
