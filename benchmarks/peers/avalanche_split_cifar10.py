"""An outside reference: Avalanche's PackNet, naive fine-tuning, online EWC, SI, LwF and replay
on the tasks, network and epochs cpg's packnet, finetune, ewc, si, lwf and replay strategies run,
printed and written as `cpg compare` reads them (with `--cpg`, beside cpg's own runs).

    pip install -e '.[peers]'
    OMP_NUM_THREADS=1 python benchmarks/peers/avalanche_split_cifar10.py --no-verify-checksums
    cpg compare checkpoints/compare-split-cifar10-packnet checkpoints/peers/split-cifar10/avalanche-packnet/results.json
    OMP_NUM_THREADS=1 python benchmarks/peers/avalanche_split_cifar10.py --tasks digits-5 --strategies ewc si lwf replay --cpg

Same data: the tasks are cpg's own (`cpg.data.build_benchmark`: images, validation hold-out,
per-task normalisation, random crop + flip), each task an experience with its task label.
Same network: cpg's `--arch` (ResNet-20) with a head per task. Same settings: those
`benchmarks/compare_strategies.py` gives cpg's strategies (the tasks' pipeline, or the
protocol `--config` names, with each strategy's defining settings on top), each overridable
here; `--epochs-scale` scales them as `cpg run` does. The wall time covers training and the test
evaluations after each task (cpg's also covers its per-epoch validation and its saves). `--cpg`
also runs cpg's strategy with exactly those settings on the same tasks (OUT/<tasks>/cpg-<strategy>;
a finished run is read, a stopped one resumed) and puts it in the table.

How the settings map (cpg → Avalanche):
- finetune.epochs + the epochs after pruning (packnet; `prune.one_shot_epochs`, else half the
  finetune epochs) → `train_epochs`, the latter → PackNetPlugin's `post_prune_epochs`;
  prune.one_shot_ratio → `prune_proportion` of each layer's weights the task owns (cpg: of each
  layer's weights the task claimed: the same set).
- finetune.lr and lr_steps, prune.lr → the rate of each epoch (plugin `StageSchedule`, which
  also starts each stage's SGD state afresh as cpg's new optimizer per stage does).
- batch_size, momentum (Nesterov, as cpg), weight_decay (packnet: only on the weights the task
  trains, plugin `OwnWeightDecay`; the others: SGD's, on everything trained, as cpg), seed.
- ewc, si, lwf, replay: naive fine-tuning with Avalanche's plugin of the method, its settings
  from cpg's `ewc`, `si`, `lwf`, `replay` groups (the mapping and what still differs:
  benchmarks/peers/avalanche_methods.py).

Where the runs still differ from cpg's:
- PackNet: pruned weights keep their values, hidden by a mask, and the next task trains them on
  from there; cpg zeroes them, so its next task starts them from 0;
- PackNet: pruning happens before the first post-prune epoch; cpg prunes after its first step;
- PackNet: the BatchNorm and the head per task are this script's `TaskSpecific` modules
  (benchmarks/peers/avalanche_models.py), since Avalanche's PackNetModel refuses BatchNorm and
  has no head per task of its own; they behave as cpg's;
- both: batches, augmentation and initial weights draw from torch's global RNG, seeded once by
  `--seed`, so they are not the images' order and weights of cpg's run, only their distribution;
- both: no validation split is looked at (cpg's packnet and finetune report it, select nothing on it).
"""

import argparse
import importlib.util
import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.peers.protocol import cpg_run, peer_config, results_document, settings_summary  # noqa: E402
from cpg.data import build_benchmark  # noqa: E402
from cpg.device import resolve_device  # noqa: E402
from cpg.errors import UserError  # noqa: E402
from cpg.report.compare import comparison_markdown, comparison_rows  # noqa: E402

