"""Arguments of `cpg train`."""

import argparse

from cpg.registry import ARCHS, BENCHMARKS


def add_train(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train a plain classifier on one task and save it")
    parser.add_argument("--dataset", required=True, help=f"benchmark: {', '.join(BENCHMARKS)}")
    parser.add_argument("--task", type=int, default=1, help="which task of the benchmark (1-based, default 1)")
    parser.add_argument("--arch", help=f"architecture: {', '.join(ARCHS)} (default: the pipeline's)")
    parser.add_argument("--width", type=float, default=1.0, help="width multiplier: channels scale by √width (default 1)")
    parser.add_argument("--config", help="pipeline YAML whose finetune schedule is used")
    parser.add_argument("--epochs", type=int, help="training epochs (default: the pipeline's finetune epochs)")
    parser.add_argument("--lr", type=float, help="initial learning rate")
    parser.add_argument("--epochs-scale", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--device")
    parser.add_argument("--data-root")
    parser.add_argument("--download", action="store_true", default=None)
    parser.add_argument("--no-verify-checksums", dest="verify_checksums", action="store_false", default=None)
    parser.add_argument("--imbalance", type=float, help="make the training split long-tailed with ratio ρ ≥ 1")
    parser.add_argument("--balanced-sampling", action="store_true", help="class-balanced batches (long-tailed data)")
    parser.add_argument("--focal-gamma", type=float, default=0.0, help="focal loss with this γ (0: cross-entropy)")
    parser.add_argument("-o", "--output", help="file to write (default: checkpoints/classifiers/<dataset>-<arch>.pt)")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(handler="cpg.cli.train:train", tasks=None, select_on=None)
