"""TensorBoard scalars and images, grouped by task and stage (`task03/finetune/loss`,
`task03/commit/ownership`), and the run's hyperparameters."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams


class TensorBoardLog:
    def __init__(self, log_dir: str | Path) -> None:
        self.writer = SummaryWriter(log_dir=str(log_dir))

    def scalars(self, task: int, stage: str, step: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            self.writer.add_scalar(f"task{task:02d}/{stage}/{name}", value, step)

    def run_scalars(self, step: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            self.writer.add_scalar(f"run/{name}", value, step)

    def image(self, task: int, stage: str, name: str, image: Image.Image, step: int = 0) -> None:
        self.writer.add_image(f"task{task:02d}/{stage}/{name}", np.asarray(image.convert("RGB")), step,
                              dataformats="HWC")

    def hparams(self, settings: Mapping[str, Any], metrics: Mapping[str, float]) -> None:
        """The run's settings (nested mappings flattened to `finetune.lr`…) and its final
        metrics (also logged as scalars `hparams/<name>`), in this run's own event file so the
        HParams dashboard lists one row per run folder."""
        values = {key: _hparam_value(value) for key, value in _flatten(settings).items()}
        tags = {f"hparams/{name}": value for name, value in metrics.items()}
        for summary in hparams(values, tags):
            self.writer.file_writer.add_summary(summary)
        for tag, value in tags.items():
            self.writer.add_scalar(tag, value)

    def text(self, tag: str, text: str, step: int = 0) -> None:
        self.writer.add_text(tag, text, step)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def _flatten(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _hparam_value(value: Any) -> bool | int | float | str:
    """TensorBoard takes numbers, booleans and strings; anything else is shown as text."""
    if isinstance(value, (bool, int, float, str)):
        return value
    return "none" if value is None else str(value)
