"""SeaM on digits: every one-vs-rest target of a small CNN trained on all 10 digits, with
distillation from the source off (SeaM as published) and on (an option beyond SeaM).

Prints, per setting and class: retained weight ratio, source and module accuracy on the
target's test split (source predictions collapsed to the target labels), FLOPs ratio (module's
nonzero weights ÷ dense source), CPU latency ratio (slimmed module ÷ source, same batch) and the
selected epoch; with --finetune also the indirect-reuse comparison (defect inheritance rate of
the fine-tuned module vs the fine-tuned whole source). Then both settings side by side. The
bar: every module ≤ 10% of the weights, module accuracy ≥ source accuracy on average over the
classes and within 1 point of the source on every class. `on` takes the config's `distill`
settings with weight --distill-weight (0.3); the flags below override them.

    OMP_NUM_THREADS=1 python benchmarks/seam_digits.py [--classifier FILE] [--config pipelines/seam-digits.yaml]
        [--classes 0,1,…] [--settings off,on] [--distill-weight B] [--distill-temperature T]
        [--distill-left-out | --no-distill-left-out] [--finetune]

Without --classifier the source is trained first, as `cpg train --dataset digits-10` does.
"""

import argparse
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from cpg.algorithms.seam import SeamConfig, binary_problem, indirect_reuse, seam_config
from cpg.algorithms.source import Source, source_from_classifier
from cpg.cli import main as cpg_main
from cpg.config import read_yaml
from cpg.report import ConsoleReport, Reporter
from cpg.workflows.seam import run_seam

CPU = torch.device("cpu")
MAX_RATIO = 0.10
TOLERANCE = 0.01  # a class may end this far below the source


@dataclass
class Row:
    name: str
    ratio: float
    source: float
    module: float
    module_dir: float | None = None
    standard_dir: float | None = None


def source_file(path: str | None) -> str:
    if path:
        return path
    trained = Path("checkpoints/classifiers/digits-10-small_cnn.pt")
    if not trained.is_file():
        if cpg_main(["train", "--dataset", "digits-10", "-o", str(trained), "--quiet"]) != 0:
            raise SystemExit("training the source failed")
    return str(trained)


def run_setting(label: str, source: Source, config: SeamConfig, classes: list[str], finetune: bool) -> list[Row]:
    distill = config.distill
    print(f"\n{label}: distill weight {distill.weight:g}" + (
        f", temperature {distill.temperature:g}, left-out images {'on' if distill.left_out else 'off'}" if distill.weight else " (SeaM)"))
    print(f"{'class':>5} {'ratio':>7} {'source acc':>10} {'module acc':>10} {'FLOPs':>6} {'latency':>7} {'epoch':>5}"
          + (f" {'module DIR':>10} {'standard DIR':>12}" if finetune else ""))
    reporter = Reporter(ConsoleReport(quiet=True))
    rows = []
    for name in classes:
        problem = binary_problem(source.task, name)
        outcome = run_seam(source, problem, config, reporter, CPU)
        report = outcome.report
        accuracy = report["accuracy"]
        row = Row(name, report["retained_ratio"], accuracy["source"]["test"], accuracy["module"]["test"])
        line = (f"{name:>5} {row.ratio * 100:6.2f}% {row.source * 100:9.2f}% {row.module * 100:9.2f}% "
                f"{report['flops_per_image']['ratio']:6.3f} {report['latency_ms']['ratio']:7.3f} {report['selected_epoch']:5d}")
        if finetune:
            reuse = indirect_reuse(source, problem, outcome.result, config, CPU)
            row.module_dir = reuse["module"]["defect_inheritance_rate"]
            row.standard_dir = reuse["standard"]["defect_inheritance_rate"]
            line += f" {row.module_dir * 100:9.2f}% {row.standard_dir * 100:11.2f}%"
        print(line, flush=True)
        rows.append(row)
    return rows