STRATEGIES = {strategy: f"avalanche-{strategy}" for strategy in ("packnet", "finetune", "ewc", "si", "lwf", "replay")}
"""cpg's strategy → the name of the Avalanche run mirroring it."""
INSTALL = "avalanche-lib is not installed: pip install -e '.[peers]' (an optional extra; see pyproject.toml)"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default="split-cifar10", help="a cpg benchmark (synthetic for a quick check)")
    parser.add_argument("--options", help="benchmark_options as JSON, passed to cpg (e.g. {\"train_per_class\": 1000})")
    parser.add_argument("--config", help="a cpg pipeline holding the protocol (default: the tasks' pipeline)")
    parser.add_argument("--strategies", nargs="+", choices=list(STRATEGIES), default=list(STRATEGIES))
    parser.add_argument("--data-root")
    parser.add_argument("--no-verify-checksums", action="store_true", help="read a re-packed CIFAR archive")
    parser.add_argument("--epochs-scale", type=float)
    parser.add_argument("--epochs", type=int, help="finetune epochs per task (finetune.epochs)")
    parser.add_argument("--post-prune-epochs", type=int, help="PackNet's epochs after pruning (prune.one_shot_epochs)")
    parser.add_argument("--prune", type=float, help="PackNet's prune proportion per task (prune.one_shot_ratio)")
    parser.add_argument("--lr", type=float, help="finetune.lr")
    parser.add_argument("--prune-lr", type=float, help="the rate after pruning (prune.lr)")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--momentum", type=float)
    parser.add_argument("--weight-decay", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--arch")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", default="checkpoints/peers", help="results go to OUT/<tasks>/<run>/results.json")
    parser.add_argument("--cpg", action="store_true", help="also run cpg's strategy with the same settings, in OUT/<tasks>")
    return parser.parse_args()


def config_flags(args: argparse.Namespace) -> dict:
    """The command line as a layer of cpg settings."""
    flags: dict = {}
    nested = {"epochs": ("finetune", "epochs"), "lr": ("finetune", "lr"), "post_prune_epochs": ("prune", "one_shot_epochs"),
              "prune_lr": ("prune", "lr")}
    for name, (section, key) in nested.items():
        if getattr(args, name) is not None:
            flags.setdefault(section, {})[key] = getattr(args, name)
    if args.prune is not None:
        flags.setdefault("prune", {})["one_shot_ratio"] = args.prune
    for name in ("batch_size", "momentum", "weight_decay", "seed", "arch", "epochs_scale", "data_root"):
        if getattr(args, name) is not None:
            flags[name] = getattr(args, name)
    if args.options:
        try:
            flags["benchmark_options"] = json.loads(args.options)
        except ValueError as error:
            raise UserError(f"--options: not JSON ({error})") from None
    if args.no_verify_checksums:
        flags["verify_checksums"] = False
    return flags


def main() -> None:
    args = arguments()
    if importlib.util.find_spec("avalanche") is None:
        sys.exit(INSTALL)
    try:
        run(args)
    except UserError as error:
        sys.exit(f"error: {error}")


def run(args: argparse.Namespace) -> None:
    """Learn the tasks with each strategy, print its accuracy matrix, write its results, and
    print the `cpg compare` table of them all."""
    with warnings.catch_warnings():  # qpsolvers warns on import that it has no solver; no strategy here uses one
        warnings.simplefilter("ignore")
        import avalanche
        from benchmarks.peers.avalanche_training import learn_sequence
    import torch

    configs = [peer_config(args.tasks, strategy, args.config, config_flags(args)) for strategy in args.strategies]
    first = configs[0]
    benchmark = build_benchmark(args.tasks, data_root=first.data_root, verify_checksums=first.verify_checksums,
                                val_fraction=first.val_fraction, options=first.benchmark_options)
    device = resolve_device(args.device)
    print(benchmark.describe())
    print(f"avalanche-lib {avalanche.__version__}, torch {torch.__version__}, {torch.get_num_threads()} thread(s), {device}")
    files = []
    for strategy, config in zip(args.strategies, configs):
        print(f"{STRATEGIES[strategy]}: {json.dumps(settings_summary(config))}", flush=True)
        matrix, seconds = learn_sequence(config, benchmark, device, lambda line: print(line, flush=True))
        peer = {"library": "avalanche-lib", "version": avalanche.__version__, "mirrors": strategy,
                "torch": torch.__version__, "threads": torch.get_num_threads(), "settings": settings_summary(config)}
        path = Path(args.out) / args.tasks / STRATEGIES[strategy] / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results_document(benchmark.name, STRATEGIES[strategy], config, matrix, seconds, peer),
                                   indent=2) + "\n")
        print(f"accuracy matrix (row t: after task t): {json.dumps([[round(a, 4) for a in row] for row in matrix])}")
        files.append(path)
        if args.cpg:
            files.append(cpg_run(config, benchmark, Path(args.out) / args.tasks))
    print()
    print(comparison_markdown(*comparison_rows(files)))
    print()
    print("written:", *files)


if __name__ == "__main__":
    main()
