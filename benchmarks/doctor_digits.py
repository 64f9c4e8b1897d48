"""Model Doctor on digits-10 and long-tailed digits-10: test accuracy before and after treatment.

For every seed a small CNN is trained with the digits-10 pipeline (as `cpg train` does), then
each treatment starts from those weights: a control that fine-tunes with the same schedule and
cross-entropy alone (α = 0), the paper's default (ReLU'd gradient, α = 10, last conv), and the
diagnosis variants. `--sweep` adds other layers and α values. Prints mean ± std over seeds of
the test accuracy and of its change; "kept" is the mean epoch whose weights were kept.

    OMP_NUM_THREADS=1 python benchmarks/doctor_digits.py [--seeds 0 1 2] [--imbalance 1 10] [--sweep]
"""

import argparse
import copy
import dataclasses
import statistics
import time

import torch

from cpg.cli.pipelines import resolve_config
from cpg.config.doctor import DoctorConfig
from cpg.continual.alone import train_task_alone
from cpg.data.batches import TaskData
from cpg.doctor import diagnose, treat_classifier
from cpg.engine import evaluate
from cpg.report import ConsoleReport, Reporter
from cpg.workflows.run_settings import load_benchmark

CPU = torch.device("cpu")
DEFAULT = DoctorConfig()
TREATMENTS: dict[str, DoctorConfig] = {
    "fine-tune only (α 0)": dataclasses.replace(DEFAULT, alpha=0.0),
    "doctor default (gradient, α 10)": DEFAULT,
    "doctor abs_gradient, α 10": dataclasses.replace(DEFAULT, signal="abs_gradient"),
    "doctor activation, α 10": dataclasses.replace(DEFAULT, signal="activation"),
}
SWEEP: dict[str, DoctorConfig] = {
    f"doctor {layer}, α {alpha:g}": dataclasses.replace(DEFAULT, layer=layer, alpha=alpha)
    for layer in ("features.3", "features.7", "classifier.0") for alpha in (0.1, 1.0, 10.0)
}
LONG_TAIL: dict[str, DoctorConfig] = {
    "fine-tune only, balanced sampling": dataclasses.replace(DEFAULT, alpha=0.0, balanced_sampling=True),
    "doctor default, balanced sampling": dataclasses.replace(DEFAULT, balanced_sampling=True),
    "fine-tune only, focal γ 2": dataclasses.replace(DEFAULT, alpha=0.0, focal_gamma=2.0),
}


def run_seed(imbalance: float, seed: int, treatments: dict[str, DoctorConfig]) -> dict[str, tuple[float, int]]:
    """Test accuracy (and kept epoch) of the trained model ("before") and of each treatment."""
    flags = {"seed": seed, **({"benchmark_options": {"imbalance": imbalance}} if imbalance > 1 else {})}
    config = resolve_config(None, "digits-10", flags)
    benchmark = load_benchmark(config)
    task = benchmark.tasks[0]
    model, accuracies = train_task_alone(config, benchmark, 0, Reporter(ConsoleReport(quiet=True)), CPU)
    results = {"before": (accuracies["test"], 0)}
    for name, settings in treatments.items():
        patient = copy.deepcopy(model)
        data = TaskData(task, config.batch_size, config.eval_batch_size, seed, balanced=settings.balanced_sampling)
        diagnosis = diagnose(patient, task.train, task.num_classes, settings, CPU)
        outcome = treat_classifier(patient, diagnosis, data, settings, CPU, config.momentum, config.weight_decay)
        results[name] = (evaluate(patient, data.eval_batches("test"), CPU).accuracy, outcome.best_epoch)
    return results


def spread(values: list[float]) -> str:
    deviation = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values) * 100:6.2f} ± {deviation * 100:4.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--imbalance", type=float, nargs="+", default=[1.0, 10.0], help="1: the balanced data")
    parser.add_argument("--sweep", action="store_true", help="also other layers and α values")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, seeds {args.seeds}")
    for imbalance in args.imbalance:
        treatments = {**TREATMENTS, **(SWEEP if args.sweep else {}), **(LONG_TAIL if imbalance > 1 else {})}
        started = time.perf_counter()
        runs = [run_seed(imbalance, seed, treatments) for seed in args.seeds]
        title = "digits-10" if imbalance == 1 else f"digits-10, long-tailed ρ = {imbalance:g}"
        seconds = time.perf_counter() - started
        print(f"\n{title} ({seconds:.0f} s) — test accuracy %, mean ± std over {len(runs)} seeds")
        print(f"{'':40s} {'accuracy':>15s} {'change':>15s} {'kept':>5s}")
        before = [run["before"][0] for run in runs]
        for name in ["before", *treatments]:
            after = [run[name][0] for run in runs]
            change = spread([a - b for a, b in zip(after, before)]) if name != "before" else ""
            kept = f"{statistics.mean(run[name][1] for run in runs):5.1f}" if name != "before" else ""
            print(f"{name:40s} {spread(after):>15s} {change:>15s} {kept:>5s}")


if __name__ == "__main__":
    main()
