"""Model Doctor on long-tailed CIFAR-10 (imbalance ratio 100), the usual long-tailed setting of
Model Doctor's reproductions: ResNet-32 trained with cross-entropy, with focal loss and with
class-balanced sampling, and the cross-entropy one treated by Model Doctor (`cpg doctor treat`,
kept only when a treated epoch beats it on the validation split); test accuracy per class and
overall of each, under the CPU protocol of pipelines/cpu/doctor-resnet32-cifar10-lt.yaml.

Resumable: each classifier is written to RESULTS/<name>.pt by `cpg train` or `cpg doctor treat`
and reused when it is there; a killed training or treatment resumes from its work folder under
checkpoints/work/ when the same command runs again. `--control` also fine-tunes the
cross-entropy classifier with the treatment's schedule and α = 0, which tells the channel loss
from the extra epochs.

    OMP_NUM_THREADS=1 python benchmarks/doctor_cifar10.py --data-root ./data [--no-verify-checksums]
        [--config pipelines/cpu/doctor-resnet32-cifar10-lt.yaml] [--focal-gamma 2] [--control]
        [--results checkpoints/doctor-cifar10]
"""

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from script import run
from torch import nn

from cpg.classifier import load_classifier
from cpg.cli import main as cpg_main
from cpg.cli.pipelines import resolve_config
from cpg.data import Task
from cpg.data.batches import TaskData
from cpg.errors import RunFailed, UserError
from cpg.workflows.run_settings import load_benchmark


@dataclass(frozen=True)
class Model:
    path: Path
    title: str  # its column in the table
    command: tuple[str, ...]  # the `cpg` command that writes it, without the data and output flags

    @property
    def treated(self) -> bool:
        return self.command[0] == "doctor"


def models(results: Path, focal_gamma: float, control: bool) -> list[Model]:
    """The classifiers compared, in the order they are made (the treatments start from the first)."""
    source = results / "ce.pt"
    made = [
        Model(source, "cross-entropy", ("train", "--dataset", "cifar10")),
        Model(results / "focal.pt", f"focal γ {focal_gamma:g}",
              ("train", "--dataset", "cifar10", "--focal-gamma", str(focal_gamma))),
        Model(results / "balanced.pt", "balanced sampling", ("train", "--dataset", "cifar10", "--balanced-sampling")),
        Model(results / "ce-doctor.pt", "CE + doctor", ("doctor", "treat", str(source))),
    ]
    if control:
        made.append(Model(results / "ce-finetuned.pt", "CE + fine-tune α 0",
                          ("doctor", "treat", str(source), "--alpha", "0")))
    return made


def make(model: Model, data: list[str]) -> None:
    """Write the classifier file of `model` with its command, unless an earlier invocation did."""
    if model.path.is_file():
        print(f"{model.title}: {model.path} (made earlier)", flush=True)
        return
    print(f"{model.title}: cpg {' '.join(model.command)} …", flush=True)
    started = time.perf_counter()
    if cpg_main([*model.command, *data, "-o", str(model.path), "--quiet"]) != 0:
        raise RunFailed(f"`cpg {' '.join(model.command)}` failed (its error is above); the same command run again resumes")
    print(f"{model.title}: {model.path} ({(time.perf_counter() - started) / 60:.1f} min)", flush=True)


@torch.no_grad()
def class_accuracies(network: nn.Module, task: Task, eval_batch_size: int) -> torch.Tensor:
    """Test accuracy of each class of `task`."""
    network.eval()
    correct = torch.zeros(task.num_classes)
    total = torch.zeros(task.num_classes)
    for inputs, labels in TaskData(task, 1, eval_batch_size, 0).eval_batches("test"):
        hits = network(inputs).argmax(dim=1) == labels
        correct += torch.bincount(labels[hits], minlength=task.num_classes)
        total += torch.bincount(labels, minlength=task.num_classes)
    return correct / total


def untreated(treated: Path, source: Path) -> bool:
    """Whether `cpg doctor treat` wrote the untreated classifier (no treated epoch beat it)."""
    before = load_classifier(source).model.state_dict()
    after = load_classifier(treated).model.state_dict()
    return all(torch.equal(before[key], after[key]) for key in before)


def table(task: Task, accuracies: dict[str, torch.Tensor]) -> None:
    counts = torch.bincount(task.train.labels, minlength=task.num_classes)
    tests = torch.bincount(task.test.labels, minlength=task.num_classes)
    titles = list(accuracies)
    width = max(18, *(len(title) for title in titles))
    print(f"\n{'class':>12} {'train':>6} {'test':>6}" + "".join(f" {title:>{width}}" for title in titles))
    for index, name in enumerate(task.classes):
        print(f"{name:>12} {int(counts[index]):6,d} {int(tests[index]):6,d}"
              + "".join(f" {float(accuracies[title][index]) * 100:{width - 1}.2f}%" for title in titles))
    overall = {title: float((values * tests).sum() / tests.sum()) for title, values in accuracies.items()}
    print(f"{'overall':>12} {int(counts.sum()):6,d} {int(tests.sum()):6,d}"
          + "".join(f" {overall[title] * 100:{width - 1}.2f}%" for title in titles))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", default="data", help="the folder holding cifar-10-batches-py")
    parser.add_argument("--no-verify-checksums", dest="verify_checksums", action="store_false",
                        help="accept a re-packed archive")
    parser.add_argument("--config", default="pipelines/cpu/doctor-resnet32-cifar10-lt.yaml")
    parser.add_argument("--focal-gamma", type=float, default=2.0, help="γ of the focal-loss training")
    parser.add_argument("--control", action="store_true", help="also fine-tune the cross-entropy classifier with α 0")
    parser.add_argument("--results", default="checkpoints/doctor-cifar10", help="where the classifiers are kept")
    args = parser.parse_args(argv)
    if args.focal_gamma <= 0:
        raise UserError(f"--focal-gamma must be positive (0 is the cross-entropy training), got {args.focal_gamma}")
    data = ["--config", args.config, "--data-root", args.data_root] + ([] if args.verify_checksums else
                                                                        ["--no-verify-checksums"])
    config = resolve_config(args.config, "cifar10", {"data_root": args.data_root,
                                                     "verify_checksums": args.verify_checksums})
    benchmark = load_benchmark(config)
    task = benchmark.tasks[0]
    print(f"{args.config}: {config.arch}, {benchmark.name}: {len(task.train):,} training images, "
          f"{len(task.val):,} val, {len(task.test):,} test; {config.finetune.epochs} epochs, batch {config.batch_size}; "
          f"treatment {config.doctor.epochs} epochs, α {config.doctor.alpha:g}, lr {config.doctor.lr:g}")
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    chosen = models(results, args.focal_gamma, args.control)
    for model in chosen:
        make(model, data)
    table(task, {model.title: class_accuracies(load_classifier(model.path).model, task, config.eval_batch_size)
                 for model in chosen})
    for model in chosen:
        if model.treated and untreated(model.path, chosen[0].path):
            print(f"{model.title}: no treated epoch beat the cross-entropy classifier on val, so it is that classifier")

if __name__ == "__main__":
    sys.exit(run(main))
