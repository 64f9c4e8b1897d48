"""A task's goal: the accuracy it must reach, on which split and how many images, and which of
those images the goal network classified correctly (what a paired comparison needs)."""

import base64
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor

from cpg.nn.bits import pack_bits, unpack_bits


def pack_correct(correct: Tensor) -> str:
    """A boolean vector as text: its bits, base64 (250 images take 44 characters)."""
    return base64.b64encode(pack_bits(correct.bool()).numpy().tobytes()).decode("ascii")


def unpack_correct(text: str, images: int) -> Tensor:
    """Inverse of `pack_correct` for a vector of `images` entries."""
    packed = torch.frombuffer(bytearray(base64.b64decode(text.encode("ascii"), validate=True)), dtype=torch.uint8)
    return unpack_bits(packed, (images,))


@dataclass(frozen=True)
class Goal:
    """An accuracy on `split` measured on `images` images (None: a number given by the user,
    exact); `correct` says which of them the goal network got right (`pack_correct`), when known."""

    accuracy: float
    images: int | None
    split: str  # "val", "test", or "given"
    correct: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def correct_vector(self) -> Tensor | None:
        if self.correct is None or self.images is None:
            return None
        return unpack_correct(self.correct, self.images)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | float | None) -> "Goal | None":
        """A saved goal; a bare number (runs saved before goals carried their split) is given."""
        if data is None:
            return None
        if isinstance(data, (int, float)):
            return cls(float(data), None, "given")
        return cls(**data)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], split: str) -> "Goal":
        """The goal a row of measured accuracies (see `cpg.goals.files.write_goals`) sets for `split`."""
        correct = row.get(f"{split}_correct")
        return cls(float(row[split]), int(row[f"{split}_images"]), split, str(correct) if correct else None)
