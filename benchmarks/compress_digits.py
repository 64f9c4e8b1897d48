"""Channel compression on digits: ResNet-20 and VGG16-BN (width 0.25) trained on digits-10,
half of all channels removed by one global threshold, fine-tuned briefly, BatchNorm folded.

Prints, per architecture and metric: parameters, FLOPs and channels kept (compressed ÷
unpruned), test accuracy before and after and the difference in points, and the CPU latency of
the compressed model ÷ the unpruned one (both with BatchNorm folded, same batch of test images,
median of interleaved runs). The issue's bar: accuracy within 1 point of the unpruned model.

    python benchmarks/compress_digits.py [--metrics l1,l2,bn,taylor,doctor] [--archs resnet20,vgg16]

Sources are trained first when missing, as `cpg train --dataset digits-10 --arch A [--width W]`
does (checkpoints/classifiers/). Latency uses torch's thread count: set OMP_NUM_THREADS.
"""

import argparse
import time
from pathlib import Path

import torch

from cpg.cli import main as cpg_main
from cpg.compress import compress
from cpg.config import read_yaml
from cpg.config.compress import compress_config
from cpg.report import ConsoleReport, Reporter
from cpg.source import source_from_classifier

CPU = torch.device("cpu")
SOURCES = {"resnet20": 1.0, "vgg16": 0.25}  # arch -> width of the trained model


def source_file(arch: str, width: float) -> Path:
    path = Path(f"checkpoints/classifiers/digits-10-{arch}-w{width:g}.pt")
    if not path.is_file():
        argv = ["train", "--dataset", "digits-10", "--arch", arch, "--width", str(width), "-o", str(path), "--quiet"]
        if cpg_main(argv) != 0:
            raise SystemExit(f"training {arch} failed")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--metrics", default="l1,l2,bn,taylor,doctor")
    parser.add_argument("--archs", default=",".join(SOURCES))
    args = parser.parse_args()
    reporter = Reporter(ConsoleReport(quiet=True))
    print(f"torch threads: {torch.get_num_threads()}")
    print(f"{'arch':<9} {'metric':<7} {'params':>6} {'FLOPs':>6} {'channels':>11} {'acc before':>10} "
          f"{'acc after':>9} {'Δ pt':>6} {'latency ms':>14} {'ratio':>6}  bar")
    started = time.perf_counter()
    for arch in args.archs.split(","):
        recipe = f"pipelines/compress-digits-{arch}.yaml"
        path = source_file(arch, SOURCES[arch])
        for metric in args.metrics.split(","):
            config = compress_config((recipe, read_yaml(recipe)), ("benchmark", {"metric": metric}))
            report = compress(source_from_classifier(path, config), config, reporter, CPU).report
            before, after = report["accuracy"]["before"]["test"] * 100, report["accuracy"]["after"]["test"] * 100
            latency, ratio = report["latency_ms"], report["ratio"]
            channels = f"{report['after']['channels']}/{report['before']['channels']}"
            print(f"{arch:<9} {metric:<7} {ratio['parameters']:6.3f} {ratio['flops']:6.3f} {channels:>11} "
                  f"{before:9.2f}% {after:8.2f}% {after - before:+6.2f} "
                  f"{latency['before']:6.2f}→{latency['after']:5.2f} {latency['ratio']:6.3f}  "
                  f"{'met' if after >= before - 1 else 'MISSED'}", flush=True)
    print(f"({time.perf_counter() - started:.0f} s; recipes pipelines/compress-digits-<arch>.yaml, metric overridden)")


if __name__ == "__main__":
    main()
