"""GROW: start the task over from how it found the network, with more width."""

import torch

from cpg.continual.session import TaskSession
from cpg.continual.strategy import STAGES, Strategy
from cpg.seeding import derive_seed


@STAGES.register("grow")
class GrowStage:
    def run(self, session: TaskSession, strategy: Strategy) -> str:
        config, network = session.config, session.network
        width = min(network.width + config.width_step, config.max_width)
        missed = session.progress.decisions[-1]["goal"]
        session.reporter.message(
            f"task {session.task}: {session.goal_text()} missed ({config.select_on} {missed['measured']:.4f} < "
            f"{missed['threshold']:.4f} allowed); growing to width {width:g}"
        )
        wider = session.rebuild_network(session.load_snapshot("task_start"))
        torch.manual_seed(derive_seed(config.seed, "grow", session.task, width))
        wider.grow(width)
        session.replace_network(wider)
        session.progress.attempts += 1
        return "finetune"
