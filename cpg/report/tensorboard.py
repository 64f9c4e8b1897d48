"""TensorBoard scalars, grouped by task and stage: `task03/finetune/loss`."""

from pathlib import Path

from torch.utils.tensorboard import SummaryWriter


class TensorBoardLog:
    def __init__(self, log_dir: str | Path) -> None:
        self.writer = SummaryWriter(log_dir=str(log_dir))

    def scalars(self, task: int, stage: str, step: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            self.writer.add_scalar(f"task{task:02d}/{stage}/{name}", value, step)

    def run_scalars(self, step: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            self.writer.add_scalar(f"run/{name}", value, step)

    def text(self, tag: str, text: str, step: int = 0) -> None:
        self.writer.add_text(tag, text, step)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
