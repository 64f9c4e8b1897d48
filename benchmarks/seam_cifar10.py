"""SeaM on CIFAR-10 (the paper's binary setting): every one-vs-rest target of a classifier
trained on all ten classes, with distillation from the source off (SeaM as published) and on
(an option beyond SeaM), under the CPU protocol of pipelines/cpu/seam-resnet20-cifar10.yaml.

Prints, per setting and class: retained weight ratio, source and module accuracy on the
target's test split (the source's prediction collapsed to the target labels) and its number of
images, FLOPs ratio (module's nonzero weights ÷ dense source), CPU latency ratio (slimmed module
÷ source, same batch), the selected epoch and the time the class took; then both settings side
by side. `on` takes the config's `distill` settings with weight --distill-weight (0.3, as
seam_digits.py); the flags below override them.

Resumable: each finished class is written to RESULTS/<setting>-<digest>/<class>.json (the digest
names the source file and the settings), and the class in progress keeps its epochs in a work
folder under checkpoints/work/; the same command run again after a kill skips the finished
classes and resumes the unfinished one where it was saved.

    OMP_NUM_THREADS=1 python benchmarks/seam_cifar10.py --data-root ./data [--no-verify-checksums]
        [--classifier checkpoints/classifiers/cifar10-resnet20.pt]
        [--config pipelines/cpu/seam-resnet20-cifar10.yaml] [--classes airplane,cat,… or 0,3,…]
        [--settings off,on] [--distill-weight B] [--distill-temperature T]
        [--distill-left-out | --no-distill-left-out] [--results checkpoints/seam-cifar10]
"""

import argparse
import dataclasses
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from script import run
from seam_table import Row, add_setting_flags, compared_settings, describe, header, line, reengineer_class, side_by_side

from cpg.config.seam import SeamConfig
from cpg.engine.work_folder import WorkFolder, file_identity
from cpg.seam import binary_problem
from cpg.seam.target import resolve_class
from cpg.source import Source, source_from_classifier


def class_names(source: Source, text: str | None) -> list[str]:
    """The classes of --classes (names or indices), all of the source's by default."""
    if text is None:
        return list(source.classes)
    return [source.classes[resolve_class(source.classes, token.strip())] for token in text.split(",")]


def run_setting(label: str, source: Source, config: SeamConfig, classes: list[str], classifier: str,
                root: Path) -> list[Row]:
    identity = {"classifier": file_identity(classifier), "config": dataclasses.asdict(config)}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:12]
    folder = root / f"{label}-{digest}"
    print(f"\n{describe(label, config)} -> {folder}")
    print(header())
    rows = []
    for name in classes:
        row, note = class_result(source, name, config, folder / f"{name}.json", identity)
        print(line(row, note), flush=True)
        rows.append(row)
    return rows


def class_result(source: Source, name: str, config: SeamConfig, path: Path,
                 identity: dict[str, Any]) -> tuple[Row, str]:
    """The row of class `name` and a note on it: read from `path` when an earlier invocation
    finished the class, else re-engineered (resuming its work folder) and written there."""
    if path.is_file():
        return Row(**json.loads(path.read_text())["row"]), " (done earlier)"
    work = WorkFolder.for_command("seam-cifar10", {**identity, "class": name}, save_every_seconds=config.save_every_seconds)
    resumed = work.started
    _, outcome, row = reengineer_class(source, name, config, lambda module: work.store("reengineering", module))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"row": dataclasses.asdict(row), "resumed": resumed, "report": outcome.report},
                                  indent=2))
    partial.replace(path)
    work.remove()
    return row, " (resumed; the time of this invocation)" if resumed else ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classifier", default="checkpoints/classifiers/cifar10-resnet20.pt",
                        help="source: a classifier of all ten CIFAR-10 classes from `cpg train`")
    parser.add_argument("--data-root", default="data", help="the folder holding cifar-10-batches-py")
    parser.add_argument("--no-verify-checksums", dest="verify_checksums", action="store_false",
                        help="accept a re-packed archive")
    parser.add_argument("--classes", help="comma-separated names or indices (default: all ten)")
    parser.add_argument("--results", default="checkpoints/seam-cifar10", help="where finished classes are kept")
    add_setting_flags(parser, "pipelines/cpu/seam-resnet20-cifar10.yaml")
    args = parser.parse_args(argv)
    configs = compared_settings(args, data_root=args.data_root, verify_checksums=args.verify_checksums)
    base = next(iter(configs.values()))
    source = source_from_classifier(args.classifier, base)
    classes = class_names(source, args.classes)
    print(f"source {source.description}; {args.config}: alpha {base.alpha}, mask lr {base.mask_lr}, "
          f"head lr {base.head_lr}, {base.epochs} epochs, batch {base.batch_size}, selection on {base.select_on}")
    print(f"target data, e.g. {binary_problem(source.task, classes[0], base.target_train_per_class).describe_data()}")
    started = time.perf_counter()
    results = {label: run_setting(label, source, config, classes, args.classifier, Path(args.results))
               for label, config in configs.items()}
    side_by_side(results)
    print(f"({time.perf_counter() - started:.0f} s in this invocation)")


if __name__ == "__main__":
    sys.exit(run(main))
