"""Arguments of `cpg doctor diagnose` and `cpg doctor treat`."""

import argparse

from cpg.config.doctor import SIGNALS


def add_doctor(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="Model Doctor: diagnose and treat a trained classifier")
    actions = parser.add_subparsers(dest="doctor_command", required=True, parser_class=type(parser))
    diagnose_parser = actions.add_parser("diagnose", help="find the channels each class relies on")
    _data_flags(diagnose_parser)
    _diagnosis_flags(diagnose_parser)
    diagnose_parser.add_argument("-o", "--output", help="diagnosis file (default: <classifier>-diagnosis.pt)")
    diagnose_parser.add_argument("--plot", nargs="?", const="", metavar="PNG",
                                 help="also write a class × channel heatmap (default: <diagnosis>.png)")
    diagnose_parser.set_defaults(handler="cpg.cli.doctor:run_diagnose")
    treat_parser = actions.add_parser("treat", help="fine-tune with the channel loss, keep the best epoch")
    _data_flags(treat_parser)
    _diagnosis_flags(treat_parser)
    treat_parser.add_argument("--diagnosis", help="diagnosis file to treat with (default: diagnose first)")
    treat_parser.add_argument("--alpha", type=float, help="weight of the channel loss (default: the pipeline's, else 10)")
    treat_parser.add_argument("--epochs", type=int, help="treatment epochs (default: the pipeline's, else 20)")
    treat_parser.add_argument("--lr", type=float, help="initial SGD learning rate, cosine-annealed (default: the pipeline's, else 0.01)")
    treat_parser.add_argument("--focal-gamma", type=float, help="focal loss instead of cross-entropy (γ > 0)")
    treat_parser.add_argument("--balanced-sampling", action="store_true", default=None,
                              help="class-balanced batches (long-tailed data)")
    treat_parser.add_argument("-o", "--output", help="treated classifier (default: <classifier>-treated.pt)")
    treat_parser.set_defaults(handler="cpg.cli.doctor:run_treat")


def _data_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("classifier", help="classifier file written by `cpg train`")
    parser.add_argument("--dataset", help="benchmark of its training data (default: the one it was trained on)")
    parser.add_argument("--task", type=int, help="task of the benchmark (1-based; default: the one it was trained on)")
    parser.add_argument("--imbalance", type=float, help="long-tailed version of the benchmark with this ratio ρ")
    parser.add_argument("--config", help="pipeline YAML: batch sizes, momentum, weight decay and its `doctor:` settings "
                        "(flags override them)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--device")
    parser.add_argument("--data-root")
    parser.add_argument("--download", action="store_true", default=None, help="download missing CIFAR data")
    parser.add_argument("--no-verify-checksums", dest="verify_checksums", action="store_false", default=None,
                        help="accept a re-packed CIFAR archive")
    parser.add_argument("--quiet", action="store_true")


def _diagnosis_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--layer", help="conv or linear layer by module name (default: the last conv)")
    parser.add_argument("--images-per-class", type=int, help="most confident correct training images per class (50)")
    parser.add_argument("--signal", choices=[signal.replace("_", "-") for signal in SIGNALS],
                        help="relevance summed per channel (default gradient: ReLU of the class score's gradient)")
    parser.add_argument("--threshold", type=float, help="normalised relevance a class's channel reaches (0.2)")