def bar(rows: list[Row]) -> str:
    mean_source = sum(row.source for row in rows) / len(rows)
    mean_module = sum(row.module for row in rows) / len(rows)
    small = sum(row.ratio <= MAX_RATIO for row in rows)
    close = sum(row.module >= row.source - TOLERANCE - 1e-9 for row in rows)
    met = small == len(rows) and close == len(rows) and mean_module >= mean_source
    return (f"mean accuracy: source {mean_source * 100:.2f}%, module {mean_module * 100:.2f}%; "
            f"{small}/{len(rows)} modules ≤ {MAX_RATIO:.0%} of the weights; "
            f"{close}/{len(rows)} within {TOLERANCE * 100:g} point of the source; bar {'met' if met else 'MISSED'}")


def side_by_side(results: dict[str, list[Row]]) -> None:
    labels = list(results)
    finetune = results[labels[0]][0].module_dir is not None
    header = f"{'class':>5} {'source acc':>10}"
    for label in labels:
        header += f" | {label + ' ratio':>9} {'module acc':>10}" + (f" {'DIR':>7}" if finetune else "")
    print("\n" + header + (f" | {'standard DIR':>12}" if finetune else ""))
    for index, first in enumerate(results[labels[0]]):
        line = f"{first.name:>5} {first.source * 100:9.2f}%"
        for label in labels:
            row = results[label][index]
            line += f" | {row.ratio * 100:8.2f}% {row.module * 100:9.2f}%"
            if finetune:
                line += f" {row.module_dir * 100:6.2f}%"
        print(line + (f" | {first.standard_dir * 100:11.2f}%" if finetune else ""))
    for label in labels:
        rows = results[label]
        summary = f"{label}: {bar(rows)}"
        if finetune:
            summary += f"; mean module DIR {sum(row.module_dir for row in rows) / len(rows) * 100:.2f}%"
        print(summary)
    if finetune:
        rows = results[labels[0]]
        print(f"mean standard fine-tuning DIR {sum(row.standard_dir for row in rows) / len(rows) * 100:.2f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classifier", help="source classifier file (default: train one)")
    parser.add_argument("--config", default="pipelines/seam-digits.yaml")
    parser.add_argument("--classes", default="0,1,2,3,4,5,6,7,8,9")
    parser.add_argument("--settings", default="off,on", help="off (SeaM), on (with distillation), or both")
    parser.add_argument("--distill-weight", type=float, default=0.3, help="β of the setting `on`")
    parser.add_argument("--distill-temperature", type=float, help="T of the setting `on` (default: the config's)")
    parser.add_argument("--distill-left-out", action=argparse.BooleanOptionalAction,
                        help="whether `on` also distils on the left-out images (default: the config's)")
    parser.add_argument("--finetune", action="store_true", help="also compare indirect reuse per class")
    args = parser.parse_args()
    base = seam_config((args.config, read_yaml(args.config)))
    on = {"weight": args.distill_weight, "temperature": args.distill_temperature, "left_out": args.distill_left_out}
    on = {key: value for key, value in on.items() if value is not None}
    configs = {
        "off": dataclasses.replace(base, distill=dataclasses.replace(base.distill, weight=0.0)),
        "on": seam_config((args.config, read_yaml(args.config)), ("command line", {"distill": on})),
    }
    settings = [label.strip() for label in args.settings.split(",")]
    if not settings or any(label not in configs for label in settings):
        raise SystemExit("--settings takes off, on or off,on")
    path = source_file(args.classifier)
    source = source_from_classifier(path, base)
    print(f"source {path}; {args.config}: alpha {base.alpha}, mask lr {base.mask_lr}, head lr {base.head_lr}, "
          f"{base.epochs} epochs, batch {base.batch_size}, selection on {base.select_on}")
    if args.finetune:
        attack = base.attack
        print(f"indirect reuse: fine-tuning {base.finetune.epochs} epochs; defect inheritance rate (DIR) under L∞ PGD "
              f"on the source's features, eps {attack.eps}, {attack.steps} steps of {attack.step_size}")
    started = time.perf_counter()
    classes = args.classes.split(",")
    results = {label: run_setting(label, source, configs[label], classes, args.finetune) for label in settings}
    side_by_side(results)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
