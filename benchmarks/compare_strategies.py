"""Run every strategy on one benchmark with the same data, model and budget, and print the
`cpg compare` table (Markdown).

    python benchmarks/compare_strategies.py --tasks digits-5
    python benchmarks/compare_strategies.py --tasks synthetic --arch resnet20 --epochs-scale 0.2 \
        --options '{"num_tasks": 10, "classes_per_task": 10, "train_per_class": 50, "test_per_class": 50,
                    "image_size": 32, "channels": 3, "difficulty": 1.0}'

(the second is the hard benchmark whose table the README quotes: under 30 minutes per strategy
on 2 CPU cores)

Each strategy uses its pipeline (`pipelines/<tasks>-<strategy>.yaml`, else `<tasks>.yaml`);
the flags given here override all of them alike. Runs go to checkpoints/compare-<tasks>-<strategy>.
"""

import argparse
import json

import cpg  # noqa: F401
from cpg.cli.pipelines import default_pipeline, resolve_config
from cpg.report import ConsoleReport
from cpg.report.compare import comparison_markdown, comparison_rows
from cpg.workflows import execute

STRATEGIES = ("cpg", "packnet", "piggyback", "pae", "finetune", "independent")
DEFAULT_SETTINGS = {
    "packnet": {"max_width": 1.0},
    "piggyback": {"max_width": 1.0},
    "pae": {"max_width": 2.0},
    "finetune": {"max_width": 1.0},
    "independent": {"max_width": 1.0},
}
"""Each strategy's defining settings (those of the shipped strategy pipelines), for task
sequences that have no `pipelines/<tasks>-<strategy>.yaml`."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default="digits-5")
    parser.add_argument("--arch")
    parser.add_argument("--options", help="benchmark_options as JSON (synthetic sizes and difficulty)")
    parser.add_argument("--epochs-scale", type=float)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--goal", type=float, help="one goal for every task (default: the goal file)")
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    args = parser.parse_args()
    folders = []
    for strategy in args.strategies:
        flags = {"tasks": args.tasks, "strategy": strategy, "seed": args.seed,
                 "name": f"compare-{args.tasks}-{strategy}"}
        if default_pipeline(args.tasks, strategy) == default_pipeline(args.tasks):
            flags.update(DEFAULT_SETTINGS.get(strategy, {}))
        if args.arch:
            flags["arch"] = args.arch
        if args.options:
            flags["benchmark_options"] = json.loads(args.options)
        if args.epochs_scale:
            flags["epochs_scale"] = args.epochs_scale
        if args.goal is not None:
            flags["goal"] = {"value": args.goal}
        config = resolve_config(None, args.tasks, flags)
        execute(config, restart=True, console=ConsoleReport(quiet=True))
        folders.append(f"{config.checkpoint_dir}/{config.name}")
    print(comparison_markdown(*comparison_rows(folders)))


if __name__ == "__main__":
    main()
