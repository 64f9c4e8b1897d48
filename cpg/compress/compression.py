"""Channel compression of one task's model: score the channels with a metric,
choose a subnet (uniform, global or per-layer ratios, to a channel share or a FLOPs budget),
slim it, fine-tune briefly, fold BatchNorm, and measure it against the model it came from.
The command around it is cpg/workflows/compress.py (docs/architecture.md)."""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn

from cpg.compress.cost import cost
from cpg.compress.recovery import recover
from cpg.config.compress import CompressConfig
from cpg.data import make_loader
from cpg.data.batches import TaskData
from cpg.engine import LoopStore, MemoryStore, evaluate
from cpg.export import exact_keep, median_latencies, slim
from cpg.export.fuse import fuse_batchnorm
from cpg.importance import build_metric
from cpg.pruner import ScoredSpace, global_threshold, keep_masks, per_layer, score_spaces, uniform, within_flops
from cpg.report import Reporter
from cpg.source import Source

CPU = torch.device("cpu")


@dataclass
class Compressed:
    model: nn.Module  # pruned, fine-tuned, BatchNorm folded: evaluation mode, on the CPU
    pruned: nn.Module  # the same before folding BatchNorm
    example: Tensor  # test images of the model's input shape, for saving it
    report: dict[str, Any]


def compress(source: Source, config: CompressConfig, reporter: Reporter, device: torch.device,
             store: Callable[[nn.Module], LoopStore] = MemoryStore) -> Compressed:
    """Compress `source` as `config` says; `store(pruned model)` keeps the recovery fine-tuning's
    epochs (default: nothing is saved)."""
    model = source.model.to(device).eval()
    model = slim(model, exact_keep(model, source.input_shape))  # channels a CPG task leaves unused: no output changes
    data = TaskData(source.task, config.batch_size, config.eval_batch_size, config.seed)
    metric = build_metric(config.metric)
    spaces = score_spaces(model, metric, calibration_batches(data, config.calibration_images) if metric.uses_data else [])
    images, _ = next(iter(make_loader(source.task.test, config.latency_batch, shuffle=False)))
    kept = choose_channels(model, spaces, config, images[:1].to(device))
    pruned = slim(model, keep_masks(spaces, kept))
    accuracy = {"before": accuracies(model, data, device), "pruned": accuracies(pruned, data, device)}
    with reporter.stage(1, f"{source.task.name} · fine-tune after pruning", "compress", config.epochs) as stage:
        tuned = recover(pruned, data, config, device, stage, store(pruned))
    reference = fuse_batchnorm(model.cpu()).requires_grad_(False)
    deployed = fuse_batchnorm(pruned.cpu()).requires_grad_(False)
    accuracy["after"] = accuracies(deployed, data, CPU)
    before, after = cost(reference, images[:1]), cost(deployed, images[:1])
    latency = median_latencies([reference, deployed], images, config.latency_repeats)
    report = {
        "source": source.description,
        "task": source.task.name,
        "arch": source.arch,
        "settings": {key: value for key, value in asdict(config).items()
                     if key in ("metric", "mode", "ratio", "flops", "layer_ratios", "calibration_images", "epochs",
                                "lr", "batch_size", "seed")},
        "before": asdict(before),
        "after": asdict(after),
        "ratio": after.ratio(before),
        "latency_ms": {"before": latency[0] * 1e3, "after": latency[1] * 1e3, "ratio": latency[1] / latency[0],
                       "batch": len(images), "repeats": config.latency_repeats, "threads": torch.get_num_threads()},
        "accuracy": accuracy,
        "finetune": {"epochs": config.epochs, "selected_epoch": tuned.selected_epoch, "history": tuned.history},
        "layers": [{"layers": list(space.space.producers), "before": space.size, "after": int(mask.sum())}
                   for space, mask in zip(spaces, kept)],
    }
    return Compressed(deployed, pruned.eval(), images[:2], report)


def choose_channels(model: nn.Module, spaces: list[ScoredSpace], config: CompressConfig, image: Tensor) -> list[Tensor]:
    """The keep mask of every space, as `config` asks (`image`: one input, for FLOPs)."""
    if config.mode == "ratios":
        return per_layer(spaces, config.layer_ratios)
    choose = partial(uniform if config.mode == "uniform" else global_threshold, spaces)
    if config.flops is not None:
        return within_flops(model, spaces, choose, config.flops, image)[1]
    return choose(config.ratio)


def calibration_batches(data: TaskData, images: int) -> list[tuple[Tensor, Tensor]]:
    """The first `images` training images in an order fixed by the seed, in training batches."""
    batches, count = [], 0
    for inputs, targets in data.train_batches("compress", "calibration"):
        take = min(len(inputs), images - count)
        batches.append((inputs[:take], targets[:take]))
        count += take
        if count == images:
            break
    return batches


def accuracies(model: nn.Module, data: TaskData, device: torch.device) -> dict[str, float]:
    return {split: evaluate(model, data.eval_batches(split), device).accuracy for split in ("val", "test")}
