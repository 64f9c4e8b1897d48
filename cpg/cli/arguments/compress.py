"""Arguments of `cpg compress`."""

import argparse

from cpg.config.compress import MODES, CompressConfig
from cpg.registry import METRICS


def add_compress(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compress", help="prune whole channels of a trained model, fine-tune it and save it "
                                   "as a standalone model")
    parser.add_argument("classifier", nargs="?", help="a classifier file from `cpg train` (or give --run and --task)")
    parser.add_argument("--run", metavar="DIR", help="a CPG run folder, to compress one of its tasks")
    parser.add_argument("--task", type=int, metavar="K", help="the committed task of --run to compress")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the compressed model (.pt2); load it "
                        "with torch.export.load(FILE).module()")
    parser.add_argument("--config", metavar="FILE", help="recipe YAML, e.g. pipelines/compress-digits-resnet20.yaml")
    parser.add_argument("--metric", help=f"channel score: {', '.join(METRICS)} (default {CompressConfig.metric})")
    parser.add_argument("--mode", help=f"how channels are chosen: {', '.join(MODES)} (default global)")
    parser.add_argument("--ratio", type=float, help="share of the channels to remove, between 0 and 1")
    parser.add_argument("--flops", type=float, help="or: share of the FLOPs to keep, between 0 and 1")
    parser.add_argument("--layer-ratios", metavar="FILE", help="YAML mapping of layer names to the share of their "
                        "channels to remove (mode ratios)")
    parser.add_argument("--calibration-images", type=int, help="training images the taylor and doctor metrics read (256)")
    parser.add_argument("--epochs", type=int, help="fine-tuning epochs after pruning (default 10; 0: none)")
    parser.add_argument("--lr", type=float, help="initial fine-tuning learning rate, cosine-annealed (default 0.01)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--device", help="device to score and fine-tune on (latency is measured on the CPU)")
    parser.add_argument("--data-root", help="folder holding the datasets")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler="cpg.cli.compress:run_compress")
