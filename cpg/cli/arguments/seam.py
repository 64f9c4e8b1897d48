"""Arguments of `cpg seam` and `cpg seam finetune`."""

import argparse
from typing import Any

from cpg.registry import ARCHS
from cpg.cli.parser import OneLineParser


def add_seam(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("seam", help="re-engineer a trained classifier into a small module for a target problem (SeaM)")
    _add_shared(parser, None)
    parser.add_argument("-o", "--output", metavar="FILE", help="write the slimmed module as a standalone torch.export program (.pt2); "
                        "it takes images normalised by the report's input mean and std")
    parser.set_defaults(handler="cpg.cli.seam:seam", output=None)
    commands = parser.add_subparsers(dest="seam_command", parser_class=OneLineParser)
    finetune = commands.add_parser("finetune", help="fine-tune the module and the whole source on the target; compare inherited defects")
    _add_shared(finetune, argparse.SUPPRESS)
    finetune.add_argument("--finetune-epochs", type=int)
    finetune.add_argument("--finetune-lr", type=float, help="SGD lr of the hidden layers")
    finetune.add_argument("--finetune-head-lr", type=float, help="SGD lr of the output layer")
    finetune.add_argument("--eps", type=float, help="L∞ bound of the attack, raw pixel units")
    finetune.add_argument("--attack-steps", type=int)
    finetune.add_argument("--attack-step-size", type=float)
    finetune.set_defaults(handler="cpg.cli.seam:seam_finetune")


def _add_shared(parser: argparse.ArgumentParser, default: Any) -> None:
    """Flags of both commands; the sub-command's copies default to SUPPRESS so that they never
    overwrite what was given before the word `finetune`."""
    def add(*names: str, **kwargs: Any) -> None:
        kwargs.setdefault("default", default)
        parser.add_argument(*names, **kwargs)

    add("--classifier", metavar="FILE", help="source: a classifier file from `cpg train`")
    add("--state-dict", metavar="FILE", help="source: your own state_dict of a registered arch (with --arch, --dataset)")
    add("--arch", help=f"architecture of --state-dict: {', '.join(ARCHS)}")
    add("--dataset", help="data of --state-dict: BENCHMARK or BENCHMARK:K (cifar100-20 alone: all 100 classes)")
    add("--width", type=float, help="width multiplier of --state-dict (default 1)")
    add("--run", metavar="DIR", help="source: a CPG run folder (with --task)")
    add("--task", type=int, help="task of --run (1-based)")
    add("--target-class", metavar="C", help="target: class C against the rest (name or index)")
    add("--target-classes", metavar="A,B,…", help="target: these classes of the source")
    add("--superclass", metavar="NAME", help="target: a CIFAR-100 superclass")
    add("--config", metavar="FILE", help="pipeline YAML, e.g. pipelines/seam-digits.yaml")
    add("--alpha", type=float, help="weight of the retained-weight ratio in the loss (≥ 0)")
    add("--mask-lr", type=float)
    add("--head-lr", type=float)
    add("--epochs", type=int)
    add("--batch-size", type=int)
    add("--patience", type=int, help="stop after this many epochs without a better selected epoch (0: never)")
    add("--select-on", choices=("val", "test"), help="split of the best-epoch rule (test reproduces the paper)")
    add("--target-train-per-class", type=int, metavar="N",
        help="at most N training images per target class (stratified, fixed seed; val and test stay whole)")
    add("--distill-weight", type=float, metavar="B", help="beyond SeaM: weight of distillation from the source (0: off, SeaM)")
    add("--distill-temperature", type=float, metavar="T", help="temperature of the distillation")
    add("--distill-left-out", action="store_true", help="also distil on the training images the target's sample left out "
        "(balancing one vs rest, or --target-train-per-class)")
    add("--seed", type=int)
    add("--device")
    add("--data-root")
    add("--download", action="store_true", help="download missing CIFAR data")
    add("--no-verify-checksums", dest="verify_checksums", action="store_false")
    add("--json", action="store_true", help="print the report as JSON")
    add("--quiet", action="store_true", help="no progress bar")
