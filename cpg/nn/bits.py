"""Packing boolean masks into bits: a committed picking mask costs 1 bit per weight."""

import math

import torch
from torch import Tensor

_SHIFTS = torch.arange(7, -1, -1, dtype=torch.uint8)


def pack_bits(mask: Tensor) -> Tensor:
    """Pack a boolean tensor of any shape into a flat uint8 tensor, 8 entries per byte."""
    flat = mask.reshape(-1).to(torch.uint8)
    padding = (-flat.numel()) % 8
    if padding:
        flat = torch.cat([flat, flat.new_zeros(padding)])
    shifts = _SHIFTS.to(flat.device)
    return (flat.view(-1, 8) << shifts).sum(dim=1, dtype=torch.uint8)


def unpack_bits(packed: Tensor, shape: tuple[int, ...] | torch.Size) -> Tensor:
    """Inverse of `pack_bits`: a boolean tensor of `shape`."""
    count = math.prod(shape)
    if packed.numel() != (count + 7) // 8:
        raise ValueError(f"{packed.numel()} packed bytes cannot hold a mask of shape {tuple(shape)}")
    shifts = _SHIFTS.to(packed.device)
    bits = (packed.unsqueeze(1) >> shifts) & 1
    return bits.reshape(-1)[:count].view(shape).bool()
