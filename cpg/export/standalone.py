"""Writing a model as a standalone program: it loads and runs with torch alone, without cpg.

    module = torch.export.load("module.pt2").module()
    predictions = module(images).argmax(1)
"""

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.export import Dim

from cpg.errors import UserError


def save_standalone(model: nn.Module, example: Tensor, path: str | Path,
                    extra_files: Mapping[str, str] | None = None) -> Path:
    """Export `model` in evaluation mode with `torch.export` (any batch size, the example's
    image shape) and save it to `path`, with `extra_files` (name: text) beside the program
    (`torch.export.load(path, extra_files={name: ""})` reads them back); returns the path written."""
    path = Path(path)
    was_training = model.training
    model.eval()
    try:
        program = torch.export.export(model, (example,), dynamic_shapes=({0: Dim("batch", min=1)},))
    finally:
        model.train(was_training)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.export.save(program, path, extra_files=dict(extra_files or {}))
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror or error}") from None
    return path
