"""Independent training: one plain network per task. It produces the goal accuracies CPG must
reach (`cpg baseline`) and is the upper-bound strategy of the comparison."""

import torch

from cpg import optim
from cpg.config import RunConfig
from cpg.data import Benchmark
from cpg.engine import evaluate, train_epoch
from cpg.models import build_model
from cpg.algorithms.task_data import TaskData
from cpg.report import Reporter
from cpg.seeding import derive_seed


def train_task_alone(config: RunConfig, benchmark: Benchmark, index: int, reporter: Reporter,
                     device: torch.device) -> tuple[torch.nn.Module, dict[str, float]]:
    """Train a fresh network at width 1.0 on task `index` (0-based) with the FINETUNE schedule;
    returns it and its final val and test accuracies."""
    task = benchmark.tasks[index]
    data = TaskData(task, config.batch_size, config.eval_batch_size, config.seed, config.select_on)
    torch.manual_seed(derive_seed(config.seed, "independent", index))
    model = build_model(config.arch, task.num_classes, benchmark.input_shape).to(device)
    settings = config.finetune
    optimizer = optim.sgd(model.parameters(), settings.lr, config.momentum, weight_decay=config.weight_decay)
    title = f"task {index + 1}/{len(benchmark.tasks)} {task.name} · alone"
    with reporter.stage(index + 1, title, "independent", settings.epochs) as report:
        for epoch in range(settings.epochs):
            optim.set_lr(optimizer, optim.stepped_lr(settings.lr, settings.lr_steps, epoch))
            torch.manual_seed(derive_seed(config.seed, "independent-step", index, epoch))
            stats = train_epoch(model, data.train_batches("independent", index, epoch), [optimizer], device)
            report.epoch(epoch, {"loss": stats.loss, "train_acc": stats.accuracy})
    accuracies = {split: evaluate(model, data.eval_batches(split), device).accuracy for split in ("val", "test")}
    return model, accuracies
