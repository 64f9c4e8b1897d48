"""One task of a `TaskNetwork` as a deployable plain model: its effective weights at its own
width (`task_model`), the output channels it does not use removed (`exact_keep` + `slim`),
optionally BatchNorm folded into the convolutions, saved so that torch alone loads it.

    exported = export_task(network, task=2, input_shape=(3, 32, 32), fuse_bn=True)
    save_model(exported.model, exported.example, "task2.pt2", "export")
    check_logits(engine, load_model("task2.pt2", "export"), test_batches)
"""

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from cpg.errors import UserError
from cpg.export.cost import count_flops
from cpg.export.fuse import fuse_batchnorm
from cpg.export.slim import slim
from cpg.export.standalone import save_standalone
from cpg.export.unused import exact_keep
from cpg.nn import TaskNetwork, task_model

FORMATS = ("export", "torchscript")
RTOL, ATOL = 1e-4, 1e-5
"""How close the exported model's logits must be to the engine's (BatchNorm folding rounds)."""


@dataclass(frozen=True)
class Cost:
    parameters: int
    flops: int  # per image, torch.utils.flop_counter's count
    channels: int  # output channels of the conv layers and units of the hidden linear layers


@dataclass(frozen=True)
class TaskExport:
    model: nn.Module  # evaluation mode, on the CPU
    example: Tensor  # an input batch of the task's shape
    task_width: Cost  # the plain model of the task at its own width, before slimming
    exported: Cost


def export_task(network: TaskNetwork, task: int, input_shape: tuple[int, ...], fuse_bn: bool = False) -> TaskExport:
    """The plain, slimmed (and optionally BN-folded) model of committed task `task`."""
    full = task_model(network, task).cpu().eval()
    model = slim(full, exact_keep(full, input_shape))
    if fuse_bn:
        model = fuse_batchnorm(model)
    model.eval().requires_grad_(False)
    example = torch.zeros(2, *input_shape)  # a batch of one would be specialised by torch.export
    return TaskExport(model, example, _cost(full, example), _cost(model, example))


def _cost(model: nn.Module, example: Tensor) -> Cost:
    layers = [module for module in model.modules() if isinstance(module, (nn.Conv2d, nn.Linear))]
    channels = sum(layer.out_channels if isinstance(layer, nn.Conv2d) else layer.out_features for layer in layers[:-1])
    return Cost(sum(p.numel() for p in model.parameters()), count_flops(model, example) // len(example), channels)


def save_model(model: nn.Module, example: Tensor, path: str | Path, format: str,
               extra_files: Mapping[str, str] | None = None) -> Path:
    """Save as a `torch.export` program (`torch.export.load(path).module()`) or as TorchScript
    (`torch.jit.load(path)`), with `extra_files` (name: text) stored beside the model; either
    loads with torch alone."""
    if format == "export":
        return save_standalone(model, example, path, extra_files)
    if format != "torchscript":
        raise UserError(f"unknown export format {format!r}; choose one of: {', '.join(FORMATS)}")
    path = Path(path)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.", category=FutureWarning)
        traced = torch.jit.trace(model.eval(), example)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.jit.save(traced, str(path), _extra_files=dict(extra_files or {}))
        except (OSError, RuntimeError) as error:
            raise UserError(f"cannot write {path}: {error}") from None
    return path


def load_model(path: str | Path, format: str) -> Callable[[Tensor], Tensor]:
    """The callable model saved by `save_model`."""
    if format == "export":
        return torch.export.load(str(path)).module()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.", category=FutureWarning)
        return torch.jit.load(str(path))


@torch.no_grad()
def check_logits(engine: Callable[[Tensor], Tensor], exported: Callable[[Tensor], Tensor],
                 batches: Iterable[tuple[Tensor, Tensor]]) -> tuple[float, int]:
    """Largest absolute logit difference and number of images compared; raises when the
    exported model's logits are not `allclose` to the engine's (a bug, not a user error)."""
    largest, images = 0.0, 0
    for inputs, _ in batches:
        expected, actual = engine(inputs), exported(inputs)
        if expected.shape != actual.shape or not torch.allclose(actual, expected, rtol=RTOL, atol=ATOL):
            raise RuntimeError(f"the exported model's logits differ from the engine's on batch at image {images}")
        largest = max(largest, float((actual - expected).abs().max()))
        images += len(inputs)
    return largest, images
