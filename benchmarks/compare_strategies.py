"""Run every strategy on one benchmark with the same data, model and budget, for each seed, and
print the `cpg compare` table (Markdown): a row per strategy, mean ± standard deviation over the seeds.

    python benchmarks/compare_strategies.py --tasks digits-5 --seeds 0,1,2
    python benchmarks/compare_strategies.py --tasks synthetic --arch resnet20 --epochs-scale 0.2 \
        --options '{"num_tasks": 10, "classes_per_task": 10, "train_per_class": 50, "test_per_class": 50,
                    "image_size": 32, "channels": 3, "difficulty": 1.0}' \
        --strategies cpg packnet piggyback pae finetune independent

(the second is the hard benchmark whose table the README quotes: about an hour for the six on
one thread)

Without `--strategies` every registered strategy runs, CPG's and the baselines it is compared
with first. A run that fails (its loss diverged, a setting it cannot use) is left out of the
table and named after it, with its error; the others still run, and the exit status is 1.

Each strategy uses its pipeline (`pipelines/<tasks>-<strategy>.yaml`, else `<tasks>.yaml` with
the strategy's defining settings), or, with `--config`, that protocol file with the strategy's
defining settings; the flags given here override all of them alike. Every strategy runs with the
first seed, then with the next. Runs go to checkpoints/compare-<tasks>-<strategy>-s<seed>; a run
already there is resumed (or, finished, read), so a stopped comparison continues where it stopped;
`--restart` starts every run over.

    python benchmarks/compare_strategies.py --tasks split-cifar10 --config pipelines/cpu/split-cifar10.yaml \
        --data-root ./data --no-verify-checksums
"""

import argparse
import json
import sys
from typing import Any

from cpg.allocator import use_huge_pages

use_huge_pages()  # before torch is imported: the allocator settings `cpg` runs with

from cpg.cli.pipelines import default_pipeline, resolve_config  # noqa: E402
from cpg.errors import RunFailed, UserError  # noqa: E402
from cpg.registry import STRATEGIES as REGISTERED  # noqa: E402
from cpg.report import ConsoleReport  # noqa: E402
from cpg.report.compare import comparison_markdown, comparison_rows  # noqa: E402
from cpg.workflows import execute  # noqa: E402

STRATEGIES = ("cpg", "packnet", "piggyback", "pae", "finetune", "independent")
"""CPG and the baselines of its paper, first in the table; every other registered strategy follows."""
DEFAULT_SETTINGS = {
    "packnet": {"max_width": 1.0},
    "piggyback": {"max_width": 1.0},
    "pae": {"max_width": 2.0},
    "finetune": {"max_width": 1.0},
    "independent": {"max_width": 1.0},
}
"""Each strategy's defining settings (those of the shipped strategy pipelines), for task
sequences that have no `pipelines/<tasks>-<strategy>.yaml`."""


def every_strategy() -> list[str]:
    """The registered strategies, those of `STRATEGIES` first."""
    return [*STRATEGIES, *(name for name in REGISTERED if name not in STRATEGIES)]


def seed_list(text: str) -> list[int]:
    """`--seeds 0,1,2`."""
    return [int(seed) for seed in text.split(",")]


def run_flags(args: argparse.Namespace, strategy: str, seed: int) -> dict[str, Any]:
    """The settings `strategy`'s run with `seed` gets on top of its pipeline."""
    flags: dict[str, Any] = {"tasks": args.tasks, "strategy": strategy, "seed": seed,
                             "name": f"compare-{args.tasks}-{strategy}-s{seed}"}
    if args.config or default_pipeline(args.tasks, strategy) == default_pipeline(args.tasks):
        flags.update(DEFAULT_SETTINGS.get(strategy, {}))
    if args.data_root:
        flags["data_root"] = args.data_root
    if args.no_verify_checksums:
        flags["verify_checksums"] = False
    if args.arch:
        flags["arch"] = args.arch
    if args.options:
        flags["benchmark_options"] = json.loads(args.options)
    if args.epochs_scale:
        flags["epochs_scale"] = args.epochs_scale
    if args.goal is not None:
        flags["goal"] = {"value": args.goal}
    return flags


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default="digits-5")
    parser.add_argument("--arch")
    parser.add_argument("--options", help="benchmark_options as JSON (synthetic sizes and difficulty)")
    parser.add_argument("--epochs-scale", type=float)
    parser.add_argument("--seeds", type=seed_list, default=[0], help="comma-separated, e.g. 0,1,2 (default: 0)")
    parser.add_argument("--goal", type=float, help="one goal for every task (default: the goal file)")
    parser.add_argument("--strategies", nargs="+", default=every_strategy(), help="default: every registered one")
    parser.add_argument("--config", help="a pipeline holding the protocol (default: the tasks' own)")
    parser.add_argument("--data-root")
    parser.add_argument("--no-verify-checksums", action="store_true", help="read a re-packed CIFAR archive")
    parser.add_argument("--restart", action="store_true", help="start every run over")
    args = parser.parse_args()
    folders, failures = [], []
    for seed in args.seeds:
        for strategy in args.strategies:
            config = resolve_config(args.config, args.tasks, run_flags(args, strategy, seed))
            try:
                execute(config, restart=args.restart, console=ConsoleReport(quiet=True))
            except (RunFailed, UserError) as error:
                failures.append(f"{config.checkpoint_dir}/{config.name}: {error}")
                continue
            folders.append(f"{config.checkpoint_dir}/{config.name}")
    if folders:
        print(comparison_markdown(*comparison_rows(folders)))
    for failure in failures:
        print(f"not in the table, failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
