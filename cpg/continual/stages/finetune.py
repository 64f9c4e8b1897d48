"""FINETUNE: the task starts (it claims the free weights, or takes the backbone) and trains
them with its picking mask; then DOCTOR, or the goal check decides between growing, committing
and pruning (`Strategy.after_training`)."""

from cpg import optim
from cpg.continual.session import TaskSession
from cpg.continual.strategy import STAGES, Strategy
from cpg.continual.task_loop import task_loop
from cpg.engine import EpochRecord, LoopHook


@STAGES.register("finetune")
class FinetuneStage:
    def run(self, session: TaskSession, strategy: Strategy) -> str:
        network = session.network
        if not network.tasks or network.tasks[-1].committed:
            strategy.network.start_task(session)
            for plugin in strategy.plugins:
                plugin.task_started(session)
        settings, progress = session.config.finetune, session.progress
        mask_steps = settings.mask_lr_steps
        if progress.claimed_total == 0:  # picking only: the mask is all the task learns, so it never stops
            mask_steps = {epoch: factor for epoch, factor in mask_steps.items() if factor > 0}
        optimizers = strategy.network.optimizers(session, settings.lr, settings.mask_lr)
        attempt = progress.attempts
        schedules = [optim.stepped(settings.lr_steps), optim.stepped(mask_steps)][:len(optimizers)]
        with session.reporter.stage(session.task, session.title(f"finetune (width {network.width:g})"), "finetune",
                                    settings.epochs, session.state.epoch) as report:
            task_loop(session, strategy, "finetune", (attempt,), settings.epochs, optimizers, report,
                      lambda epoch: optim.stepped_lr(settings.mask_lr, mask_steps, epoch), schedules=schedules,
                      selects=True, hooks=[TrainedAccuracies(session)], report_offset=attempt * settings.epochs).run()
        return "doctor" if session.config.doctor.enabled else strategy.after_training(session)


class TrainedAccuracies(LoopHook):
    """Keeps the last epoch's training and selection accuracy for the goal check."""

    def __init__(self, session: TaskSession) -> None:
        self.session = session

    def after_epoch(self, record: EpochRecord) -> dict[str, float]:
        self.session.progress.finetune_train_accuracy = record.stats.accuracy
        self.session.progress.finetune_val_accuracy = record.selection or 0.0
        return {}
