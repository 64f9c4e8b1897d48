"""`cpg compress` below the command line: the source's channels pruned, fine-tuned (in a work
folder, so a killed command resumes), saved as a standalone program and checked against the
pruned model."""

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cpg.compress import compress
from cpg.config.compress import CompressConfig
from cpg.data import make_loader
from cpg.device import resolve_device
from cpg.engine.work_folder import WorkFolder
from cpg.errors import UserError
from cpg.export import save_standalone
from cpg.export.task import check_logits, load_model
from cpg.report import Reporter
from cpg.workflows.sources import ClassifierFile, RunTask

LOAD_WITH = "torch.export.load(FILE).module()"


@dataclass(frozen=True)
class CompressSettings:
    config: CompressConfig
    source: ClassifierFile | RunTask
    output: Path  # the compressed program (.pt2)


def compress_model(settings: CompressSettings, reporter: Reporter) -> dict[str, Any]:
    """Compress the source as the settings say and write it; returns the report."""
    output, config = settings.output, settings.config
    if output.suffix != ".pt2":
        raise UserError(f"{output}: the compressed model is a torch.export program; name it with .pt2")
    if isinstance(settings.source, ClassifierFile) and settings.source.path.suffix == ".pt2":
        raise UserError(f"{settings.source.path} is an exported program, which cannot be pruned again; compress the "
                        "task of the run it came from, or a classifier file")
    source = settings.source.load(config)
    work = WorkFolder.for_command("compress", {"config": dataclasses.asdict(config), **settings.source.identity(),
                                               "output": str(output.resolve())},
                                  save_every_seconds=config.save_every_seconds, warn=reporter.warning)
    work.announce(reporter.message)
    device = resolve_device(config.device)
    compressed = compress(source, config, reporter, device, store=lambda model: work.store("recovery", model))
    save_standalone(compressed.model, compressed.example, output)
    work.remove()
    test = make_loader(source.task.test, config.eval_batch_size, shuffle=False)
    difference, images = check_logits(compressed.pruned, load_model(output, "export"), test)
    return {**compressed.report, "output": str(output), "test_images_checked": images,
            "max_logit_difference": difference, "load_with": LOAD_WITH}
