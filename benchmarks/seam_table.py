"""What the per-class SeaM benchmarks share (seam_digits.py, seam_cifar10.py): the two settings
they compare, SeaM as published (`off`) and SeaM with distillation from the source (`on`, an
option beyond SeaM); one table row per one-vs-rest class from a `cpg seam` report; and the
settings side by side with their summaries."""

import argparse
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from cpg.config import read_yaml
from cpg.config.seam import SeamConfig, seam_config
from cpg.engine import LoopStore, MemoryStore
from cpg.errors import UserError
from cpg.report import ConsoleReport, Reporter
from cpg.seam import TargetProblem, binary_problem
from cpg.source import Source
from cpg.workflows.seam import SeamOutcome, run_seam

CPU = torch.device("cpu")
MAX_RATIO = 0.10
TOLERANCE = 0.01  # a class may end this far below the source


@dataclass
class Row:
    name: str
    ratio: float  # retained weights and biases
    source: float  # accuracy on the target's test split, the source's prediction collapsed
    module: float
    test_images: int
    flops: float  # module's nonzero-weight FLOPs ÷ the dense source's
    latency: float  # slimmed module ÷ source, same batch
    epoch: int  # selected, 0-based
    seconds: float
    module_dir: float | None = None
    standard_dir: float | None = None

    @property
    def small(self) -> bool:
        return self.ratio <= MAX_RATIO

    @property
    def close(self) -> bool:
        """Within TOLERANCE of the source's accuracy, or above it."""
        return self.module >= self.source - TOLERANCE - 1e-9

    @classmethod
    def from_report(cls, name: str, report: dict[str, Any], seconds: float) -> "Row":
        accuracy = report["accuracy"]
        return cls(name, report["retained_ratio"], accuracy["source"]["test"], accuracy["module"]["test"],
                   report["target"]["examples"]["test"], report["flops_per_image"]["ratio"],
                   report["latency_ms"]["ratio"], report["selected_epoch"], seconds)


def add_setting_flags(parser: argparse.ArgumentParser, config: str) -> None:
    """--config and the flags of the two settings compared."""
    parser.add_argument("--config", default=config, help=f"SeaM pipeline (default {config})")
    parser.add_argument("--settings", default="off,on", help="off (SeaM), on (with distillation), or both")
    parser.add_argument("--distill-weight", type=float, default=0.3, help="β of the setting `on`")
    parser.add_argument("--distill-temperature", type=float, help="T of the setting `on` (default: the config's)")
    parser.add_argument("--distill-left-out", action=argparse.BooleanOptionalAction,
                        help="whether `on` also distils on the left-out images (default: the config's)")


def compared_settings(args: argparse.Namespace, **changes: Any) -> dict[str, SeamConfig]:
    """The settings --settings names, from --config with `changes` (e.g. where the data is):
    `off` with distillation's weight 0, `on` with the config's distillation and the flags'."""
    file = (args.config, read_yaml(args.config))
    base = seam_config(file, ("command line", changes))
    on = {"weight": args.distill_weight, "temperature": args.distill_temperature, "left_out": args.distill_left_out}
    on = {key: value for key, value in on.items() if value is not None}
    configs = {
        "off": dataclasses.replace(base, distill=dataclasses.replace(base.distill, weight=0.0)),
        "on": seam_config(file, ("command line", {**changes, "distill": on})),
    }
    labels = [label.strip() for label in args.settings.split(",")]
    if not labels or any(label not in configs for label in labels):
        raise UserError(f"--settings {args.settings}: give off, on or off,on")
    return {label: configs[label] for label in labels}


def describe(label: str, config: SeamConfig) -> str:
    distill = config.distill
    if not distill.weight:
        return f"{label}: distill weight 0 (SeaM)"
    return (f"{label}: distill weight {distill.weight:g}, temperature {distill.temperature:g}, "
            f"left-out images {'on' if distill.left_out else 'off'}")


def reengineer_class(source: Source, name: str, config: SeamConfig,
                     store: Callable[[nn.Module], LoopStore] = MemoryStore,
                     ) -> tuple[TargetProblem, SeamOutcome, Row]:
    """SeaM for class `name` against the rest, on the CPU, quietly; its row with the time it took."""
    problem = binary_problem(source.task, name, config.target_train_per_class)
    started = time.perf_counter()
    outcome = run_seam(source, problem, config, Reporter(ConsoleReport(quiet=True)), CPU, store)
    return problem, outcome, Row.from_report(name, outcome.report, time.perf_counter() - started)


def header(finetune: bool = False) -> str:
    return (f"{'class':>10} {'ratio':>7} {'source acc':>10} {'module acc':>10} {'test imgs':>9} {'FLOPs':>6} "
            f"{'latency':>7} {'epoch':>5} {'time':>6}" + (f" {'module DIR':>10} {'standard DIR':>12}" if finetune else ""))


def line(row: Row, note: str = "") -> str:
    text = (f"{row.name:>10} {row.ratio * 100:6.2f}% {row.source * 100:9.2f}% {row.module * 100:9.2f}% "
            f"{row.test_images:9,d} {row.flops:6.3f} {row.latency:7.3f} {row.epoch:5d} {row.seconds:5.0f}s{note}")
    if row.module_dir is not None and row.standard_dir is not None:
        text += f" {row.module_dir * 100:9.2f}% {row.standard_dir * 100:11.2f}%"
    return text


def summary(rows: list[Row]) -> str:
    """Mean accuracies, and how many modules are small and close to their source."""
    mean_source = sum(row.source for row in rows) / len(rows)
    mean_module = sum(row.module for row in rows) / len(rows)
    small = sum(row.small for row in rows)
    close = sum(row.close for row in rows)
    return (f"mean accuracy: source {mean_source * 100:.2f}%, module {mean_module * 100:.2f}%; "
            f"{small}/{len(rows)} modules ≤ {MAX_RATIO:.0%} of the weights; "
            f"{close}/{len(rows)} within {TOLERANCE * 100:g} point of the source")


def side_by_side(results: dict[str, list[Row]], summarise: Callable[[list[Row]], str] = summary) -> None:
    labels = list(results)
    finetune = results[labels[0]][0].module_dir is not None
    heading = f"{'class':>10} {'source acc':>10}"
    for label in labels:
        heading += f" | {label + ' ratio':>9} {'module acc':>10}" + (f" {'DIR':>7}" if finetune else "")
    print("\n" + heading + (f" | {'standard DIR':>12}" if finetune else ""))
    for index, first in enumerate(results[labels[0]]):
        text = f"{first.name:>10} {first.source * 100:9.2f}%"
        for label in labels:
            row = results[label][index]
            text += f" | {row.ratio * 100:8.2f}% {row.module * 100:9.2f}%"
            if finetune:
                text += f" {row.module_dir * 100:6.2f}%"
        print(text + (f" | {first.standard_dir * 100:11.2f}%" if finetune else ""))
    for label in labels:
        rows = results[label]
        text = f"{label}: {summarise(rows)}"
        if finetune:
            text += f"; mean module DIR {sum(row.module_dir for row in rows) / len(rows) * 100:.2f}%"
        print(text)
    if finetune:
        rows = results[labels[0]]
        print(f"mean standard fine-tuning DIR {sum(row.standard_dir for row in rows) / len(rows) * 100:.2f}%")
