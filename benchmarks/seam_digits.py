"""SeaM on digits: every one-vs-rest target of a small CNN trained on all 10 digits, with
distillation from the source off (SeaM as published) and on (an option beyond SeaM).

Prints, per setting and class: retained weight ratio, source and module accuracy on the
target's test split (source predictions collapsed to the target labels) and its number of
images, FLOPs ratio (module's nonzero weights ÷ dense source), CPU latency ratio (slimmed module
÷ source, same batch), the selected epoch and the time it took; with --finetune also the
indirect-reuse comparison (defect inheritance rate of the fine-tuned module vs the fine-tuned
whole source). Then both settings side by side. The
bar: every module ≤ 10% of the weights, module accuracy ≥ source accuracy on average over the
classes and within 1 point of the source on every class. `on` takes the config's `distill`
settings with weight --distill-weight (0.3); the flags below override them.

    OMP_NUM_THREADS=1 python benchmarks/seam_digits.py [--classifier FILE] [--config pipelines/seam-digits.yaml]
        [--classes 0,1,…] [--settings off,on] [--distill-weight B] [--distill-temperature T]
        [--distill-left-out | --no-distill-left-out] [--finetune]

Without --classifier the source is trained first, as `cpg train --dataset digits-10` does.
"""

import argparse
import sys
import time
from pathlib import Path

from script import run
from seam_table import (
    CPU, Row, add_setting_flags, compared_settings, describe, header, line, reengineer_class, side_by_side, summary,
)

from cpg.cli import main as cpg_main
from cpg.config.seam import SeamConfig
from cpg.seam import indirect_reuse
from cpg.source import Source, source_from_classifier


def source_file(path: str | None) -> str:
    if path:
        return path
    trained = Path("checkpoints/classifiers/digits-10-small_cnn.pt")
    if not trained.is_file():
        if cpg_main(["train", "--dataset", "digits-10", "-o", str(trained), "--quiet"]) != 0:
            raise SystemExit("training the source failed")
    return str(trained)


def run_setting(label: str, source: Source, config: SeamConfig, classes: list[str], finetune: bool) -> list[Row]:
    print(f"\n{describe(label, config)}")
    print(header(finetune))
    rows = []
    for name in classes:
        problem, outcome, row = reengineer_class(source, name, config)
        if finetune:
            reuse = indirect_reuse(source, problem, outcome.result, config, CPU)
            row.module_dir = reuse["module"]["defect_inheritance_rate"]
            row.standard_dir = reuse["standard"]["defect_inheritance_rate"]
        print(line(row), flush=True)
        rows.append(row)
    return rows


def bar(rows: list[Row]) -> str:
    """The summary and whether the digits bar is met."""
    met = (all(row.small and row.close for row in rows)
           and sum(row.module for row in rows) >= sum(row.source for row in rows))
    return f"{summary(rows)}; bar {'met' if met else 'MISSED'}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classifier", help="source classifier file (default: train one)")
    parser.add_argument("--classes", default="0,1,2,3,4,5,6,7,8,9")
    add_setting_flags(parser, "pipelines/seam-digits.yaml")
    parser.add_argument("--finetune", action="store_true", help="also compare indirect reuse per class")
    args = parser.parse_args(argv)
    configs = compared_settings(args)
    base = next(iter(configs.values()))
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
    results = {label: run_setting(label, source, config, classes, args.finetune) for label, config in configs.items()}
    side_by_side(results, bar)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    sys.exit(run(main))
