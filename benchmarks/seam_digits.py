"""SeaM on digits: every one-vs-rest target of a small CNN trained on all 10 digits.

Prints, per class: retained weight ratio, source and module accuracy on the target's test
split (source predictions collapsed to the target labels), FLOPs ratio (module's nonzero
weights ÷ dense source) and CPU latency ratio (slimmed module ÷ source, same batch); with
--finetune also the indirect-reuse comparison (clean accuracy and defect inheritance rate of
the fine-tuned module vs the fine-tuned whole source). The issue's bar: ratio ≤ 10% and module
accuracy ≥ source accuracy on every class.

    OMP_NUM_THREADS=1 python benchmarks/seam_digits.py [--classifier FILE] [--config pipelines/seam-digits.yaml]
                                                       [--classes 0,1,…] [--finetune]

Without --classifier the source is trained first, as `cpg train --dataset digits-10` does.
"""

import argparse
import time
from pathlib import Path

import torch

from cpg.algorithms.seam import binary_problem, indirect_reuse, run_seam, seam_config, source_from_classifier
from cpg.cli import main as cpg_main
from cpg.config import read_yaml
from cpg.report import ConsoleReport, Reporter

CPU = torch.device("cpu")


def source_file(path: str | None) -> str:
    if path:
        return path
    trained = Path("checkpoints/classifiers/digits-10-small_cnn.pt")
    if not trained.is_file():
        if cpg_main(["train", "--dataset", "digits-10", "-o", str(trained), "--quiet"]) != 0:
            raise SystemExit("training the source failed")
    return str(trained)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classifier", help="source classifier file (default: train one)")
    parser.add_argument("--config", default="pipelines/seam-digits.yaml")
    parser.add_argument("--classes", default="0,1,2,3,4,5,6,7,8,9")
    parser.add_argument("--finetune", action="store_true", help="also compare indirect reuse per class")
    args = parser.parse_args()
    config = seam_config((args.config, read_yaml(args.config)))
    path = source_file(args.classifier)
    source = source_from_classifier(path, config)
    reporter = Reporter(ConsoleReport(quiet=True))
    print(f"source {path}; {args.config}: alpha {config.alpha}, mask lr {config.mask_lr}, head lr {config.head_lr}, "
          f"{config.epochs} epochs, batch {config.batch_size}, selection on {config.select_on}")
    print(f"{'class':>5} {'ratio':>7} {'source acc':>10} {'module acc':>10} {'FLOPs':>6} {'latency':>7} {'epoch':>5}  bar")
    passed, rows, started = 0, [], time.perf_counter()
    classes = args.classes.split(",")
    for name in classes:
        problem = binary_problem(source.task, name)
        outcome = run_seam(source, problem, config, reporter, CPU)
        report = outcome.report
        accuracy = report["accuracy"]
        met = report["retained_ratio"] <= 0.10 and accuracy["module"]["test"] >= accuracy["source"]["test"]
        passed += met
        print(f"{name:>5} {report['retained_ratio'] * 100:6.2f}% {accuracy['source']['test'] * 100:9.2f}% "
              f"{accuracy['module']['test'] * 100:9.2f}% {report['flops_per_image']['ratio']:6.3f} "
              f"{report['latency_ms']['ratio']:7.3f} {report['selected_epoch']:5d}  {'met' if met else 'MISSED'}", flush=True)
        if args.finetune:
            rows.append((name, indirect_reuse(source, problem, outcome.result, config, CPU)))
    print(f"{passed}/{len(classes)} classes meet ratio ≤ 10% and module accuracy ≥ source "
          f"({time.perf_counter() - started:.0f} s)")
    if rows:
        attack = rows[0][1]["attack"]
        print(f"\nindirect reuse: L∞ PGD on source features, eps {attack['eps']}, {attack['steps']} steps of "
              f"{attack['step_size']}; fine-tuning {rows[0][1]['finetune']['epochs']} epochs")
        print(f"{'class':>5} {'module clean':>12} {'module DIR':>10} {'standard clean':>14} {'standard DIR':>12}")
        for name, reuse in rows:
            module, standard = reuse["module"], reuse["standard"]
            print(f"{name:>5} {module['clean_accuracy'] * 100:11.2f}% {module['defect_inheritance_rate'] * 100:9.2f}% "
                  f"{standard['clean_accuracy'] * 100:13.2f}% {standard['defect_inheritance_rate'] * 100:11.2f}%")
        mean = {kind: sum(reuse[kind]["defect_inheritance_rate"] for _, reuse in rows) / len(rows)
                for kind in ("module", "standard")}
        print(f"mean DIR: module {mean['module'] * 100:.2f}%, standard {mean['standard'] * 100:.2f}%")


if __name__ == "__main__":
    main()
