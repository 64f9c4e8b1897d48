"""Arguments of `cpg export`."""

import argparse

FORMATS = ("export", "torchscript")
"""The formats `cpg.export.task.save_model` writes."""


def add_export(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="save one task as a standalone model that loads without cpg")
    parser.add_argument("run", help="the run folder, e.g. checkpoints/digits-5-small_cnn-cpg-w1.5-s0")
    parser.add_argument("--task", type=int, required=True, metavar="K", help="the committed task to export")
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="file to write (a .pt2 file for --format export)")
    parser.add_argument("--format", choices=FORMATS, default="export",
                        help="torch.export program (default) or TorchScript (deprecated by PyTorch)")
    parser.add_argument("--fuse-bn", action="store_true", help="fold BatchNorm into the convolution before it")
    parser.add_argument("--data-root", help="folder holding the datasets (default: the run's)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler="cpg.cli.export:run_export")
