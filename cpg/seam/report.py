"""The report of a re-engineering run: size, accuracy and inference cost, module vs source."""

import copy
import dataclasses
from typing import Any

import torch
from torch import nn

from cpg.config.seam import SeamConfig
from cpg.data import make_loader
from cpg.engine import evaluate
from cpg.export import count_flops, median_latencies
from cpg.seam.reengineering import Reengineered
from cpg.seam.target import TargetProblem
from cpg.source import Source


def seam_report(source: Source, problem: TargetProblem, result: Reengineered, standalone: nn.Module,
                config: SeamConfig, device: torch.device) -> dict[str, Any]:
    """Retained ratio, accuracies on the target's test split (and on the selection split),
    FLOPs per image (module: nonzero weights of the slimmed module, head included) and CPU
    latency of the slimmed module vs the source on the same batch of test images."""
    module_accuracy = {
        split: evaluate(result.module, make_loader(problem.split(split), config.eval_batch_size, shuffle=False),
                        device).accuracy
        for split in result.source_accuracy
    }
    images, _ = next(iter(make_loader(problem.test, config.latency_batch, shuffle=False)))
    source_cpu = copy.deepcopy(source.model).cpu().eval()
    module_cpu = copy.deepcopy(standalone).cpu().eval()
    source_flops = count_flops(source_cpu, images[:1])
    module_flops = count_flops(module_cpu, images[:1], nonzero_weights=True)
    source_time, module_time = median_latencies([source_cpu, module_cpu], images, config.latency_repeats)
    kept = round(result.selected.retained * result.module.total)
    return {
        "source": source.description,
        "target": {"problem": problem.name, "classes": list(problem.classes),
                   "examples": {split: len(problem.split(split)) for split in ("train", "val", "test")},
                   "training_sample": dataclasses.asdict(problem.sample), "data": problem.describe_data()},
        "settings": {"alpha": config.alpha, "mask_lr": config.mask_lr, "head_lr": config.head_lr,
                     "epochs": config.epochs, "batch_size": config.batch_size, "seed": config.seed,
                     "select_on": config.select_on, "target_train_per_class": config.target_train_per_class,
                     "distill": dataclasses.asdict(config.distill)},
        "selected_epoch": result.selected.epoch,
        "epochs_run": len(result.history),
        "reached_source_accuracy": result.qualified,
        "retained_ratio": result.selected.retained,
        "weights": {"source": result.module.total, "module": kept},
        "accuracy": {"source": result.source_accuracy, "module": module_accuracy},
        "flops_per_image": {"source": source_flops, "module": module_flops,
                            "ratio": module_flops / max(source_flops, 1)},
        "latency_ms": {"source": source_time * 1e3, "module": module_time * 1e3, "ratio": module_time / source_time,
                       "batch": len(images), "repeats": config.latency_repeats},
        "module_parameters": sum(parameter.numel() for parameter in standalone.parameters()),
        "input": {"shape": list(source.input_shape), "mean": problem.test.mean.tolist(), "std": problem.test.std.tolist()},
    }
