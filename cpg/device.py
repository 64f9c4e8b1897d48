"""The device a command computes on: `auto` (the default: CUDA when available, else the CPU),
or any device name torch knows (cpu, cuda, cuda:1 …)."""

import torch

from cpg.errors import UserError

AUTO = "auto"


def resolve_device(name: str, local_rank: int | None = None) -> torch.device:
    """The device `name` means; with `local_rank` (multi-process), plain "cuda" is this rank's GPU."""
    if name == AUTO:
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"unknown device {name!r} (examples: {AUTO}, cpu, cuda, cuda:1)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device {name!r} requested but CUDA is not available on this machine")
    if device.type == "cuda" and device.index is None and local_rank is not None:
        device = torch.device("cuda", local_rank)
    return device


def device_line(name: str, device: torch.device) -> str:
    """What the console says about the device a command computes on."""
    if name != AUTO:
        return f"device: {device}"
    return f"device: {device} ({AUTO}: {'CUDA is available' if device.type == 'cuda' else 'no CUDA device'})"
