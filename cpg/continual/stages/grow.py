"""GROW: start the task over from how it found the network, with more width."""

import torch

from cpg.continual.machine import MachineBase
from cpg.continual.state import Stage
from cpg.seeding import derive_seed


class GrowStage(MachineBase):
    def _grow(self) -> Stage:
        """Start the task over from how it found the network, with more width."""
        width = min(self.network.width + self.config.width_step, self.config.max_width)
        look = self.progress.decisions[-1]["goal"]
        self.context.reporter.message(
            f"task {self.task}: {self._goal_text()} missed ({self.config.select_on} {look['measured']:.4f} < "
            f"{look['threshold']:.4f} allowed); growing to width {width:g}"
        )
        self.network = self.context.rebuild_network(self.context.load_snapshot("task_start"))
        torch.manual_seed(derive_seed(self.config.seed, "grow", self.task, width))
        self.network.grow(width)
        self.progress.attempts += 1
        return Stage.FINETUNE
