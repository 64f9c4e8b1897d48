"""The typed configuration of a run. Defaults are the CPG paper's CIFAR-100 protocol (the
README's "The protocol"); pipeline YAML files and command-line flags override them
(docs/architecture.md: layers)."""

from dataclasses import dataclass, field

from cpg.config.doctor import DoctorConfig
from cpg.config.masks import HatConfig, SupsupConfig
from cpg.config.methods import EWCConfig, LwFConfig, ReplayConfig, SIConfig


@dataclass
class FinetuneConfig:
    """FINETUNE: the task trains the free weights it claimed and its picking mask."""

    epochs: int = 100
    lr: float = 1e-2
    lr_steps: dict[int, float] = field(default_factory=lambda: {50: 0.1, 80: 0.01})
    mask_lr: float = 5e-4
    mask_lr_steps: dict[int, float] = field(default_factory=lambda: {50: 0.2, 70: 0.0})
    start_from: str = "previous"  # finetune strategy: start each task from the "previous" or a "random" earlier task


@dataclass
class PruneConfig:
    """PRUNE: gradual magnitude pruning of the task's own weights, target by target."""

    targets: list[float] = field(default_factory=lambda: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    epochs: int = 20  # per target
    lr: float = 1e-3
    mask_lr: float = 0.0  # the picking mask is retrained after CHOOSE, not while pruning
    update_every: int = 10  # iterations between mask updates
    ramp_epochs: int = 4  # epochs of each target over which the cubic schedule runs
    one_shot_ratio: float = 0.6  # one-shot pruning (PackNet): the sparsity each task is pruned to at once
    one_shot_epochs: int | None = None  # and then trained for; None: half the finetune epochs
    last_task: bool = True  # prune the sequence's last task too (as the paper does), although no task will use what it frees


@dataclass
class RetrainConfig:
    """RETRAIN: the picking mask starts over on the chosen (pruned) weights."""

    epochs: int = 30
    lr: float = 1e-3
    mask_lr: float = 1e-4
    patience: int = 5  # epochs without improvement before stopping


@dataclass
class GoalConfig:
    """When a task counts as learned well enough (the rules: cpg/continual/decisions.py)."""

    train_accuracy: float = 0.95  # pruning steps must keep this training accuracy (or the task's own before pruning, if lower)
    allowed_loss: float = 0.0  # selection accuracy may fall this far below the goal
    standard_errors: float = 1.0  # and this many standard errors of the two accuracies' difference
    value: float | None = None  # one goal for every task (--goal); None: from the goal file
    file: str | None = None  # the goal file; None: the file of this run's protocol, or <directory>/<tasks>-<arch>.json
    directory: str = "baselines"  # where goal files are looked up and measured goals are written


@dataclass
class RunConfig:
    tasks: str = "digits-5"  # the benchmark
    benchmark_options: dict = field(default_factory=dict)
    arch: str = "small_cnn"
    strategy: str = "cpg"
    max_width: float = 1.5
    width_step: float = 0.5
    seed: int = 0
    device: str = "auto"  # CUDA when available, else the CPU (cpg.device)
    data_root: str = "data"
    download: bool = False
    verify_checksums: bool = True
    val_fraction: float = 0.1
    select_on: str = "val"  # "val", or "test" to reproduce the paper's selection
    batch_size: int = 32
    eval_batch_size: int = 256
    epochs_scale: float = 1.0
    momentum: float = 0.9
    weight_decay: float = 4e-5
    eval_cache_tasks: int = 4
    num_workers: int | None = None  # loader processes for file-based data; None: 4 on CUDA, 0 on the CPU
    amp: bool = False  # train under autocast: bfloat16 on the CPU, float16 with loss scaling on CUDA
    save_every_seconds: float = 60.0  # write the run at most this often (0: after every epoch); always after a commit
    init: str | None = None  # state_dict of the plain model (width 1.0) that task 1 starts from (--init)
    goal: GoalConfig = field(default_factory=GoalConfig)
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)
    prune: PruneConfig = field(default_factory=PruneConfig)
    retrain: RetrainConfig = field(default_factory=RetrainConfig)
    doctor: DoctorConfig = field(default_factory=DoctorConfig)  # an optional stage after FINETUNE
    hat: HatConfig = field(default_factory=HatConfig)  # the hat strategy's attention
    supsup: SupsupConfig = field(default_factory=SupsupConfig)  # the supsup strategy's supermasks
    ewc: EWCConfig = field(default_factory=EWCConfig)  # the settings of the plugins of the strategies of those names
    si: SIConfig = field(default_factory=SIConfig)
    lwf: LwFConfig = field(default_factory=LwFConfig)
    replay: ReplayConfig = field(default_factory=ReplayConfig)
    name: str | None = None
    checkpoint_dir: str = "checkpoints"
    log_dir: str = "logs"
